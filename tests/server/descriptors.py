"""Emulation of BentoML's gRPC IO descriptors (PROTOCOL.md §3 and §4).

Each descriptor has:
  * ``spec()``: the dict ServiceMetadata exports (``{"id": ..., "args": ...}``), or None;
  * ``proto_fields(env)``: the Request/Response/Part members it owns (first = response member);
  * ``from_proto(field, env)``: decode a request member (a message, or bytes for
    ``serialized_bytes``) into the Python value the API function receives;
  * ``to_proto(obj, env)``: encode the function's return value into a message.

The Python class names matter: they appear verbatim in error details.
``env`` carries the generated module of the served protocol version and server options.
"""
from __future__ import annotations

import dataclasses
import io
import json
import math
from typing import Any, Callable

import numpy as np
from google.protobuf import json_format, struct_pb2, wrappers_pb2

import frames
import imaging
from errors import BadInput, InvalidArgument, UnprocessableEntity


@dataclasses.dataclass
class Env:
    pb: Any                    # generated service_pb2 module of the served version
    version: str = "v1"        # "v1" or "v1alpha1"
    file_mode: str = "broken"  # "broken" (BentoML HEAD) or "intended" (§4.6)


# --------------------------------------------------------------------------- shared rules

def pick_field(msg, oneof: str, descriptor: "IODescriptor", env: Env):
    """§4.0: the set member must be one of the descriptor's proto fields or serialized_bytes."""
    member = msg.WhichOneof(oneof)
    if member is None:
        raise InvalidArgument('"field" cannot be empty.')
    accepted = tuple(descriptor.proto_fields(env)) + ("serialized_bytes",)
    if member not in accepted:
        raise InvalidArgument(
            f"'{type(descriptor).__name__}' accepts one of the following fields: "
            f"'{','.join(accepted)}' got '{member}' instead.")
    return getattr(msg, member)


def set_member(container, member: str, value) -> None:
    """Set a oneof message member, marking presence even when ``value`` is empty."""
    target = getattr(container, member)
    target.CopyFrom(value)
    target.SetInParent()


def values_fields(msg) -> list[str]:
    """Names of the non-empty ``*_values`` fields, in field-number order (a Python list)."""
    return [f.name for f, _ in msg.ListFields() if f.name.endswith("_values")]


def one_of_values_error(names: list[str]) -> InvalidArgument:
    return BadInput("Array contents can only be one of given values key. "
                    f"Use one of '{names}' instead.")


def shape_matches(expected: tuple, actual: tuple) -> bool:
    """-1 in ``expected`` is a wildcard."""
    return len(expected) == len(actual) and all(
        e == -1 or e == a for e, a in zip(expected, actual))


class IODescriptor:
    descriptor_id: str | None = None
    _proto_fields: tuple[str, ...] = ()

    def proto_fields(self, env: Env) -> tuple[str, ...]:
        return self._proto_fields

    def args(self) -> dict | None:
        return None

    def spec(self) -> dict | None:
        spec = {"id": self.descriptor_id}
        args = self.args()
        if args is not None:
            spec["args"] = args
        return spec

    def __repr__(self) -> str:
        return type(self).__name__

    def from_proto(self, field, env: Env):
        raise NotImplementedError

    def to_proto(self, obj, env: Env):
        raise NotImplementedError


# --------------------------------------------------------------------------- NumpyNdarray

# NDArray.DType value -> (values field, numpy dtype). DTYPE_STRING maps to the *unsized*
# unicode dtype '<U0', which no real string array has: hence strings can never be returned.
NDARRAY_TABLE = {
    1: ("float_values", np.dtype(np.float32)),
    2: ("double_values", np.dtype(np.float64)),
    3: ("bool_values", np.dtype(np.bool_)),
    4: ("int32_values", np.dtype(np.int32)),
    5: ("int64_values", np.dtype(np.int64)),
    6: ("uint32_values", np.dtype(np.uint32)),
    7: ("uint64_values", np.dtype(np.uint64)),
    8: ("string_values", np.dtype(np.str_)),
}
FIELD_TO_NPDTYPE = {field: dt for field, dt in NDARRAY_TABLE.values()}
NPDTYPE_TO_FIELD = {dt: field for field, dt in NDARRAY_TABLE.values()}
NPDTYPE_TO_DTYPEPB = {dt: num for num, (_, dt) in NDARRAY_TABLE.items()}

# Refuse to materialise absurd "shape without values" requests (§4.1 step 3).
_MAX_EMPTY_ELEMENTS = 1 << 26


def _cast_same_kind(values, target: np.dtype, enforce: bool, exc_cls, expecting: str):
    """Shared dtype rule of NumpyNdarray/PandasSeries: same-kind cast, else error or pass.

    ``expecting`` starts the error text, e.g. "NumpyNdarray: Expecting ndarray"."""
    if values.dtype == target:
        return values
    if np.can_cast(values.dtype, target, casting="same_kind"):
        return values.astype(target, casting="same_kind")
    if enforce:
        raise exc_cls(f'{expecting} of dtype "{target}", but "{values.dtype}" was received.')
    return values


class NumpyNdarray(IODescriptor):
    descriptor_id = "bentoml.io.NumpyNdarray"
    _proto_fields = ("ndarray",)

    def __init__(self, dtype=None, enforce_dtype=False, shape=None, enforce_shape=False):
        self._dtype = np.dtype(dtype) if dtype is not None else None
        self._shape = tuple(shape) if shape is not None else None
        self._enforce_dtype = enforce_dtype
        self._enforce_shape = enforce_shape

    @classmethod
    def from_sample(cls, sample: np.ndarray, **kw) -> "NumpyNdarray":
        return cls(dtype=sample.dtype, shape=sample.shape, **kw)

    def args(self):
        return {"dtype": self._dtype.name if self._dtype is not None else None,
                "shape": self._shape, "enforce_dtype": self._enforce_dtype,
                "enforce_shape": self._enforce_shape}

    def validate(self, arr, exc_cls=BadInput) -> np.ndarray:
        """§4.1 step 5, also applied to outputs."""
        if not isinstance(arr, np.ndarray):
            raise exc_cls(f"NumpyNdarray: Expecting ndarray, but {type(arr)} was received.")
        if self._dtype is not None:
            arr = _cast_same_kind(arr, self._dtype, self._enforce_dtype, exc_cls,
                                  "NumpyNdarray: Expecting ndarray")
        if self._shape is not None and not shape_matches(self._shape, arr.shape):
            if self._enforce_shape:
                raise exc_cls(f'NumpyNdarray: Expecting ndarray of shape "{self._shape}", '
                              f'but "{arr.shape}" was received.')
            try:
                arr = arr.reshape(self._shape)
            except ValueError:
                pass  # BentoML only logs; the original shape is kept
        return arr

    def from_proto(self, field, env):
        if isinstance(field, bytes):
            if self._dtype is None:
                raise BadInput("'serialized_bytes' requires specifying 'dtype'.")
            # Native byte order; a bad length raises ValueError -> generic INTERNAL.
            return self.validate(np.frombuffer(field, dtype=self._dtype))
        if field.dtype != 0 and field.dtype not in NDARRAY_TABLE:
            raise BadInput(f"{field.dtype} is invalid.")
        if field.dtype != 0:
            fieldname, dtype = NDARRAY_TABLE[field.dtype]
        else:
            names = values_fields(field)
            if not names:
                # BentoML returns np.empty(shape) unvalidated: unspecified contents (zeros here).
                shape = tuple(field.shape) or (0,)
                if math.prod(shape) > _MAX_EMPTY_ELEMENTS:
                    raise MemoryError("refusing to allocate")
                return np.zeros(shape)  # a negative dimension -> ValueError -> INTERNAL
            if len(names) > 1:
                raise one_of_values_error(names)
            fieldname, dtype = names[0], FIELD_TO_NPDTYPE[names[0]]
        values = getattr(field, fieldname)
        try:
            arr = np.array(values, dtype=dtype)
        except ValueError:
            arr = np.array(values)
        if field.shape:
            arr = np.reshape(arr, tuple(field.shape))  # mismatch -> ValueError -> INTERNAL
        return self.validate(arr)

    def to_proto(self, obj, env):
        obj = self.validate(obj, exc_cls=InvalidArgument)
        if obj.dtype not in NPDTYPE_TO_FIELD:
            raise BadInput(f"Unsupported dtype '{obj.dtype}' for response message.")
        return env.pb.NDArray(dtype=NPDTYPE_TO_DTYPEPB[obj.dtype], shape=tuple(obj.shape),
                              **{NPDTYPE_TO_FIELD[obj.dtype]: obj.ravel().tolist()})


# --------------------------------------------------------------------------- pandas

SAMPLE_DTYPES = object()  # per-column dtypes taken from a sample frame: exported as JSON null

# Series members a DataFrame column / Series dtype maps to (uint maps to fields Series lacks).
SERIES_FIELD_BY_DTYPE = NPDTYPE_TO_FIELD


def _series_message(env, field: str, values: list):
    return env.pb.Series(**{field: values})  # uint32_values etc. -> ValueError -> INTERNAL


class PandasDataFrame(IODescriptor):
    descriptor_id = "bentoml.io.PandasDataFrame"
    _proto_fields = ("dataframe",)

    def __init__(self, orient="records", columns=None, apply_column_names=False, dtype=None,
                 enforce_dtype=False, shape=None, enforce_shape=False, default_format="json"):
        self._orient = orient
        self._columns = list(columns) if columns is not None else None
        self._apply_column_names = apply_column_names
        self._dtype = dtype
        self._enforce_dtype = enforce_dtype
        self._shape = tuple(shape) if shape is not None else None
        self._enforce_shape = enforce_shape
        self._default_format = default_format

    @classmethod
    def from_sample(cls, sample: frames.DataFrame, **kw) -> "PandasDataFrame":
        return cls(columns=sample.columns, dtype=SAMPLE_DTYPES, shape=sample.shape, **kw)

    def _exported_dtype(self):
        if self._dtype is None:
            return "null"  # §3.3 quirk: a string, not JSON null
        if isinstance(self._dtype, bool):
            return str(self._dtype)
        if isinstance(self._dtype, dict):
            return {k: str(v) for k, v in self._dtype.items()}
        return None

    def args(self):
        return {"orient": self._orient, "columns": self._columns,
                "dtype": self._exported_dtype(), "shape": self._shape,
                "enforce_dtype": self._enforce_dtype, "enforce_shape": self._enforce_shape,
                "default_format": self._default_format}

    def validate(self, df, exc_cls=BadInput):
        if not isinstance(df, frames.DataFrame):
            raise InvalidArgument(
                f"return object is not of type 'pd.DataFrame', got type '{type(df)}' instead")
        if self._apply_column_names:
            if not self._columns:
                raise BadInput("When apply_column_names is set, you must provide columns.")
            if len(self._columns) != df.shape[1]:
                raise BadInput(f"length of 'columns' ({len(self._columns)}) does not match the "
                               f"# of columns of incoming data ({df.shape[1]}).")
            df = frames.DataFrame(dict(zip(self._columns, df.data.values())), df.index)
        if (self._shape is not None and self._enforce_shape
                and not shape_matches(self._shape, df.shape)):
            raise exc_cls(f'PandasDataFrame: Expecting DataFrame of shape "{self._shape}", '
                          f'but "{df.shape}" was received.')
        return df

    def from_proto(self, field, env):
        if isinstance(field, bytes):
            raise NotImplementedError('Currently not yet implemented. Use "dataframe" instead.')
        if self._orient != "columns":
            raise BadInput("'dataframe' field currently only supports 'columns' orient. "
                           "Make sure to set 'orient=columns' in PandasDataFrame.")
        columns = []
        for series in field.columns:
            names = values_fields(series)
            if len(names) != 1:
                raise one_of_values_error(names)
            columns.append(list(getattr(series, names[0])))
        # dict(zip(...)): extra names/columns dropped, a repeated name keeps the last column.
        named = dict(zip(field.column_names, columns))
        return self.validate(frames.frame_from_columns(named))

    def to_proto(self, obj, env):
        obj = self.validate(obj, exc_cls=InvalidArgument)
        columns = []
        for _, col in obj.items():
            member = SERIES_FIELD_BY_DTYPE.get(col.dtype)
            if member is None:
                raise UnprocessableEntity(
                    f'dtype in column "{frames.index_repr(obj.columns)}" is not currently supported.')
            columns.append(_series_message(env, member, col.tolist()))
        return env.pb.DataFrame(column_names=[str(c) for c in obj.columns], columns=columns)


class PandasSeries(IODescriptor):
    descriptor_id = "bentoml.io.PandasSeries"
    _proto_fields = ("series",)

    def __init__(self, orient="records", dtype=None, enforce_dtype=False, shape=None,
                 enforce_shape=False):
        self._orient = orient
        self._dtype = np.dtype(dtype) if dtype is not None and not isinstance(dtype, str) else dtype
        self._enforce_dtype = enforce_dtype
        self._shape = tuple(shape) if shape is not None else None
        self._enforce_shape = enforce_shape

    @classmethod
    def from_sample(cls, sample: frames.Series, **kw) -> "PandasSeries":
        return cls(dtype=sample.dtype, shape=sample.shape, **kw)

    def args(self):
        return {"orient": self._orient,
                "dtype": str(self._dtype) if self._dtype is not None else "null",
                "shape": self._shape, "enforce_dtype": self._enforce_dtype,
                "enforce_shape": self._enforce_shape}

    def validate(self, series, exc_cls=BadInput):
        if not isinstance(series, frames.Series):
            raise InvalidArgument(
                f"return object is not of type 'pd.Series', got type '{type(series)}' instead")
        if self._dtype is not None and not isinstance(self._dtype, str):
            series = frames.Series(_cast_same_kind(series.values, self._dtype,
                                                   self._enforce_dtype, exc_cls,
                                                   "PandasSeries: Expecting series"))
        if (self._shape is not None and self._enforce_shape
                and not shape_matches(self._shape, series.shape)):
            raise exc_cls(f"PandasSeries: Expecting Series of shape '{self._shape}', "
                          f"but '{series.shape}' was received.")
        return series

    def from_proto(self, field, env):
        if isinstance(field, bytes):
            raise NotImplementedError('Currently not yet implemented. Use "series" instead.')
        if self._dtype is not None:
            # A dtype given as a string is not a key of the table -> KeyError -> INTERNAL.
            dtype = self._dtype
            values = list(getattr(field, NPDTYPE_TO_FIELD[dtype]))
        else:
            names = values_fields(field)
            if not names:
                return frames.Series(np.array([], dtype=np.float64))  # returned unvalidated
            if len(names) > 1:
                raise one_of_values_error(names)
            dtype = FIELD_TO_NPDTYPE[names[0]]
            values = list(getattr(field, names[0]))
        # pandas keeps strings as object; numbers get the mapped dtype.
        arr = np.array(values, dtype=object if dtype.kind == "U" else dtype)
        return self.validate(frames.Series(arr))

    def to_proto(self, obj, env):
        obj = self.validate(obj, exc_cls=InvalidArgument)
        if obj.dtype == np.dtype(object):
            raise InvalidArgument("Series has mixed dtype. Please convert it to a single dtype.")
        member = SERIES_FIELD_BY_DTYPE.get(obj.dtype)
        if member is None:
            raise InvalidArgument(f"Unsupported dtype '{obj.dtype}' for response message.")
        return _series_message(env, member, obj.tolist())


# --------------------------------------------------------------------------- JSON / Text

class ValidationFailure(Exception):
    """Raised by a JSON validator (our stand-in for pydantic.ValidationError)."""


class _JsonEncoder(json.JSONEncoder):
    """BentoML's default encoder: numpy, dataclasses and frames to plain JSON."""

    def default(self, o):
        if isinstance(o, np.ndarray):
            return o.tolist()
        if isinstance(o, np.generic):
            return o.item()
        if dataclasses.is_dataclass(o):
            return dataclasses.asdict(o)
        if isinstance(o, frames.Series):
            return o.tolist()
        return super().default(o)


class JSON(IODescriptor):
    descriptor_id = "bentoml.io.JSON"
    _proto_fields = ("json",)

    def __init__(self, validator: Callable[[Any], Any] | None = None):
        self._validator = validator  # plays the role of pydantic_model

    def args(self):
        return {"has_pydantic_model": self._validator is not None, "has_json_encoder": False}

    def _validate(self, value):
        if self._validator is None:
            return value
        try:
            return self._validator(value)
        except ValidationFailure as e:
            raise BadInput(f"Invalid JSON input received: {e}") from None

    def from_proto(self, field, env):
        if isinstance(field, bytes):
            try:
                parsed = json.loads(field)
            except json.JSONDecodeError as e:
                raise BadInput(f"Invalid JSON input received: {e}") from None
            return self._validate(parsed)
        # protobuf's JSON mapping: every number becomes a float, an empty Value is None.
        return self._validate(json_format.MessageToDict(field, preserving_proto_field_name=True))

    def to_proto(self, obj, env):
        msg = struct_pb2.Value()
        if obj is None:
            return msg  # no member set: `json {}` on the wire
        if isinstance(obj, tuple):
            raise TypeError("top-level tuple")  # §4.4: runtime error
        if not isinstance(obj, (dict, str, list, float, int, bool)):
            obj = json.loads(json.dumps(obj, cls=_JsonEncoder))
        json_format.ParseDict(obj, msg)  # nested tuple -> ParseError -> generic INTERNAL
        return msg


class Text(IODescriptor):
    descriptor_id = "bentoml.io.Text"
    _proto_fields = ("text",)

    def from_proto(self, field, env):
        if isinstance(field, bytes):
            return field.decode("utf-8")  # invalid UTF-8 -> ValueError -> generic INTERNAL
        return field.value

    def to_proto(self, obj, env):
        # None -> empty; invalid UTF-8 bytes -> ValueError; other types -> TypeError (as protobuf).
        return wrappers_pb2.StringValue(value=obj)


# --------------------------------------------------------------------------- File / Image

# v1alpha1 File.FileType <-> MIME type (§2.9).
FILETYPE_MIME = {1: "text/csv", 2: "text/plain", 3: "application/json",
                 4: "application/octet-stream", 5: "application/pdf", 6: "image/png",
                 7: "image/jpeg", 8: "image/gif", 9: "image/bmp", 10: "image/tiff",
                 11: "image/webp", 12: "image/svg+xml"}
MIME_FILETYPE = {mime: num for num, mime in FILETYPE_MIME.items()}


def _v1alpha1_kind_to_mime(env: Env, kind: int) -> str:
    if kind not in FILETYPE_MIME:
        names = [name for name, _ in env.pb.File.FileType.items()]
        raise BadInput(f"{kind} is not a valid File kind. Accepted file kind: {names}")
    return FILETYPE_MIME[kind]


def _v1alpha1_mime_to_kind(mime: str) -> int:
    if mime not in MIME_FILETYPE:
        raise BadInput(f"{mime} doesn't have a corresponding File 'kind'")
    return MIME_FILETYPE[mime]


class BytesIOFile(IODescriptor):
    """What ``File()`` returns. At BentoML HEAD its proto-field list is empty (§4.6)."""

    descriptor_id = "bentoml.io.File"

    def __init__(self, mime_type: str | None = None):
        self._mime_type = mime_type

    def proto_fields(self, env):
        return ("file",) if env.file_mode == "intended" else ()

    def args(self):
        return {"kind": "binaryio", "mime_type": self._mime_type}

    def _check_kind(self, field, env):
        if env.version == "v1alpha1":
            if field.kind and self._mime_type is not None:
                mime = _v1alpha1_kind_to_mime(env, field.kind)
                if mime != self._mime_type:
                    raise BadInput(f"Inferred mime_type from 'kind' is '{mime}', while "
                                   f"'{self!r}' is expecting '{self._mime_type}'")
            elif field.kind:
                _v1alpha1_kind_to_mime(env, field.kind)
        elif self._mime_type is not None and field.kind != self._mime_type:
            # An absent kind reads as "" and is a mismatch too.
            raise BadInput(f"MIME type from 'kind' is '{field.kind}', while '{self!r}' "
                           f"is expecting '{self._mime_type}'")

    def from_proto(self, field, env):
        if isinstance(field, bytes):
            content = field
        else:
            self._check_kind(field, env)
            content = field.content
            if not content:
                raise BadInput("Content is empty!")
        buf = io.BytesIO(content)
        buf.name = "<content>"
        return buf

    def to_proto(self, obj, env):
        body = obj if isinstance(obj, bytes) else obj.read()
        if env.version == "v1alpha1":
            kind = _v1alpha1_mime_to_kind(self._mime_type or "application/octet-stream")
            return env.pb.File(kind=kind, content=body)
        # Sic: BentoML's fallback kind is misspelt.
        return env.pb.File(kind=self._mime_type or "appliction/octet-stream", content=body)


def File(mime_type: str | None = None) -> BytesIOFile:
    return BytesIOFile(mime_type=mime_type)


# Pillow 9.4's readable MIME types (the server-side default of allowed_mime_types).
PILLOW_MIME_TYPES = [
    "image/vnd.adobe.photoshop", "image/mpo", "image/xpm", "image/sgi",
    "image/x-portable-anymap", "image/webp", "image/png", "image/bmp", "image/tiff",
    "video/mpeg", "image/icns", "image/x-icon", "image/jpeg", "application/postscript",
    "image/x-tga", "image/xbm", "image/jp2", "image/gif", "image/x-pcx"]


class Image(IODescriptor):
    descriptor_id = "bentoml.io.Image"
    _proto_fields = ("file",)

    def __init__(self, pilmode: str | None = "RGB", mime_type: str = "image/jpeg",
                 allowed_mime_types=None):
        self._pilmode = pilmode
        self._mime_type = mime_type.lower()
        self._allowed = list(allowed_mime_types or PILLOW_MIME_TYPES)

    def args(self):
        return {"pilmode": self._pilmode, "mime_type": self._mime_type,
                "allowed_mime_types": self._allowed}

    def from_proto(self, field, env):
        if isinstance(field, bytes):
            content = field
        else:
            if env.version == "v1alpha1":
                if field.kind:
                    mime = _v1alpha1_kind_to_mime(env, field.kind)
                    if mime != self._mime_type:
                        raise BadInput(f"Inferred mime_type from 'kind' is '{mime}', while "
                                       f"'{self!r}' is expecting '{self._mime_type}'")
            elif field.kind and field.kind != self._mime_type:
                raise BadInput(f"MIME type from 'kind' is '{field.kind}', while '{self!r}' "
                               f"is expecting '{self._mime_type}'")
            content = field.content
            if not content:
                raise BadInput("Content is empty!")
        return imaging.open_image(content)  # not an image -> OSError -> generic INTERNAL

    def to_proto(self, obj, env):
        if isinstance(obj, np.ndarray):
            image = imaging.fromarray(obj, mode=self._pilmode)
        elif isinstance(obj, imaging.Img):
            image = obj
        else:
            raise BadInput(f"Unsupported Image type received: '{type(obj)}', the Image IO "
                           "descriptor only supports 'np.ndarray' and 'PIL.Image'.")
        content = imaging.save(image, self._mime_type)
        if env.version == "v1alpha1":
            return env.pb.File(kind=_v1alpha1_mime_to_kind(self._mime_type), content=content)
        return env.pb.File(kind=self._mime_type, content=content)


# --------------------------------------------------------------------------- Multipart

class Multipart(IODescriptor):
    descriptor_id = "bentoml.io.Multipart"
    _proto_fields = ("multipart",)

    def __init__(self, **inputs: IODescriptor):
        self._inputs = inputs

    def args(self):
        return {name: desc.spec() for name, desc in self._inputs.items()}

    def __repr__(self) -> str:
        return f"Multipart({','.join(f'{k}={v!r}' for k, v in self._inputs.items())})"

    def validate_mapping(self, mapping) -> None:
        extra = set(mapping) - set(self._inputs)
        if extra:
            raise InvalidArgument(
                f"'{self!r}' accepts the following keys: {set(self._inputs)}. "
                f"Given {type(mapping).__qualname__} has invalid fields: {extra}")

    def from_proto(self, field, env):
        if isinstance(field, bytes):
            raise InvalidArgument("cannot use 'serialized_bytes' with Multipart")
        self.validate_mapping(field.fields)
        # A missing declared key reads as an empty Part -> '"field" cannot be empty.'
        return {name: desc.from_proto(
                    pick_field(field.fields[name], "representation", desc, env), env)
                for name, desc in self._inputs.items()}

    def to_proto(self, obj: dict, env):
        self.validate_mapping(obj)
        out = env.pb.Multipart()
        # Sic: the k-th returned key is encoded with the k-th *declared* child.
        for (key, value), desc in zip(obj.items(), self._inputs.values()):
            encoded = desc.to_proto(value, env)
            member = desc.proto_fields(env)[0]  # broken File: IndexError -> INTERNAL
            if env.version == "v1alpha1" and member not in ("text", "json"):
                # v1 messages do not fit v1alpha1 parts (only the shared wrappers do).
                raise TypeError(f"v1 message in v1alpha1 Part.{member}")
            set_member(out.fields[key], member, encoded)
        return out


# --------------------------------------------------------------------------- third party

class Custom(IODescriptor):
    """A third-party descriptor the C client does not know; takes serialized_bytes only."""

    descriptor_id = "acme.io.Custom"

    def args(self):
        return {"foo": 1}

    def from_proto(self, field, env):
        return field


class NoSpec(IODescriptor):
    """A third-party descriptor without any spec: exported as an empty DescriptorMetadata."""

    _proto_fields = ("text",)

    def spec(self):
        return None

    def from_proto(self, field, env):
        return field if isinstance(field, bytes) else field.value
