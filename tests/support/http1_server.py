#!/usr/bin/python3
"""An HTTP/1.1 server at the address a gRPC client was pointed at: what a user who mixes up
ports reaches. With --bentoml it answers like BentoML's HTTP server (`bentoml serve`):
GET /livez, /readyz and /healthz answer 200, /docs.json an OpenAPI document, /metrics
Prometheus text; every other path (and every path without --bentoml) answers 404. A gRPC
client's HTTP/2 preface ("PRI * HTTP/2.0") gets http.server's own 505 reply; bytes that cannot
start a request (a TLS ClientHello) a 400 at once, as uvicorn (BentoML's server) answers them.

  http1_server.py [--bentoml] [--log FILE]

--log FILE appends one line per request ("METHOD PATH") to FILE, so a test can tell whether
anything probed the server. Prints ``PORT <n>`` once listening on 127.0.0.1, then serves until
killed.
"""
from __future__ import annotations

import argparse
import http.server
import sys

OPENAPI = (b'{"openapi": "3.0.2", "info": {"title": "iris_classifier", "version": "1.0"}, '
           b'"paths": {"/healthz": {}, "/livez": {}, "/readyz": {}, "/metrics": {}, '
           b'"/classify": {}}}')
METRICS = b"# HELP bentoml_api_server_request_total Multiprocess metric\n"


def handler(bentoml: bool, log: str | None):
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "uvicorn" if bentoml else "plain-http"
        sys_version = ""

        def do_GET(self):  # noqa: N802 (http.server's name)
            if log:
                with open(log, "a") as f:
                    f.write(f"GET {self.path}\n")
            routes = {"/livez": (b"\n", "text/plain"), "/readyz": (b"\n", "text/plain"),
                      "/healthz": (b"\n", "text/plain"),
                      "/docs.json": (OPENAPI, "application/json"),
                      "/metrics": (METRICS, "text/plain; version=0.0.4")} if bentoml else {}
            body, ctype = routes.get(self.path, (b"<html><body>Not Found</body></html>",
                                                 "text/html"))
            self.send_response(200 if self.path in routes else 404)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):  # quiet: stderr is the test's
            pass

        def handle_one_request(self):
            # Bytes that cannot start a request (a TLS ClientHello begins with 0x16) get a 400
            # at once, as uvicorn's parser does; http.server would wait for a newline.
            first = self.rfile.peek(1)[:1]
            if first and not first.isupper():
                self.wfile.write(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n"
                                 b"connection: close\r\n\r\n")
                self.close_connection = True
                return
            super().handle_one_request()

    return Handler


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--bentoml", action="store_true", help="serve BentoML's health endpoints")
    p.add_argument("--log", help="append 'METHOD PATH' per request to this file")
    args = p.parse_args()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler(args.bentoml, args.log))
    server.daemon_threads = True
    print(f"PORT {server.server_address[1]}", flush=True)
    server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
