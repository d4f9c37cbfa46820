"""Marginal callgrind costs per call, from two runs of the same cell with k1 and k2 timed calls.

The harness zeroes callgrind's counters when the timed section starts and dumps them when it
ends (all threads), so (dump(k2) - dump(k1)) / (k2 - k1) is the cost of one more call, free of
start-up, connection and warm-up. Prints a Markdown section comparing ours with raw Core.

usage: cg_summary.py TITLE K1 K2 OURS_NAME OURS_K1 OURS_K2 RAW_NAME RAW_K1 RAW_K2
"""
import re
import subprocess
import sys

# Thread roots, and the main thread's frames above the timed section (the async contenders run
# their calls on the main thread): left out of the inclusive table, where each would stand for
# a whole thread. The headline totals come from the dump's own totals line instead of a sum over
# functions.
SKIP = {"clone", "start_thread", "main", "(below main)", "__libc_start_main@@GLIBC_2.34",
        "__libc_start_call_main"}


def total(path):
    with open(path) as f:
        for line in f:
            if line.startswith(("totals:", "summary:")):
                return int(line.split()[1])
    raise SystemExit(f"cg_summary: no totals line in {path}")


def self_costs(path):
    """Self cost per (function, library), read from the dump itself.

    callgrind_annotate (3.19) cannot be used for this: a call that began before the counters
    were zeroed is written as a `calls=0` arc, and callgrind_annotate adds such an arc's
    inclusive cost to the caller's *self* cost. Every thread gRPC started is inside such a call
    for the whole timed section, so the unnamed function that starts them (libgpr's thread
    trampoline, shown as an address) got the whole work of gRPC's threads as its "self" cost.
    Here a cost line right after `calls=` is the call's and is skipped; every other cost line
    is the current function's own. The sum must be the dump's `totals:` line."""
    names = {"ob": {}, "fn": {}}
    ob = fn = None
    after_call = False
    table, dump_total = {}, None

    def name(kind, rest):  # "(id) name" defines a compressed name, "(id)" refers to one
        m = re.match(r"\((\d+)\)(?: (.*))?$", rest)
        if not m:
            return rest
        if m.group(2) is not None:
            names[kind][m.group(1)] = m.group(2)
        return names[kind][m.group(1)]

    with open(path) as f:
        for line in f:
            line = line.rstrip("\n")
            if not line:
                continue
            if line[0].isdigit() or line[0] in "+-*":
                if after_call:
                    after_call = False
                    continue
                lib = ob.rsplit("/", 1)[-1].split(".so")[0] if ob else "?"
                table[(fn, lib)] = table.get((fn, lib), 0) + int(line.split()[-1])
            elif line.startswith("ob="):
                ob = name("ob", line[3:])
            elif line.startswith("fn="):
                fn = name("fn", line[3:])
            elif line.startswith("cob="):
                name("ob", line[4:])
            elif line.startswith("cfn="):
                name("fn", line[4:])
            elif line.startswith("calls="):
                after_call = True
            elif line.startswith("totals:"):
                dump_total = int(line.split()[1])
    if dump_total is not None and sum(table.values()) != dump_total:
        raise SystemExit(f"cg_summary: self costs of {path} sum to {sum(table.values())}, "
                         f"not to its totals line {dump_total}: the dump's format is not the "
                         "one this reader knows")
    return table


def costs(path, inclusive):
    out = subprocess.run(["callgrind_annotate", "--auto=no", "--threshold=100",
                          f"--inclusive={'yes' if inclusive else 'no'}", path],
                         capture_output=True, text=True, check=True).stdout
    table = {}
    for line in out.split("file:function", 1)[1].splitlines():
        m = re.match(r"\s*([\d,]+) \(\s*[\d.]+%\)\s+(\S*?):(.*?)( \[(.*)\])?$", line)
        if not m:
            continue
        where, fn, obj = m.group(2), m.group(3), m.group(5) or ""
        lib = obj.rsplit("/", 1)[-1].split(".so")[0] if obj else "?"
        if fn in SKIP or where.startswith("/"):  # "/src/file.c:fn" lines repeat "src/file.c:fn"
            continue
        if lib.startswith("ld-linux") and fn.startswith("0x"):  # the loader's entry to main
            continue
        key = (fn, lib)
        table[key] = table.get(key, 0) + int(m.group(1).replace(",", ""))
    return table


def marginal(f1, f2, n, inclusive):
    read = (lambda p: costs(p, True)) if inclusive else self_costs
    a, b = read(f1), read(f2)
    return {k: (b.get(k, 0) - a.get(k, 0)) / n for k in set(a) | set(b)}


def fmt(x):
    return f"{x:,.0f}"


def main():
    title, k1, k2 = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    n = k2 - k1
    ours_name, raw_name = sys.argv[4], sys.argv[7]
    ours = marginal(sys.argv[5], sys.argv[6], n, False)
    raw = marginal(sys.argv[8], sys.argv[9], n, False)
    ours_total = (total(sys.argv[6]) - total(sys.argv[5])) / n
    raw_total = (total(sys.argv[9]) - total(sys.argv[8])) / n
    print(f"### {title}\n")
    print(f"Instructions (Ir) per call, all threads: **{ours_name} {fmt(ours_total)}**, "
          f"{raw_name} {fmt(raw_total)} (ratio {ours_total / raw_total:.2f}; {n} calls "
          "measured).\n")

    incl = marginal(sys.argv[5], sys.argv[6], n, True)
    raw_incl = marginal(sys.argv[8], sys.argv[9], n, True)
    executor = ("grpc_core::Executor::ThreadMain(void*)", "libgrpc")
    on_executor = (incl.get(executor, 0), raw_incl.get(executor, 0))
    if max(on_executor) > 0.05 * min(ours_total, raw_total):
        print(f"Of which on gRPC's executor threads (`Executor::ThreadMain`, inclusive): "
              f"{ours_name} {fmt(on_executor[0])}, {raw_name} {fmt(on_executor[1])}. That is "
              "transport work moved off the calling thread, not extra work, and how much moves "
              "is a matter of thread timing, which callgrind's serialised threads change from "
              "run to run; outside valgrind the executor hardly runs (docs/INTERNALS.md, "
              "\"Where gRPC's threads spend a call\"). Compare the totals.\n")

    stages = sorted(((v, k) for k, v in incl.items()
                     if k[1] == "libbentogrpc" and "'" not in k[0] and v > 0.01 * ours_total),
                    reverse=True)
    print(f"Where {ours_name} spends it (inclusive cost of our library's functions above 1 % of a "
          "call; recursive entries left out):\n")
    print("| function | Ir/call | share |\n|---|---|---|")
    for v, (fn, _) in stages[:14]:
        print(f"| `{fn}` | {fmt(v)} | {v / ours_total * 100:.1f} % |")

    print(f"\nFunctions (self cost) where {ours_name} spends more than {raw_name} per call:\n")
    print(f"| function | library | {ours_name} Ir/call | {raw_name} Ir/call | difference |\n"
          "|---|---|---|---|---|")
    extra = sorted(ours.items(), key=lambda kv: -(kv[1] - raw.get(kv[0], 0)))
    for k, v in extra[:12]:
        print(f"| `{k[0][:70]}` | {k[1]} | {fmt(v)} | {fmt(raw.get(k, 0))} | "
              f"{fmt(v - raw.get(k, 0))} |")
    print()


if __name__ == "__main__":
    main()
