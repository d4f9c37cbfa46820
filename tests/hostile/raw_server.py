#!/usr/bin/python3
"""A TCP server that does not speak gRPC: what a client meets at the wrong port.

  raw_server.py --mode http1|garbage|silent|reset

  http1    answers every connection with an HTTP/1.1 400 reply and closes it
  garbage  writes 4 KiB of random bytes (not an HTTP/2 preface) and closes
  silent   accepts and holds the connection open, never writing a byte
  reset    accepts and closes at once with an RST (SO_LINGER 0)

Prints ``PORT <n>`` on stdout once listening on 127.0.0.1, then serves until killed.
"""
from __future__ import annotations

import argparse
import random
import socket
import struct
import sys
import threading

HTTP1 = (b"HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nContent-Length: 11\r\n"
         b"Connection: close\r\n\r\nBad Request")
GARBAGE = bytes(random.Random(9).randrange(256) for _ in range(4096))


def serve(conn: socket.socket, mode: str, held: list):
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
        conn.close()
    except OSError:
        pass


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", required=True, choices=("http1", "garbage", "silent", "reset"))
    args = parser.parse_args()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    print(f"PORT {sock.getsockname()[1]}", flush=True)
    held: list = []
    while True:
        conn, _ = sock.accept()
        threading.Thread(target=serve, args=(conn, args.mode, held), daemon=True).start()


if __name__ == "__main__":
    sys.exit(main())
