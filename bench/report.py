"""Turns bench/run.sh's results (one JSON line per contender process) into the table and the
target checks, printed and written to bench/RESULTS.md with the machine facts.

Every figure is the median over rounds of that cell (spread: (max - min) / median of calls/s),
except peak RSS, which is the largest over rounds. Ratios compare medians of the same run.
"""
import argparse
import collections
import datetime
import json
import platform
import statistics
import subprocess

ORDER = ["ours-sync", "ours-async", "raw-core", "raw-core-cq", "cpp-grpc", "python-grpcio",
         "python-bentogrpc"]
WORKLOADS = ["small", "1k", "json", "json64k", "json1m", "1m", "16m", "df10k", "text4k"]
LABEL = {"small": "1×4 f32", "1k": "1 K f32", "json": "JSON 1 KB", "json64k": "JSON 64 KB",
         "json1m": "JSON 1 MB", "1m": "1 M f32", "16m": "16 M f32",
         "df10k": "DataFrame 10k×8", "text4k": "Text 4 KB"}


def sh(cmd):
    try:
        return subprocess.run(cmd, shell=True, capture_output=True, text=True).stdout.strip()
    except OSError:
        return "?"


def machine_facts():
    cpu = next((line.split(":", 1)[1].strip() for line in sh("lscpu").splitlines()
                if line.startswith("Model name")), platform.processor() or "?")
    try:
        import grpc
        grpcio = grpc.__version__
    except ImportError:
        grpcio = "?"
    dirty = sh("git status --porcelain -- src include CMakeLists.txt | wc -l")
    return [
        ("nproc", sh("nproc")),
        ("CPU", cpu),
        ("kernel", sh("uname -sr")),
        ("gRPC", f"C++ {sh('pkg-config --modversion grpc++')} (core library "
                 f"{sh('pkg-config --modversion grpc')}), Python grpcio {grpcio}"),
        ("protobuf", f"C++ {sh('pkg-config --modversion protobuf')}, protobuf-c "
                     f"{sh('pkg-config --modversion libprotobuf-c')}"),
        ("compiler", sh("cc --version | head -1")),
        ("library", f"commit {sh('git rev-parse --short HEAD')}, {dirty} uncommitted "
                    f"file(s) under src/ include/ CMakeLists.txt at run time"),
        ("date", datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")),
    ]


def load(path):
    cells, pending = collections.defaultdict(list), {}
    with open(path) as f:
        for line in f:
            r = json.loads(line)
            key = (r["contender"], r["workload"], r["inflight"])
            if "pending" in r:
                pending[key] = r["pending"]
            else:
                cells[key].append(r)
    return cells, pending


def summarize(rows):
    med = {k: statistics.median(r[k] for r in rows)
           for k in rows[0] if isinstance(rows[0][k], (int, float))}
    med["maxrss_kb"] = max(r["maxrss_kb"] for r in rows)
    cps = [r["calls_per_s"] for r in rows]
    med["spread"] = (max(cps) - min(cps)) / med["calls_per_s"] if med["calls_per_s"] else 0
    med["rounds"] = len(rows)
    return med


def fmt(x, digits=3):
    if x is None:
        return "–"
    if x == 0:
        return "0"
    if abs(x) >= 10 ** digits:
        return f"{x:,.0f}"
    return f"{x:.{digits}g}"


def ratio(a, b):
    return None if a is None or b is None or b == 0 else a / b


class Report:
    def __init__(self, cells, pending):
        self.s = {k: summarize(v) for k, v in cells.items()}
        self.pending = pending

    def get(self, contender, workload, inflight, field):
        m = self.s.get((contender, workload, inflight))
        return m.get(field) if m else None

    def table(self):
        head = ["workload", "in flight", "contender", "p50 µs", "p90 µs", "p99 µs", "calls/s",
                "spread", "MB/s", "client CPU µs/call", "server CPU µs/call", "page faults/call",
                "peak RSS MB", "other CPU", "p50 ÷ raw", "client CPU ÷ raw", "calls/s ÷ raw"]
        lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        keys = sorted({(w, n) for (_, w, n) in list(self.s) + list(self.pending)},
                      key=lambda k: (WORKLOADS.index(k[0]), k[1]))
        for w, n in keys:
            for c in ORDER:
                m = self.s.get((c, w, n))
                if m is None:
                    why = self.pending.get((c, w, n))
                    if why:
                        lines.append(f"| {LABEL[w]} | {n} | {c} | pending: {why} |" +
                                     " |" * (len(head) - 4))
                    continue
                raw = self.s.get(("raw-core", w, n))
                cells = [LABEL[w], str(n), f"**{c}**" if c.startswith("ours") else c,
                         fmt(m["p50_us"]), fmt(m["p90_us"]), fmt(m["p99_us"]),
                         fmt(m["calls_per_s"]), f"{m['spread'] * 100:.0f}%",
                         fmt(m["mb_per_s"]) if m["payload_bytes"] >= 1 << 20 else "",
                         fmt(m["cpu_us_per_call"]), fmt(m.get("server_cpu_us_per_call")),
                         fmt(m.get("minflt_per_call")), fmt(m["maxrss_kb"] / 1024),
                         f"{m['other_cpu_pct']:.0f}%" if "other_cpu_pct" in m else "–",
                         fmt(ratio(m["p50_us"], raw and raw["p50_us"]), 3),
                         fmt(ratio(m["cpu_us_per_call"], raw and raw["cpu_us_per_call"]), 3),
                         fmt(ratio(m["calls_per_s"], raw and raw["calls_per_s"]), 3)]
                lines.append("| " + " | ".join(cells) + " |")
        return "\n".join(lines)

    def check(self, name, value, limit, op, detail):
        if value is None:
            return f"| {name} | pending | – | {detail} |"
        ok = value <= limit if op == "<=" else value >= limit
        return f"| {name} | {'met' if ok else '**missed**'} | {value:.3g} {op} {limit:g} | {detail} |"

    def targets(self):
        g = self.get
        rows = ["| target | result | measured | figures |", "|---|---|---|---|"]
        p50 = ratio(g("ours-sync", "small", 1, "p50_us"), g("raw-core", "small", 1, "p50_us"))
        rows.append(self.check("small sequential predict: ours-sync p50 latency ≤ 1.10× raw Core",
                               p50, 1.10, "<=",
                               f"{fmt(g('ours-sync', 'small', 1, 'p50_us'))} vs "
                               f"{fmt(g('raw-core', 'small', 1, 'p50_us'))} µs"))
        cpu = ratio(g("ours-sync", "small", 1, "cpu_us_per_call"),
                    g("raw-core", "small", 1, "cpu_us_per_call"))
        rows.append(self.check("small sequential predict: ours-sync client CPU/call ≤ 1.10× raw Core",
                               cpu, 1.10, "<=",
                               f"{fmt(g('ours-sync', 'small', 1, 'cpu_us_per_call'))} vs "
                               f"{fmt(g('raw-core', 'small', 1, 'cpu_us_per_call'))} µs"))
        ours64 = g("ours-async", "small", 64, "calls_per_s")
        raws = [x for x in (g("raw-core", "small", 64, "calls_per_s"),
                            g("raw-core-cq", "small", 64, "calls_per_s")) if x]
        raw64 = max(raws) if raws else None
        cpp64 = g("cpp-grpc", "small", 64, "calls_per_s")
        rows.append(self.check("64 in flight (1×4): ours-async calls/s ≥ 0.90× raw Core (the better "
                               "of its threads and CQ clients)", ratio(ours64, raw64), 0.90, ">=",
                               f"{fmt(ours64)} vs {fmt(raw64)} calls/s (raw-core "
                               f"{fmt(g('raw-core', 'small', 64, 'calls_per_s'))}, raw-core-cq "
                               f"{fmt(g('raw-core-cq', 'small', 64, 'calls_per_s'))})"))
        rows.append(self.check("64 in flight (1×4): ours-async calls/s ≥ C++", ratio(ours64, cpp64),
                               1.0, ">=", f"{fmt(ours64)} vs {fmt(cpp64)} calls/s"))
        for w in ("1m", "16m"):
            ours = g("ours-sync", w, 1, "mb_per_s")
            raw, pyt = g("raw-core", w, 1, "mb_per_s"), g("python-grpcio", w, 1, "mb_per_s")
            rows.append(self.check(f"{LABEL[w]} round trip: ours-sync MB/s ≥ 0.90× raw Core",
                                   ratio(ours, raw), 0.90, ">=",
                                   f"{fmt(ours)} vs {fmt(raw)} MB/s"))
            floor = ratio(raw, pyt)
            rows.append(self.check(f"{LABEL[w]} round trip: ours-sync MB/s ≥ 30× Python grpcio",
                                   ratio(ours, pyt), 30, ">=",
                                   f"{fmt(ours)} vs {fmt(pyt)} MB/s; raw Core reaches "
                                   f"{fmt(floor)}× Python"))
        for w, c, limit in (("json", "ours-sync", 1.5), ("json", "ours-async", 1.5),
                            ("json1m", "ours-sync", 2.0)):
            ours = g(c, w, 1, "cpu_us_per_call")
            raw = g("raw-core", w, 1, "cpu_us_per_call")
            rows.append(self.check(f"{LABEL[w]}, 1 in flight: {c} client CPU/call ≤ {limit:g}× "
                                   "raw Core", ratio(ours, raw), limit, "<=",
                                   f"{fmt(ours)} vs {fmt(raw)} µs"))
        ours64 = g("ours-async", "json", 64, "calls_per_s")
        cq64, sync64 = g("raw-core-cq", "json", 64, "calls_per_s"), g("ours-sync", "json", 64,
                                                                       "calls_per_s")
        rows.append(self.check(f"{LABEL['json']}, 64 in flight: ours-async calls/s ≥ 0.80× "
                               "raw-core-cq", ratio(ours64, cq64), 0.80, ">=",
                               f"{fmt(ours64)} vs {fmt(cq64)} calls/s"))
        rows.append(self.check(f"{LABEL['json']}, 64 in flight: ours-async calls/s above ours-sync "
                               "on 64 threads", ratio(ours64, sync64), 1.0, ">=",
                               f"{fmt(ours64)} vs {fmt(sync64)} calls/s"))
        for inflight in (1, 64):  # the client must not make the server work harder
            base = g("raw-core", "json", inflight, "server_cpu_us_per_call")
            for c in ("ours-sync", "ours-async"):
                srv = g(c, "json", inflight, "server_cpu_us_per_call")
                rows.append(self.check(f"{LABEL['json']}, {inflight} in flight: server CPU/call for "
                                       f"{c} ≤ 1.10× for raw Core", ratio(srv, base), 1.10, "<=",
                                       f"{fmt(srv)} vs {fmt(base)} µs"))
        ours = g("ours-sync", "json1m", 1, "mb_per_s")
        for other, times in (("python-grpcio", 5), ("cpp-grpc", 2)):
            theirs = g(other, "json1m", 1, "mb_per_s")
            rows.append(self.check(f"{LABEL['json1m']}, 1 in flight: ours-sync MB/s ≥ {times}× "
                                   f"{other}", ratio(ours, theirs), times, ">=",
                                   f"{fmt(ours)} vs {fmt(theirs)} MB/s"))
        for c in ("ours-sync", "ours-async"):
            ours = g(c, "df10k", 1, "cpu_us_per_call")
            raw = g("raw-core", "df10k", 1, "cpu_us_per_call")
            rows.append(self.check(f"{LABEL['df10k']}, 1 in flight: {c} client CPU/call ≤ 1.5× "
                                   "raw Core", ratio(ours, raw), 1.5, "<=",
                                   f"{fmt(ours)} vs {fmt(raw)} µs"))
        ours = g("python-bentogrpc", "df10k", 1, "calls_per_s")
        pyt = g("python-grpcio", "df10k", 1, "calls_per_s")
        rows.append(self.check(f"{LABEL['df10k']}, 1 in flight: Python binding (pandas.DataFrame "
                               "in and out) calls/s ≥ 10× grpcio with BentoML's conversion",
                               ratio(ours, pyt), 10, ">=", f"{fmt(ours)} vs {fmt(pyt)} calls/s"))
        payload = (16 << 20) * 4  # 16 M floats
        rss = g("ours-sync", "16m", 1, "maxrss_kb")
        rows.append(self.check("16 M f32: ours-sync peak RSS ≤ 3× payload (64 MiB)",
                               rss and rss * 1024 / payload, 3, "<=",
                               f"{fmt(rss and rss / 1024)} MB peak; "
                               f"raw Core {fmt((g('raw-core', '16m', 1, 'maxrss_kb') or 0) / 1024)} MB"))
        base = g("ours-sync", "small", 1, "maxrss_kb")
        rss1 = g("ours-sync", "1m", 1, "maxrss_kb")
        grow = rss1 and base and (rss1 - base) * 1024 / (4 << 20)
        rows.append(self.check("1 M f32: ours-sync peak RSS growth over the 1×4 cell ≤ 3× payload "
                               "(4 MiB; the process's own ~13 MB base is more than 3× by itself)",
                               grow, 3, "<=", f"{fmt(rss1 and rss1 / 1024)} MB peak, "
                                              f"{fmt(base and base / 1024)} MB base; raw Core "
                                              f"{fmt((g('raw-core', '1m', 1, 'maxrss_kb') or 0) / 1024)}"
                                              " MB peak"))
        return "\n".join(rows)

    def from_url(self):
        vals = [r for (c, _, _), m in self.s.items() if c.startswith("ours")
                for r in [m.get("from_url_ms")] if r is not None]
        if not vals:
            return "no ours-* cell ran"
        return (f"median {statistics.median(vals):.2f} ms, min {min(vals):.2f} ms, max "
                f"{max(vals):.2f} ms over {len(vals)} cells (each cell's median of its rounds; "
                "one bg_client_from_url per process: channel + connect + ServiceMetadata)")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--results", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--settings", default="")
    ap.add_argument("--seconds-taken", default="?")
    ap.add_argument("--server-cpu", default="")
    args = ap.parse_args()

    rep = Report(*load(args.results))
    facts = "\n".join(f"| {k} | {v} |" for k, v in machine_facts())
    table, targets = rep.table(), rep.targets()
    text = f"""# Benchmark results

Generated by `bash bench/run.sh` (settings: `{args.settings}`); the rounds took
{args.seconds_taken} s. Contenders run one at a time, interleaved: each round runs every cell
once per contender, in an order that rotates each round. All call the same `bench_server`
(gRPC C++ callback API, echo by pointer swap) on 127.0.0.1; client and server share the machine.

| machine | |
|---|---|
{facts}

## Results (medians over rounds)

- **in flight** 1 = sequential calls. N > 1: N threads of blocking calls (ours-sync,
  raw-core); one thread keeping N calls outstanding on one completion queue (raw-core-cq,
  cpp-grpc), or through bg_async_call + bg_async_client_poll (ours-async, also at 1), or as
  N grpcio futures (python-grpcio). python-bentogrpc: the Python package (bench/py_binding.py),
  here on the DataFrame and Text cells only (its array cells: "Python binding" below).
- **MB/s** = array bytes × calls / s (one direction; each call carries them both ways).
- **client CPU** = getrusage user+sys of the client process over the timed section ÷ calls;
  **server CPU** = utime+stime of bench_server from /proc over the same section ÷ calls.
- **page faults/call** = minor faults of the client (fresh pages touched) ÷ calls.
- **peak RSS** = ru_maxrss of the contender's process for that cell (largest over rounds).
- **spread** = (max − min) / median of calls/s over rounds: the run-to-run noise.
- **other CPU** = share of all cores busy with neither the client nor the server during the
  timed section (/proc/stat): other work on the machine, a source of that noise.
- ratios divide by raw-core (threads, one pluck CQ each, pre-serialized request, reply
  not decoded) in the same cell.

{table}

`bg_client_from_url` (connect + discovery): {rep.from_url()}.
bench_server's own CPU over the whole run: {args.server_cpu or "?"}.

## Targets

{targets}
"""
    with open(args.out, "w") as f:
        f.write(text)
    print(text)


if __name__ == "__main__":
    main()
