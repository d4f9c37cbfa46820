"""Python values <-> bg_value, chosen by the API's descriptor.

Inputs borrow numeric numpy buffers (C-contiguous ones are not copied; the value and the
array are kept alive together until the call has returned). Numeric outputs become writable
numpy arrays over the library's own buffer: the array's ``base`` is an OwnedValue that frees
the bg_value when the last array using it is collected.
"""
from __future__ import annotations

import ctypes
import io
import json
import mimetypes
import os
from typing import Any, List, Optional, Tuple

import numpy as np

from . import _lib
from .errors import InvalidArgumentError, from_error

try:  # optional extras
    import pandas as pd
except ImportError:  # pragma: no cover - depends on the machine
    pd = None
try:
    from PIL import Image as PILImage
except ImportError:  # pragma: no cover
    PILImage = None

NDARRAY, SERIES, DATAFRAME, JSON, TEXT, FILE, MULTIPART, BYTES = range(1, 9)
DTYPES = {1: np.float32, 2: np.float64, 3: np.bool_, 4: np.int32, 5: np.int64, 6: np.uint32,
          7: np.uint64}
TO_BG = {np.dtype(v): k for k, v in DTYPES.items()}
NP_DTYPES = {k: np.dtype(v) for k, v in DTYPES.items()}  # bg_dtype -> numpy dtype
TYPESTRS = {k: v.str for k, v in NP_DTYPES.items()}  # bg_dtype -> __array_interface__ typestr
STRING = 8
# Series have no unsigned or narrow integer fields: widen like pandas would.
SERIES_WIDEN = {np.dtype(np.int8): np.int64, np.dtype(np.int16): np.int64,
                np.dtype(np.uint8): np.int64, np.dtype(np.uint16): np.int64,
                np.dtype(np.uint32): np.int64, np.dtype(np.float16): np.float32}
PIL_FORMATS = {"image/png": "PNG", "image/jpeg": "JPEG", "image/bmp": "BMP", "image/gif": "GIF",
               "image/tiff": "TIFF", "image/webp": "WEBP", "image/x-icon": "ICO"}


class File:
    """Bytes with a MIME type, for File and Image inputs: ``File(b"...", "image/png")``,
    ``File.from_path("cat.jpg")``. File outputs are returned as File too."""

    def __init__(self, data: bytes, mime_type: Optional[str] = None):
        self.data, self.mime_type = data, mime_type

    @classmethod
    def from_path(cls, path, mime_type: Optional[str] = None) -> "File":
        with open(path, "rb") as f:
            return cls(f.read(), mime_type or mimetypes.guess_type(str(path))[0])

    def __bytes__(self) -> bytes:
        return bytes(self.data)

    def __eq__(self, other) -> bool:
        if isinstance(other, File):
            return bytes(self.data) == bytes(other.data) and self.mime_type == other.mime_type
        return NotImplemented

    def __repr__(self) -> str:
        return f"File({len(self.data)} bytes, {self.mime_type!r})"


class OwnedValue:
    """Owns one bg_value; numpy arrays made from its buffers keep it alive as their base."""

    def __init__(self, lib, ptr: int):
        self._lib, self.ptr = _lib.quick or lib, ptr

    def __del__(self):
        if self.ptr:
            self._lib.bg_value_free(self.ptr)
            self.ptr = None


class _Buffer:
    """__array_interface__ over a writable address, keeping `owner` alive (array.base).
    (A ctypes char array from_address would be cheaper to wrap, but ctypes keeps every
    array type it makes, one per distinct size, for the life of the process.)"""

    def __init__(self, owner: OwnedValue, address: int, shape: tuple, typestr: str):
        self.owner = owner
        self.__array_interface__ = {"data": (address, False), "shape": shape,
                                    "typestr": typestr, "version": 3}


# numpy's NPY_ARRAY_C_CONTIGUOUS | NPY_ARRAY_ALIGNED | NPY_ARRAY_WRITEABLE (ndarray.flags.num):
# an array Encoder.ndarray borrows without looking further (ctypes' from_buffer wants it
# writable)
_BORROWABLE = 0x0001 | 0x0100 | 0x0400
_SHAPES: dict = {}  # shape tuple -> its int64_t[] (the library copies shapes): few distinct
_ANY_BYTES = ctypes.c_char * 0  # from_buffer(arr): a pointer to a writable array's buffer


def borrow_ndarray(arr: np.ndarray) -> Optional[int]:
    """The common case of Encoder.ndarray, without an Encoder: a value borrowing `arr`'s own
    buffer when it is C-contiguous, aligned, writable and of a native NDArray dtype, or None
    (Encoder.ndarray then converts it, or words the error). The caller keeps `arr` alive and
    unchanged until it frees the value."""
    code = TO_BG.get(arr.dtype)  # None for other dtypes and non-native byte orders
    if code is not None and arr.flags.num & _BORROWABLE == _BORROWABLE:
        # the address through ctypes' from_buffer: a fifth of arr.ctypes.data's cost (which
        # builds numpy's ctypes helper object)
        return _lib.quick.bg_ndarray_borrow(code, _shape_array(arr.shape), arr.ndim,
                                            _ANY_BYTES.from_buffer(arr), arr.size, None) or None
    return None


def _shape_array(shape: tuple):
    c = _SHAPES.get(shape)
    if c is None:
        if len(_SHAPES) >= 256:  # a caller of ever-new shapes: start over
            _SHAPES.clear()
        c = _SHAPES[shape] = (ctypes.c_int64 * max(len(shape), 1))(*shape)
    return c


def _check(lib, ptr, err):
    if not ptr:
        raise from_error(lib, err)
    return ptr


def _status(lib, rc, err):
    if rc != 0:
        raise from_error(lib, err)


# ------------------------------------------------------------------------------ encoding

class Encoder:
    """Builds one input value; holds what the value borrows until free()."""

    def __init__(self, lib):
        self.lib = lib
        self.keep: List[Any] = []

    def free(self, value):
        _lib.quick.bg_value_free(value)
        self.keep.clear()

    # --- arrays
    def _strings(self, arr: np.ndarray):
        if arr.dtype.kind == "S":  # numpy bytes strings (FITS, HDF5 text columns): UTF-8 text
            try:
                items = [bytes(s).decode("utf-8").encode() for s in arr.ravel()]
            except UnicodeDecodeError as e:
                raise InvalidArgumentError(
                    f"numpy dtype {arr.dtype} holds bytes that are not UTF-8 ({e.reason}); "
                    f"string arrays carry UTF-8 text only", status="BG_ERR_INVALID_ARGUMENT")
        else:
            try:
                items = [(s if isinstance(s, str) else str(s)).encode() for s in arr.ravel()]
            except UnicodeEncodeError as e:
                raise InvalidArgumentError(
                    f"a string holds {e.object[e.start:e.end]!r}, which UTF-8 cannot encode "
                    f"(a lone surrogate); string arrays carry UTF-8 text only",
                    status="BG_ERR_INVALID_ARGUMENT") from None
        for i, item in enumerate(items):  # a C string would end there: refused, not cut
            if b"\0" in item:
                raise InvalidArgumentError(
                    f"string element {i} holds a NUL character, which a string array cannot "
                    f"carry (the library's strings end at the first NUL); send bytes as File "
                    f"or bytes instead", status="BG_ERR_INVALID_ARGUMENT")
        buf = (ctypes.c_char_p * max(len(items), 1))(*items)
        return buf, len(items)

    def ndarray(self, arr: np.ndarray):
        """A NumpyNdarray input from any numpy array (or numpy scalar, a 0-d array).

        The wire carries the array's logical content in C (row-major) order and the host's
        byte order, so the value's elements are exactly ``np.ascontiguousarray(arr)``:

        - a C-contiguous, aligned array in native byte order is sent from its own buffer
          (borrowed, no copy; kept alive until the call returns);
        - any other layout (Fortran order, transposed, negative or other strides, slices with
          a step, broadcast views, unaligned buffers) and any non-native byte order (``>f4``,
          ``>i8`` ... on a little-endian host) is converted in ONE copy to a C-ordered,
          native array of the same dtype; bool (``|b1``) has no byte order;
        - a 0-d array keeps shape ``()``: one element, an empty shape on the wire (BentoML
          reads an empty shape as 1-D, so an echo answers shape ``(1,)``);
        - str arrays (and object arrays holding only str) become string arrays;
        - every other dtype (float16, int8/16, uint8/16, complex, datetime, timedelta,
          structured, other objects) has no NDArray field and raises InvalidArgumentError
          naming the dtype, before anything is sent.
        """
        value = borrow_ndarray(arr)
        if value is not None:
            self.keep.append(arr)
            return value
        lib, err = self.lib, _lib.Error()
        if arr.dtype.kind == "O" and all(isinstance(s, str) for s in arr.flat):
            arr = arr.astype(str)
        if arr.dtype.kind in "US":
            buf, n = self._strings(arr)
            shape = (ctypes.c_int64 * max(arr.ndim, 1))(*arr.shape)
            return _check(lib, lib.bg_ndarray_copy(STRING, shape, arr.ndim, buf, n,
                                                   ctypes.byref(err)), err)
        native = arr.dtype if arr.dtype.isnative else arr.dtype.newbyteorder("=")
        if arr.dtype.fields is not None or native not in TO_BG:
            raise InvalidArgumentError(
                f"numpy dtype {arr.dtype} has no NDArray field; use one of "
                f"{', '.join(str(np.dtype(d)) for d in DTYPES.values())} or str "
                f"(e.g. arr.astype(np.float32))",
                status="BG_ERR_INVALID_ARGUMENT")
        # np.require keeps a 0-d array 0-d (np.ascontiguousarray would make it 1-D) and
        # returns `arr` itself when it already is C-contiguous, aligned and native.
        # (the test first: np.require itself costs ~2 µs, a tenth of a small call's overhead)
        flags = arr.flags
        if not (native is arr.dtype and flags.c_contiguous and flags.aligned):
            arr = np.require(arr, dtype=native, requirements=["C_CONTIGUOUS", "ALIGNED"])
        self.keep.append(arr)
        return _check(lib, lib.bg_ndarray_borrow(TO_BG[native], _shape_array(arr.shape),
                                                 arr.ndim, arr.ctypes.data, arr.size,
                                                 ctypes.byref(err)), err)

    def _string_block(self, arr: np.ndarray):
        """A str (or all-str object) array as one UTF-8 block, a NUL after each element, built
        in bulk (the _fastcall extension: element by element in C; else one join, one encode:
        no Python work per element) and kept alive with the call; None when an element is not
        str or cannot be encoded, for the element-by-element path to handle."""
        fast = _lib.fastcall
        if fast is not None and arr.dtype.kind == "O":
            block = fast.str_block(arr.ravel())
            if block is not None:  # else: left to the code below, which decides as before
                if not block:
                    return None
                self.keep.append(block)
                return block
        items = arr.ravel().tolist()
        if not items:
            return None
        items.append("")  # the last element's NUL, without copying the joined text again
        try:
            block = "\0".join(items).encode()
        except (TypeError, UnicodeEncodeError):
            return None
        self.keep.append(block)
        return block

    def series(self, values) -> int:
        lib, err = self.lib, _lib.Error()
        arr = np.asarray(values)
        if arr.dtype.kind in "UO":
            block = self._string_block(arr)
            if block is not None:  # borrowed, checked as one block by the library
                value = _check(lib, lib.bg_series_borrow_strings(block, len(block),
                                                                 ctypes.byref(err)), err)
                if lib.bg_series_count(value) == arr.size:
                    return value
                lib.bg_value_free(value)  # a NUL character inside an element: refused below
        if arr.dtype.kind in "UOS":
            buf, n = self._strings(arr)
            return _check(lib, lib.bg_series_copy(STRING, buf, n, ctypes.byref(err)), err)
        native = arr.dtype if arr.dtype.isnative else arr.dtype.newbyteorder("=")
        if native in SERIES_WIDEN:
            native = np.dtype(SERIES_WIDEN[native])
        if native not in TO_BG or TO_BG[native] in (6, 7):
            raise InvalidArgumentError(f"a Series cannot carry dtype {arr.dtype}",
                                       status="BG_ERR_INVALID_ARGUMENT")
        # one copy at most: to native byte order / wider type / C order, as for ndarray()
        arr = np.require(arr.ravel(), dtype=native, requirements=["C_CONTIGUOUS", "ALIGNED"])
        self.keep.append(arr)
        return _check(lib, lib.bg_series_borrow(TO_BG[arr.dtype], arr.ctypes.data, arr.size,
                                                ctypes.byref(err)), err)

    def dataframe(self, frame) -> int:
        lib, err = self.lib, _lib.Error()
        df = _check(lib, lib.bg_dataframe_new(ctypes.byref(err)), err)
        try:
            if pd is not None and isinstance(frame, pd.DataFrame):
                columns = [(str(name), frame[name].to_numpy()) for name in frame.columns]
            else:  # a mapping of column name -> values
                columns = [(str(k), np.asarray(v)) for k, v in dict(frame).items()]
            for name, col in columns:
                s = self.series(col)
                _status(lib, lib.bg_dataframe_add_column(df, name.encode(), s, ctypes.byref(err)),
                        err)
        except BaseException:
            lib.bg_value_free(df)
            raise
        return df

    # --- scalars and blobs
    def json(self, obj) -> int:
        lib, err = self.lib, _lib.Error()
        if type(obj) not in (dict, list) and pd is not None \
                and isinstance(obj, (pd.DataFrame, pd.Series)):
            text = obj.to_json()
        else:
            text = _json_encode(obj)
        data = text.encode()
        # with the GIL held only for short texts: a long parse lets other Python threads run
        parse = _lib.quick.bg_json_parse if len(data) <= _QUICK_JSON_BYTES else lib.bg_json_parse
        return _check(lib, parse(data, len(data), ctypes.byref(err)), err)

    def text(self, s: str) -> int:
        lib, err = self.lib, _lib.Error()
        data = str(s).encode()
        return _check(lib, lib.bg_text_new(data, len(data), ctypes.byref(err)), err)

    def file(self, obj, mime: Optional[str]) -> int:
        lib, err = self.lib, _lib.Error()
        if isinstance(obj, File):
            data, mime = obj.data, obj.mime_type or mime
        elif PILImage is not None and isinstance(obj, PILImage.Image):
            fmt = PIL_FORMATS.get(mime or "", "PNG")
            out = io.BytesIO()
            obj.save(out, format=fmt)
            data, mime = out.getvalue(), mime or "image/png"
        elif isinstance(obj, (str, os.PathLike)):
            guessed = mime or mimetypes.guess_type(os.fspath(obj))[0]
            return _check(lib, lib.bg_file_from_path(os.fsencode(obj),
                                                     guessed.encode() if guessed else None,
                                                     ctypes.byref(err)), err)
        elif hasattr(obj, "read"):
            name = getattr(obj, "name", None)
            guessed = mimetypes.guess_type(name)[0] if isinstance(name, str) else None
            data, mime = obj.read(), mime or guessed
        else:
            data = obj
        addr, size = self._bytes_address(data)
        return _check(lib, lib.bg_file_borrow(addr, size, mime.encode() if mime else None,
                                              ctypes.byref(err)), err)

    def raw_bytes(self, data) -> int:
        lib, err = self.lib, _lib.Error()
        addr, size = self._bytes_address(data)
        return _check(lib, lib.bg_bytes_borrow(addr, size, ctypes.byref(err)), err)

    def _bytes_address(self, data) -> Tuple[int, int]:
        arr = np.frombuffer(memoryview(data).cast("B"), dtype=np.uint8)  # no copy
        self.keep.append(arr)
        return (arr.ctypes.data if arr.size else None), arr.size

    def multipart(self, parts, spec: dict) -> int:
        lib, err = self.lib, _lib.Error()
        mp = _check(lib, lib.bg_multipart_new(ctypes.byref(err)), err)
        try:
            for name, obj in dict(parts).items():
                part_spec = spec.get(name) if isinstance(spec.get(name), dict) else {}
                v = self.encode(obj, part_spec.get("id"), part_spec.get("args") or {})
                _status(lib, lib.bg_multipart_add(mp, str(name).encode(), v, ctypes.byref(err)),
                        err)
        except BaseException:
            lib.bg_value_free(mp)
            raise
        return mp

    # --- dispatch
    def encode(self, obj, descriptor: Optional[str], attrs: dict) -> int:
        return self.encode_kind(obj, (descriptor or "").rsplit(".", 1)[-1], attrs)

    def encode_kind(self, obj, d: str, attrs: dict) -> int:
        """encode() by the descriptor's last name component (`d`: "NumpyNdarray", ...)."""
        if d == "NumpyNdarray":
            if type(obj) is np.ndarray:  # np.asarray would return it as is, at a cost
                return self.ndarray(obj)
            return self.ndarray(np.asarray(obj))
        if d == "JSON":
            return self.json(obj)
        if d == "Text":
            if isinstance(obj, (bytes, bytearray, memoryview)):
                return self.raw_bytes(obj)
            return self.text(obj)
        if d in ("File", "Image"):
            if isinstance(obj, np.ndarray) and d == "Image" and PILImage is not None:
                obj = PILImage.fromarray(obj)
            return self.file(obj, attrs.get("mime_type"))
        if d == "PandasDataFrame":
            return self.dataframe(obj)
        if d == "PandasSeries":
            return self.series(obj)
        if d == "Multipart":
            return self.multipart(obj, attrs)
        return self.by_type(obj)

    def by_type(self, obj) -> int:
        """No (known) descriptor: the value's own type decides."""
        if isinstance(obj, np.ndarray):
            return self.ndarray(obj)
        if pd is not None and isinstance(obj, pd.DataFrame):
            return self.dataframe(obj)
        if pd is not None and isinstance(obj, pd.Series):
            return self.series(obj)
        if isinstance(obj, str):
            return self.text(obj)
        if isinstance(obj, (bytes, bytearray, memoryview)):
            return self.raw_bytes(obj)
        if isinstance(obj, File) or hasattr(obj, "read") or isinstance(obj, os.PathLike) or (
                PILImage is not None and isinstance(obj, PILImage.Image)):
            return self.file(obj, None)
        return self.json(obj)


def _json_default(obj):
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, np.generic):
        return obj.item()
    raise TypeError(f"{type(obj).__name__} is not JSON serializable")


# Longest JSON text parsed with the GIL held: ~25 instructions a byte (bench/RESULTS.md, "JSON
# without trees"), so some 50 µs at most, a fraction of the json.dumps that made the text.
_QUICK_JSON_BYTES = 8 * 1024

# json.dumps(obj, default=_json_default, allow_nan=False) without making an encoder per call;
# compact separators: the library reads the text once, and blanks are only more to read
_json_encode = json.JSONEncoder(default=_json_default, allow_nan=False,
                                separators=(",", ":")).encode


# ------------------------------------------------------------------------------ decoding

def _array(lib, owner: OwnedValue, ptr: int, series: bool, as_objects: bool = False):
    """The elements of an ndarray or series value as a numpy array: numbers over the value's
    own buffer (no copy), strings as str (``as_objects``: an object array, what pandas keeps
    str columns in)."""
    q = _lib.quick  # accessors only: called with the GIL held
    if series:
        dtype, count = q.bg_series_dtype(ptr), q.bg_series_count(ptr)
        shape, address = (count,), q.bg_series_data_mut(ptr)
    else:
        dtype, ndim, address = q.bg_ndarray_dtype(ptr), q.bg_ndarray_ndim(ptr), \
            q.bg_ndarray_data_mut(ptr)
        shape = tuple(q.bg_ndarray_shape(ptr)[:ndim]) if ndim else ()
        count = 1
        for d in shape:  # cheaper than one more call (bg_ndarray_count)
            count *= d
    if dtype == STRING:  # data_mut is NULL for strings (their pointers are the library's)
        items = None
        if series and count:  # a decoded column: its strings in one block, converted at once
            size = ctypes.c_size_t()
            block = lib.bg_series_string_block(ptr, ctypes.byref(size))
            fast = _lib.fastcall
            if block and as_objects and fast is not None:  # straight into the object array
                out = fast.str_objects(block, size.value, count)
                if out is not None:
                    return out.reshape(shape)
            if block:
                # string_at: one bytes copy, but no new ctypes array type per column size
                items = ctypes.string_at(block, size.value).decode().split("\0")
                items.pop()  # after the last NUL
        if items is None:
            address = (q.bg_series_data if series else q.bg_ndarray_data)(ptr)
            ptrs = (ctypes.c_char_p * count).from_address(address) if count else []
            items = [s.decode() for s in ptrs]
        if as_objects:  # what pandas holds str in: no second conversion
            out = np.empty(count, dtype=object)
            out[:] = items
            return out.reshape(shape)
        return np.array(items, dtype=str).reshape(shape)
    if not address:  # no elements
        return np.zeros(shape, dtype=NP_DTYPES[dtype])
    return np.asarray(_Buffer(owner, address, shape, TYPESTRS[dtype]))


def decode(lib, owner: OwnedValue, ptr: int, descriptor: Optional[str] = None,
           attrs: Optional[dict] = None):
    kind = _lib.quick.bg_value_get_kind(ptr)
    if kind == NDARRAY:
        return _array(lib, owner, ptr, False)
    d = (descriptor or "").rsplit(".", 1)[-1]
    if kind == SERIES:
        arr = _array(lib, owner, ptr, True, as_objects=pd is not None)
        return pd.Series(arr, copy=False) if pd is not None else arr
    if kind == DATAFRAME:
        cols = {}
        for i in range(lib.bg_dataframe_column_count(ptr)):
            name = lib.bg_dataframe_column_name_at(ptr, i)
            cols[name.decode() if name is not None else str(i)] = _array(
                lib, owner, lib.bg_dataframe_column_at(ptr, i), True, as_objects=pd is not None)
        return pd.DataFrame(cols, copy=False) if pd is not None else cols
    if kind == JSON:
        return json.loads(_lib.quick.bg_json_text(ptr))  # UTF-8 bytes: json.loads reads them
    if kind == TEXT:
        q = _lib.quick
        return ctypes.string_at(q.bg_text_data(ptr), q.bg_text_length(ptr)).decode()
    if kind == FILE:
        size = lib.bg_file_size(ptr)
        data = ctypes.string_at(lib.bg_file_data(ptr), size) if size else b""
        mime = lib.bg_file_mime(ptr)
        mime = mime.decode() if mime else None
        if (d == "Image" or (mime or "").startswith("image/")) and PILImage is not None:
            try:
                img = PILImage.open(io.BytesIO(data))
                img.load()
                return img
            except Exception:  # not an image Pillow can read: give the bytes
                pass
        return File(data, mime)
    if kind == MULTIPART:
        spec = attrs or {}
        out = {}
        for i in range(lib.bg_multipart_count(ptr)):
            name = lib.bg_multipart_name_at(ptr, i).decode()
            part_spec = spec.get(name) if isinstance(spec.get(name), dict) else {}
            out[name] = decode(lib, owner, lib.bg_multipart_part_at(ptr, i),
                               part_spec.get("id"), part_spec.get("args"))
        return out
    if kind == BYTES:
        size = lib.bg_bytes_size(ptr)
        return ctypes.string_at(lib.bg_bytes_data(ptr), size) if size else b""
    raise InvalidArgumentError(f"unknown value kind {kind}")


def take_output(lib, ptr: int, descriptor: Optional[str], attrs: Optional[dict]):
    """Decodes a call's output; arrays keep the value alive, everything else is copied and
    the value is freed when `owner` goes (at once when nothing refers to it)."""
    owner = OwnedValue(lib, ptr)
    if _lib.quick.bg_value_get_kind(ptr) == NDARRAY:  # the common case, without decode()
        return _array(lib, owner, ptr, False)
    return decode(lib, owner, ptr, descriptor, attrs)
