#!/usr/bin/env bash
# bench/replicas.sh [BIN_DIR [RESULTS_MD]]: the 3-replica cell (one target, round_robin). Starts three
# bench_servers on 127.0.0.1, 127.0.0.2 and 127.0.0.3, and runs ours-async and raw-core-cq
# against ONE target naming all three (ipv4:a:p,b:p,c:p) with the round_robin policy
# (BENCH_LB_POLICY, which both contenders read), small workload, 64 calls in flight, in
# BENCH_ROUNDS interleaved rounds. Prints the medians and the calls/s ratio ours/raw, and
# appends that section to RESULTS_MD when given (bench/run.sh passes bench/RESULTS.md).
# BIN_DIR defaults to $BENCH_BUILD_DIR/bench (built here when missing).
# Settings: BENCH_ROUNDS [5], BENCH_SECONDS [1], BENCH_WARMUP [0.5] (round_robin connects to
# every replica during the warm-up), BENCH_MIN_CALLS [3], BENCH_BUILD_DIR [build-bench].
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

rounds=${BENCH_ROUNDS:-5}
seconds=${BENCH_SECONDS:-1}
warmup=${BENCH_WARMUP:-0.5}
min_calls=${BENCH_MIN_CALLS:-3}
bin=${1:-${BENCH_BUILD_DIR:-build-bench}/bench}
out_md=${2:-}
if [ ! -x "$bin/bench_server" ]; then
  build=${BENCH_BUILD_DIR:-build-bench}
  echo "replicas: building into $build" >&2
  cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBG_BUILD_TESTS=OFF \
    -DBG_BUILD_BENCH=ON >/dev/null
  cmake --build "$build" -j"$(nproc)" >/dev/null
  bin=$build/bench
fi
# shellcheck source=bench/contenders.sh
source bench/contenders.sh
# shellcheck source=scripts/await_port.sh
source scripts/await_port.sh

work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  rm -rf "$work"
}
trap cleanup EXIT

addresses=()
for i in 1 2 3; do
  "$bin/bench_server" "127.0.0.$i:0" >"$work/server$i.out" &
  pids+=($!)
  port=$(await_port "$work/server$i.out") || { echo "replicas: server $i did not start" >&2; exit 1; }
  addresses+=("127.0.0.$i:$port")
done
target="ipv4:$(IFS=,; echo "${addresses[*]}")"
echo "replicas: 3 bench_servers, target $target, round_robin, small x64" >&2

results=$work/results.jsonl
contenders=(ours-async raw-core-cq)
for round in $(seq 1 "$rounds"); do
  for k in 0 1; do
    name=${contenders[$(((k + round) % 2))]}
    cmd=$(command_of "$name") || true
    [ -n "$cmd" ] || { echo "replicas: $name is not built" >&2; exit 1; }
    # shellcheck disable=SC2086 # $cmd is a command line
    BENCH_LB_POLICY=round_robin $cmd --url "$target" --workload small --inflight 64 \
      --seconds "$seconds" --warmup-seconds "$warmup" --min-calls "$min_calls" \
      >>"$results" 2>"$work/err" || { echo "replicas: $name failed:" >&2; cat "$work/err" >&2; exit 1; }
  done
done

# Each server's CPU time shows that round_robin used all three.
for pid in "${pids[@]}"; do
  kill "$pid"
  wait "$pid" 2>/dev/null || true
done
pids=()
cpu=$(for i in 1 2 3; do awk '/^SERVER_CPU/{print $2 "+" $3}' "$work/server$i.out"; done | paste -sd' ')

/usr/bin/python3 - "$results" "$rounds" "$cpu" >"$work/section.md" <<'PY'
import json, statistics, sys
rows = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
med = {}
for name in ("ours-async", "raw-core-cq"):
    rs = [r for r in rows if r["contender"] == name]
    med[name] = {k: statistics.median(r[k] for r in rs)
                 for k in ("calls_per_s", "p50_us", "p99_us", "cpu_us_per_call")}
ratio = med["ours-async"]["calls_per_s"] / med["raw-core-cq"]["calls_per_s"]
print("\n## 3 replicas, round_robin\n")
print(f"One channel to `ipv4:127.0.0.1:p1,127.0.0.2:p2,127.0.0.3:p3` (three bench_servers), "
      f"round_robin, small workload, 64 in flight; medians of {sys.argv[2]} rounds "
      f"(`bash bench/replicas.sh`).\n")
print("| contender | calls/s | p50 µs | p99 µs | client CPU µs/call |")
print("|---|---:|---:|---:|---:|")
for name, m in med.items():
    print(f"| {name} | {m['calls_per_s']:.0f} | {m['p50_us']:.1f} | {m['p99_us']:.1f} | "
          f"{m['cpu_us_per_call']:.2f} |")
print(f"\nours-async / raw-core-cq calls/s: **{ratio:.3f}**. Server CPU s (user+sys) of the "
      f"three replicas over the whole run: {sys.argv[3]}.")
PY
cat "$work/section.md"
[ -z "$out_md" ] || cat "$work/section.md" >>"$out_md"
