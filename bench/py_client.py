"""Python grpcio contender: what BentoML's own client does for every call.

NumpyNdarray: numpy array -> NDArray(dtype, shape, float_values=arr.ravel().tolist()) and back
with np.array(list(values), dtype).reshape(shape). JSON: json round trip + ParseDict into a
google.protobuf.Value, MessageToDict back. Calls go through grpc.Channel.unary_unary with the
message classes' serializers (no grpc plugin). One call in flight: blocking calls; N: N
futures kept in flight from the main thread. Prints the same JSON line as bench/harness.c.

usage: /usr/bin/python3 py_client.py --stubs DIR --url HOST:PORT --workload W [--inflight N]
       [--seconds S] [--warmup-seconds S] [--min-calls N] [--server-pid PID] [--payload-json F]
"""
import argparse
import importlib.util
import json
import math
import os
import queue
import resource
import sys
import time

import grpc
import numpy as np
from google.protobuf import json_format, struct_pb2

SIZES = {"small": 4, "1k": 1024, "1m": 1 << 20, "16m": 16 << 20}


def load_stubs(stubs_dir):
    path = os.path.join(stubs_dir, "bentoml", "grpc", "v1", "service_pb2.py")
    spec = importlib.util.spec_from_file_location("_bench_service_pb2", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def server_cpu(pid):
    if not pid:
        return None
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime


def machine_busy():
    with open("/proc/stat") as f:
        user, nice, system, _idle, _iowait, irq, softirq = map(int, f.readline().split()[1:8])
    return (user + nice + system + irq + softirq) / os.sysconf("SC_CLK_TCK")


def snapshot(pid):
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return {"user": ru.ru_utime, "sys": ru.ru_stime, "minflt": ru.ru_minflt,
            "server": server_cpu(pid), "busy": machine_busy(), "t": time.monotonic()}


class Workload:
    def __init__(self, pb, name, payload_json):
        self.pb, self.name = pb, name
        if name in ("json", "json64k", "json1m"):
            # json64k, json1m: "[P,P,...,P]", the fewest copies of the payload that reach
            # 64 KiB / 1 MiB (the text harness.c builds)
            text = open(payload_json, "rb").read().decode()
            target = {"json": 1, "json64k": 64 << 10, "json1m": 1 << 20}[name]
            if target > 1:
                copies = 1
                while 2 + copies * len(text) + copies - 1 < target:
                    copies += 1
                text = "[" + ",".join([text] * copies) + "]"
            self.doc = json.loads(text)
            self.payload_bytes = len(text.encode())
            self.api = "echo_json"
        else:
            n = SIZES[name]
            self.arr = ((np.arange(n) % 1000) * 0.25 + 1.0).astype(np.float32).reshape(1, n)
            self.payload_bytes = self.arr.nbytes
            self.api = "echo"

    def request(self):
        pb = self.pb
        if self.api == "echo_json":
            value = json_format.ParseDict(json.loads(json.dumps(self.doc)), struct_pb2.Value())
            return pb.Request(api_name=self.api, json=value)
        arr = self.arr
        nd = pb.NDArray(dtype=pb.NDArray.DTYPE_FLOAT, shape=arr.shape,
                        float_values=arr.ravel().tolist())
        return pb.Request(api_name=self.api, ndarray=nd)

    def check(self, response):
        if self.api == "echo_json":
            return json_format.MessageToDict(response.json) is not None
        nd = response.ndarray
        out = np.array(list(nd.float_values), dtype=np.float32).reshape(tuple(nd.shape))
        a, b = self.arr.ravel(), out.ravel()
        return a.size == b.size and all(a[i] == b[i] for i in (0, a.size // 2, a.size - 1))


def run_blocking(call, w, args):
    lat = []
    warm_end = time.monotonic() + args.warmup_seconds
    while time.monotonic() < warm_end:  # warm-up
        assert w.check(call(w.request()))
    s0 = snapshot(args.server_pid)
    t_end = s0["t"] + args.seconds
    while True:
        t0 = time.monotonic()
        if not w.check(call(w.request())):
            raise SystemExit("py: the reply is not the echo")
        t1 = time.monotonic()
        lat.append(t1 - t0)
        if t1 >= t_end and len(lat) >= args.min_calls:
            break
    return lat, s0, snapshot(args.server_pid)


def run_futures(call, w, args):
    done = queue.SimpleQueue()
    started = [0.0] * args.inflight

    def submit(slot):
        started[slot] = time.monotonic()
        call.future(w.request()).add_done_callback(lambda f, s=slot: done.put((s, f)))

    for slot in range(args.inflight):
        submit(slot)
    lat, outstanding, s0, t_end = [], args.inflight, None, 0.0
    warm_end = time.monotonic() + args.warmup_seconds
    if args.warmup_seconds <= 0:  # no warm-up: measure from the first call
        s0 = snapshot(args.server_pid)
        t_end = s0["t"] + args.seconds
    while outstanding:
        slot, future = done.get()
        outstanding -= 1
        if not w.check(future.result()):
            raise SystemExit("py: the reply is not the echo")
        t = time.monotonic()
        if s0 is None and t >= warm_end:
            s0 = snapshot(args.server_pid)
            t_end = s0["t"] + args.seconds
        elif s0 is not None:
            lat.append(t - started[slot])
        if s0 is None or t < t_end or len(lat) + outstanding < args.min_calls:
            submit(slot)
            outstanding += 1
    return lat, s0, snapshot(args.server_pid)


def pct(sorted_lat, p):
    return sorted_lat[max(0, math.ceil(p * len(sorted_lat)) - 1)]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--stubs", required=True)
    ap.add_argument("--url", required=True)
    ap.add_argument("--workload", required=True)
    ap.add_argument("--inflight", type=int, default=1)
    ap.add_argument("--seconds", type=float, default=1.0)
    ap.add_argument("--warmup-seconds", type=float, default=0.2)
    ap.add_argument("--min-calls", type=int, default=3)
    ap.add_argument("--server-pid", type=int, default=0)
    ap.add_argument("--payload-json")
    args = ap.parse_args()

    pb = load_stubs(args.stubs)
    w = Workload(pb, args.workload, args.payload_json)
    channel = grpc.insecure_channel(args.url, options=[("grpc.max_receive_message_length", -1),
                                                       ("grpc.max_send_message_length", -1)])
    call = channel.unary_unary("/bentoml.grpc.v1.BentoService/Call",
                               request_serializer=pb.Request.SerializeToString,
                               response_deserializer=pb.Response.FromString)
    runner = run_blocking if args.inflight == 1 else run_futures
    lat, s0, s1 = runner(call, w, args)
    channel.close()

    lat.sort()
    elapsed, n = s1["t"] - s0["t"], len(lat)
    cpu_user, cpu_sys = s1["user"] - s0["user"], s1["sys"] - s0["sys"]
    result = {
        "contender": "python-grpcio", "workload": w.name, "inflight": args.inflight, "calls": n,
        "seconds": elapsed, "calls_per_s": n / elapsed,
        "mb_per_s": w.payload_bytes * n / elapsed / 1e6, "payload_bytes": w.payload_bytes,
        "p50_us": pct(lat, 0.5) * 1e6, "p90_us": pct(lat, 0.9) * 1e6,
        "p99_us": pct(lat, 0.99) * 1e6, "mean_us": sum(lat) / n * 1e6,
        "cpu_user_s": cpu_user, "cpu_sys_s": cpu_sys,
        "cpu_us_per_call": (cpu_user + cpu_sys) / n * 1e6,
        "minflt_per_call": (s1["minflt"] - s0["minflt"]) / n,
        "maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
    }
    if s0["server"] is not None:
        server = s1["server"] - s0["server"]
        result["server_cpu_us_per_call"] = server / n * 1e6
        other = s1["busy"] - s0["busy"] - cpu_user - cpu_sys - server
        result["other_cpu_pct"] = other / elapsed / os.cpu_count() * 100
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    sys.exit(main())
