#!/usr/bin/python3
"""A BentoService that breaks the protocol in two ways the client must survive.

ServiceMetadata lists "echo" (Text -> Text) and an API whose name holds a NUL byte
("bad\\0name"); Call answers every request with --replies N Text messages ("a") and then OK,
as a server-streaming method would (a unary reply has exactly one), with --trailer-bytes N
a trailing metadata entry of N bytes, with --reply-hex HEX those bytes as the reply. Prints ``PORT <n>`` once
bound. Run with /usr/bin/python3 (Debian's grpcio and protobuf).
"""
import argparse
import os
import sys
from concurrent import futures

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "server"))

import grpc  # noqa: E402

import stubs  # noqa: E402


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--replies", type=int, default=2)
    p.add_argument("--trailer-bytes", type=int, default=0)
    p.add_argument("--reply-hex", help="the reply's bytes (a serialized Response), in hex")
    args = p.parse_args()
    pb = stubs.load().v1

    def metadata(request, context):
        resp = pb.ServiceMetadataResponse(name="misbehaving")
        for name in ("echo", "bad\0name"):
            api = resp.apis.add(name=name)
            api.input.descriptor_id = "bentoml.io.Text"
            api.input.attributes.SetInParent()
            api.output.descriptor_id = "bentoml.io.Text"
            api.output.attributes.SetInParent()
        return resp

    def call(request, context):  # identity serializers: raw bytes in and out
        if args.trailer_bytes:
            context.set_trailing_metadata((("x-big", "a" * args.trailer_bytes),))
        reply = pb.Response(text={"value": "a"}).SerializeToString()
        if args.reply_hex:
            reply = bytes.fromhex(args.reply_hex)
        for _ in range(args.replies):
            yield reply

    handler = grpc.method_handlers_generic_handler("bentoml.grpc.v1.BentoService", {
        "ServiceMetadata": grpc.unary_unary_rpc_method_handler(
            metadata, request_deserializer=pb.ServiceMetadataRequest.FromString,
            response_serializer=pb.ServiceMetadataResponse.SerializeToString),
        "Call": grpc.unary_stream_rpc_method_handler(call),
    })
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    server.add_generic_rpc_handlers((handler,))
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    print(f"PORT {port}", flush=True)
    server.wait_for_termination()


if __name__ == "__main__":
    main()
