"""A tiny stand-in for the parts of Pillow that BentoML's Image descriptor uses.

Decodes BMP (1/4/8-bit palette, 24-bit, 32-bit) and 8-bit PNG; encodes BMP and PNG in the
modes L, RGB and RGBA. ``np.array(img)`` gives the same arrays Pillow would (HxW for L/P,
HxWx3 for RGB, HxWx4 for RGBA, all uint8).
"""
from __future__ import annotations

import struct
import zlib

import numpy as np

_CHANNELS = {"L": 1, "P": 1, "RGB": 3, "RGBA": 4}


class Img:
    """What PIL.Image.Image is to BentoML: pixels plus a mode."""

    def __init__(self, pixels: np.ndarray, mode: str):
        self.pixels = pixels
        self.mode = mode

    @property
    def size(self) -> tuple[int, int]:
        return self.pixels.shape[1], self.pixels.shape[0]

    def __array__(self, dtype=None):
        return self.pixels if dtype is None else self.pixels.astype(dtype)

    def __repr__(self) -> str:
        return f"<Img mode={self.mode} size={self.size[0]}x{self.size[1]}>"


def fromarray(obj: np.ndarray, mode: str | None = None) -> Img:
    """Pillow's Image.fromarray: infer the mode, or reinterpret the raw buffer in ``mode``."""
    arr = np.asarray(obj)
    if mode is None:
        if arr.dtype != np.uint8 or arr.ndim not in (2, 3) or (
                arr.ndim == 3 and arr.shape[2] not in (3, 4)):
            raise TypeError(f"Cannot handle this data type: {arr.shape[2:]}, {arr.dtype.str}")
        mode = "L" if arr.ndim == 2 else ("RGB" if arr.shape[2] == 3 else "RGBA")
        return Img(np.ascontiguousarray(arr), mode)
    ndmax = 2 if mode in ("1", "L", "I", "P", "F") else (3 if mode == "RGB" else 4)
    if arr.ndim > ndmax:
        raise ValueError(f"Too many dimensions: {arr.ndim} > {ndmax}.")
    if mode not in _CHANNELS:
        raise ValueError(f"unsupported mode {mode!r}")
    # Pillow reads the raw buffer with the mode's layout, whatever the array's dtype is.
    w, h = arr.shape[1], arr.shape[0]
    ch = _CHANNELS[mode]
    raw = arr.tobytes()
    if len(raw) < w * h * ch:
        raise ValueError("not enough image data")
    pixels = np.frombuffer(raw[: w * h * ch], dtype=np.uint8).copy()
    return Img(pixels.reshape((h, w) if ch == 1 else (h, w, ch)), mode)


# --------------------------------------------------------------------------- decoding

def open_image(data: bytes) -> Img:
    if data[:2] == b"BM":
        return _read_bmp(data)
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return _read_png(data)
    raise OSError("cannot identify image file")


def _read_bmp(data: bytes) -> Img:
    offset, = struct.unpack_from("<I", data, 10)
    hsize, = struct.unpack_from("<I", data, 14)
    if hsize == 12:
        width, height, _planes, bpp = struct.unpack_from("<HHHH", data, 18)
        compression, colors, pal_entry = 0, 0, 3
    elif hsize >= 40:
        width, height, _planes, bpp, compression = struct.unpack_from("<iiHHI", data, 18)
        colors, = struct.unpack_from("<I", data, 46)
        pal_entry = 4
    else:
        raise OSError(f"Unsupported BMP header type ({hsize})")
    top_down = height < 0
    height = abs(height)
    if width <= 0 or height == 0:
        raise OSError("Unsupported BMP Size")
    stride = ((bpp * width + 31) // 32) * 4
    if len(data) < offset + stride * height:
        raise OSError("image file is truncated")
    rows = np.frombuffer(data, np.uint8, stride * height, offset).reshape(height, stride)
    if not top_down:
        rows = rows[::-1]
    if bpp == 24 and compression == 0:
        bgr = rows[:, : width * 3].reshape(height, width, 3)
        return Img(np.ascontiguousarray(bgr[:, :, ::-1]), "RGB")
    if bpp == 32 and compression in (0, 3):
        return _bmp_32(data, hsize, compression, rows, width, height)
    if bpp in (1, 4, 8) and compression == 0:
        pal_off = 14 + hsize
        n = colors or (1 << bpp)
        pal = np.frombuffer(data, np.uint8, n * pal_entry, pal_off).reshape(n, pal_entry)
        idx = np.unpackbits(rows, axis=1) if bpp == 1 else (
            np.stack([rows >> 4, rows & 15], axis=2).reshape(height, -1) if bpp == 4 else rows)
        idx = np.ascontiguousarray(idx[:, :width])
        rgb = pal[:, 2::-1]
        if np.array_equal(rgb[:, 0], rgb[:, 1]) and np.array_equal(rgb[:, 1], rgb[:, 2]):
            return Img(rgb[idx.clip(0, n - 1), 0].astype(np.uint8), "L")  # grey palette
        return Img(idx.astype(np.uint8), "P")
    raise OSError(f"Unsupported BMP compression/bit depth ({compression}, {bpp})")


def _bmp_32(data, hsize, compression, rows, width, height) -> Img:
    px = rows[:, : width * 4].reshape(height, width, 4)
    if compression == 0:
        return Img(np.ascontiguousarray(px[:, :, 2::-1]), "RGB")  # BGRX
    masks = struct.unpack_from("<IIII" if hsize >= 56 else "<III", data, 54)
    words = px.copy().view("<u4").reshape(height, width)

    def channel(mask):
        shift = (mask & -mask).bit_length() - 1
        return ((words & mask) >> shift).astype(np.uint8)

    chans = [channel(m) for m in masks[:3]]
    if len(masks) == 4 and masks[3]:
        return Img(np.stack(chans + [channel(masks[3])], axis=2), "RGBA")
    return Img(np.stack(chans, axis=2), "RGB")


def _read_png(data: bytes) -> Img:
    pos, idat = 8, b""
    width = height = depth = ctype = interlace = None
    while pos < len(data):
        length, kind = struct.unpack_from(">I4s", data, pos)
        body = data[pos + 8: pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            width, height, depth, ctype, _c, _f, interlace = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        elif kind == b"IEND":
            break
    chans = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}.get(ctype)
    if depth != 8 or interlace != 0 or chans is None:
        raise OSError("unsupported PNG variant")
    raw = zlib.decompress(idat)
    stride = width * chans
    out = np.zeros((height, stride), np.uint8)
    prev = np.zeros(stride, np.int32)
    for y in range(height):
        ftype = raw[y * (stride + 1)]
        line = np.frombuffer(raw, np.uint8, stride, y * (stride + 1) + 1).astype(np.int32)
        cur = _png_unfilter(ftype, line, prev, chans)
        out[y] = cur
        prev = cur
    if ctype == 4:  # LA: Pillow keeps it as "LA"; we only need L for BentoML's paths
        return Img(out.reshape(height, width, 2)[:, :, 0].copy(), "L")
    mode = {0: "L", 2: "RGB", 3: "P", 6: "RGBA"}[ctype]  # P: np.array() gives the indices
    return Img(out.reshape((height, width) if chans == 1 else (height, width, chans)), mode)


def _png_unfilter(ftype, line, prev, bpp):
    if ftype == 0:
        return line
    if ftype == 2:
        return (line + prev) & 255
    cur = line.copy()
    for i in range(len(cur)):  # Sub/Avg/Paeth depend on the byte just decoded
        a = cur[i - bpp] if i >= bpp else 0
        b = prev[i]
        if ftype == 1:
            cur[i] = (cur[i] + a) & 255
        elif ftype == 3:
            cur[i] = (cur[i] + ((a + b) >> 1)) & 255
        elif ftype == 4:
            c = prev[i - bpp] if i >= bpp else 0
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
            cur[i] = (cur[i] + pred) & 255
        else:
            raise OSError(f"bad PNG filter {ftype}")
    return cur


# --------------------------------------------------------------------------- encoding

def save(img: Img, mime_type: str) -> bytes:
    """Encode like ``image.save(buf, format=<format of mime_type>)``."""
    writers = {"image/bmp": _write_bmp, "image/png": _write_png}
    if mime_type not in writers:
        raise KeyError(f"no encoder for {mime_type}")
    if img.mode not in ("L", "RGB", "RGBA"):
        raise OSError(f"cannot write mode {img.mode} as {mime_type}")
    return writers[mime_type](img)


def _write_bmp(img: Img) -> bytes:
    """24-bit (RGB), 32-bit BGRA (RGBA) or 8-bit grey-palette (L), bottom-up, like Pillow."""
    h, w = img.pixels.shape[:2]
    bpp = {"L": 8, "RGB": 24, "RGBA": 32}[img.mode]
    stride = ((bpp * w + 31) // 32) * 4
    palette = b""
    if img.mode == "L":
        palette = b"".join(bytes((i, i, i, 0)) for i in range(256))
        body = img.pixels
    else:
        body = img.pixels[:, :, [2, 1, 0, 3][: img.pixels.shape[2]]]  # RGB(A) -> BGR(A)
    rows = np.zeros((h, stride), np.uint8)
    rows[:, : w * bpp // 8] = body.reshape(h, -1)
    pixels = rows[::-1].tobytes()
    offset = 14 + 40 + len(palette)
    ppm = int(96 * 39.3701 + 0.5)  # Pillow's default 96 dpi
    ncolors = 256 if img.mode == "L" else 0
    header = struct.pack("<2sIHHI", b"BM", offset + len(pixels), 0, 0, offset)
    info = struct.pack("<IiiHHIIiiII", 40, w, h, 1, bpp, 0, len(pixels), ppm, ppm,
                       ncolors, ncolors)
    return header + info + palette + pixels


def _write_png(img: Img) -> bytes:
    h, w = img.pixels.shape[:2]
    ctype = {"L": 0, "RGB": 2, "RGBA": 6}[img.mode]
    rows = img.pixels.reshape(h, -1)
    raw = b"".join(b"\x00" + rows[y].tobytes() for y in range(h))

    def chunk(kind, body):
        return (struct.pack(">I", len(body)) + kind + body
                + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, ctype, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
