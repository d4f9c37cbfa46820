"""Checks bench/cg_summary.py's per-call self costs on small hand-written callgrind dumps.

A call that began before the timed section zeroed the counters is written as a `calls=0` arc:
gRPC's threads are all inside one for the whole section. Its cost belongs to the callee, not to
the caller's self cost (callgrind_annotate 3.19 puts it there, which made libgpr's thread
trampoline look like the most expensive function of the async client). Run directly or as the
ctest `bench_cg_summary`.
"""
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cg_summary  # noqa: E402


def dump(executor_cost, trampoline_cost, totals=None):
    """A dump like the timed section's: a thread trampoline inside a call begun before the
    counters were zeroed (calls=0), the executor's own cost, and a main-thread call."""
    total = executor_cost + trampoline_cost + 30
    return f"""version: 1
creator: callgrind-3.19.0
positions: line
events: Ir
summary: {total}

ob=(1) /usr/lib/x86_64-linux-gnu/libgpr.so.29.0.0
fl=(1) ???
fn=(1) 0x000000000000ae30
5 {trampoline_cost}
cob=(2) /usr/lib/x86_64-linux-gnu/libgrpc.so.29.0.0
cfi=(2) ???
cfn=(2) grpc_core::Executor::ThreadMain(void*)
calls=0 0x10
5 {executor_cost}

ob=(2)
fl=(2)
fn=(2)
0 {executor_cost}

ob=(3) /usr/lib/x86_64-linux-gnu/libbentogrpc.so.0
fl=(3) src/engine/async_engine.c
fn=(3) run_batch
10 20
cfn=(4) call_deliver
calls=2 40
11 10

fn=(4)
40 10

totals: {totals if totals is not None else total}
"""


def write(directory, name, text):
    path = os.path.join(directory, name)
    with open(path, "w") as f:
        f.write(text)
    return path


def main():
    with tempfile.TemporaryDirectory() as d:
        k1 = write(d, "k1", dump(executor_cost=1000, trampoline_cost=10))
        k2 = write(d, "k2", dump(executor_cost=21000, trampoline_cost=10))
        per_call = cg_summary.marginal(k1, k2, 10, False)
        failures = []

        def expect(key, want):
            got = per_call.get(key, 0)
            if got != want:
                failures.append(f"{key}: {got} Ir/call, expected {want}")
                print("FAIL:", failures[-1])

        # The executor's 20,000 more instructions are its own, 2,000 a call; the trampoline's
        # own cost did not change, whatever its thread did.
        expect(("grpc_core::Executor::ThreadMain(void*)", "libgrpc"), 2000)
        expect(("0x000000000000ae30", "libgpr"), 0)
        expect(("run_batch", "libbentogrpc"), 0)
        total = sum(cg_summary.self_costs(k2).values())
        if total != 21040:
            failures.append(f"self costs of k2 sum to {total}, not to its totals line 21040")
            print("FAIL:", failures[-1])

        # A dump whose self costs do not add up to its totals line is refused, not summarised.
        bad = write(d, "bad", dump(executor_cost=1000, trampoline_cost=10, totals=999))
        refused = subprocess.run(
            [sys.executable, "-c",
             f"import sys; sys.path.insert(0, {os.path.dirname(os.path.abspath(__file__))!r});"
             f"import cg_summary; cg_summary.self_costs({bad!r})"],
            capture_output=True, text=True)
        if refused.returncode == 0 or "totals line" not in refused.stderr:
            failures.append("a dump whose costs do not sum to its totals was accepted")
            print("FAIL:", failures[-1])

    if failures:
        sys.exit(1)
    print("cg_summary: self costs per call are right on the hand-written dumps")


if __name__ == "__main__":
    main()
