"""Compares two `perf record -e cpu-clock -g` profiles of the same cell (ours vs raw Core).

Prints a Markdown table: for the symbols where ours spends most (self time), each side's CPU
µs per call (share of the process's samples × its measured client CPU per call), and the share
of samples under a few kernel paths (children included) that explain big-payload costs.

usage: perf_summary.py TITLE OURS_NAME OURS_PERF OURS_JSON RAW_NAME RAW_PERF RAW_JSON
(*_JSON: the contender's result line, for its calls and client CPU per call)
"""
import json
import re
import subprocess
import sys

PATHS = {"asm_exc_page_fault": "page faults", "__x64_sys_munmap": "munmap",
         "tcp_recvmsg": "TCP receive", "tcp_sendmsg": "TCP send"}


def report(path, children):
    out = subprocess.run(["perf", "report", "-i", path, "--stdio", "--sort", "sym",
                          "--children" if children else "--no-children"],
                         capture_output=True, text=True).stdout
    shares = {}
    for line in out.splitlines():
        m = re.match(r"\s+([\d.]+)%\s+(?:([\d.]+)%\s+)?\[([k.])\] (.+?)\s*$", line)
        if m:  # with --children the first column is "children", the second "self"
            shares.setdefault((m.group(3), m.group(4)), float(m.group(1)))
    return shares


def main():
    title, ours_name, ours_perf, ours_json, raw_name, raw_perf, raw_json = sys.argv[1:8]
    ours_cpu = json.load(open(ours_json))["cpu_us_per_call"]
    raw_cpu = json.load(open(raw_json))["cpu_us_per_call"]
    ours, raw = report(ours_perf, False), report(raw_perf, False)
    print(f"### {title}: perf (cpu-clock samples of the client, kernel included)\n")
    print(f"Client CPU per call in these runs: **{ours_name} {ours_cpu:,.1f} µs**, {raw_name} "
          f"{raw_cpu:,.1f} µs. Per symbol (self), µs per call = share of samples × that:\n")
    print(f"| symbol | {ours_name} µs/call | {raw_name} µs/call |\n|---|---|---|")
    for (kind, sym), pct in sorted(ours.items(), key=lambda kv: -kv[1])[:12]:
        where = "kernel " if kind == "k" else ""
        print(f"| {where}`{sym[:70]}` | {pct / 100 * ours_cpu:,.1f} | "
              f"{raw.get((kind, sym), 0) / 100 * raw_cpu:,.1f} |")
    ours_c, raw_c = report(ours_perf, True), report(raw_perf, True)
    print(f"\nKernel paths, children included (µs per call, {ours_name} / {raw_name}): " +
          "; ".join(f"{label} {ours_c.get(('k', s), 0) / 100 * ours_cpu:,.0f} / "
                    f"{raw_c.get(('k', s), 0) / 100 * raw_cpu:,.0f}"
                    for s, label in PATHS.items()) + ".\n")


if __name__ == "__main__":
    main()
