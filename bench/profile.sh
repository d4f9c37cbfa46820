#!/usr/bin/env bash
# bench/profile.sh BIN_DIR URL SERVER_PID [all|async|tabular]: prints a Markdown "Profiles"
# section comparing ours-sync with raw Core under callgrind (instructions per call, where they
# go) for the small sequential, JSON, 16M, DataFrame (df10k) and Text (text4k) cells
# (`tabular`: only the last two), and ours-async with raw Core's CQ client on the small
# cell at 1 and 64 in flight (`async`: only those two, e.g. for before/after notes); and, when perf works, perf profiles (kernel included) of
# ours-sync vs raw Core on the 16M cell and of ours-async vs raw Core's CQ client at 64 in
# flight. bench/run.sh appends the output to bench/RESULTS.md.
set -euo pipefail
bin=$1 url=$2 server=$3 only=${4:-all}
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# One cell under callgrind with k timed calls (no warm-up): leaves $tmp/<name>.<k>.1, the dump
# of the timed section.
grind() { # name workload inflight k command...
  local name=$1 workload=$2 inflight=$3 k=$4
  shift 4
  valgrind --tool=callgrind --callgrind-out-file="$tmp/$name.$k" "$@" --url "$url" \
    --workload "$workload" --inflight "$inflight" --seconds 0 --min-calls "$k" \
    --warmup-seconds 0 --server-pid "$server" --payload-json "$here/payload.json" \
    >/dev/null 2>"$tmp/err" || { cat "$tmp/err" >&2; exit 1; }
}

# compare WORKLOAD INFLIGHT K1 K2 OURS_NAME RAW_NAME: both contenders at k1 and k2 calls.
compare() {
  local workload=$1 inflight=$2 k1=$3 k2=$4 ours=$5 raw=$6
  for k in "$k1" "$k2"; do
    # shellcheck disable=SC2086 # the commands are program + argument
    grind ours "$workload" "$inflight" "$k" $(command_of "$ours")
    # shellcheck disable=SC2086
    grind raw "$workload" "$inflight" "$k" $(command_of "$raw")
  done
  /usr/bin/python3 "$here/cg_summary.py" "$workload, $inflight in flight" "$k1" "$k2" \
    "$ours" "$tmp/ours.$k1.1" "$tmp/ours.$k2.1" "$raw" "$tmp/raw.$k1.1" "$tmp/raw.$k2.1"
}

# shellcheck source=bench/contenders.sh
source "$here/contenders.sh"

echo "## Profiles"
echo
echo "callgrind (\`valgrind --tool=callgrind\`) counts user-space instructions of every thread"
echo "of the client in the timed section. Each figure is the cost of one more call: the"
echo "difference between runs with k1 and k2 timed calls, divided by k2 − k1."
echo
if [ "$only" = all ]; then
  compare small 1 1 501 ours-sync raw-core
  compare json 1 1 101 ours-sync raw-core
  compare 16m 1 1 2 ours-sync raw-core
fi
if [ "$only" != async ]; then
  compare df10k 1 1 11 ours-sync raw-core
  compare text4k 1 1 201 ours-sync raw-core
fi
[ "$only" != tabular ] || exit 0
if [ -x "$bin/bench_ours_async" ]; then
  # At 64 in flight the first 64 calls start together: k1 = 64 keeps ramp-up out of the figure.
  compare small 1 1 501 ours-async raw-core-cq
  compare small 64 64 1064 ours-async raw-core-cq
fi
[ "$only" != async ] || exit 0

# perf sees the kernel (page faults, copies into sockets) and real thread hand-offs, which
# callgrind (serializing all threads, ~50x slower) distorts. Optional: needs a working perf.
perf record -q -e cpu-clock -o "$tmp/probe" true >/dev/null 2>&1 || exit 0
sample() { # name workload inflight command...
  local name=$1 workload=$2 inflight=$3
  shift 3
  perf record -q -e cpu-clock -F 999 -g -o "$tmp/$name.perf" "$@" --url "$url" \
    --workload "$workload" --inflight "$inflight" --seconds 2 --warmup-seconds 0.2 \
    --min-calls 1 --server-pid "$server" --payload-json "$here/payload.json" \
    >"$tmp/$name.json" 2>"$tmp/err" || { cat "$tmp/err" >&2; exit 1; }
}
profile_pair() { # workload inflight ours raw
  # shellcheck disable=SC2046 # the commands are program + argument
  sample ours "$1" "$2" $(command_of "$3")
  # shellcheck disable=SC2046
  sample raw "$1" "$2" $(command_of "$4")
  /usr/bin/python3 "$here/perf_summary.py" "$1, $2 in flight" "$3" "$tmp/ours.perf" \
    "$tmp/ours.json" "$4" "$tmp/raw.perf" "$tmp/raw.json"
}
profile_pair 16m 1 ours-sync raw-core
[ -x "$bin/bench_ours_async" ] && profile_pair small 64 ours-async raw-core-cq
exit 0
