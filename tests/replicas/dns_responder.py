#!/usr/bin/python3
"""A tiny DNS responder for the replica tests: gRPC's c-ares resolver, pointed at it with a
target such as dns://127.0.0.1:PORT/replicas.test:3000, learns that NAME has the given IPv4
addresses (A records, TTL 1 s). AAAA queries get an empty answer, other names NXDOMAIN.
UDP only, on 127.0.0.1; prints ``PORT <n>`` once bound; serves until killed.

    dns_responder.py --name replicas.test --address 127.0.0.1 --address 127.0.0.2
"""
from __future__ import annotations

import argparse
import socket
import struct
import sys

TYPE_A, TYPE_AAAA, CLASS_IN = 1, 28, 1


def parse_question(packet: bytes):
    """(query id, flags, qname as text, qtype, end of the question) or None if malformed."""
    if len(packet) < 12:
        return None
    qid, flags, qdcount = struct.unpack("!HHH", packet[:6])
    if qdcount != 1:
        return None
    labels, pos = [], 12
    while pos < len(packet) and packet[pos] != 0:
        n = packet[pos]
        if n & 0xC0 or pos + 1 + n > len(packet):
            return None
        labels.append(packet[pos + 1:pos + 1 + n].decode("ascii", "replace"))
        pos += 1 + n
    pos += 1
    if pos + 4 > len(packet):
        return None
    qtype, _qclass = struct.unpack("!HH", packet[pos:pos + 4])
    return qid, flags, ".".join(labels).lower(), qtype, pos + 4


def answer(packet: bytes, name: str, addresses: list[bytes]) -> bytes | None:
    q = parse_question(packet)
    if q is None:
        return None
    qid, flags, qname, qtype, end = q
    question = packet[12:end]
    known = qname == name
    answers = addresses if known and qtype == TYPE_A else []
    rcode = 0 if known else 3  # NXDOMAIN for other names
    out_flags = 0x8000 | 0x0400 | (flags & 0x0100) | 0x0080 | rcode  # QR AA RD RA
    header = struct.pack("!HHHHHH", qid, out_flags, 1, len(answers), 0, 0)
    records = b"".join(struct.pack("!HHHIH", 0xC00C, TYPE_A, CLASS_IN, 1, 4) + a
                       for a in answers)
    return header + question + records


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--name", required=True)
    p.add_argument("--address", action="append", required=True)
    args = p.parse_args()
    addresses = [socket.inet_aton(a) for a in args.address]
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    print(f"PORT {sock.getsockname()[1]}", flush=True)
    while True:
        packet, peer = sock.recvfrom(4096)
        reply = answer(packet, args.name.lower().rstrip("."), addresses)
        if reply is not None:
            sock.sendto(reply, peer)


if __name__ == "__main__":
    sys.exit(main())
