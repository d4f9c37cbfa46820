#!/usr/bin/python3
"""Self-test of reference_server.py: starts it as a subprocess and checks it with grpcio.

Run: /usr/bin/python3 tests/server/selftest.py   (last line: "N passed, N failed")
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
SUPPORT = os.path.join(os.path.dirname(HERE), "support")
sys.path.insert(0, HERE)

import grpc  # noqa: E402
import numpy as np  # noqa: E402

import imaging  # noqa: E402
import stubs  # noqa: E402

PB = stubs.load()
V1, V1A, HEALTH = PB.v1, PB.v1alpha1, PB.health
SC = grpc.StatusCode
RUNTIME = "A runtime error has occurred, see stacktrace from logs."
GENERIC = ("An error has occurred in BentoML user code when handling this request, "
           "find the error details in server logs.")
BIN_FILE = bytes.fromhex("81308939")
RESULTS = {"passed": 0, "failed": 0}


# --------------------------------------------------------------------------- harness

class Server:
    """Runs reference_server.py; ``with Server(...) as s`` gives s.port / s.channel()."""

    def __init__(self, *args, listen=("127.0.0.1:0",)):
        self.args = [a for addr in listen for a in ("--listen", addr)] + list(args)
        self.proc = None

    def spawn(self):
        """Start the process now (to overlap start-ups); ``with`` then waits for PORT."""
        self.t0 = time.monotonic()
        self.proc = subprocess.Popen(
            [sys.executable, os.path.join(HERE, "reference_server.py"), *self.args],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        return self

    def __enter__(self):
        if self.proc is None:
            self.spawn()
        line = self.proc.stdout.readline()
        self.startup_s = time.monotonic() - self.t0
        if not line.startswith("PORT "):
            rc = self.proc.poll()
            self.proc.kill()
            raise RuntimeError(f"bad first line {line!r} (exit status {rc}): "
                               f"{self.proc.stderr.read()}")
        self.port = int(line.split()[1])
        self.channels = []
        return self

    def channel(self, target=None, creds=None, options=()):
        target = target or f"127.0.0.1:{self.port}"
        ch = (grpc.secure_channel(target, creds, options=options) if creds
              else grpc.insecure_channel(target, options=options))
        self.channels.append(ch)
        return ch

    def __exit__(self, *exc):
        for ch in self.channels:
            ch.close()
        self.proc.terminate()
        try:
            self.rc = self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.rc = "killed"
        self.stderr = self.proc.stderr.read()
        self.proc.stdout.close()
        self.proc.stderr.close()
        return False


def check(name, fn):
    try:
        fn()
        RESULTS["passed"] += 1
        print(f"ok   {name}")
    except Exception:
        RESULTS["failed"] += 1
        print(f"FAIL {name}\n" + "".join("     " + ln for ln in
                                        traceback.format_exc().splitlines(True)))


def eq(actual, expected, what=""):
    if actual != expected:
        raise AssertionError(f"{what}: expected {expected!r}, got {actual!r}")


def rpc(channel, path, req, resp_cls, raw=False, **kw):
    """Returns (code, details, response-or-None). raw=True gives the response bytes."""
    fn = channel.unary_unary(path, request_serializer=lambda m: m.SerializeToString(),
                             response_deserializer=(lambda b: b) if raw else resp_cls.FromString)
    try:
        return SC.OK, "", fn(req, timeout=kw.pop("timeout", 10), **kw)
    except grpc.RpcError as e:
        return e.code(), e.details(), None


def call(channel, api, pb=V1, raw=False, version="v1", **content):
    req = pb.Request(api_name=api, **content)
    return rpc(channel, f"/bentoml.grpc.{version}.BentoService/Call", req, pb.Response, raw=raw)


def expect_error(result, code, details=None, prefix=None):
    got_code, got_details, _ = result
    eq(got_code, code, "status")
    if details is not None:
        eq(got_details, details, "details")
    if prefix is not None and not (got_details or "").startswith(prefix):
        raise AssertionError(f"details {got_details!r} do not start with {prefix!r}")


def ok(result):
    code, details, resp = result
    eq((code, details), (SC.OK, ""), "status")
    return resp


def health(channel, name):
    return rpc(channel, "/grpc.health.v1.Health/Check", HEALTH.HealthCheckRequest(service=name),
               HEALTH.HealthCheckResponse)


def metadata(channel):
    return ok(rpc(channel, "/bentoml.grpc.v1.BentoService/ServiceMetadata",
                  V1.ServiceMetadataRequest(), V1.ServiceMetadataResponse))


def bmp_bytes(arr):
    return imaging.save(imaging.Img(arr, "RGB"), "image/bmp")


def decode_bmp(data):
    return np.array(imaging.open_image(data))


# --------------------------------------------------------------------------- ServiceMetadata

EXPECTED_APIS = [
    "bonjour", "echo_json", "echo_json_validate", "double_ndarray", "echo_ndarray_from_sample",
    "echo_ndarray_enforce_shape", "echo_ndarray_enforce_dtype", "echo_dataframe",
    "echo_dataframe_from_sample", "echo_series_from_sample", "double_dataframe", "predict_file",
    "echo_image", "predict_multi_images", "ensure_metrics_are_registered", "echo_ndarray",
    "slow_echo_ndarray", "predict", "custom_io", "no_spec", "echo_metadata",
    "fail_with_status", "echo_size"]


def struct_to_py(value):
    """Value -> Python, keeping number-ness visible: numbers must be doubles (floats)."""
    kind = value.WhichOneof("kind")
    if kind == "struct_value":
        return {k: struct_to_py(v) for k, v in value.struct_value.fields.items()}
    if kind == "list_value":
        return [struct_to_py(v) for v in value.list_value.values]
    if kind == "null_value":
        return None
    return getattr(value, kind)


def attrs(md):
    return {k: struct_to_py(v) for k, v in md.attributes.fields.items()}


def metadata_checks(ch):
    md = metadata(ch)
    apis = {a.name: a for a in md.apis}

    def layout():
        eq(md.name, "reference_service", "name")
        assert md.docs.startswith("# reference_service"), md.docs
        eq([a.name for a in md.apis], EXPECTED_APIS, "api order")
        eq((len(md.apis), md.apis[20].name, md.apis[21].name, md.apis[22].name),
           (23, "echo_metadata", "fail_with_status", "echo_size"), "appended test APIs")
        for a in md.apis:
            assert a.HasField("input") and a.HasField("output"), a.name

    def text_and_json():
        b = apis["bonjour"]
        eq(b.input.descriptor_id, "bentoml.io.Text", "id")
        assert b.input.HasField("attributes") and not b.input.attributes.fields
        eq(attrs(apis["echo_json"].input), {"args": {"has_pydantic_model": False,
                                                     "has_json_encoder": False}}, "json")
        eq(attrs(apis["echo_json_validate"].input)["args"]["has_pydantic_model"], True, "pyd")
        eq(attrs(apis["echo_json_validate"].output)["args"]["has_pydantic_model"], False, "pyd")

    def ndarray_args():
        eq(attrs(apis["double_ndarray"].input), {"args": {
            "dtype": None, "shape": None, "enforce_dtype": False, "enforce_shape": False}}, "nd")
        a = attrs(apis["echo_ndarray_from_sample"].input)["args"]
        eq(a, {"dtype": "float64", "shape": [2.0, 2.0], "enforce_dtype": False,
               "enforce_shape": False}, "from_sample")
        assert all(type(x) is float for x in a["shape"]), "shape numbers must be doubles"
        eq(attrs(apis["predict"].input)["args"], {"dtype": "float32", "shape": [-1.0, 4.0],
                                                  "enforce_dtype": True, "enforce_shape": True},
           "predict")
        eq(attrs(apis["echo_ndarray_enforce_dtype"].input)["args"]["dtype"], "float32", "dtype")

    def pandas_args():
        df = attrs(apis["echo_dataframe"].input)["args"]
        eq(df, {"orient": "columns", "columns": None, "dtype": "null", "shape": None,
                "enforce_dtype": False, "enforce_shape": False, "default_format": "json"}, "df")
        eq(attrs(apis["echo_dataframe"].output)["args"]["orient"], "records", "out orient")
        s = attrs(apis["echo_dataframe_from_sample"].input)["args"]
        eq((s["columns"], s["dtype"], s["shape"]), (["age", "height", "weight"], None, [2.0, 3.0]),
           "from_sample")
        eq(attrs(apis["double_dataframe"].input)["args"]["dtype"], {"col1": "int64"}, "dtype dict")
        ser = attrs(apis["echo_series_from_sample"].input)["args"]
        eq(ser, {"orient": "records", "dtype": "int64", "shape": [3.0], "enforce_dtype": False,
                 "enforce_shape": False}, "series")
        eq(attrs(apis["echo_series_from_sample"].output)["args"]["dtype"], "null", "series out")

    def file_image_multipart():
        eq(attrs(apis["predict_file"].input), {"args": {"kind": "binaryio", "mime_type": None}},
           "file")
        img = attrs(apis["echo_image"].input)["args"]
        eq((img["pilmode"], img["mime_type"]), ("RGB", "image/bmp"), "image")
        assert "image/bmp" in img["allowed_mime_types"]
        mp_in = attrs(apis["predict_multi_images"].input)["args"]
        eq(set(mp_in), {"original", "compared"}, "parts")
        eq(mp_in["original"]["id"], "bentoml.io.Image", "child id")
        eq(mp_in["original"]["args"]["mime_type"], "image/bmp", "child args")
        mp_out = attrs(apis["predict_multi_images"].output)["args"]
        eq(mp_out["meta"], {"id": "bentoml.io.Text"}, "text child")
        eq(apis["predict_multi_images"].output.descriptor_id, "bentoml.io.Multipart", "id")

    def docs_and_third_party():
        eq(apis["predict"].docs, "Sum each row of an N×4 float32 batch.", "docs")
        assert not apis["bonjour"].HasField("docs")
        assert apis["echo_metadata"].HasField("docs")
        eq(apis["custom_io"].input.descriptor_id, "acme.io.Custom", "custom")
        eq((apis["fail_with_status"].input.descriptor_id,
            apis["fail_with_status"].output.descriptor_id), ("bentoml.io.Text",) * 2, "fws")
        eq((apis["echo_size"].input.descriptor_id, apis["echo_size"].output.descriptor_id),
           ("bentoml.io.NumpyNdarray", "bentoml.io.JSON"), "echo_size")
        eq(attrs(apis["custom_io"].input), {"args": {"foo": 1.0}}, "custom args")
        ns = apis["no_spec"].input
        assert not ns.HasField("descriptor_id") and not ns.HasField("attributes")
        eq(ns.SerializeToString(), b"", "empty DescriptorMetadata")

    check("metadata: layout and order", layout)
    check("metadata: Text/JSON attributes", text_and_json)
    check("metadata: NumpyNdarray args (doubles, nulls)", ndarray_args)
    check("metadata: pandas args ('null' strings)", pandas_args)
    check("metadata: File/Image/Multipart (child id)", file_image_multipart)
    check("metadata: docs, custom and spec-less descriptors", docs_and_third_party)


# --------------------------------------------------------------------------- golden cases

def golden_ndarray_cases(ch):
    def case3():
        vals = np.random.rand(1000).astype(np.float32)
        r = ok(call(ch, "double_ndarray", ndarray=V1.NDArray(dtype=1, shape=[1000],
                                                             float_values=vals)))
        eq((list(r.ndarray.shape), r.ndarray.dtype), ([1000], 1), "shape/dtype")
        assert np.allclose(np.array(r.ndarray.float_values), vals * 2)

    def case4():
        r = call(ch, "double_ndarray", raw=True,
                 ndarray=V1.NDArray(shape=[2, 2], int32_values=[1, 2, 3, 4]))
        eq(ok(r).hex(), "0a0c0804120202023a0402040608", "golden bytes")

    check("case 3: double_ndarray float 1000", case3)
    check("case 4: double_ndarray int32 2x2 (golden bytes)", case4)
    check("case 5: strings doubled -> INTERNAL", lambda: expect_error(
        call(ch, "double_ndarray", ndarray=V1.NDArray(string_values=["2", "2f"])),
        SC.INTERNAL, RUNTIME))
    check("case 6: dtype 123 -> INVALID_ARGUMENT", lambda: expect_error(
        call(ch, "double_ndarray", ndarray=V1.NDArray(dtype=123, string_values=["2", "2f"])),
        SC.INVALID_ARGUMENT, "123 is invalid."))
    check("case 7: serialized_bytes without dtype", lambda: expect_error(
        call(ch, "double_ndarray", serialized_bytes=np.array([1, 2, 3, 4]).tobytes()),
        SC.INVALID_ARGUMENT, "'serialized_bytes' requires specifying 'dtype'."))
    check("case 8: wrong member", lambda: expect_error(
        call(ch, "double_ndarray", text={"value": "asdf"}), SC.INVALID_ARGUMENT,
        "'NumpyNdarray' accepts one of the following fields: 'ndarray,serialized_bytes' "
        "got 'text' instead."))
    check("case 9: enforce_shape", lambda: expect_error(
        call(ch, "echo_ndarray_enforce_shape",
             ndarray=V1.NDArray(dtype=1, shape=[1000], float_values=[1.0] * 1000)),
        SC.INVALID_ARGUMENT,
        'NumpyNdarray: Expecting ndarray of shape "(2, 2)", but "(1000,)" was received.'))
    check("case 10: enforce_dtype", lambda: expect_error(
        call(ch, "echo_ndarray_enforce_dtype", ndarray=V1.NDArray(string_values=["2", "2f"])),
        SC.INVALID_ARGUMENT,
        'NumpyNdarray: Expecting ndarray of dtype "float32", but "<U2" was received.'))


def ndarray_rule_checks(ch):
    def empty_content():
        expect_error(call(ch, "echo_ndarray"), SC.INVALID_ARGUMENT, '"field" cannot be empty.')

    def multi_values():
        expect_error(call(ch, "echo_ndarray",
                          ndarray=V1.NDArray(float_values=[1], int32_values=[1])),
                     SC.INVALID_ARGUMENT, "Array contents can only be one of given values key. "
                     "Use one of '['float_values', 'int32_values']' instead.")

    def dtype_selects_field():
        r = ok(call(ch, "echo_ndarray", ndarray=V1.NDArray(dtype=5, int32_values=[1, 2])))
        eq((r.ndarray.dtype, list(r.ndarray.shape), list(r.ndarray.int64_values)),
           (5, [0], []), "ignored other field")

    def reshape_mismatch():
        expect_error(call(ch, "echo_ndarray", ndarray=V1.NDArray(shape=[3], int32_values=[1, 2])),
                     SC.INTERNAL, GENERIC)

    def roundtrip_dtypes():
        cases = [(3, "bool_values", [True, False]), (5, "int64_values", [-1, 2**62]),
                 (6, "uint32_values", [0, 2**32 - 1]), (7, "uint64_values", [2**64 - 1]),
                 (2, "double_values", [1.5, -2.25]), (4, "int32_values", [-7])]
        for dtype, field, vals in cases:
            r = ok(call(ch, "echo_ndarray", ndarray=V1.NDArray(dtype=dtype, **{field: vals})))
            eq((r.ndarray.dtype, list(getattr(r.ndarray, field)), list(r.ndarray.shape)),
               (dtype, vals, [len(vals)]), field)

    def strings_not_returnable():
        expect_error(call(ch, "echo_ndarray", ndarray=V1.NDArray(dtype=8, string_values=["ab"])),
                     SC.INVALID_ARGUMENT, "Unsupported dtype '<U2' for response message.")

    def empty_ndarray():
        r = ok(call(ch, "echo_ndarray", ndarray=V1.NDArray()))
        eq((r.ndarray.dtype, list(r.ndarray.shape)), (2, [0]), "empty")

    def from_sample_cast():
        r = ok(call(ch, "echo_ndarray_from_sample",
                    ndarray=V1.NDArray(float_values=[1, 2, 3, 4])))
        eq((r.ndarray.dtype, list(r.ndarray.shape), list(r.ndarray.double_values)),
           (2, [2, 2], [1, 2, 3, 4]), "cast+reshape")

    def predict_api():
        r = ok(call(ch, "predict", ndarray=V1.NDArray(shape=[2, 4], int64_values=range(8))))
        eq((r.ndarray.dtype, list(r.ndarray.shape), list(r.ndarray.float_values)),
           (1, [2], [6.0, 22.0]), "row sums")
        expect_error(call(ch, "predict", ndarray=V1.NDArray(float_values=[1, 2, 3, 4])),
                     SC.INVALID_ARGUMENT,
                     'NumpyNdarray: Expecting ndarray of shape "(-1, 4)", but "(4,)" was received.')

    def serialized_with_dtype():
        r = ok(call(ch, "echo_ndarray_from_sample",
                    serialized_bytes=np.arange(4, dtype="<f8").tobytes()))
        eq((r.ndarray.dtype, list(r.ndarray.shape), list(r.ndarray.double_values)),
           (2, [2, 2], [0, 1, 2, 3]), "serialized float64")
        expect_error(call(ch, "predict", serialized_bytes=np.arange(4, dtype="<f4").tobytes()),
                     SC.INVALID_ARGUMENT,
                     'NumpyNdarray: Expecting ndarray of shape "(-1, 4)", but "(4,)" was received.')
        expect_error(call(ch, "predict", serialized_bytes=b"\x00" * 5), SC.INTERNAL, GENERIC)

    check("ndarray: empty content", empty_content)
    check("ndarray: several values fields", multi_values)
    check("ndarray: dtype selects the field", dtype_selects_field)
    check("ndarray: reshape mismatch -> INTERNAL", reshape_mismatch)
    check("ndarray: dtype round-trips", roundtrip_dtypes)
    check("ndarray: string output unsupported", strings_not_returnable)
    check("ndarray: empty NDArray echo", empty_ndarray)
    check("ndarray: from_sample cast and reshape", from_sample_cast)
    check("ndarray: predict API", predict_api)
    check("ndarray: serialized_bytes with descriptor dtype", serialized_with_dtype)


def json_text_cases(ch):
    iris = {"request_id": "123", "iris_features": {"sepal_len": 2.34, "sepal_width": 1.58,
                                                    "petal_len": 6.52, "petal_width": 3.23}}

    def case11():
        r = ok(call(ch, "echo_json", json={"string_value": '"hi"'}))
        eq(r.json.string_value, '"hi"', "string")

    def case12():
        r = ok(call(ch, "echo_json", serialized_bytes=json.dumps(iris).encode()))
        eq(struct_to_py(r.json), iris, "struct")

    def case13_16():
        ok(call(ch, "echo_json_validate", json=_value(iris)))
        broken = json.loads(json.dumps(iris))
        del broken["iris_features"]["petal_width"]
        expect_error(call(ch, "echo_json_validate", json=_value(broken)), SC.INVALID_ARGUMENT,
                     prefix="Invalid JSON input received: ")

    def none_output():
        r = ok(call(ch, "echo_json", raw=True, json=_value(None)))
        eq(r.hex(), "4200", "null_value in -> None -> Value with no member")

    def bonjour_golden():
        r = call(ch, "bonjour", raw=True, text={"value": "BentoML"})
        eq(ok(r).hex(), "3a110a0f48656c6c6f2c2042656e746f4d4c21", "golden")

    def empty_text_output():
        eq(ok(call(ch, "ensure_metrics_are_registered", raw=True,
                   text={"value": "input_data"})).hex(), "3a00", "text{}")

    check("case 11: echo_json string", case11)
    check("case 12: echo_json serialized_bytes", case12)
    check("case 13/16: echo_json_validate ok / missing field", case13_16)
    check("case 14: invalid JSON bytes", lambda: expect_error(
        call(ch, "echo_json", serialized_bytes=bytes.fromhex("0a3f786661")), SC.INVALID_ARGUMENT,
        "Invalid JSON input received: Expecting value: line 2 column 1 (char 1)"))
    check("case 15: echo_json wrong member", lambda: expect_error(
        call(ch, "echo_json", text={"value": "asdf"}), SC.INVALID_ARGUMENT,
        "'JSON' accepts one of the following fields: 'json,serialized_bytes' got 'text' instead."))
    check("json: null in -> json{} out", none_output)
    check("text: bonjour golden bytes", bonjour_golden)
    check("text: None output -> text{}", empty_text_output)


def _value(obj):
    from google.protobuf import json_format, struct_pb2
    v = struct_pb2.Value()
    json_format.ParseDict(obj, v)
    return v


def image_cases(ch):
    img = np.random.randint(0, 256, (10, 10, 3), dtype=np.uint8)
    bmp = bmp_bytes(img)

    def case21():
        r = ok(call(ch, "echo_image", serialized_bytes=bmp))
        eq(r.file.kind, "image/bmp", "kind")
        assert r.file.content[:2] == b"BM" and np.array_equal(decode_bmp(r.file.content), img)

    def case22():
        r = ok(call(ch, "echo_image", file=V1.File(kind="image/bmp", content=bmp)))
        assert np.array_equal(decode_bmp(r.file.content), img)

    def case30():
        parts = {"original": V1.Part(file=V1.File(kind="image/bmp", content=bmp)),
                 "compared": V1.Part(file=V1.File(kind="image/bmp", content=bmp))}
        r = ok(call(ch, "predict_multi_images", multipart=V1.Multipart(fields=parts)))
        eq(r.multipart.fields["meta"].text.value, "success", "meta")
        res = r.multipart.fields["result"].file
        eq(res.kind, "image/bmp", "kind")
        assert np.array_equal(decode_bmp(res.content), img * img)

    def multipart_keys():
        parts = {"original": V1.Part(serialized_bytes=bmp), "x": V1.Part(serialized_bytes=bmp)}
        expect_error(call(ch, "predict_multi_images", multipart=V1.Multipart(fields=parts)),
                     SC.INVALID_ARGUMENT, prefix="'Multipart(original=Image,compared=Image)' "
                     "accepts the following keys: ")
        expect_error(call(ch, "predict_multi_images", multipart=V1.Multipart(
            fields={"original": V1.Part(serialized_bytes=bmp)})),
            SC.INVALID_ARGUMENT, '"field" cannot be empty.')
        expect_error(call(ch, "predict_multi_images", serialized_bytes=b"x"),
                     SC.INVALID_ARGUMENT, "cannot use 'serialized_bytes' with Multipart")

    check("case 21: echo_image serialized_bytes", case21)
    check("case 22: echo_image file kind image/bmp", case22)
    check("case 23: echo_image kind mismatch", lambda: expect_error(
        call(ch, "echo_image", file=V1.File(kind="application/pdf", content=bmp)),
        SC.INVALID_ARGUMENT,
        "MIME type from 'kind' is 'application/pdf', while 'Image' is expecting 'image/bmp'"))
    check("case 24: echo_image wrong member", lambda: expect_error(
        call(ch, "echo_image", text={"value": "asdf"}), SC.INVALID_ARGUMENT,
        "'Image' accepts one of the following fields: 'file,serialized_bytes' got 'text' instead."))
    check("image: not an image -> INTERNAL", lambda: expect_error(
        call(ch, "echo_image", serialized_bytes=b"nope"), SC.INTERNAL, GENERIC))
    check("case 30: predict_multi_images", case30)
    check("multipart: key errors", multipart_keys)


def pandas_cases(ch):
    def col(**kw):
        return V1.Series(**kw)

    def case25():
        r = ok(call(ch, "echo_dataframe", dataframe=V1.DataFrame(
            column_names=["0", "1", "2"], columns=[col(int32_values=[i]) for i in (1, 2, 3)])))
        eq(list(r.dataframe.column_names), ["0", "1", "2"], "names")
        eq([list(c.int64_values) for c in r.dataframe.columns], [[1], [2], [3]], "int64")

    def case26():
        ok(call(ch, "echo_dataframe_from_sample", dataframe=V1.DataFrame(
            column_names=["age", "height", "weight"],
            columns=[col(int64_values=[12, 23]), col(int64_values=[40, 83]),
                     col(int64_values=[32, 89])])))

    def case27():
        r = call(ch, "double_dataframe", raw=True, dataframe=V1.DataFrame(
            column_names=["col1"], columns=[col(int64_values=[23])]))
        eq(ok(r).hex(), "1a0b0a04636f6c31120332012e", "golden bytes")

    def string_column():
        expect_error(call(ch, "echo_dataframe", dataframe=V1.DataFrame(
            column_names=["a"], columns=[col(string_values=["x"])])), SC.FAILED_PRECONDITION,
            'dtype in column "Index([\'a\'], dtype=\'object\')" is not currently supported.')

    def float_column():
        r = ok(call(ch, "echo_dataframe", dataframe=V1.DataFrame(
            column_names=["f"], columns=[col(float_values=[1.5])])))
        eq(list(r.dataframe.columns[0].double_values), [1.5], "float->double")

    def series():
        r = ok(call(ch, "echo_series_from_sample", series=col(int64_values=[1, 2, 3])))
        eq(list(r.series.int64_values), [1, 2, 3], "series echo")

    check("case 25: echo_dataframe int32 -> int64", case25)
    check("case 26: echo_dataframe_from_sample", case26)
    check("case 27: double_dataframe (golden bytes)", case27)
    check("case 28: Series with two values fields", lambda: expect_error(
        call(ch, "echo_dataframe", dataframe=V1.DataFrame(
            column_names=["col1"], columns=[col(int64_values=[23], int32_values=[23])])),
        SC.INVALID_ARGUMENT, "Array contents can only be one of given values key. "
        "Use one of '['int32_values', 'int64_values']' instead."))
    check("dataframe: string column -> FAILED_PRECONDITION", string_column)
    check("dataframe: float column -> double_values", float_column)
    check("dataframe: serialized_bytes -> runtime error", lambda: expect_error(
        call(ch, "echo_dataframe", serialized_bytes=b"x"), SC.INTERNAL, RUNTIME))
    check("series: echo_series_from_sample int64", series)


def file_broken_cases(ch):
    check("case 17 (HEAD): predict_file serialized_bytes -> INTERNAL", lambda: expect_error(
        call(ch, "predict_file", serialized_bytes=BIN_FILE), SC.INTERNAL, GENERIC))
    check("case 18 (HEAD): predict_file file member rejected", lambda: expect_error(
        call(ch, "predict_file", file=V1.File(kind="application/octet-stream", content=BIN_FILE)),
        SC.INVALID_ARGUMENT, "'BytesIOFile' accepts one of the following fields: "
        "'serialized_bytes' got 'file' instead."))


def file_intended_cases(ch):
    def case18():
        r = ok(call(ch, "predict_file",
                    file=V1.File(kind="application/octet-stream", content=BIN_FILE)))
        eq((r.file.kind, r.file.content), ("appliction/octet-stream", BIN_FILE), "file")

    check("intended case 17: serialized_bytes", lambda: eq(
        ok(call(ch, "predict_file", serialized_bytes=BIN_FILE)).file.content, BIN_FILE, "c"))
    check("intended case 18: file member", case18)
    check("intended: empty content", lambda: expect_error(
        call(ch, "predict_file", file=V1.File(kind="x/y")), SC.INVALID_ARGUMENT,
        "Content is empty!"))
    check("intended case 20: wrong member", lambda: expect_error(
        call(ch, "predict_file", text={"value": "asdf"}), SC.INVALID_ARGUMENT,
        "'BytesIOFile' accepts one of the following fields: 'file,serialized_bytes' "
        "got 'text' instead."))


def extra_api_cases(ch):
    def slow():
        t0 = time.monotonic()
        fn = ch.unary_unary("/bentoml.grpc.v1.BentoService/Call",
                            request_serializer=V1.Request.SerializeToString,
                            response_deserializer=V1.Response.FromString)
        try:
            fn(V1.Request(api_name="slow_echo_ndarray", ndarray=V1.NDArray(int32_values=[1])),
               timeout=0.3)
            raise AssertionError("no deadline error")
        except grpc.RpcError as e:
            eq(e.code(), SC.DEADLINE_EXCEEDED, "code")
        assert time.monotonic() - t0 < 2

    def echo_md():
        fn = ch.unary_unary("/bentoml.grpc.v1.BentoService/Call",
                            request_serializer=V1.Request.SerializeToString,
                            response_deserializer=V1.Response.FromString)
        blob = bytes(range(256))
        sent = [("x-echo-a", "1"), ("x-echo-b-bin", blob), ("x-echo-a", "2"),
                ("x-echo-empty-bin", b"")]
        resp, call_ = fn.with_call(V1.Request(api_name="echo_metadata", text={"value": ""}),
                                   metadata=[("x-echo", "hello"), ("other", "no")] + sent,
                                   timeout=5)
        eq(resp.text.value, "hello", "x-echo")
        for what, md in (("initial", call_.initial_metadata()),
                         ("trailing", call_.trailing_metadata())):
            eq([(k, v) for k, v in md if k.startswith("x-echo")], sent, what)
            assert not any(k in ("x-echo", "other") for k, _ in md), md
        resp, call_ = fn.with_call(V1.Request(api_name="echo_metadata", text={"value": ""}))
        eq((resp.text.value, [k for k, _ in call_.trailing_metadata()
                              if k.startswith("x-echo")]), ("", []), "no x-echo")

    check("slow_echo_ndarray honours client deadline", slow)
    check("echo_metadata (text, -bin, repeated keys, initial + trailing)", echo_md)
    fail_with_status_cases(ch)
    echo_size_cases(ch)
    check("custom_io", lambda: eq(ok(call(ch, "custom_io", serialized_bytes=b"abc")).text.value,
                                  "custom:3", "custom"))
    check("custom_io wrong member", lambda: expect_error(
        call(ch, "custom_io", text={"value": "a"}), SC.INVALID_ARGUMENT,
        "'Custom' accepts one of the following fields: 'serialized_bytes' got 'text' instead."))
    check("no_spec", lambda: eq(ok(call(ch, "no_spec", serialized_bytes=b"")).text.value, "ok",
                                "no_spec"))
    check("unknown api -> INTERNAL", lambda: expect_error(
        call(ch, "nope", text={"value": "a"}), SC.INTERNAL,
        "given 'api_name' is not defined in reference_service"))
    check("health: SERVING names", lambda: [eq(health(ch, n)[2].status, 1, n) for n in (
        "", "bentoml.grpc.v1.BentoService", "grpc.health.v1.Health")])
    check("health: unknown name NOT_FOUND", lambda: expect_error(
        health(ch, "foo"), SC.NOT_FOUND, ""))
    check("v1alpha1 path on a v1 server -> UNIMPLEMENTED", lambda: expect_error(
        call(ch, "bonjour", pb=V1A, version="v1alpha1", text={"value": "x"}),
        SC.UNIMPLEMENTED, "Method not found!"))


def fail_with_status_cases(ch):
    def fws(text):
        return call(ch, "fail_with_status", text={"value": text})

    nasty = "tab\there\nnew line\r\n%20 % é ß 日本 😀 🧪\x01|pipe ' \" \\ end "

    def byte_exact():
        for code in (SC.INVALID_ARGUMENT, SC.NOT_FOUND, SC.RESOURCE_EXHAUSTED, SC.INTERNAL,
                     SC.UNAVAILABLE, SC.PERMISSION_DENIED):
            expect_error(fws(f"{code.name}|{nasty}"), code, nasty)

    def edge_cases():
        expect_error(fws("NOT_FOUND|"), SC.NOT_FOUND, "")
        expect_error(fws("5|numeric"), SC.NOT_FOUND, "numeric")
        expect_error(fws("ABORTED|" + "x" * 5000), SC.ABORTED, "x" * 5000)
        eq(ok(fws("OK|fine")).text.value, "fine", "OK")
        expect_error(fws("no separator"), SC.INVALID_ARGUMENT, prefix="fail_with_status:")
        expect_error(fws("NOPE|x"), SC.INVALID_ARGUMENT, prefix="fail_with_status:")

    check("fail_with_status: codes, details byte-exact (tabs, newlines, 😀)", byte_exact)
    check("fail_with_status: empty/numeric/long/OK/bad input", edge_cases)


def echo_size_raw(ch, body: bytes, **kw):
    fn = ch.unary_unary("/bentoml.grpc.v1.BentoService/Call", request_serializer=lambda b: b,
                        response_deserializer=V1.Response.FromString)
    resp = fn(body, timeout=10, **kw)
    return json.loads(json.dumps(struct_to_py(resp.json)))


def echo_size_cases(ch):
    arr = V1.NDArray(dtype=1, shape=[250, 4], float_values=[0.5] * 1000)
    body = V1.Request(api_name="echo_size", ndarray=arr).SerializeToString()

    def sizes():
        eq(echo_size_raw(ch, body), {"received_bytes": float(len(body)), "nbytes": 4000.0}, "f32")
        b = V1.Request(api_name="echo_size", ndarray=V1.NDArray(int64_values=[1, 2, 3]))
        eq(echo_size_raw(ch, b.SerializeToString()),
           {"received_bytes": float(b.ByteSize()), "nbytes": 24.0}, "i64")

    def raw_length():
        # A non-canonical encoding (api_name given twice): the raw length, not ByteSize().
        raw = V1.Request(api_name="something_long_first").SerializeToString() + body
        eq(echo_size_raw(ch, raw)["received_bytes"], float(len(raw)), "raw length")

    def compressed_request():
        for algo in (grpc.Compression.Gzip, grpc.Compression.Deflate):
            eq(echo_size_raw(ch, body, compression=algo)["received_bytes"], float(len(body)),
               f"{algo} request: size after decompression")

    check("echo_size: received_bytes and nbytes", sizes)
    check("echo_size: raw received length (non-canonical body)", raw_length)
    check("echo_size: gzip/deflate requests counted decompressed", compressed_request)


# --------------------------------------------------------------------------- proxy, compression

class Proxy:
    """Runs tests/support/tcp_proxy.py in front of a server."""

    def __init__(self, target):
        self.target = target

    def __enter__(self):
        self.dir = tempfile.mkdtemp(prefix="refsrv-proxy-")
        self.stats_path = os.path.join(self.dir, "stats")
        self.proc = subprocess.Popen(
            [sys.executable, os.path.join(SUPPORT, "tcp_proxy.py"), "--target", self.target,
             "--stats", self.stats_path], stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        if not line.startswith("PORT "):
            self.proc.kill()
            raise RuntimeError(f"proxy said {line!r}")
        self.port = int(line.split()[1])
        return self

    def stats(self):
        with open(self.stats_path) as f:
            words = f.read().split()
        eq((len(words), words[0], words[2]), (4, "UP", "DOWN"), "stats format")
        return int(words[1]), int(words[3])

    def __exit__(self, *exc):
        self.proc.terminate()
        try:
            self.rc = self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.rc = "killed"
        self.proc.stdout.close()
        shutil.rmtree(self.dir, ignore_errors=True)
        return False


BIG_TEXT = "a" * 200_000


def through_proxy(server, fn):
    """fn(channel) through a fresh proxy; returns (UP, DOWN) bytes and the proxy exit code."""
    with Proxy(f"127.0.0.1:{server.port}") as px:
        eq(px.stats(), (0, 0), "initial stats")
        ch = grpc.insecure_channel(f"127.0.0.1:{px.port}")
        try:
            fn(ch)
        finally:
            ch.close()
        totals = px.stats()
    eq(px.rc, 0, "proxy exit code on SIGTERM")
    return totals


def big_bonjour(ch):
    eq(ok(call(ch, "bonjour", text={"value": BIG_TEXT})).text.value, f"Hello, {BIG_TEXT}!",
       "big reply")


def compression_checks(plain_server):
    def baseline():
        up, down = through_proxy(plain_server, big_bonjour)
        assert up > 200_000 and down > 200_000, (up, down)
    check("tcp_proxy: counts both directions, exits 0 (uncompressed baseline)", baseline)

    for algo, server in EARLY["compression"].items():
        extra = algo == "gzip"
        with server as s:
            def compressed():
                up, down = through_proxy(s, big_bonjour)
                assert up > 200_000 and down < 20_000, (up, down)
            check(f"--compress-responses {algo}: reply compressed on the wire", compressed)
            if extra:
                ch = s.channel()
                check("--no-service-metadata: ServiceMetadata UNIMPLEMENTED, Call works",
                      lambda: (expect_error(rpc(
                          ch, "/bentoml.grpc.v1.BentoService/ServiceMetadata",
                          V1.ServiceMetadataRequest(), V1.ServiceMetadataResponse),
                          SC.UNIMPLEMENTED, "Method not found!"),
                          eq(ok(call(ch, "bonjour", text={"value": "x"})).text.value,
                             "Hello, x!", "call")))
                check("--compress-responses: errors and metadata still fine", lambda: (
                    expect_error(call(ch, "fail_with_status", text={"value": "NOT_FOUND|😀"}),
                                 SC.NOT_FOUND, "😀"),
                    eq(health(ch, "")[2].status, 1, "health")))


# --------------------------------------------------------------------------- other servers

def other_server_checks():
    with Server("--no-access-log") as s:
        check("--no-access-log: unknown api -> UNKNOWN", lambda: expect_error(
            call(s.channel(), "nope", text={"value": "a"}), SC.UNKNOWN,
            "Unexpected <class 'bentoml.exceptions.InvalidArgument'>: given 'api_name' "
            "is not defined in reference_service"))

    with Server("--file-mode", "intended") as s:
        file_intended_cases(s.channel())

    with Server("--health-status", "NOT_SERVING") as s:
        check("--health-status NOT_SERVING", lambda: eq(
            health(s.channel(), "bentoml.grpc.v1.BentoService")[2].status, 2, "status"))

    with Server("--startup-delay-ms", "800") as s:
        ch = s.channel()

        def delayed():
            eq(health(ch, "bentoml.grpc.v1.BentoService")[2].status, 2, "before")
            expect_error(call(ch, "bonjour", text={"value": "x"}), SC.UNAVAILABLE)
            time.sleep(1.0)
            eq(health(ch, "bentoml.grpc.v1.BentoService")[2].status, 1, "after")
            ok(call(ch, "bonjour", text={"value": "x"}))
        check("--startup-delay-ms", delayed)

    with Server(listen=("[::1]:0",)) as s:
        check("listen [::1]:0", lambda: eq(
            health(s.channel(f"[::1]:{s.port}"), "")[2].status, 1, "ipv6"))

    sock = os.path.join(tempfile.mkdtemp(prefix="refsrv-"), "s.sock")
    with Server(listen=(f"unix:{sock}",)) as s:
        check("listen unix socket (PORT 0)", lambda: (eq(s.port, 0, "port"), eq(
            health(s.channel(f"unix:{sock}"), "")[2].status, 1, "unix")))
    shutil.rmtree(os.path.dirname(sock), ignore_errors=True)

    with Server("--e2e-trailers") as s:
        def trailers():
            fn = s.channel().unary_unary("/bentoml.grpc.v1.BentoService/Call",
                                         request_serializer=V1.Request.SerializeToString,
                                         response_deserializer=V1.Response.FromString)
            resp, c = fn.with_call(V1.Request(api_name="bonjour", text={"value": "BentoML"}))
            eq(resp.text.value, "Hello, BentoML!", "text")
            eq(list(c.trailing_metadata()), [("usage", "NLP"), ("accuracy_score", "0.8247")], "md")
        check("case 2: --e2e-trailers", trailers)

    with Server("--protocol-version", "v1alpha1") as s:
        v1alpha1_checks(s.channel())
    check("clean exit on SIGTERM", lambda: eq(s.rc, 0, "exit code"))
    release_checks()
    tls_checks()


def release_checks():
    """--bentoml-release: what differs between BentoML releases (README "BentoML releases")."""
    import reference_server

    def traits(release):
        a = reference_server.parse_args(["--bentoml-release", release])
        return a.protocol_version, a.no_service_metadata, a.file_mode

    check("--bentoml-release table", lambda: (
        eq(traits("1.0.6"), ("v1alpha1", True, "intended"), "1.0.6"),
        eq(traits("1.0.10"), ("v1alpha1", True, "intended"), "1.0.10"),
        eq(traits("1.0.11"), ("v1", True, "intended"), "1.0.11"),
        eq(traits("1.0.12"), ("v1", False, "intended"), "1.0.12"),
        eq(traits("1.0.15"), ("v1", False, "intended"), "1.0.15"),
        eq(traits("1.0.16"), ("v1", False, "broken"), "1.0.16"),
        eq(traits("1.4.38"), ("v1", False, "broken"), "1.4.38")))

    def refused(*argv):
        proc = subprocess.run([sys.executable, os.path.join(HERE, "reference_server.py"),
                               *argv], capture_output=True, text=True, timeout=30)
        eq(proc.returncode, 2, "exit status")
        return proc.stderr

    check("--bentoml-release refuses what the release cannot do", lambda: (
        eq("has no gRPC server" in refused("--bentoml-release", "1.0.5"), True, "1.0.5"),
        eq("serves only v1alpha1" in refused("--bentoml-release", "1.0.8",
                                             "--protocol-version", "v1"), True, "v1 on 1.0.8"),
        eq("takes X.Y.Z" in refused("--bentoml-release", "1.0"), True, "1.0")))

    with Server("--bentoml-release", "1.0.10") as s:
        ch = s.channel()
        check("1.0.10: v1alpha1 Call with the file member accepted", lambda: eq(
            ok(call(ch, "predict_file", pb=V1A, version="v1alpha1",
                    file=V1A.File(content=BIN_FILE))).file.content, BIN_FILE, "content"))
        check("1.0.10: no v1 service, v1 health name unknown", lambda: (
            expect_error(call(ch, "bonjour", text={"value": "x"}), SC.UNIMPLEMENTED),
            expect_error(health(ch, "bentoml.grpc.v1.BentoService"), SC.NOT_FOUND)))

    with Server("--no-bento-service") as s:
        ch = s.channel()
        check("--no-bento-service: only health, knowing ''", lambda: (
            expect_error(call(ch, "bonjour", text={"value": "x"}), SC.UNIMPLEMENTED),
            expect_error(call(ch, "bonjour", pb=V1A, version="v1alpha1",
                              text={"value": "x"}), SC.UNIMPLEMENTED),
            expect_error(health(ch, "bentoml.grpc.v1.BentoService"), SC.NOT_FOUND),
            eq(health(ch, "")[2].status, 1, "whole server")))


def v1alpha1_checks(ch):
    bmp = bmp_bytes(np.full((2, 3, 3), 7, np.uint8))

    def a_call(api, **content):
        return call(ch, api, pb=V1A, version="v1alpha1", **content)

    check("v1alpha1: ServiceMetadata UNIMPLEMENTED", lambda: expect_error(
        rpc(ch, "/bentoml.grpc.v1alpha1.BentoService/ServiceMetadata", V1.ServiceMetadataRequest(),
            V1.ServiceMetadataResponse), SC.UNIMPLEMENTED))
    check("v1alpha1: v1 path UNIMPLEMENTED", lambda: expect_error(
        call(ch, "bonjour", text={"value": "x"}), SC.UNIMPLEMENTED))
    check("v1alpha1: bonjour", lambda: eq(ok(a_call("bonjour", text={"value": "x"})).text.value,
                                          "Hello, x!", "text"))
    check("v1alpha1: health name", lambda: eq(
        health(ch, "bentoml.grpc.v1alpha1.BentoService")[2].status, 1, "status"))
    check("v1alpha1: echo_image kind enum", lambda: eq(
        ok(a_call("echo_image", file=V1A.File(kind=9, content=bmp))).file.kind, 9, "kind"))
    check("v1alpha1: kind mismatch", lambda: expect_error(
        a_call("echo_image", file=V1A.File(kind=6, content=bmp)), SC.INVALID_ARGUMENT,
        "Inferred mime_type from 'kind' is 'image/png', while 'Image' is expecting 'image/bmp'"))
    check("v1alpha1: unknown kind", lambda: expect_error(
        a_call("echo_image", file=V1A.File(kind=99, content=bmp)), SC.INVALID_ARGUMENT,
        prefix="99 is not a valid File kind. Accepted file kind: ['FILE_TYPE_UNSPECIFIED', "))
    parts = {"original": V1A.Part(serialized_bytes=bmp), "compared": V1A.Part(serialized_bytes=bmp)}
    check("v1alpha1: multipart with Image part fails", lambda: expect_error(
        a_call("predict_multi_images", multipart=V1A.Multipart(fields=parts)),
        SC.INTERNAL, RUNTIME))


CERT_FILES = ["ca.pem", "ca.key", "server.pem", "server.key", "client.pem", "client.key", "client-encrypted.key",
              "other-ca.pem", "other-ca.key", "other-server.pem", "other-server.key",
              "wrongname.pem", "wrongname.key"]
EARLY = {}  # servers started ahead of time so that their start-up overlaps other checks


def spawn_early():
    EARLY["compression"] = {
        "gzip": Server("--compress-responses", "gzip", "--no-service-metadata").spawn(),
        "deflate": Server("--compress-responses", "deflate").spawn()}
    if not shutil.which("openssl"):
        return
    d = EARLY["certs"] = tempfile.mkdtemp(prefix="refsrv-tls-")
    EARLY["make_certs"] = proc = subprocess.run(
        ["bash", os.path.join(SUPPORT, "make_certs.sh"), d], capture_output=True, text=True)
    if proc.returncode != 0:
        return

    def tls(name, *extra, **kw):
        return Server("--tls-cert", os.path.join(d, f"{name}.pem"),
                      "--tls-key", os.path.join(d, f"{name}.key"), *extra, **kw).spawn()

    EARLY["tls"] = [tls("server"), tls("server", "--tls-ca", os.path.join(d, "ca.pem")),
                    tls("other-server"), tls("wrongname"), tls("server", listen=("[::1]:0",))]


def tls_checks():
    if "certs" not in EARLY:
        print("skip TLS checks: no openssl")
        return
    d, proc = EARLY["certs"], EARLY["make_certs"]
    check("make_certs.sh: exit 0, quiet, all files", lambda: (
        eq((proc.returncode, proc.stdout, proc.stderr), (0, "", ""), "make_certs.sh"),
        eq(sorted(f for f in os.listdir(d) if f.endswith((".pem", ".key"))), sorted(CERT_FILES),
           "files")))
    if proc.returncode != 0:
        shutil.rmtree(d, ignore_errors=True)
        return
    bad = subprocess.run(["bash", os.path.join(SUPPORT, "make_certs.sh")], capture_output=True)
    check("make_certs.sh: usage error exits non-zero", lambda: eq(bad.returncode != 0, True, "rc"))

    def f(name):
        return os.path.join(d, name)

    def read(name):
        with open(f(name), "rb") as fh:
            return fh.read()

    ca, other_ca = read("ca.pem"), read("other-ca.pem")

    def status(s, root, target=None, client=None, options=()):
        creds = grpc.ssl_channel_credentials(root, *(client or (None, None)))
        code, _, resp = health(s.channel(target or f"localhost:{s.port}", creds, options), "")
        return resp.status if code == SC.OK else code

    servers = EARLY["tls"]
    with servers[0] as s:
        check("TLS: localhost and 127.0.0.1 verify against ca.pem", lambda: [
            eq(status(s, ca, t), 1, t) for t in (f"localhost:{s.port}", f"127.0.0.1:{s.port}")])
        check("TLS: wrong CA (other-ca.pem) fails", lambda: eq(
            status(s, other_ca), SC.UNAVAILABLE, "wrong CA"))
    with servers[4] as s:
        check("TLS: IP SAN ::1", lambda: eq(status(s, ca, f"[::1]:{s.port}"), 1, "::1"))
    with servers[1] as s:
        client = (read("client.key"), read("client.pem"))
        check("mTLS: client.pem accepted", lambda: eq(status(s, ca, client=client), 1, "mtls"))
        check("mTLS: no client certificate rejected", lambda: eq(
            status(s, ca), SC.UNAVAILABLE, "no client cert"))
        check("mTLS: client cert from the other CA rejected", lambda: eq(status(
            s, ca, client=(read("other-server.key"), read("other-server.pem"))),
            SC.UNAVAILABLE, "other CA client"))
    with servers[2] as s:
        check("TLS: other-server.pem verifies only against other-ca.pem", lambda: (
            eq(status(s, other_ca), 1, "other CA"), eq(status(s, ca), SC.UNAVAILABLE, "ca")))
    with servers[3] as s:
        override = (("grpc.ssl_target_name_override", "other.example"),)
        check("TLS: wrong name fails; ok with ssl_target_name_override other.example",
              lambda: (eq(status(s, ca), SC.UNAVAILABLE, "wrong name"),
                       eq(status(s, ca, options=override), 1, "override")))
    shutil.rmtree(d, ignore_errors=True)


def main() -> int:
    with Server() as s:
        check(f"start-up under 1.5 s (took {s.startup_s:.2f} s)", lambda: eq(
            s.startup_s < 1.5, True, "startup"))
        spawn_early()
        ch = s.channel()
        metadata_checks(ch)
        golden_ndarray_cases(ch)
        ndarray_rule_checks(ch)
        json_text_cases(ch)
        image_cases(ch)
        pandas_cases(ch)
        file_broken_cases(ch)
        extra_api_cases(ch)
        compression_checks(s)
    check("clean exit on SIGTERM", lambda: eq(s.rc, 0, "exit code"))
    other_server_checks()
    print(f"{RESULTS['passed']} passed, {RESULTS['failed']} failed")
    return 1 if RESULTS["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
