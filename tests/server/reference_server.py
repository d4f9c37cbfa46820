#!/usr/bin/python3
"""Reference BentoML gRPC server for the libbentogrpc tests (see PROTOCOL.md).

Emulates a legacy BentoML service served with ``bentoml serve-grpc``: BentoService
(Call, ServiceMetadata) for one protocol version, and grpc.health.v1.Health/Check and Watch.
Test options: --compress-responses gzip|deflate, --no-service-metadata (see --help).
Older BentoML releases: --bentoml-release X.Y.Z sets what differs between them (README
"BentoML releases"): 1.0.6-1.0.10 serve only v1alpha1, 1.0.11 v1 without ServiceMetadata,
1.0.12 on add ServiceMetadata, and File inputs in the `file` field are accepted before 1.0.16
and refused from 1.0.16 on (--protocol-version, --no-service-metadata, --file-mode).
Prints ``PORT <n>`` on stdout once bound, then serves until SIGTERM/SIGINT, which shut it down
gracefully: NOT_SERVING for --drain-ms (if set), then GOAWAY, in-flight calls finishing
within --shutdown-grace-ms.
Replica tests: --replica-id ID adds trailing metadata ``bentoml-replica: ID`` to every Call
(and ``bentoml-peer``, the client's address, plus ``bentoml-previous-attempts`` on a retry);
SIGUSR1 makes every health name NOT_SERVING, SIGUSR2 SERVING again (Watch streams see it);
--max-connection-age-ms N closes each connection after N ms (gRPC's GOAWAY, not an error).

Run with /usr/bin/python3 (needs grpcio, protobuf and numpy from Debian).
"""
from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
import time
from concurrent import futures

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import grpc  # noqa: E402
from google.protobuf import json_format  # noqa: E402

import stubs  # noqa: E402
from descriptors import Env, Multipart, pick_field, set_member  # noqa: E402
from errors import status_for_exception  # noqa: E402
from service import CallContext, Service, build_service  # noqa: E402

log = logging.getLogger("reference_server")

# The BentoML e2e service's interceptor adds these to every unary response (§8 case 2).
E2E_TRAILERS = (("usage", "NLP"), ("accuracy_score", "0.8247"))

COMPRESSION = {None: None, "gzip": grpc.Compression.Gzip, "deflate": grpc.Compression.Deflate}


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--listen", action="append", metavar="ADDR",
                   help="address to bind (repeatable): 127.0.0.1:0, [::1]:0, unix:/path "
                        "(default 127.0.0.1:0)")
    p.add_argument("--protocol-version", choices=("v1", "v1alpha1"),
                   help="BentoService version to serve (default v1, or the release's)")
    p.add_argument("--proto-dir", default=stubs.DEFAULT_PROTO_DIR)
    p.add_argument("--no-access-log", action="store_true",
                   help="unknown api_name -> UNKNOWN instead of INTERNAL (§5.2)")
    p.add_argument("--file-mode", choices=("broken", "intended"),
                   help="File descriptor behaviour: BentoML 1.0.16 to HEAD (broken: the `file` "
                        "field refused) or documented and before 1.0.16 (intended: accepted) "
                        "(§4.6; default broken, or the release's)")
    p.add_argument("--bentoml-release", metavar="X.Y.Z",
                   help="behave like this BentoML release where releases differ: the "
                        "services registered, ServiceMetadata, the File field (1.0.6 or later)")
    p.add_argument("--health-status", choices=("SERVING", "NOT_SERVING"), default="SERVING")
    p.add_argument("--startup-delay-ms", type=int, default=0,
                   help="report NOT_SERVING (and refuse calls) for this long after start")
    p.add_argument("--slow-ms", type=int, default=3000, help="delay of slow_echo_ndarray")
    p.add_argument("--e2e-trailers", action="store_true",
                   help="add BentoML e2e trailing metadata (usage, accuracy_score) to responses")
    p.add_argument("--tls-cert", help="PEM server certificate chain (with --tls-key: TLS)")
    p.add_argument("--tls-key", help="PEM server private key")
    p.add_argument("--tls-ca", help="PEM CA bundle: require and verify client certificates")
    p.add_argument("--compress-responses", choices=("gzip", "deflate"),
                   help="compress every response message with this algorithm")
    p.add_argument("--no-service-metadata", action="store_true",
                   help="serve BentoService without the ServiceMetadata method (UNIMPLEMENTED)")
    p.add_argument("--no-health-watch", action="store_true",
                   help="serve Health/Check only: Watch answers UNIMPLEMENTED (an older server)")
    p.add_argument("--no-bento-service", action="store_true",
                   help="serve no BentoService at all, only grpc.health.v1.Health knowing '' "
                        "and its own name: a gRPC server that is not BentoML")
    p.add_argument("--replica-id", help="trailing metadata bentoml-replica: ID on every Call")
    p.add_argument("--max-connection-age-ms", type=int, default=0,
                   help="grpc.max_connection_age_ms: GOAWAY each connection after this long")
    p.add_argument("--shutdown-grace-ms", type=int, default=500,
                   help="on SIGTERM, how long in-flight calls may finish (default 500)")
    p.add_argument("--drain-ms", type=int, default=0,
                   help="on SIGTERM, first report NOT_SERVING and keep serving this long, so "
                        "health-checking clients move away before the GOAWAY (default 0)")
    p.add_argument("--fail-first-calls", type=int, default=0, metavar="N",
                   help="the first N Calls fail with UNAVAILABLE (proves a client retried)")
    p.add_argument("--workers", type=int, default=16)
    p.add_argument("-v", "--verbose", action="store_true", help="log every failed call")
    args = p.parse_args(argv)
    args.listen = args.listen or ["127.0.0.1:0"]
    apply_release(p, args)
    if bool(args.tls_cert) != bool(args.tls_key) or (args.tls_ca and not args.tls_cert):
        p.error("--tls-cert and --tls-key go together; --tls-ca needs them")
    return args


def release_traits(release: str) -> dict:
    """What a BentoML release serves over gRPC, where releases differ (README "BentoML
    releases"): the protocol versions it has, ServiceMetadata, the File descriptor's field."""
    try:
        version = tuple(int(x) for x in release.split("."))
    except ValueError:
        raise ValueError(f"--bentoml-release takes X.Y.Z, e.g. 1.0.10 (got {release!r})")
    if len(version) != 3:
        raise ValueError(f"--bentoml-release takes X.Y.Z, e.g. 1.0.10 (got {release!r})")
    if version < (1, 0, 6):
        raise ValueError(f"BentoML {release} has no gRPC server (gRPC came in 1.0.6)")
    return {"versions": ("v1alpha1",) if version <= (1, 0, 10) else ("v1", "v1alpha1"),
            "service_metadata": version >= (1, 0, 12),
            "file_mode": "intended" if version < (1, 0, 16) else "broken"}


def apply_release(p: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """--bentoml-release fills the release's defaults; flags that contradict it are refused."""
    if args.bentoml_release is None:
        args.protocol_version = args.protocol_version or "v1"
        args.file_mode = args.file_mode or "broken"
        return
    try:
        traits = release_traits(args.bentoml_release)
    except ValueError as e:
        p.error(str(e))
    if args.protocol_version and args.protocol_version not in traits["versions"]:
        p.error(f"BentoML {args.bentoml_release} serves only {', '.join(traits['versions'])}")
    if args.file_mode and args.file_mode != traits["file_mode"]:
        p.error(f"BentoML {args.bentoml_release} has --file-mode {traits['file_mode']}")
    args.protocol_version = args.protocol_version or traits["versions"][0]
    args.file_mode = traits["file_mode"]
    if not traits["service_metadata"]:
        args.no_service_metadata = True


class Readiness:
    """Health state: every registered name flips to the configured status after the delay."""

    def __init__(self, names, status: str, delay_ms: int):
        self.names = set(names)
        self.status = status
        self.ready_at = time.monotonic() + delay_ms / 1000.0
        self.changed = threading.Condition()

    def set_status(self, status: str) -> None:
        """SIGUSR1/SIGUSR2: flip every name; Watch streams are woken to send it."""
        with self.changed:
            self.status = status
            self.changed.notify_all()

    def ready(self) -> bool:
        return time.monotonic() >= self.ready_at

    def status_of(self, name: str) -> str | None:
        if name not in self.names:
            return None
        return self.status if self.ready() else "NOT_SERVING"


# --------------------------------------------------------------------------- handlers

class Handlers:
    def __init__(self, args, pbs: stubs.Stubs, service: Service):
        self.args = args
        self.pbs = pbs
        self.pb = pbs.bento(args.protocol_version)
        self.env = Env(pb=self.pb, version=args.protocol_version, file_mode=args.file_mode)
        self.service = service
        self.bento_name = f"bentoml.grpc.{args.protocol_version}.BentoService"
        names = ["", "grpc.health.v1.Health"] + ([] if args.no_bento_service
                                                   else [self.bento_name])
        self.readiness = Readiness(names, args.health_status, args.startup_delay_ms)
        self.lock = threading.Lock()
        self.calls = 0  # Calls received, for --fail-first-calls

    # ---- helpers

    def _trailers(self, context, extra=()) -> None:
        trailers = list(extra)
        if self.args.replica_id is not None:  # which replica, over which connection
            trailers.append(("bentoml-replica", self.args.replica_id))
            trailers.append(("bentoml-peer", context.peer()))
        if self.args.e2e_trailers:
            trailers.extend(E2E_TRAILERS)
        if trailers:
            context.set_trailing_metadata(tuple(trailers))

    def _abort(self, context, code, details, trailers=()):
        self._trailers(context, trailers)
        context.abort(code, details)

    # ---- grpc.health.v1.Health/Check

    def health_check(self, request, context):
        status = self.readiness.status_of(request.service)
        if status is None:
            self._abort(context, grpc.StatusCode.NOT_FOUND, "")
        self._trailers(context)
        hc = self.pbs.health.HealthCheckResponse
        return hc(status=hc.ServingStatus.Value(status))

    # ---- grpc.health.v1.Health/Watch: the current status, then every change, until cancelled

    def health_watch(self, request, context):
        hc = self.pbs.health.HealthCheckResponse
        last = None
        while context.is_active():
            status = self.readiness.status_of(request.service) or "SERVICE_UNKNOWN"
            if status != last:
                yield hc(status=hc.ServingStatus.Value(status))
                last = status
            with self.readiness.changed:  # woken by a flip; the timeout sees the startup delay
                self.readiness.changed.wait(0.1)

    # ---- BentoService/ServiceMetadata (v1 only)

    def service_metadata(self, request, context):
        if not self.readiness.ready():
            self._abort(context, grpc.StatusCode.UNAVAILABLE, "Server is starting up.")
        resp = self.pb.ServiceMetadataResponse(name=self.service.name, docs=self.service.docs)
        for api in self.service.apis.values():
            entry = resp.apis.add(name=api.name)
            set_member(entry, "input", self._descriptor_metadata(api.input))
            set_member(entry, "output", self._descriptor_metadata(api.output))
            if api.doc is not None:
                entry.docs = api.doc
        self._trailers(context)
        return resp

    def _descriptor_metadata(self, descriptor):
        """§3.1: descriptor_id = spec["id"], attributes = the other keys as a Struct."""
        md = self.pb.ServiceMetadataResponse.DescriptorMetadata()
        spec = descriptor.spec()
        if spec is None:
            return md  # third-party descriptor without a spec: completely empty
        spec = dict(spec)
        md.descriptor_id = spec.pop("id")
        json_format.ParseDict(_tuples_to_lists(spec), md.attributes)
        md.attributes.SetInParent()  # Text: present but empty
        return md

    # ---- BentoService/Call

    def call(self, received, context):
        request, size = received
        if not self.readiness.ready():
            self._abort(context, grpc.StatusCode.UNAVAILABLE, "Server is starting up.")
        with self.lock:
            self.calls += 1
            count = self.calls
        if count <= self.args.fail_first_calls:
            self._abort(context, grpc.StatusCode.UNAVAILABLE,
                        f"--fail-first-calls: call {count} fails")
        api = self.service.apis.get(request.api_name)
        if api is None:
            self._unknown_api(context)
        metadata = list(context.invocation_metadata())
        # grpc core normally consumes grpc-encoding before the application sees the metadata.
        encoding = next((v for k, v in metadata if k == "grpc-encoding"), None)
        ctx = CallContext(grpc_context=context, metadata=metadata, trailing=[],
                          slow_ms=self.args.slow_ms, request_bytes=size, request_encoding=encoding)
        if self.args.replica_id is not None:  # a client's retry: which attempt this is
            attempts = next((v for k, v in metadata if k == "grpc-previous-rpc-attempts"), None)
            if attempts is not None:
                ctx.trailing.append(("bentoml-previous-attempts", attempts))
        log.info("%s: request %d bytes, grpc-encoding %s", api.name, size, encoding or "unseen")
        try:
            response = self._run(api, request, ctx)
        except Exception as exc:  # mapped exactly like BentoML's servicer (§5.2)
            code, details = status_for_exception(exc)
            log.info("%s failed: %s: %s", api.name, type(exc).__name__, exc,
                     exc_info=self.args.verbose)
            self._abort(context, code, details, ctx.trailing)
        self._trailers(context, ctx.trailing)
        return response

    def _unknown_api(self, context):
        msg = f"given 'api_name' is not defined in {self.service.name}"
        if self.args.no_access_log:
            # gRPC's own handler reports the uncaught InvalidArgument.
            self._abort(context, grpc.StatusCode.UNKNOWN,
                        f"Unexpected <class 'bentoml.exceptions.InvalidArgument'>: {msg}")
        # BentoML's access-log interceptor turns it into INTERNAL.
        self._abort(context, grpc.StatusCode.INTERNAL, msg)

    def _run(self, api, request, ctx):
        field = pick_field(request, "content", api.input, self.env)
        value = api.input.from_proto(field, self.env)
        extra = (ctx,) if api.wants_context else ()
        if isinstance(api.input, Multipart):
            if not api.is_async:
                # BentoML's thread off-loading helper takes no keyword arguments.
                raise TypeError("run_sync() got an unexpected keyword argument")
            output = api.func(*extra, **value)
        else:
            output = api.func(value, *extra)
        encoded = api.output.to_proto(output, self.env)
        member = api.output.proto_fields(self.env)[0]  # broken File: IndexError -> INTERNAL
        response = self.pb.Response()
        set_member(response, member, encoded)
        return response


def _tuples_to_lists(value):
    if isinstance(value, (tuple, list)):
        return [_tuples_to_lists(v) for v in value]
    if isinstance(value, dict):
        return {k: _tuples_to_lists(v) for k, v in value.items()}
    return value


# --------------------------------------------------------------------------- server

def generic_handlers(h: Handlers, pbs: stubs.Stubs, version: str):
    pb = pbs.bento(version)
    unary = grpc.unary_unary_rpc_method_handler
    # Call receives (Request, size of the serialized Request as received, decompressed).
    bento = {"Call": unary(h.call,
                           request_deserializer=lambda b: (pb.Request.FromString(b), len(b)),
                           response_serializer=pb.Response.SerializeToString)}
    if version == "v1" and not h.args.no_service_metadata:
        bento["ServiceMetadata"] = unary(
            h.service_metadata, request_deserializer=pb.ServiceMetadataRequest.FromString,
            response_serializer=pb.ServiceMetadataResponse.SerializeToString)
    health = {"Check": unary(
        h.health_check, request_deserializer=pbs.health.HealthCheckRequest.FromString,
        response_serializer=pbs.health.HealthCheckResponse.SerializeToString),
        "Watch": grpc.unary_stream_rpc_method_handler(
            h.health_watch, request_deserializer=pbs.health.HealthCheckRequest.FromString,
            response_serializer=pbs.health.HealthCheckResponse.SerializeToString)}
    if h.args.no_health_watch:
        del health["Watch"]
    health_handler = grpc.method_handlers_generic_handler("grpc.health.v1.Health", health)
    if h.args.no_bento_service:
        return (health_handler,)
    return (grpc.method_handlers_generic_handler(h.bento_name, bento), health_handler)


def server_credentials(args):
    """None for plaintext; TLS with cert+key; mTLS (client certs required) with a CA too."""
    if not args.tls_cert:
        return None

    def read(path):
        with open(path, "rb") as f:
            return f.read()

    ca = read(args.tls_ca) if args.tls_ca else None
    return grpc.ssl_server_credentials([(read(args.tls_key), read(args.tls_cert))],
                                       root_certificates=ca, require_client_auth=ca is not None)


def bind(server, addresses, creds) -> int:
    """Bind every address; return the port of the first TCP one (0 if unix only)."""
    first_tcp = None
    for addr in addresses:
        try:
            port = (server.add_secure_port(addr, creds) if creds
                    else server.add_insecure_port(addr))
        except RuntimeError as e:
            raise SystemExit(f"reference_server: cannot bind {addr}: {e}")
        if not port:
            raise SystemExit(f"reference_server: cannot bind {addr}")
        if first_tcp is None and not addr.startswith(("unix:", "unix-abstract:")):
            first_tcp = port
    return first_tcp or 0


def connection_age_options(args):
    """--max-connection-age-ms: GOAWAY after the age; calls in flight get 10 s to finish."""
    if args.max_connection_age_ms <= 0:
        return []
    return [("grpc.max_connection_age_ms", args.max_connection_age_ms),
            ("grpc.max_connection_age_grace_ms", 10000)]


def main(argv=None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        stream=sys.stderr, format="reference_server: %(message)s")
    pbs = stubs.load(args.proto_dir)
    handlers = Handlers(args, pbs, build_service())
    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=args.workers),
        handlers=generic_handlers(handlers, pbs, args.protocol_version),
        compression=COMPRESSION[args.compress_responses],
        # BentoML's default max_message_length is -1 (unlimited) in both directions.
        options=[("grpc.max_receive_message_length", -1),
                 ("grpc.max_send_message_length", -1),
                 ("grpc.so_reuseport", 0)] + connection_age_options(args))
    port = bind(server, args.listen, server_credentials(args))

    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    signal.signal(signal.SIGUSR1, lambda *_: handlers.readiness.set_status("NOT_SERVING"))
    signal.signal(signal.SIGUSR2, lambda *_: handlers.readiness.set_status("SERVING"))
    server.start()
    print(f"PORT {port}", flush=True)
    while not stop.wait(0.2):
        pass
    if args.drain_ms > 0:
        # gRPC Core's shutdown cancels the calls queued but not yet handed to a worker
        # (CANCELLED at the client): health first, so that clients stop sending.
        handlers.readiness.set_status("NOT_SERVING")
        time.sleep(args.drain_ms / 1000.0)
    server.stop(args.shutdown_grace_ms / 1000.0).wait()  # GOAWAY; in-flight calls drain
    return 0


if __name__ == "__main__":
    sys.exit(main())
