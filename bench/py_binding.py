"""The Python package (bindings/python) as a benchmark contender, next to py_client.py's
grpcio: same bench_server, workloads (NumpyNdarray "echo" of 1×N float32; df10k, a
pandas.DataFrame of 10 000 rows × 8 columns through PandasDataFrame "echo_df"; text4k, a 4 KB
str through Text "echo_text"; json, bench/payload.json's 1 KB document, a dict, through JSON
"echo_json") and JSON result line. One call in flight: blocking Client.call; N: AsyncClient with N calls kept in flight
on one asyncio loop (the library's eventfd via add_reader).

usage: /usr/bin/python3 py_binding.py --url HOST:PORT --workload small|1m|df10k|text4k|json
       [--inflight N] [--seconds S] [--warmup-seconds S] [--min-calls N] [--server-pid PID]
       [--payload-json FILE (json; default bench/payload.json)]
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
from py_client import SIZES, Workload, pct, snapshot  # noqa: E402

OTHER = ("df10k", "text4k", "json")  # workloads beyond SIZES, built by py_client.Workload


def make(n):
    return ((np.arange(n) % 1000) * 0.25 + 1.0).astype(np.float32).reshape(1, n)


class Input:
    """The call's API, its input (the same object every call, as a caller's data) and the
    check of the reply."""

    def __init__(self, name, payload_json=None):
        if name in SIZES:
            self.api, self.obj = "echo", make(SIZES[name])
            self.payload_bytes = self.obj.nbytes
        else:
            w = Workload(None, name, payload_json)
            self.api, self.payload_bytes = w.api, w.payload_bytes
            self.obj = {"df10k": lambda: w.df, "text4k": lambda: w.text,
                        "json": lambda: w.doc}[name]()

    def __call__(self, out):  # True when `out` is the echo
        a = self.obj
        if self.api == "echo_text":
            return out == a
        if self.api == "echo_json":  # as cheap as py_client.py's check: the same keys
            return type(out) is dict and out.keys() == a.keys()
        if self.api == "echo_df":
            return list(out.columns) == list(a.columns) and len(out) == len(a) and all(
                out[c].iloc[r] == a[c].iloc[r] for c in a.columns
                for r in (0, len(a) // 2, len(a) - 1))
        x, y = a.ravel(), out.ravel()
        return x.size == y.size and all(x[i] == y[i] for i in (0, x.size // 2, x.size - 1))


def run_blocking(client, inp, args):
    warm_end = time.monotonic() + args.warmup_seconds
    while time.monotonic() < warm_end:
        assert inp(client.call(inp.api, inp.obj))
    lat, s0 = [], snapshot(args.server_pid)
    t_end = s0["t"] + args.seconds
    while True:
        t0 = time.monotonic()
        if not inp(client.call(inp.api, inp.obj)):
            raise SystemExit("py_binding: the reply is not the echo")
        t1 = time.monotonic()
        lat.append(t1 - t0)
        if t1 >= t_end and len(lat) >= args.min_calls:
            break
    return lat, s0, snapshot(args.server_pid)


async def run_async(url, inp, args):
    client = await bentogrpc.AsyncClient.from_url(url)
    state = {"s0": None, "t_end": 0.0, "lat": [], "warm_end": time.monotonic()
             + args.warmup_seconds}
    if args.warmup_seconds <= 0:
        state["s0"] = snapshot(args.server_pid)
        state["t_end"] = state["s0"]["t"] + args.seconds

    async def worker():
        while True:
            t0 = time.monotonic()
            out = await client.call(inp.api, inp.obj)
            t = time.monotonic()
            if not inp(out):
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
    ap.add_argument("--workload", required=True, choices=sorted(SIZES) + list(OTHER))
    ap.add_argument("--inflight", type=int, default=1)
    ap.add_argument("--seconds", type=float, default=1.0)
    ap.add_argument("--warmup-seconds", type=float, default=0.2)
    ap.add_argument("--min-calls", type=int, default=3)
    ap.add_argument("--server-pid", type=int, default=0)
    ap.add_argument("--direct", action="store_true",
                    help="Client(interruptible=False): Ctrl-C does not cancel calls")
    ap.add_argument("--payload-json", default=os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "payload.json"))  # the json workload's
    args = ap.parse_args()
    inp = Input(args.workload, args.payload_json)
    if args.inflight == 1:
        with bentogrpc.Client.from_url(args.url, interruptible=not args.direct) as client:
            lat, s0, s1 = run_blocking(client, inp, args)
    else:
        lat, s0, s1 = asyncio.run(run_async(args.url, inp, args))
    lat.sort()
    elapsed, n = s1["t"] - s0["t"], len(lat)
    cpu_user, cpu_sys = s1["user"] - s0["user"], s1["sys"] - s0["sys"]
    # the fields of py_client.py's line, so that report.py can show it in bench/run.sh's table
    result = {"contender": "python-bentogrpc" + ("-direct" if args.direct else ""),
              "workload": args.workload,
              "inflight": args.inflight, "calls": n, "seconds": elapsed,
              "calls_per_s": n / elapsed, "mb_per_s": inp.payload_bytes * n / elapsed / 1e6,
              "payload_bytes": inp.payload_bytes,
              "p50_us": pct(lat, 0.5) * 1e6, "p90_us": pct(lat, 0.9) * 1e6,
              "p99_us": pct(lat, 0.99) * 1e6, "mean_us": sum(lat) / n * 1e6,
              "cpu_user_s": cpu_user, "cpu_sys_s": cpu_sys,
              "cpu_us_per_call": (cpu_user + cpu_sys) / n * 1e6,
              "minflt_per_call": (s1["minflt"] - s0["minflt"]) / n,
              "maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}
    if s0["server"] is not None:
        server = s1["server"] - s0["server"]
        result["server_cpu_us_per_call"] = server / n * 1e6
        other = s1["busy"] - s0["busy"] - cpu_user - cpu_sys - server
        result["other_cpu_pct"] = other / elapsed / os.cpu_count() * 100
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    sys.exit(main())
