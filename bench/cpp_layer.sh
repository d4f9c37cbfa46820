#!/usr/bin/env bash
# bench/cpp_layer.sh [BUILD_DIR]: what the C++ API (bentogrpc.hpp) costs on top of the C API,
# as client instructions per call under callgrind (deterministic enough to compare on a loaded
# machine, unlike wall or CPU time): ours-cpp-sync against ours-sync on the small cell (1x4
# float32) at 1 in flight, ours-cpp-async against ours-async at 1 and 64 in flight. Each figure
# is the marginal cost of one more call (runs with k1 and k2 timed calls, bench/cg_summary.py).
# Prints a Markdown section (bench/RESULTS.md "C++ API vs C API") and fails when the C++ layer
# costs more than BENCH_CPP_MAX_PCT (default 3) percent over the C API in any cell.
# BUILD_DIR (default build-bench) is configured with -DBG_BUILD_BENCH=ON (bench/run.sh does).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
build=${1:-build-bench}
bin=$build/bench
max=${BENCH_CPP_MAX_PCT:-3}
here=$root/bench
tmp=$(mktemp -d)
server_pid=
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT
for b in bench_server bench_ours_sync bench_ours_async bench_ours_cpp_sync bench_ours_cpp_async; do
  [ -x "$bin/$b" ] || { echo "cpp_layer: $bin/$b is missing (build with -DBG_BUILD_BENCH=ON)" >&2; exit 1; }
done
"$bin/bench_server" 127.0.0.1:0 >"$tmp/server.out" &
server_pid=$!
# shellcheck source=scripts/await_port.sh
source scripts/await_port.sh
port=$(await_port "$tmp/server.out") || { echo "cpp_layer: bench_server did not start" >&2; exit 1; }
url=127.0.0.1:$port
# shellcheck source=bench/contenders.sh
source "$here/contenders.sh"

grind() { # name workload inflight k command...
  local name=$1 workload=$2 inflight=$3 k=$4
  shift 4
  valgrind --tool=callgrind --callgrind-out-file="$tmp/$name.$k" "$@" --url "$url" \
    --workload "$workload" --inflight "$inflight" --seconds 0 --min-calls "$k" \
    --warmup-seconds 0 --server-pid "$server_pid" --payload-json "$here/payload.json" \
    >/dev/null 2>"$tmp/err" || { cat "$tmp/err" >&2; exit 1; }
}
total() { awk '/^(totals|summary):/ {print $2; exit}' "$1"; }

reps=${BENCH_CPP_REPS:-3}
verdicts=()
# compare WORKLOAD INFLIGHT K1 K2 CPP C: `reps` alternating measurements of each contender; the
# first pair's breakdown (cg_summary.py), then the medians. Counts move a little from run to run
# (gRPC's pollers and timers loop while a reply is in flight, and under callgrind the client
# runs ~50x slower than the server answers), so the spread of each side is printed with it.
compare() {
  local workload=$1 inflight=$2 k1=$3 k2=$4 cpp=$5 c=$6 r k a b cpp_runs=() c_runs=()
  for ((r = 1; r <= reps; r++)); do
    for k in "$k1" "$k2"; do
      # shellcheck disable=SC2046 # the commands are program + argument
      grind "cpp$r" "$workload" "$inflight" "$k" $(command_of "$cpp")
      # shellcheck disable=SC2046
      grind "c$r" "$workload" "$inflight" "$k" $(command_of "$c")
    done
    a=$((($(total "$tmp/cpp$r.$k2.1") - $(total "$tmp/cpp$r.$k1.1")) / (k2 - k1)))
    b=$((($(total "$tmp/c$r.$k2.1") - $(total "$tmp/c$r.$k1.1")) / (k2 - k1)))
    cpp_runs+=("$a")
    c_runs+=("$b")
  done
  /usr/bin/python3 "$here/cg_summary.py" "$workload, $inflight in flight" "$k1" "$k2" \
    "$cpp" "$tmp/cpp1.$k1.1" "$tmp/cpp1.$k2.1" "$c" "$tmp/c1.$k1.1" "$tmp/c1.$k2.1"
  verdicts+=("$workload@$inflight $cpp $c ${cpp_runs[*]} / ${c_runs[*]}")
}
median() { tr ' ' '\n' | sort -n | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }
spread() { tr ' ' '\n' | sort -n | awk 'NR == 1 {lo = $1} {hi = $1} END {print lo "–" hi}'; }

echo "## C++ API vs C API (bench/cpp_layer.sh)"
echo
echo "Client instructions per call under callgrind, all threads, timed section only (one more"
echo "call: runs of k1 and k2 calls, difference / (k2 − k1)). The C++ contenders"
echo "(bench/ours_cpp_*.cc) make the same calls as ours-sync and ours-async through"
echo "bentogrpc.hpp: borrowed input (checked: not copied), std::nothrow calls, typed views of the"
echo "reply, RAII; the async one a lambda callback per call."
echo
compare small 1 1 501 ours-cpp-sync ours-sync
compare small 1 1 501 ours-cpp-async ours-async
compare small 64 64 1064 ours-cpp-async ours-async
echo "### Summary ($reps runs of each contender per cell, medians)"
echo
echo "| cell | C++ Ir/call (runs) | C Ir/call (runs) | C++ over C |"
echo "|---|---|---|---|"
fail=0
for v in "${verdicts[@]}"; do
  cell=${v%% *} rest=${v#* }
  cpp=${rest%% *} rest=${rest#* }
  c=${rest%% *} rest=${rest#* }
  cpp_runs=${rest% / *} c_runs=${rest#* / }
  a=$(median <<<"$cpp_runs") b=$(median <<<"$c_runs")
  pct=$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%+.2f", (a - b) * 100 / b }')
  echo "| $cell ($cpp vs $c) | $a ($(spread <<<"$cpp_runs")) | $b ($(spread <<<"$c_runs")) | $pct % |"
  awk -v p="$pct" -v m="$max" 'BEGIN { exit !(p > m) }' && fail=1
done
echo
[ "$fail" -eq 0 ] || { echo "cpp_layer: the C++ layer costs more than $max % in a cell" >&2; exit 1; }
