"""The reference service: BentoML's gRPC e2e service (PROTOCOL.md §8) plus test-only APIs.

API functions receive the decoded input (Multipart: keyword arguments) and, when declared
with ``wants_context``, a CallContext as second argument.
"""
from __future__ import annotations

import dataclasses
import time
from typing import Any, Callable

import grpc
import numpy as np

import frames
import imaging
from descriptors import (JSON, Custom, File, Image, IODescriptor, Multipart, NoSpec,
                         NumpyNdarray, PandasDataFrame, PandasSeries, Text, ValidationFailure)
from errors import GrpcStatus, InvalidArgument

SERVICE_NAME = "reference_service"
SERVICE_DOCS = (f"# {SERVICE_NAME}:dev\n\n"
                "This is a Machine Learning Service created with BentoML.\n\n"
                "Reference server for the libbentogrpc test suite: it mirrors BentoML's gRPC "
                "e2e test service.\n")


@dataclasses.dataclass
class CallContext:
    grpc_context: Any
    metadata: list            # request metadata as (key, value) pairs
    trailing: list            # trailing metadata to send, appended to by APIs
    slow_ms: int
    request_bytes: int = -1            # size of the serialized Request as received (decompressed)
    request_encoding: str | None = None  # its grpc-encoding header, when grpcio exposes it


@dataclasses.dataclass
class Api:
    name: str
    input: IODescriptor
    output: IODescriptor
    func: Callable
    doc: str | None = None
    is_async: bool = True       # sync Multipart APIs hit BentoML's thread-offload defect
    wants_context: bool = False


@dataclasses.dataclass
class Service:
    name: str
    docs: str
    apis: dict  # name -> Api, in definition order


# --------------------------------------------------------------------------- pydantic stand-in

_IRIS_FIELDS = ("sepal_len", "sepal_width", "petal_len", "petal_width")


def _pyd_error(loc: str, msg: str, kind: str, value) -> str:
    return f"{loc}\n  {msg} [type={kind}, input_value={value!r}, input_type={type(value).__name__}]"


def _as_float(value):
    if isinstance(value, (int, float)):  # bool included: pydantic's lax mode accepts it
        return float(value), None
    if isinstance(value, str):
        try:
            return float(value.strip()), None
        except ValueError:
            return None, ("Input should be a valid number, unable to parse string as a number",
                          "float_parsing")
    return None, ("Input should be a valid number", "float_type")


def _validate_features(feats, errors: list) -> dict:
    if not isinstance(feats, dict):
        errors.append(_pyd_error("iris_features", "Input should be a valid dictionary or "
                                 "instance of IrisFeatures", "model_type", feats))
        return {}
    out = {}
    for name in _IRIS_FIELDS:
        if name not in feats:
            errors.append(_pyd_error(f"iris_features.{name}", "Field required", "missing", feats))
            continue
        value, err = _as_float(feats[name])
        if err:
            errors.append(_pyd_error(f"iris_features.{name}", err[0], err[1], feats[name]))
        out[name] = value
    return out


def validate_iris_request(data):
    """IrisClassificationRequest{request_id: str, iris_features: IrisFeatures{4 floats}}.

    Errors are formatted like pydantic v2's ValidationError text."""
    errors = []
    out = {}
    if not isinstance(data, dict):
        errors.append(f"  Input should be a valid dictionary or instance of "
                      f"IrisClassificationRequest [type=model_type, input_value={data!r}, "
                      f"input_type={type(data).__name__}]")
    else:
        if "request_id" not in data:
            errors.append(_pyd_error("request_id", "Field required", "missing", data))
        elif not isinstance(data["request_id"], str):
            errors.append(_pyd_error("request_id", "Input should be a valid string",
                                     "string_type", data["request_id"]))
        out["request_id"] = data.get("request_id")
        if "iris_features" not in data:
            errors.append(_pyd_error("iris_features", "Field required", "missing", data))
        else:
            out["iris_features"] = _validate_features(data["iris_features"], errors)
    if errors:
        plural = "s" if len(errors) > 1 else ""
        raise ValidationFailure(f"{len(errors)} validation error{plural} for "
                                f"IrisClassificationRequest\n" + "\n".join(errors))
    return out


# --------------------------------------------------------------------------- API functions

def bonjour(inp: str) -> str:
    return f"Hello, {inp}!"


def echo(value):
    return value


def echo_json_validate(request: dict) -> dict:
    return request["iris_features"]


def double_ndarray(arr: np.ndarray) -> np.ndarray:
    assert isinstance(arr, np.ndarray)
    return arr * 2  # strings -> UFuncTypeError (a TypeError) -> runtime-error message


def echo_ndarray_from_sample(arr):
    assert arr.shape == (2, 2)
    return arr


def echo_ndarray_enforce_shape(arr):
    assert arr.shape == (2, 2)
    return arr


def echo_ndarray_enforce_dtype(arr):
    assert arr.dtype == np.float32
    return arr


def echo_dataframe(df):
    assert isinstance(df, frames.DataFrame)
    return df


def echo_series(series):
    assert isinstance(series, frames.Series)
    return series


def double_dataframe(df):
    assert df["col1"].dtype == np.int64
    out = frames.DataFrame()
    out["col1"] = df[["col1"]] * 2
    return out


def predict_file(f) -> bytes:
    return f.read()


def echo_image(img):
    assert isinstance(img, imaging.Img)
    return np.array(img)


def predict_multi_images(original, compared):
    product = np.array(original) * np.array(compared)  # uint8: wraps modulo 256
    return {"meta": "success", "result": imaging.fromarray(product)}


def ensure_metrics_are_registered(data: str) -> None:
    return None


def slow_echo_ndarray(arr, ctx: CallContext):
    """Sleep --slow-ms in small steps, giving up early once the client has gone away."""
    deadline = time.monotonic() + ctx.slow_ms / 1000.0
    while time.monotonic() < deadline and ctx.grpc_context.is_active():
        time.sleep(min(0.02, max(0.0, deadline - time.monotonic())))
    return arr


def predict(arr: np.ndarray) -> np.ndarray:
    return arr.sum(axis=1, dtype=np.float32)


def custom_io(data: bytes) -> str:
    return f"custom:{len(data)}"


def no_spec(_value) -> str:
    return "ok"


def echo_metadata(_text: str, ctx: CallContext) -> str:
    """Every ``x-echo-*`` pair (``-bin`` values are bytes, passed through unchanged) goes back
    in order as initial and trailing metadata; the ``x-echo`` value is the response text."""
    echoed = [(k, v) for k, v in ctx.metadata if k.startswith("x-echo-")]
    if echoed:
        ctx.grpc_context.send_initial_metadata(tuple(echoed))
    ctx.trailing.extend(echoed)
    return next((v for k, v in ctx.metadata if k == "x-echo"), "")


def fail_with_status(text: str) -> str:
    """``CODE|MESSAGE``: end the call with status CODE (a name such as NOT_FOUND, or a number)
    and MESSAGE as details, verbatim. CODE OK returns MESSAGE as the response text."""
    name, sep, message = text.partition("|")
    code = None
    if name.strip().isdigit():
        code = next((c for c in grpc.StatusCode if c.value[0] == int(name)), None)
    else:
        code = grpc.StatusCode.__members__.get(name.strip().upper())
    if not sep or code is None:
        raise InvalidArgument(f"fail_with_status: expected 'CODE|MESSAGE' with a gRPC status "
                              f"code name, got {text!r}")
    if code is grpc.StatusCode.OK:
        return message
    raise GrpcStatus(code, message)


def echo_size(arr: np.ndarray, ctx: CallContext) -> dict:
    out = {"received_bytes": ctx.request_bytes, "nbytes": int(arr.nbytes)}
    if ctx.request_encoding is not None:  # not exposed by grpcio 1.51: normally absent
        out["grpc_encoding"] = ctx.request_encoding
    return out


# --------------------------------------------------------------------------- the service

def build_service() -> Service:
    bmp = lambda: Image(mime_type="image/bmp")  # noqa: E731
    sample_2x2 = np.array([[0.25, 0.5], [0.75, 1.0]])
    sample_frame = frames.DataFrame({"age": np.array([3, 29]), "height": np.array([94, 170]),
                                     "weight": np.array([31, 115])})
    apis = [
        Api("bonjour", Text(), Text(), bonjour),
        Api("echo_json", JSON(), JSON(), echo),
        Api("echo_json_validate", JSON(validator=validate_iris_request), JSON(),
            echo_json_validate, is_async=False),
        Api("double_ndarray", NumpyNdarray(), NumpyNdarray(), double_ndarray),
        Api("echo_ndarray_from_sample", NumpyNdarray.from_sample(sample_2x2), NumpyNdarray(),
            echo_ndarray_from_sample),
        Api("echo_ndarray_enforce_shape", NumpyNdarray(shape=(2, 2), enforce_shape=True),
            NumpyNdarray(), echo_ndarray_enforce_shape),
        Api("echo_ndarray_enforce_dtype", NumpyNdarray(dtype=np.float32, enforce_dtype=True),
            NumpyNdarray(), echo_ndarray_enforce_dtype),
        Api("echo_dataframe", PandasDataFrame(orient="columns"), PandasDataFrame(),
            echo_dataframe),
        Api("echo_dataframe_from_sample",
            PandasDataFrame.from_sample(sample_frame, orient="columns"), PandasDataFrame(),
            echo_dataframe),
        Api("echo_series_from_sample",
            PandasSeries.from_sample(frames.Series(np.array([1, 2, 3]))), PandasSeries(),
            echo_series),
        Api("double_dataframe", PandasDataFrame(dtype={"col1": "int64"}, orient="columns"),
            PandasDataFrame(), double_dataframe),
        Api("predict_file", File(), File(), predict_file),
        Api("echo_image", bmp(), bmp(), echo_image),
        Api("predict_multi_images", Multipart(original=bmp(), compared=bmp()),
            Multipart(meta=Text(), result=bmp()), predict_multi_images),
        Api("ensure_metrics_are_registered", Text(), Text(), ensure_metrics_are_registered,
            is_async=False),
        Api("echo_ndarray", NumpyNdarray(), NumpyNdarray(), echo),
        Api("slow_echo_ndarray", NumpyNdarray(), NumpyNdarray(), slow_echo_ndarray,
            wants_context=True),
        Api("predict", NumpyNdarray(dtype=np.float32, shape=(-1, 4), enforce_dtype=True,
                                    enforce_shape=True),
            NumpyNdarray(), predict, doc="Sum each row of an N×4 float32 batch."),
        Api("custom_io", Custom(), Text(), custom_io),
        Api("no_spec", NoSpec(), Text(), no_spec),
        Api("echo_metadata", Text(), Text(), echo_metadata, wants_context=True,
            doc="Return the `x-echo` request header; echo `x-echo-*` headers as initial "
                "and trailing metadata."),
        # Test-only APIs added later: always appended, the positions above are fixed.
        Api("fail_with_status", Text(), Text(), fail_with_status,
            doc="Input `CODE|MESSAGE`: fail with that gRPC status and MESSAGE as details."),
        Api("echo_size", NumpyNdarray(), JSON(), echo_size, wants_context=True,
            doc="Return the received (decompressed) Request size and the array's nbytes."),
    ]
    return Service(SERVICE_NAME, SERVICE_DOCS, {api.name: api for api in apis})
