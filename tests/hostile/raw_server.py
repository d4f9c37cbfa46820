#!/usr/bin/python3
"""Hand-written TCP peers: what a client meets at the wrong port, and lies gRPC servers refuse.

  raw_server.py --mode http1|garbage|silent|reset|trailer_escape|http2_status|http1_stall_get
                [--replica-hex HEX ...] [--status N]

  http1    answers every connection with an HTTP/1.1 400 reply and closes it
  http1_stall_get
           answers an HTTP/2 preface (a gRPC client) as http1 does, but holds every other
           connection (an HTTP/1.1 request) open without a byte: a look at the server stalls
  garbage  writes 4 KiB of random bytes (not an HTTP/2 preface) and closes
  silent   accepts and holds the connection open, never writing a byte
  reset    accepts and closes at once with an RST (SO_LINGER 0)
  trailer_escape
           a hand-written HTTP/2 gRPC peer: every call gets a Text reply "hi" and trailers
           whose bentoml-replica value holds terminal escapes (gRPC servers refuse to send
           such a value; gRPC clients accept it). With --replica-hex (repeatable), the
           value is those bytes instead, taken in turn by the calls of a connection (the
           first call gets the first, ...), e.g. bytes that are not UTF-8

Prints ``PORT <n>`` on stdout once listening on 127.0.0.1, then serves until killed.
"""
from __future__ import annotations

import argparse
import random
import socket
import struct
import sys
import threading

import wire

HTTP1 = (b"HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nContent-Length: 11\r\n"
         b"Connection: close\r\n\r\nBad Request")
GARBAGE = bytes(random.Random(9).randrange(256) for _ in range(4096))
ESCAPED_REPLICA = b"r1\x1b]0;pwned\x07\x1b[2J"


def h2_frame(ftype: int, flags: int, stream: int, payload: bytes = b"") -> bytes:
    return (struct.pack(">I", len(payload))[1:] + bytes([ftype, flags]) +
            struct.pack(">I", stream) + payload)


def h2_literal(name: bytes, value: bytes) -> bytes:
    """HPACK literal header field without indexing, new name, no Huffman (short strings)."""
    assert len(name) < 127 and len(value) < 127, "one-byte HPACK lengths only"
    return b"\x00" + bytes([len(name)]) + name + bytes([len(value)]) + value


DATA, HEADERS, SETTINGS, PING = 0, 1, 4, 6  # HTTP/2 frame types


def serve_trailer_escape(conn: socket.socket, replicas: list):
    """Answers each stream once the client ends it: headers, a Text reply, trailers whose
    bentoml-replica value is the next of `replicas` (in turn, per connection)."""
    answered = 0
    reply = wire.lfield(wire.Response.TEXT, wire.string_value(b"hi"))

    def answer(stream: int) -> bytes:
        nonlocal answered
        head = h2_literal(b":status", b"200") + h2_literal(b"content-type", b"application/grpc")
        replica = replicas[answered % len(replicas)]
        answered += 1
        tail = h2_literal(b"grpc-status", b"0") + h2_literal(b"bentoml-replica", replica)
        return (h2_frame(HEADERS, 4, stream, head) +
                h2_frame(DATA, 0, stream, b"\0" + struct.pack(">I", len(reply)) + reply) +
                h2_frame(HEADERS, 5, stream, tail))  # END_HEADERS | END_STREAM

    serve_http2(conn, answer)


def serve_http2_status(conn: socket.socket, status: int):
    """What an ingress or web server in front of the port does with a gRPC request: an HTTP/2
    reply with a non-gRPC `status` and an HTML body (no grpc-status), on each stream."""
    body = (f"<html><head><title>{status}</title></head><body><center><h1>{status}</h1>"
            f"</center><hr><center>nginx</center></body></html>\n").encode()

    def answer(stream: int) -> bytes:
        head = (h2_literal(b":status", str(status).encode()) +
                h2_literal(b"content-type", b"text/html") +
                h2_literal(b"content-length", str(len(body)).encode()))
        return h2_frame(HEADERS, 4, stream, head) + h2_frame(DATA, 1, stream, body)

    serve_http2(conn, answer)


def serve_http2(conn: socket.socket, answer):
    """A minimal HTTP/2 server side: reads the preface and frames, acknowledges SETTINGS and
    PING, and sends answer(stream) once the client has ended a stream."""
    data = b""

    def need(n: int):
        nonlocal data
        while len(data) < n:
            chunk = conn.recv(65536)
            if not chunk:
                raise EOFError
            data += chunk

    need(24)  # the client's connection preface
    data = data[24:]
    conn.sendall(h2_frame(SETTINGS, 0, 0))
    while True:  # until the client closes the connection (EOFError)
        need(9)
        length, ftype, flags = int.from_bytes(data[:3], "big"), data[3], data[4]
        stream = int.from_bytes(data[5:9], "big") & 0x7FFFFFFF
        need(9 + length)
        payload, data = data[9:9 + length], data[9 + length:]
        if ftype == SETTINGS and not flags & 1:
            conn.sendall(h2_frame(SETTINGS, 1, 0))  # ACK
        elif ftype == PING and not flags & 1:
            conn.sendall(h2_frame(PING, 1, 0, payload))  # ACK
        elif ftype in (DATA, HEADERS) and flags & 1:  # END_STREAM: the request is in
            conn.sendall(answer(stream))


def serve(conn: socket.socket, mode: str, held: list, replicas: list, status: int):
    try:
        if mode == "silent":
            held.append(conn)  # keep a reference: closing it would tell the client something
            return
        if mode == "reset":
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        elif mode == "http1":
            conn.settimeout(2)
            try:
                conn.recv(65536)  # the client's preface; answer after it like a web server
            except OSError:
                pass
            conn.sendall(HTTP1)
        elif mode == "garbage":
            conn.sendall(GARBAGE)
        elif mode == "trailer_escape":
            serve_trailer_escape(conn, replicas)
        elif mode == "http2_status":
            serve_http2_status(conn, status)
        elif mode == "http1_stall_get":
            conn.settimeout(2)
            try:
                first = conn.recv(65536)
            except OSError:
                first = b""
            if not first.startswith(b"PRI "):  # not gRPC's preface: an HTTP/1.1 request
                held.append(conn)
                return
            conn.sendall(HTTP1)
        conn.close()
    except (OSError, EOFError):
        pass


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", required=True,
                        choices=("http1", "garbage", "silent", "reset", "trailer_escape",
                                 "http2_status", "http1_stall_get"))
    parser.add_argument("--replica-hex", action="append", type=bytes.fromhex, default=[],
                        help="trailer_escape: a bentoml-replica value, as hex (repeatable)")
    parser.add_argument("--status", type=int, default=502,
                        help="http2_status: the HTTP status of every reply (default 502)")
    args = parser.parse_args()
    replicas = args.replica_hex or [ESCAPED_REPLICA]
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    print(f"PORT {sock.getsockname()[1]}", flush=True)
    held: list = []
    while True:
        conn, _ = sock.accept()
        threading.Thread(target=serve, args=(conn, args.mode, held, replicas, args.status), daemon=True).start()


if __name__ == "__main__":
    sys.exit(main())
