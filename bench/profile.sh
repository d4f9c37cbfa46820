#!/usr/bin/env bash
# bench/profile.sh BIN_DIR URL SERVER_PID: prints a Markdown "Profiles" section comparing
# ours-sync with raw Core under callgrind (instructions per call, where they go) for the small
# sequential, JSON and 16M cells, plus a perf profile of the 16M cell (kernel included) when
# perf works. Called by bench/run.sh, which appends the output to bench/RESULTS.md.
set -euo pipefail
bin=$1 url=$2 server=$3
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# One cell under callgrind with k timed calls (no warm-up): leaves $tmp/<name>.<k>.1, the dump
# of the timed section.
grind() { # name workload k command...
  local name=$1 workload=$2 k=$3
  shift 3
  valgrind --tool=callgrind --callgrind-out-file="$tmp/$name.$k" "$@" --url "$url" \
    --workload "$workload" --seconds 0 --min-calls "$k" --warmup-seconds 0 \
    --server-pid "$server" --payload-json "$here/payload.json" >/dev/null 2>"$tmp/err" ||
    { cat "$tmp/err" >&2; exit 1; }
}

echo "## Profiles"
echo
echo "callgrind (\`valgrind --tool=callgrind\`) counts user-space instructions of every thread"
echo "of the client in the timed section. Each figure is the cost of one more call: the"
echo "difference between runs with k1 and k2 timed calls, divided by k2 − k1."
echo
for cell in "small 1 501" "json 1 101" "16m 1 2"; do
  read -r workload k1 k2 <<<"$cell"
  for k in "$k1" "$k2"; do
    grind ours "$workload" "$k" "$bin/bench_ours_sync"
    grind raw "$workload" "$k" "$bin/bench_raw" threads
  done
  /usr/bin/python3 "$here/cg_summary.py" "$workload, 1 in flight" "$k1" "$k2" \
    "$tmp/ours.$k1.1" "$tmp/ours.$k2.1" "$tmp/raw.$k1.1" "$tmp/raw.$k2.1"
done

if perf record -q -e cpu-clock -o "$tmp/probe" true >/dev/null 2>&1; then
  echo "### 16m, 1 in flight: perf (cpu-clock samples, kernel included)"
  echo
  echo "callgrind cannot see the kernel; for the big payloads most client time is there."
  echo
  sample() { # name command...
    local name=$1
    shift
    perf record -q -e cpu-clock -F 999 -g -o "$tmp/perf.$name" "$@" --url "$url" \
      --workload 16m --seconds 2 --warmup-seconds 0 --min-calls 1 >/dev/null 2>&1 || true
  }
  sample ours_sync "$bin/bench_ours_sync"
  sample raw "$bin/bench_raw" threads
  for name in ours_sync raw; do
    [ -f "$tmp/perf.$name" ] || continue
    echo "**bench_$name**, share of all samples (children included) in:"
    echo
    perf report -i "$tmp/perf.$name" --children --sort sym --stdio 2>/dev/null |
      awk '/\[k\] asm_exc_page_fault$/ {print "- page faults (asm_exc_page_fault): " $1}
           /\[k\] __x64_sys_munmap$/ {print "- munmap: " $1}
           /\[k\] tcp_recvmsg$/ {print "- TCP receive: " $1}
           /\[k\] tcp_sendmsg$/ {print "- TCP send: " $1}
           /\[\.\] __memmove_avx_unaligned_erms$/ {print "- memcpy (with the faults it takes): " $1}'
    echo
  done
fi
