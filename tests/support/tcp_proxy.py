#!/usr/bin/python3
"""Byte-counting loopback TCP proxy for the libbentogrpc tests.

    tcp_proxy.py --target 127.0.0.1:PORT [--stats FILE]

Listens on 127.0.0.1:0 and prints ``PORT <n>`` on stdout once bound. Every accepted
connection is relayed to the target, both ways. The running totals over all connections
are written as ``UP <client->server bytes> DOWN <server->client bytes>\\n`` to FILE at
start-up and for every relayed chunk, before it is forwarded (so once a peer has received
bytes, the file counts them). The file is replaced atomically: a reader never sees a partial
line. Exits 0 on SIGTERM or SIGINT.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys

CHUNK = 65536


class Proxy:
    def __init__(self, target_host: str, target_port: int, stats: str | None):
        self.target = (target_host, target_port)
        self.stats = stats
        self.up = 0
        self.down = 0
        self.tasks: set[asyncio.Task] = set()

    def write_stats(self) -> None:
        if not self.stats:
            return
        tmp = f"{self.stats}.tmp{os.getpid()}"
        with open(tmp, "w") as f:
            f.write(f"UP {self.up} DOWN {self.down}\n")
        os.replace(tmp, self.stats)

    async def pump(self, reader, writer, direction: str) -> None:
        try:
            while True:
                data = await reader.read(CHUNK)
                if not data:
                    break
                # Count first: once the peer has the bytes, the file already includes them.
                if direction == "up":
                    self.up += len(data)
                else:
                    self.down += len(data)
                self.write_stats()
                writer.write(data)
                await writer.drain()
            if writer.can_write_eof():
                writer.write_eof()  # half-close: pass the FIN on
        except (ConnectionError, OSError):
            writer.close()

    async def handle(self, c_reader, c_writer) -> None:
        task = asyncio.current_task()
        self.tasks.add(task)
        try:
            try:
                s_reader, s_writer = await asyncio.open_connection(*self.target)
            except OSError:
                c_writer.close()
                return
            await asyncio.gather(self.pump(c_reader, s_writer, "up"),
                                 self.pump(s_reader, c_writer, "down"))
            for w in (s_writer, c_writer):
                w.close()
        finally:
            self.tasks.discard(task)


def parse_target(value: str) -> tuple[str, int]:
    host, sep, port = value.rpartition(":")
    if not sep or not port.isdigit():
        raise argparse.ArgumentTypeError(f"expected HOST:PORT, got {value!r}")
    return host.strip("[]") or "127.0.0.1", int(port)


async def run(args) -> int:
    proxy = Proxy(*args.target, args.stats)
    proxy.write_stats()
    server = await asyncio.start_server(proxy.handle, "127.0.0.1", args.port)
    port = server.sockets[0].getsockname()[1]
    print(f"PORT {port}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    server.close()
    for task in list(proxy.tasks):
        task.cancel()
    await asyncio.gather(*proxy.tasks, return_exceptions=True)
    proxy.write_stats()
    return 0


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--target", required=True, type=parse_target, metavar="HOST:PORT")
    p.add_argument("--stats", metavar="FILE", help="file receiving 'UP <n> DOWN <n>' totals")
    p.add_argument("--port", type=int, default=0, help="port to listen on (default: any)")
    return asyncio.run(run(p.parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())
