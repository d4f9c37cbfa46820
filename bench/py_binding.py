"""The Python package (bindings/python) as a benchmark contender, next to py_client.py's
grpcio: same bench_server, workloads (NumpyNdarray "echo" of 1×N float32) and JSON result
line. One call in flight: blocking Client.call; N: AsyncClient with N calls kept in flight
on one asyncio loop (the library's eventfd via add_reader).

usage: /usr/bin/python3 py_binding.py --url HOST:PORT --workload small|1m [--inflight N]
       [--seconds S] [--warmup-seconds S] [--min-calls N] [--server-pid PID]
(the package: on sys.path or installed; the library: BENTOGRPC_LIBRARY)
"""
import argparse
import asyncio
import json
import os
import resource
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "bindings",
                                "python"))
import bentogrpc  # noqa: E402
from py_client import SIZES, pct, snapshot  # noqa: E402


def make(n):
    return ((np.arange(n) % 1000) * 0.25 + 1.0).astype(np.float32).reshape(1, n)


def check(arr, out):
    a, b = arr.ravel(), out.ravel()
    return a.size == b.size and all(a[i] == b[i] for i in (0, a.size // 2, a.size - 1))


def run_blocking(client, arr, args):
    warm_end = time.monotonic() + args.warmup_seconds
    while time.monotonic() < warm_end:
        assert check(arr, client.call("echo", arr))
    lat, s0 = [], snapshot(args.server_pid)
    t_end = s0["t"] + args.seconds
    while True:
        t0 = time.monotonic()
        if not check(arr, client.call("echo", arr)):
            raise SystemExit("py_binding: the reply is not the echo")
        t1 = time.monotonic()
        lat.append(t1 - t0)
        if t1 >= t_end and len(lat) >= args.min_calls:
            break
    return lat, s0, snapshot(args.server_pid)


async def run_async(url, arr, args):
    client = await bentogrpc.AsyncClient.from_url(url)
    state = {"s0": None, "t_end": 0.0, "lat": [], "warm_end": time.monotonic()
             + args.warmup_seconds}
    if args.warmup_seconds <= 0:
        state["s0"] = snapshot(args.server_pid)
        state["t_end"] = state["s0"]["t"] + args.seconds

    async def worker():
        while True:
            t0 = time.monotonic()
            out = await client.call("echo", arr)
            t = time.monotonic()
            if not check(arr, out):
                raise SystemExit("py_binding: the reply is not the echo")
            if state["s0"] is None and t >= state["warm_end"]:
                state["s0"] = snapshot(args.server_pid)
                state["t_end"] = state["s0"]["t"] + args.seconds
            elif state["s0"] is not None:
                state["lat"].append(t - t0)
                if t >= state["t_end"] and len(state["lat"]) >= args.min_calls:
                    return

    await asyncio.gather(*(worker() for _ in range(args.inflight)))
    s1 = snapshot(args.server_pid)
    await client.close()
    return state["lat"], state["s0"], s1


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", required=True)
    ap.add_argument("--workload", required=True, choices=sorted(SIZES))
    ap.add_argument("--inflight", type=int, default=1)
    ap.add_argument("--seconds", type=float, default=1.0)
    ap.add_argument("--warmup-seconds", type=float, default=0.2)
    ap.add_argument("--min-calls", type=int, default=3)
    ap.add_argument("--server-pid", type=int, default=0)
    ap.add_argument("--direct", action="store_true",
                    help="Client(interruptible=False): Ctrl-C does not cancel calls")
    args = ap.parse_args()
    arr = make(SIZES[args.workload])
    if args.inflight == 1:
        with bentogrpc.Client.from_url(args.url, interruptible=not args.direct) as client:
            lat, s0, s1 = run_blocking(client, arr, args)
    else:
        lat, s0, s1 = asyncio.run(run_async(args.url, arr, args))
    lat.sort()
    elapsed, n = s1["t"] - s0["t"], len(lat)
    cpu = (s1["user"] - s0["user"]) + (s1["sys"] - s0["sys"])
    result = {"contender": "python-bentogrpc" + ("-direct" if args.direct else ""),
              "workload": args.workload,
              "inflight": args.inflight, "calls": n, "seconds": elapsed,
              "calls_per_s": n / elapsed, "p50_us": pct(lat, 0.5) * 1e6,
              "p99_us": pct(lat, 0.99) * 1e6, "cpu_us_per_call": cpu / n * 1e6,
              "maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    sys.exit(main())
