#!/usr/bin/python3
"""A BentoML gRPC server that lies: one behaviour per scenario name (see SCENARIOS).

Serves /bentoml.grpc.v1.BentoService/{Call,ServiceMetadata} and grpc.health.v1.Health/Check
(and Health/Watch in the watch_* scenarios) through generic handlers with identity (bytes) serializers, so a scenario can answer with any
bytes at all — garbage, truncated or lying protobuf, duplicate map keys — or misbehave at the
gRPC level (two replies on a unary call, huge trailers, escape sequences in the status).

  hostile_server.py --scenario NAME [--log FILE] [--tls-cert PEM --tls-key PEM]

Prints ``PORT <n>`` on stdout once bound to 127.0.0.1, then serves until SIGTERM/SIGKILL.
Each RPC appends one JSON line to --log ({"rpc": "ServiceMetadata"}, or {"rpc": "Call",
"api", "field", "auth", "size", ...}) so the runner can check what the client really sent (or
that it sent nothing).
Run with /usr/bin/python3 (Debian's grpcio, protobuf, numpy).
"""
from __future__ import annotations

import argparse
import json
import os
import random
import signal
import sys
import threading
import time
from concurrent import futures

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "server"))
sys.path.insert(0, HERE)

import grpc  # noqa: E402
from google.protobuf import json_format  # noqa: E402

import stubs  # noqa: E402
import wire  # noqa: E402
from descriptors import (JSON, File, Multipart, NumpyNdarray, PandasDataFrame,  # noqa: E402
                         PandasSeries, Text)
from wire import NDArray, Part, Response  # noqa: E402

PB = stubs.load()
V1 = PB.v1

# The APIs every scenario lists (unless it replaces the metadata): one per descriptor kind,
# named after it, so the driver and the CLI can reach each reply decoder.
APIS = {
    "ndarray": (NumpyNdarray(), NumpyNdarray()),
    "text": (Text(), Text()),
    "json": (JSON(), JSON()),
    "series": (PandasSeries(), PandasSeries()),
    "dataframe": (PandasDataFrame(orient="columns"), PandasDataFrame(orient="columns")),
    "multipart": (Multipart(a=Text(), b=Text()), Multipart(a=Text(), b=Text())),
    "file": (File(mime_type="image/jpeg"), File(mime_type="image/jpeg")),
}


def descriptor_metadata(desc):
    md = V1.ServiceMetadataResponse.DescriptorMetadata()
    spec = dict(desc.spec())
    md.descriptor_id = spec.pop("id")
    json_format.ParseDict(json.loads(json.dumps(spec)), md.attributes)  # tuples -> lists
    md.attributes.SetInParent()
    return md


def metadata(extra_names=(), apis=APIS) -> bytes:
    resp = V1.ServiceMetadataResponse(name="hostile_service", docs="lies")
    for name, (inp, out) in apis.items():
        entry = resp.apis.add(name=name)
        entry.input.CopyFrom(descriptor_metadata(inp))
        entry.output.CopyFrom(descriptor_metadata(out))
    text_md = descriptor_metadata(Text())
    for name in extra_names:
        entry = resp.apis.add(name=name)
        entry.input.CopyFrom(text_md)
        entry.output.CopyFrom(text_md)
    return resp.SerializeToString()


def echo(request: bytes, context) -> bytes:
    """Answers with the request's content, moved to the Response's field of the same name."""
    req = V1.Request.FromString(request)
    field = req.WhichOneof("content")
    resp = V1.Response()
    if field == "serialized_bytes":
        resp.serialized_bytes = req.serialized_bytes
    elif field is not None:
        getattr(resp, field).CopyFrom(getattr(req, field))
    return resp.SerializeToString()


def const(data: bytes):
    return lambda request, context: data


def abort(code, message):
    def handler(request, context):
        context.abort(code, message)
    return handler


def with_trailers(trailers, inner=echo):
    def handler(request, context):
        context.set_trailing_metadata(trailers)
        return inner(request, context)
    return handler


def slow(request, context):
    """Never answers (the runner kills the server mid-call)."""
    time.sleep(120)
    return b""


GARBAGE = bytes(random.Random(9).randrange(256) for _ in range(512))
VALID_NDARRAY = wire.lfield(Response.NDARRAY, wire.ndarray(2, [3], wire.packed_doubles(
    NDArray.DOUBLE, [1.0, 2.0, 3.0])))
TEXT_PART = wire.lfield(Part.TEXT, wire.string_value(b"x"))
ESCAPES = "bad input \x1b]0;pwned\x07\x1b[2J\x1b[31mred"

# scenario -> {"call": handler(request bytes, context) -> reply bytes,
#              "stream": True for a Call that answers as a server stream,
#              "metadata": () -> ServiceMetadataResponse bytes, made once at start}
SCENARIOS = {
    "echo": {},
    "slow": {"call": slow},
    # --- replies that break the protobuf encoding
    "reply_garbage": {"call": const(GARBAGE)},
    "reply_truncated": {"call": const(VALID_NDARRAY[:-5])},
    "reply_lying_length": {"call": const(wire.lying_lfield(Response.NDARRAY, 100, b"\x08\x02"))},
    "reply_2gib_length": {"call": const(wire.lying_lfield(Response.NDARRAY, 2**31, b"\x08\x02"))},
    "reply_2gib_inner": {"call": const(wire.lfield(Response.NDARRAY, wire.vfield(
        NDArray.DTYPE, 2) + wire.lying_lfield(NDArray.DOUBLE, 2**31 + 8, b"\0" * 8)))},
    "reply_deep_json": {"call": const(wire.lfield(Response.JSON, wire.nested_list_value(5000)))},
    # --- well-formed protobuf that lies about the array
    "reply_shape_overflow": {"call": const(wire.lfield(Response.NDARRAY, wire.ndarray(
        2, [2**31 - 1] * 3)))},
    "reply_negative_shape": {"call": const(wire.lfield(Response.NDARRAY, wire.ndarray(2, [-1])))},
    "reply_bad_dtype": {"call": const(wire.lfield(Response.NDARRAY, wire.ndarray(
        99, [1], wire.packed_doubles(NDArray.DOUBLE, [1.0]))))},
    "reply_count_mismatch": {"call": const(wire.lfield(Response.NDARRAY, wire.ndarray(
        2, [3], wire.packed_doubles(NDArray.DOUBLE, [1.0, 2.0]))))},
    "reply_empty": {"call": const(b"")},
    # --- reply decoding (README defects 11 and 12): lies the decoders used to accept or blame on the caller
    "multipart_dup": {"call": const(wire.lfield(Response.MULTIPART, wire.lfield(
        1, wire.map_entry("dup_part", TEXT_PART)) + wire.lfield(
        1, wire.map_entry("dup_part", TEXT_PART))))},
    "dtype_mismatch": {"call": const(wire.lfield(Response.NDARRAY, wire.vfield(
        NDArray.DTYPE, 1) + wire.packed_doubles(NDArray.DOUBLE, [1.0, 2.0])))},
    "text_nul": {"call": const(wire.lfield(Response.TEXT, wire.string_value(b"abc\0def")))},
    "string_invalid_utf8": {"call": const(wire.lfield(Response.NDARRAY, wire.ndarray(
        8, [2], wire.lfield(NDArray.STRING, b"ok") + wire.lfield(NDArray.STRING, b"\xff\xfe"))))},
    "text_escape": {"call": const(wire.lfield(Response.TEXT, wire.string_value(
        ESCAPES.encode())))},
    # --- printed values (README defect 3): values the CLI used to drop or round
    "reply_nonfinite": {"call": const(wire.lfield(Response.NDARRAY, wire.ndarray(
        1, [2, 2], wire.packed_floats(NDArray.FLOAT,
                                      [1.0, float("nan"), float("inf"), float("-inf")]))))},
    "reply_uint64_big": {"call": const(wire.lfield(Response.NDARRAY, wire.ndarray(
        7, [2], wire.packed_varints(NDArray.UINT64, [2**64 - 2, 2**53 + 1]))))},
    "reply_int64_extremes": {"call": const(wire.lfield(Response.NDARRAY, wire.ndarray(
        5, [2], wire.packed_varints(NDArray.INT64, [-2**63, 2**63 - 1]))))},
    # --- the gRPC level (README defects 5, 10 and 14): second reply, escapes, advice
    "two_replies": {"call": const(VALID_NDARRAY), "stream": True},
    "status_escape": {"call": abort(grpc.StatusCode.INVALID_ARGUMENT, ESCAPES)},
    "huge_trailers": {"call": with_trailers([("x-huge", "a" * (1 << 20))])},
    # --- ServiceMetadata that lies
    # Health/Watch (served only by these): the messages streamed, then the stream stays open
    "watch_garbage": {"watch": [GARBAGE]},
    "watch_serving_then_garbage": {"watch": [wire.vfield(1, 1), GARBAGE]},
    "watch_serving": {"watch": [wire.vfield(1, 1)]},
    "meta_garbage": {"metadata": lambda: GARBAGE},
    "meta_truncated": {"metadata": lambda: metadata()[:-7]},
    "meta_deep_attributes": {"metadata": lambda: metadata() + wire.lfield(2, wire.lfield(
        1, "deep") + wire.lfield(2, wire.lfield(1, "bentoml.io.JSON") + wire.lfield(
            2, wire.nested_struct(5000))))},
    "meta_100k_apis": {"metadata": lambda: metadata(
        extra_names=[f"api{i}" for i in range(100000)])},
    "meta_api_nul": {"metadata": lambda: metadata(extra_names=["ab\0cd"])},
    "meta_duplicate_api": {"metadata": lambda: metadata(extra_names=["text"])},
}


class Server:
    def __init__(self, scenario: str, log_path: str | None):
        self.scenario = SCENARIOS[scenario]
        self.log_path = log_path
        self.lock = threading.Lock()
        self.metadata = self.scenario.get("metadata", metadata)()

    def log(self, record: dict):
        if not self.log_path:
            return
        with self.lock, open(self.log_path, "a") as f:
            f.write(json.dumps(record) + "\n")

    def record_call(self, request: bytes, context):
        meta = dict(context.invocation_metadata())
        record = {"rpc": "Call", "size": len(request), "auth": "authorization" in meta,
                  "meta": {k: v for k, v in meta.items() if isinstance(v, str)}}
        try:
            req = V1.Request.FromString(request)
            field = req.WhichOneof("content")
            record.update(api=req.api_name, field=field)
            if field == "text":
                record["text_len"] = len(req.text.value.encode())
            elif field == "multipart":
                record["parts"] = {k: (len(p.text.value.encode()) if p.HasField("text") else -1)
                                   for k, p in req.multipart.fields.items()}
            elif field == "file":
                record["kind"] = req.file.kind if req.file.HasField("kind") else None
            elif field == "series":
                record["series"] = json_format.MessageToDict(req.series)
            elif field == "ndarray":
                record["ndarray"] = json_format.MessageToDict(req.ndarray)
        except Exception as exc:  # the runner decides whether a bad request is a failure
            record["decode_error"] = str(exc)
        self.log(record)

    def call(self, request: bytes, context):
        self.record_call(request, context)
        return self.scenario.get("call", echo)(request, context)

    def call_stream(self, request: bytes, context):
        reply = self.call(request, context)
        yield reply
        yield reply

    def service_metadata(self, request: bytes, context):
        self.log({"rpc": "ServiceMetadata"})
        return self.metadata

    def health(self, request: bytes, context):
        return wire.vfield(1, 1)  # HealthCheckResponse{status: SERVING}

    def health_watch(self, request: bytes, context):
        """The scenario's messages, then nothing until the client ends the stream (or 30 s)."""
        self.log({"rpc": "Watch"})
        yield from self.scenario["watch"]
        give_up = time.monotonic() + 30
        while context.is_active() and time.monotonic() < give_up:
            time.sleep(0.05)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", required=True, choices=sorted(SCENARIOS))
    parser.add_argument("--log")
    parser.add_argument("--tls-cert")
    parser.add_argument("--tls-key")
    parser.add_argument("--unix", help="listen on this unix socket path too")
    args = parser.parse_args()

    h = Server(args.scenario, args.log)
    call = (grpc.unary_stream_rpc_method_handler(h.call_stream) if h.scenario.get("stream")
            else grpc.unary_unary_rpc_method_handler(h.call))
    bento = {"Call": call,
             "ServiceMetadata": grpc.unary_unary_rpc_method_handler(h.service_metadata)}
    health = {"Check": grpc.unary_unary_rpc_method_handler(h.health)}
    if "watch" in h.scenario:
        health["Watch"] = grpc.unary_stream_rpc_method_handler(h.health_watch)
    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=32),
        handlers=(grpc.method_handlers_generic_handler("bentoml.grpc.v1.BentoService", bento),
                  grpc.method_handlers_generic_handler("grpc.health.v1.Health", health)),
        options=[("grpc.max_receive_message_length", -1), ("grpc.max_send_message_length", -1),
                 ("grpc.so_reuseport", 0)])
    if args.tls_cert:
        with open(args.tls_key, "rb") as k, open(args.tls_cert, "rb") as c:
            creds = grpc.ssl_server_credentials([(k.read(), c.read())])
        port = server.add_secure_port("127.0.0.1:0", creds)
    else:
        port = server.add_insecure_port("127.0.0.1:0")
    if args.unix and not server.add_insecure_port("unix:" + args.unix):
        raise SystemExit(f"hostile_server: cannot listen on unix:{args.unix}")
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    server.start()
    print(f"PORT {port}", flush=True)
    while not stop.wait(0.2):
        pass
    server.stop(0.2).wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
