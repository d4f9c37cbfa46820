#!/usr/bin/env bash
# bench/run.sh: the whole benchmark in one command. Installs what is missing,
# builds the library and bench/ (-O2), starts bench_server, runs every contender on every
# cell in interleaved rounds (each round runs each cell once per contender, in an order that
# rotates from round to round), profiles ours-sync against raw Core, then prints the table
# and writes bench/RESULTS.md.
# One process per (contender, cell): its ru_maxrss is that cell's peak RSS.
#
# Settings (environment, defaults in brackets):
#   BENCH_ROUNDS [5]          rounds; the table shows medians over rounds
#   BENCH_SECONDS [1]         timed seconds per cell, after BENCH_WARMUP [0.2] s of warm-up
#   BENCH_SECONDS_16M [2]     timed seconds of the 16M-float cells
#   BENCH_MIN_CALLS [3]       at least this many timed calls per cell (16M cells: 1, and
#                             no warm-up)
#   BENCH_CELLS               workload:in-flight pairs
#                             [small:1 small:8 small:64 1k:1 1k:64 json:1 json:64 json64k:1
#                              json1m:1 1m:1 1m:8 16m:1 df10k:1 text4k:1] (json64k, json1m:
#                              arrays of copies of bench/payload.json, 64 KiB and 1 MiB of
#                              text; df10k: a PandasDataFrame of 10 000 rows x 8 columns,
#                              f64/i64/bool/str; text4k: 4 KiB of UTF-8 through Text)
#   BENCH_CONTENDERS          [ours-sync ours-async raw-core raw-core-cq cpp-grpc python-grpcio
#                              python-bentogrpc] (python-bentogrpc: df10k and text4k only)
#   BENCH_BUILD_DIR [build-bench]
#   BENCH_PROFILE [1]         0 skips the callgrind/perf profiles (bench/profile.sh, ~1 min)
#   BENCH_SKIP_DEPS=1         skip scripts/install-deps.sh (e.g. no root)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

rounds=${BENCH_ROUNDS:-5}
seconds=${BENCH_SECONDS:-1}
seconds_16m=${BENCH_SECONDS_16M:-2}
warmup=${BENCH_WARMUP:-0.2}
min_calls=${BENCH_MIN_CALLS:-3}
cells=${BENCH_CELLS:-small:1 small:8 small:64 1k:1 1k:64 json:1 json:64 json64k:1 json1m:1 1m:1 1m:8 16m:1 df10k:1 text4k:1}
contenders=${BENCH_CONTENDERS:-ours-sync ours-async raw-core raw-core-cq cpp-grpc python-grpcio python-bentogrpc}
build=${BENCH_BUILD_DIR:-build-bench}

[ "${BENCH_SKIP_DEPS:-0}" = 1 ] || bash scripts/install-deps.sh --bench
echo "bench: building into $build"
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBG_BUILD_TESTS=OFF \
  -DBG_BUILD_BENCH=ON >/dev/null
cmake --build "$build" -j"$(nproc)" >/dev/null
bin=$build/bench

work=$(mktemp -d)
server=
cleanup() {
  if [ -n "$server" ]; then
    kill "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

# Python stubs, generated now from proto/ (nothing generated is committed).
mkdir -p "$work/stubs"
protoc -I proto -I /usr/include --python_out="$work/stubs" bentoml/grpc/v1/service.proto

"$bin/bench_server" 127.0.0.1:0 >"$work/server.out" &
server=$!
# shellcheck source=scripts/await_port.sh
source scripts/await_port.sh
port=$(await_port "$work/server.out") || { echo "bench: bench_server did not start" >&2; exit 1; }
echo "bench: server pid $server on 127.0.0.1:$port"

stubs=$work/stubs
# shellcheck source=bench/contenders.sh
source bench/contenders.sh

results=$build/bench/results.jsonl
: >"$results"
pending() { # contender workload inflight reason
  printf '{"contender": "%s", "workload": "%s", "inflight": %s, "pending": "%s"}\n' \
    "$1" "$2" "$3" "$4" >>"$results"
}

read -r -a all <<<"$contenders"
started=$(date +%s)
for round in $(seq 1 "$rounds"); do
  echo "bench: round $round/$rounds"
  for cell in $cells; do
    workload=${cell%%:*} inflight=${cell##*:}
    secs=$seconds mins=$min_calls warm=$warmup
    [ "$workload" = 16m ] && secs=$seconds_16m mins=1 warm=0 # a 16M call needs no warming
    n=${#all[@]}
    for i in $(seq 0 $((n - 1))); do
      name=${all[$(((i + round) % n))]}
      [ "$name" = raw-core-cq ] && [ "$inflight" = 1 ] && continue # same as raw-core at 1
      # the Python package's array cells are bench/py_binding.sh's
      [ "$name" = python-bentogrpc ] && [ "$workload" != df10k ] && [ "$workload" != text4k ] && continue
      cmd=$(command_of "$name") || true
      if [ -z "$cmd" ]; then
        [ "$round" = 1 ] && pending "$name" "$workload" "$inflight" "not built (no include/bentogrpc/async.h yet)"
        continue
      fi
      # shellcheck disable=SC2086 # $cmd is a command line
      if ! $cmd --url "127.0.0.1:$port" --workload "$workload" --inflight "$inflight" \
        --seconds "$secs" --warmup-seconds "$warm" --min-calls "$mins" \
        --server-pid "$server" --payload-json bench/payload.json >>"$results" 2>"$work/err"; then
        echo "bench: $name $workload x$inflight failed:" >&2
        cat "$work/err" >&2
        exit 1
      fi
    done
  done
done
elapsed=$(($(date +%s) - started))

if [ "${BENCH_PROFILE:-1}" = 1 ]; then
  echo "bench: callgrind profiles of ours-sync and raw Core (BENCH_PROFILE=0 skips them)"
  bash bench/profile.sh "$bin" "127.0.0.1:$port" "$server" >"$work/profile.md"
fi

kill "$server"
wait "$server" 2>/dev/null || true
server=
server_cpu=$(awk '/^SERVER_CPU/{print $2, $3, $4}' "$work/server.out")

/usr/bin/python3 bench/report.py --results "$results" --out bench/RESULTS.md --seconds-taken "$elapsed" \
  --settings "BENCH_ROUNDS=$rounds BENCH_SECONDS=$seconds BENCH_SECONDS_16M=$seconds_16m BENCH_WARMUP=$warmup BENCH_MIN_CALLS=$min_calls" \
  --server-cpu "$server_cpu"
if [ -s "$work/profile.md" ]; then
  cat "$work/profile.md" >>bench/RESULTS.md
  echo "bench: profiles appended to bench/RESULTS.md"
fi

# The Python package against Python grpcio (bench/py_binding.sh): adds its own
# section to bench/RESULTS.md. BENCH_PYTHON_BINDING=0 skips it.
if [ "${BENCH_PYTHON_BINDING:-1}" = 1 ]; then
  BENCH_SKIP_DEPS=1 BENCH_BUILD_DIR=$build bash bench/py_binding.sh
fi

bash bench/replicas.sh "$bin" bench/RESULTS.md # 3 replicas, round_robin
