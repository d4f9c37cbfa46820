"""Hand-written protobuf encoding for the hostile server.

Replies that break the rules (lying lengths, duplicate map keys, wrong dtype fields, invalid
UTF-8 in string fields) cannot be built with the generated classes, which refuse or repair
them, so the bytes are put together here field by field.
"""
from __future__ import annotations

import struct

VARINT, I64, LEN, I32 = 0, 1, 2, 5


def varint(n: int) -> bytes:
    """Base-128 varint; negative numbers as protobuf writes int32/int64 (10 bytes)."""
    if n < 0:
        n += 1 << 64
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        if n:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def key(field: int, wire_type: int) -> bytes:
    return varint(field << 3 | wire_type)


def vfield(field: int, n: int) -> bytes:
    return key(field, VARINT) + varint(n)


def lfield(field: int, payload: bytes | str) -> bytes:
    if isinstance(payload, str):
        payload = payload.encode()
    return key(field, LEN) + varint(len(payload)) + payload


def lying_lfield(field: int, claimed: int, payload: bytes) -> bytes:
    """A length-delimited field whose length prefix says `claimed` bytes but carries fewer."""
    return key(field, LEN) + varint(claimed) + payload


def packed_varints(field: int, values) -> bytes:
    return lfield(field, b"".join(varint(v) for v in values))


def packed_floats(field: int, values) -> bytes:
    return lfield(field, b"".join(struct.pack("<f", v) for v in values))


def packed_doubles(field: int, values) -> bytes:
    return lfield(field, b"".join(struct.pack("<d", v) for v in values))


# --- bentoml.grpc.v1 field numbers (proto/bentoml/grpc/v1/service.proto)
class Response:
    NDARRAY, SERIALIZED_BYTES, DATAFRAME, SERIES = 1, 2, 3, 5
    FILE, TEXT, JSON, MULTIPART = 6, 7, 8, 9


class NDArray:
    DTYPE, SHAPE, FLOAT, DOUBLE, STRING, BOOL, INT32, INT64, UINT32, UINT64 = range(1, 11)


class Part:
    NDARRAY, DATAFRAME, SERIALIZED_BYTES, SERIES, FILE, TEXT, JSON = 1, 3, 4, 5, 6, 7, 8


def ndarray(dtype: int, shape, fields: bytes = b"") -> bytes:
    return vfield(NDArray.DTYPE, dtype) + packed_varints(NDArray.SHAPE, shape) + fields


def string_value(text: bytes) -> bytes:
    """google.protobuf.StringValue {value = 1}."""
    return lfield(1, text)


def map_entry(name: bytes | str, value: bytes) -> bytes:
    """One entry of map<string, Part>: {key = 1, value = 2}."""
    return lfield(1, name) + lfield(2, value)


def nested_list_value(depth: int) -> bytes:
    """google.protobuf.Value nested `depth` lists deep: Value{list_value=6: ListValue{values=1}}."""
    inner = vfield(1, 0)  # Value{null_value = NULL_VALUE}
    for _ in range(depth):
        inner = lfield(6, lfield(1, inner))
    return inner


def nested_struct(depth: int) -> bytes:
    """google.protobuf.Struct nested `depth` deep: Struct{fields: {"a": Value{struct_value=5}}}."""
    inner = b""
    for _ in range(depth):
        inner = lfield(1, map_entry("a", lfield(5, inner)))
    return inner
