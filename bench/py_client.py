"""Python grpcio contender: what BentoML's own client does for every call.

NumpyNdarray: numpy array -> NDArray(dtype, shape, float_values=arr.ravel().tolist()) and back
with np.array(list(values), dtype).reshape(shape). JSON: json round trip + ParseDict into a
google.protobuf.Value, MessageToDict back. Text: StringValue(value=text) and back.
PandasDataFrame (columns orient): BentoML's PandasDataFrame.to_proto, DataFrame(column_names,
columns=[Series(<field>=df[col]) ...]) with the field from the column's dtype, and its
from_proto: each column's values into {str(row): value} on a ThreadPoolExecutor(10), then
pd.DataFrame(dict(zip(names, columns)), columns=names). (BentoML's dtype map has no entry for
pandas' object dtype, so its client refuses str columns; here they go as string_values, the
field the protocol has for them.) Calls go through grpc.Channel.unary_unary with the
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
from concurrent.futures import ThreadPoolExecutor

import grpc
import numpy as np
from google.protobuf import json_format, struct_pb2, wrappers_pb2

SIZES = {"small": 4, "1k": 1024, "1m": 1 << 20, "16m": 16 << 20}
DF_ROWS = 10000  # df10k: as harness.c's make_dataframe
DF_CITIES = ["Berlin", "Z\u00fcrich", "S\u00e3o Paulo", "\u6771\u4eac", "Lagos", "Montr\u00e9al",
             "Oslo", "Krak\u00f3w"]
TEXT_LINE = ("Gr\u00fc\u00dfe aus Z\u00fcrich \u2014 \u6771\u4eac \u2713 na\u00efve caf\u00e9 "
             "\U0001F600; ")
TEXT_BYTES = 4096  # text4k


def make_text():
    """harness.c's make_text: whole copies of TEXT_LINE, then '.' up to TEXT_BYTES bytes."""
    line = TEXT_LINE.encode()
    body = line * (TEXT_BYTES // len(line))
    return (body + b"." * (TEXT_BYTES - len(body))).decode()


def make_dataframe():
    """harness.c's make_dataframe: 10 000 rows, f64 f64 i64 i64 bool bool str str."""
    import pandas as pd
    row = np.arange(DF_ROWS)
    return pd.DataFrame({
        "price": row * 0.25 + 1.0,
        "score": (row % 977) * 0.5 - 100.0,
        "id": row.astype(np.int64),
        "count": (row * 7919 % 100000).astype(np.int64),
        "active": row % 2 == 0,
        "flag": row % 3 == 0,
        "name": [f"item-{i:05d}" for i in range(DF_ROWS)],
        "city": [DF_CITIES[i % 8] for i in range(DF_ROWS)],
    })


def df_payload_bytes(df):
    """harness.c's payload_bytes: 8 per f64/i64, 1 per bool, the strings' UTF-8 bytes."""
    n = 0
    for col in df.columns:
        if df[col].dtype == object:
            n += sum(len(x.encode()) for x in df[col])
        else:
            n += df[col].dtype.itemsize * len(df)
    return n


# BentoML's npdtype_to_fieldpb_map, plus object (str) -> string_values (see the docstring)
DF_FIELDS = {np.dtype("float32"): "float_values", np.dtype("float64"): "double_values",
             np.dtype("int32"): "int32_values", np.dtype("int64"): "int64_values",
             np.dtype("bool"): "bool_values", np.dtype("object"): "string_values"}


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
        elif name == "text4k":
            self.text = make_text()
            self.payload_bytes = len(self.text.encode())
            self.api = "echo_text"
        elif name == "df10k":
            self.df = make_dataframe()
            self.payload_bytes = df_payload_bytes(self.df)
            self.api = "echo_df"
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
        if self.api == "echo_text":
            return pb.Request(api_name=self.api, text=wrappers_pb2.StringValue(value=self.text))
        if self.api == "echo_df":  # BentoML's PandasDataFrame.to_proto
            obj = self.df
            names = list(map(str, obj.columns))
            frame = pb.DataFrame(column_names=names,
                                 columns=[pb.Series(**{DF_FIELDS[obj[col].dtype]: obj[col]})
                                          for col in names])
            return pb.Request(api_name=self.api, dataframe=frame)
        arr = self.arr
        nd = pb.NDArray(dtype=pb.NDArray.DTYPE_FLOAT, shape=arr.shape,
                        float_values=arr.ravel().tolist())
        return pb.Request(api_name=self.api, ndarray=nd)

    def check(self, response):
        if self.api == "echo_json":
            return json_format.MessageToDict(response.json) is not None
        if self.api == "echo_text":
            return response.text.value == self.text
        if self.api == "echo_df":
            out = self.from_proto(response.dataframe)
            return list(out.columns) == list(self.df.columns) and len(out) == len(self.df) and all(
                out[c].iloc[r] == self.df[c].iloc[r] for c in self.df.columns
                for r in (0, len(self.df) // 2, len(self.df) - 1))
        nd = response.ndarray
        out = np.array(list(nd.float_values), dtype=np.float32).reshape(tuple(nd.shape))
        a, b = self.arr.ravel(), out.ravel()
        return a.size == b.size and all(a[i] == b[i] for i in (0, a.size // 2, a.size - 1))


    @staticmethod
    def from_proto(field):
        """BentoML's PandasDataFrame.from_proto (columns orient)."""
        import pandas as pd

        def process_columns_contents(content):
            if len(content.ListFields()) != 1:
                raise ValueError("a Series has more than one values field")
            return {str(i): c for i, c in enumerate(content.ListFields()[0][1])}

        data = []
        with ThreadPoolExecutor(max_workers=10) as executor:
            data.extend(list(executor.map(process_columns_contents, field.columns)))
        return pd.DataFrame(dict(zip(field.column_names, data)), columns=list(field.column_names))


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
