#!/usr/bin/env bash
# The bentogrpc CLI against the reference server: output and exit codes a script relies on.
# usage: test_cli.sh PATH/TO/bentogrpc SOURCE_DIR [PATH/TO/example_mtls_from_memory]
set -u
cli=$1
src=$2
mtls_example=${3:-}
passed=0
failed=0
server_pid=
replica_pids=()
stop_replicas() {
  local pid
  for pid in "${replica_pids[@]}"; do
    kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  done
  replica_pids=()
}
cleanup() {
  stop_replicas
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
}
trap cleanup EXIT

# shellcheck source=scripts/await_port.sh
source "$src/scripts/await_port.sh"

start_server() { # start_server ARGS... ; sets port and server_pid
  local out
  out=$(mktemp)
  /usr/bin/python3 "$src/tests/server/reference_server.py" "$@" >"$out" &
  server_pid=$!
  port=$(await_port "$out") || { echo "reference server did not start"; exit 1; }
  rm -f "$out"
}

# check NAME EXPECTED_EXIT PATTERN -- COMMAND...: runs the command, checks its exit code and
# that stdout+stderr contain PATTERN (a fixed string; empty matches anything).
check() {
  local name=$1 want=$2 pattern=$3
  shift 4
  local out rc
  out=$("$@" 2>&1)
  rc=$?
  if [ "$rc" -eq "$want" ] && { [ -z "$pattern" ] || grep -qF -- "$pattern" <<<"$out"; }; then
    passed=$((passed + 1))
    echo "ok   $name"
  else
    failed=$((failed + 1))
    echo "FAIL $name: exit $rc (want $want), output:"
    sed 's/^/     /' <<<"$out"
  fi
}

# check_absent NAME EXPECTED_EXIT PATTERN ABSENT -- COMMAND...: as check, and the output must
# not contain ABSENT (a fixed string).
check_absent() {
  local name=$1 want=$2 pattern=$3 absent=$4
  shift 5
  local out rc
  out=$("$@" 2>&1)
  rc=$?
  if [ "$rc" -eq "$want" ] && grep -qF -- "$pattern" <<<"$out" && ! grep -qF -- "$absent" <<<"$out"; then
    passed=$((passed + 1))
    echo "ok   $name"
  else
    failed=$((failed + 1))
    echo "FAIL $name: exit $rc (want $want, '$pattern' and no '$absent'), output:"
    sed 's/^/     /' <<<"$out"
  fi
}

# check_json NAME EXPECTED_EXIT PYTHON_CONDITION -- COMMAND...: stdout must be one JSON document
# (parsed by Python's json module) for which PYTHON_CONDITION, on `d`, is true. Strict RFC 8259:
# bare NaN/Infinity, which Python alone would accept, fail (JavaScript, Go and jansson refuse them).
check_json() {
  local name=$1 want=$2 cond=$3
  shift 4
  local out rc
  out=$("$@" 2>/dev/null)
  rc=$?
  if [ "$rc" -eq "$want" ] && /usr/bin/python3 -c '
import json, sys
def reject(constant):
    raise ValueError("not JSON (RFC 8259): " + constant)
d = json.loads(sys.stdin.read(), parse_constant=reject)
sys.exit(0 if eval(sys.argv[1]) else 1)' "$cond" <<<"$out"; then
    passed=$((passed + 1))
    echo "ok   $name"
  else
    failed=$((failed + 1))
    echo "FAIL $name: exit $rc (want $want, JSON with $cond), stdout:"
    sed 's/^/     /' <<<"$out"
  fi
}

# on_tty COMMAND...: runs COMMAND with stdout and stderr on a pseudo-terminal and prints what
# it wrote, with every ESC/BEL byte shown as <ESC>/<BEL> so a test can see it was not escaped.
on_tty() {
  /usr/bin/python3 - "$@" <<'PY'
import os, pty, subprocess, sys
master, slave = pty.openpty()
proc = subprocess.Popen(sys.argv[1:], stdout=slave, stderr=slave, stdin=subprocess.DEVNULL)
os.close(slave)
out = b""
while True:
    try:
        chunk = os.read(master, 65536)
    except OSError:
        break
    if not chunk:
        break
    out += chunk
rc = proc.wait()
sys.stdout.write(out.replace(b"\x1b", b"<ESC>").replace(b"\x07", b"<BEL>").decode("utf-8", "replace"))
sys.exit(rc)
PY
}

# nested_json OUTER INNER: a full 4-ary tree INNER levels deep (4^INNER leaves) wrapped in OUTER
# levels of 4-element lists whose first element goes deeper and the rest are numbers: the first
# elements give shape [4]*(OUTER+INNER), far more elements than the text holds.
nested_json() {
  /usr/bin/python3 -c '
import sys
outer, inner = int(sys.argv[1]), int(sys.argv[2])
def full(d): return "1" if d == 0 else "[" + ",".join([full(d - 1)] * 4) + "]"
s = full(inner)
for _ in range(outer): s = "[" + s + ",1,1,1]"
print(s)' "$1" "$2"
}

tmp=$(mktemp -d)
trap 'cleanup; rm -rf "$tmp"' EXIT
unused_port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')

check "help" 0 "exit codes (every command)" -- "$cli" --help
check "no arguments is usage" 2 "usage:" -- "$cli"
check "unknown command" 2 "unknown command" -- "$cli" frobnicate localhost:1
check "bad url" 2 "has no port" -- "$cli" describe localhost
check "call without input" 2 "call needs exactly one input" -- "$cli" call localhost:1 predict
check "ragged ndarray" 2 "ragged" -- "$cli" call localhost:1 predict --ndarray '[[1,2],[3]]'
check "unknown dtype" 2 "unknown --dtype" -- "$cli" call localhost:1 predict --ndarray '[1]' --dtype float16
check "unavailable" 3 "UNAVAILABLE" -- "$cli" call "127.0.0.1:$unused_port" predict --ndarray '[1]'
check_absent "credentials in the address are refused, not shown" 2 "carries user credentials" "s3cr3t" -- \
  "$cli" describe -v --log debug "grpc://alice:s3cr3t@127.0.0.1:$unused_port"
check "credentials in the address: the CLI's way to send them" 2 "-H 'authorization: Bearer TOKEN'" -- \
  "$cli" call "alice:s3cr3t@127.0.0.1:$unused_port" predict --text hi
# load runs print counts, not outputs: -o used to be ignored without a word
check "load run refuses -o" 2 "a load run (--concurrency, --count, --duration-s, bench) prints counts only" -- \
  "$cli" call localhost:1 predict --ndarray '[1]' --count 3 -o /dev/null
check "wait times out" 4 "was not ready after waiting" -- "$cli" wait "127.0.0.1:$unused_port" --timeout-ms 400 --interval-ms 100

# hostile command-line input: sizes that overflow, integers out of range, long values kept whole
deep32=$(nested_json 26 6) # 4^32 wraps a 64-bit element count to 0
deep20=$(nested_json 14 6) # 4^20 elements: no allocation holds them
check "shape product overflow" 2 "array too large" -- "$cli" call localhost:1 p --ndarray "$deep32"
check "shape product overflow via --series" 2 "array too large" -- "$cli" call localhost:1 p --series "$(nested_json 25 6)"
check "shape product overflow via --dataframe" 2 "array too large" -- "$cli" call localhost:1 p --dataframe "{\"a\": $deep32}"
check "shape product overflow via --part" 2 "--part x: array too large" -- "$cli" call localhost:1 p --part "x=ndarray:$deep32"
check "failure never exits 0" 2 "array too large" -- "$cli" call localhost:1 p --ndarray "$deep20"
check "1e300 as int64" 2 "1e300 is out of range for dtype int64" -- \
  "$cli" call localhost:1 p --ndarray '[1e300]' --dtype int64
check "fraction as int32" 2 "1.5 is not a whole number, as dtype int32 needs" -- \
  "$cli" call localhost:1 p --ndarray '[1.5]' --dtype int32
check "negative as uint64" 2 "-1 is out of range for dtype uint64" -- \
  "$cli" call localhost:1 p --ndarray '[-1]' --dtype uint64
check "float32 overflow" 2 "1e300 is out of range for dtype float32" -- \
  "$cli" call localhost:1 p --ndarray '[1e300]' --dtype float32
check "series out of range" 2 "--series: 4294967296 is out of range for dtype uint32" -- \
  "$cli" call localhost:1 p --series '[4294967296]' --dtype uint32
check "uint64 beyond 2^64" 2 "18446744073709551616 does not fit in int64 or uint64" -- \
  "$cli" call localhost:1 p --ndarray '[18446744073709551616]'
big_part=$(seq -s, 1 2000)
check "--part value over 4 KiB kept whole" 3 "UNAVAILABLE" -- \
  "$cli" call "127.0.0.1:$unused_port" p --part "x=ndarray:[$big_part]"
check "--part json over 4 KiB kept whole" 3 "UNAVAILABLE" -- \
  "$cli" call "127.0.0.1:$unused_port" p --part "j=json:{\"k\": [$big_part]}"
check_absent "malformed -H not echoed" 2 "-H needs 'name: value'" "SECRET" -- \
  "$cli" call localhost:1 p --text x -H 'authorization Bearer SECRET'

# CLI conventions: --version, --opt=value, --, value checks, errors as JSON
check "--version" 0 "gRPC Core" -- "$cli" --version
check_json "--version json" 0 "d['libbentogrpc'] and d['grpc_core']" -- "$cli" --version --format json
check "--opt=value form" 3 "UNAVAILABLE" -- "$cli" call "127.0.0.1:$unused_port" p --ndarray='[1]' --deadline-ms=500
check "-- ends the options" 2 "unexpected argument" -- "$cli" call localhost:1 p --text x -- a b
check "unknown option still refused" 2 "unknown option '--nope'" -- "$cli" call localhost:1 p --nope
check "missing value" 2 "--ndarray needs a value" -- "$cli" call localhost:1 p --ndarray
check "@file that is missing" 2 "--ndarray: cannot open" -- "$cli" call localhost:1 p --ndarray @"$tmp/none.json"
check_json "usage error as JSON" 2 "d['error']['exit_code'] == 2 and 'ragged' in d['error']['message']" -- \
  "$cli" call localhost:1 p --ndarray '[[1],[2,3]]' --format json
check_json "unavailable as JSON" 3 "d['error']['status'] == 'BG_ERR_UNAVAILABLE' and d['error']['grpc_status_name'] == 'UNAVAILABLE'" -- \
  "$cli" call "127.0.0.1:$unused_port" p --ndarray '[1]' --format=json
check "--format csv only for bench" 2 "--format csv is for bench" -- "$cli" health localhost:1 --format csv
check "--lb checked" 2 "--lb takes pick_first or round_robin" -- "$cli" health localhost:1 --lb random
check "--retries checked" 2 "--retries takes 0 to 4" -- "$cli" health localhost:1 --retries x
check "--rps checked" 2 "--rps needs" -- "$cli" bench localhost:1 p --text x --rps 0
check "--log checked" 2 "--log takes debug" -- "$cli" health localhost:1 --log loud
# a load run's errors are JSON documents too (they went to stderr only: stdout was empty)
check_json "bench unavailable as JSON" 3 "d['error']['status'] == 'BG_ERR_UNAVAILABLE' and d['error']['exit_code'] == 3" -- \
  "$cli" bench "127.0.0.1:$unused_port" p --text x --count 2 --format json
check_json "load unavailable as JSON" 3 "d['error']['exit_code'] == 3" -- \
  "$cli" call "127.0.0.1:$unused_port" p --text x --count 2 --format=json
# --raw and v1alpha1 load runs have no discovery to find a dead server: they wait for the
# connection instead and fail before the run as above (they used to run, every call failing)
check_json "raw bench unavailable as JSON" 3 "list(d) == ['error'] and d['error']['status'] == 'BG_ERR_UNAVAILABLE' and d['error']['grpc_status'] == 14 and d['error']['exit_code'] == 3 and d['error']['message'].startswith('connecting to the server at 127.0.0.1:$unused_port failed: UNAVAILABLE')" -- \
  "$cli" bench "127.0.0.1:$unused_port" p --text x --count 2 --format json --raw
check_json "v1alpha1 load unavailable as JSON" 3 "list(d) == ['error'] and d['error']['exit_code'] == 3" -- \
  "$cli" call "127.0.0.1:$unused_port" p --text x --count 2 --format=json --protocol-version v1alpha1
check_absent "raw load unavailable before the run" 3 "bentogrpc: connecting to the server at 127.0.0.1:$unused_port failed: UNAVAILABLE" "calls:" -- \
  "$cli" call "127.0.0.1:$unused_port" p --text x --concurrency 2 --count 4 --raw
# ...but with --wait-for-ready the calls wait for the server themselves: a raw load run against
# a server that starts late does not fail at once (it did: the connection check came first).
late_port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
(sleep 1.5 && exec /usr/bin/python3 "$src/tests/server/reference_server.py" --listen "127.0.0.1:$late_port" >/dev/null 2>&1) &
late_pid=$!
check "raw load with --wait-for-ready waits for a late server" 0 "ok: 2" -- \
  "$cli" call "127.0.0.1:$late_port" bonjour --text hi --raw --wait-for-ready --count 2 --deadline-ms 60000
kill "$late_pid" 2>/dev/null
wait "$late_pid" 2>/dev/null
# The man page and the bash completion the build made from the CLI's one option table
# (tools/cli_options.h, listed by the hidden --list-options; cmake/CliDocs.cmake): every option is
# in both, the completion offers no option the CLI lacks, and it completes each option's values
# (word lists and paths) as the table says.
man_page="$(dirname "$cli")/man/man1/bentogrpc.1"
completion="$(dirname "$cli")/completion/bentogrpc"
check "man page and completion agree with the option table" 0 "options checked" -- \
  /usr/bin/python3 - "$cli" "$man_page" "$completion" <<'PY'
import re, subprocess, sys
cli, man_page, completion = sys.argv[1], sys.argv[2], sys.argv[3]
rows = [line.split("\t") for line in subprocess.run([cli, "--list-options"], check=True,
        capture_output=True, text=True).stdout.splitlines()]
man = open(man_page).read()
comp = open(completion).read()
offered = set(re.search(r'local opts="([^"]*)"', comp).group(1).split())
problems, names = [], set()
for long, short, arg, commands, values in rows:
    for name in (long, short):
        if name == "-":
            continue
        names.add(name)
        if name not in offered:
            problems.append("completion lacks " + name)
        if not re.search(re.escape(name.replace("-", "\\-")) + r"(?![a-z]|\\-[a-z])", man):
            problems.append("bentogrpc.1 lacks " + name)
    flag = long if long != "-" else short
    if values == "@file":
        case = next((l for l in comp.splitlines() if "compgen -f" in l), "")
        if flag not in re.split(r"[ |)]+", case):
            problems.append("completion does not complete a path after " + flag)
    elif values != "-":
        want = '%s) mapfile -t COMPREPLY < <(compgen -W "%s"' % (flag, values)
        if want not in comp:
            problems.append("completion does not offer %r after %s" % (values, flag))
problems += ["completion offers %s, which the CLI lacks" % o for o in sorted(offered - names)]
print("\n".join(problems) or "%d options checked" % len(rows))
sys.exit(1 if problems or len(rows) < 40 else 0)
PY
check "bash completion completes values and commands" 0 "text json csv" -- bash -c "source '$completion' &&
  COMP_WORDS=(bentogrpc bench u a --format '') && COMP_CWORD=5 && _bentogrpc && echo \"\${COMPREPLY[*]}\" &&
  COMP_WORDS=(bentogrpc ca) && COMP_CWORD=1 && _bentogrpc && [ \"\${COMPREPLY[*]}\" = call ]"

start_server --slow-ms 3000
url="127.0.0.1:$port"
check "describe" 0 "Sum each row of an N×4 float32 batch." -- "$cli" describe "$url"
check "describe marks unsupported" 0 "acme.io.Custom' is not supported" -- "$cli" describe "$url"
check "health" 0 "SERVING" -- "$cli" health "$url"
check "health of unknown service" 5 "NOT_FOUND" -- "$cli" health "$url" --service no.such.Service
check "wait" 0 "SERVING" -- "$cli" wait "localhost:$port" --timeout-ms 5000
check "call predict" 0 '{"dtype":"float32","shape":[2],"data":[15.8,10.0]}' -- \
  "$cli" call "localhost:$port" predict --ndarray '[[5.9,3,5.1,1.8],[1,2,3,4]]' --dtype float32
# floats print with the fewest digits that read back, laid out as a person writes them (not 1e+01)
check "floats print short and positional" 0 \
  '{"dtype":"float64","shape":[9],"data":[10.0,15.8,0.0001,1e-5,2e300,0.1,1e16,-2.5,123456789.0]}' \
  -- "$cli" call "$url" double_ndarray --ndarray '[5, 7.9, 0.00005, 5e-6, 1e300, 0.05, 5e15, -1.25, 61728394.5]'
check "call with inferred int64" 0 '{"dtype":"int64","shape":[2,2],"data":[[2,4],[6,8]]}' -- \
  "$cli" call "$url" double_ndarray --ndarray '[[1,2],[3,4]]'
check "call with metadata" 0 '"data":[true,false]' -- \
  "$cli" call "$url" echo_ndarray --ndarray '[true,false]' -H 'x-request-id: 7' --wait-for-ready
check "unknown api" 5 "no API named 'nope'" -- "$cli" call "$url" nope --ndarray '[1]'
# a bare JSON number is a 0-d array: sent with an empty shape, read by BentoML as 1-D
check "0-d ndarray from a JSON scalar" 0 '{"dtype":"float64","shape":[1],"data":[7.0]}' -- \
  "$cli" call "$url" double_ndarray --ndarray '3.5'
check "0-d ndarray checked as (1,) against an enforced shape" 2 'but (1,) was given' -- \
  "$cli" call "$url" predict --ndarray '1' --dtype float32
check "byte order in --dtype names the type" 0 '{"dtype":"int32","shape":[2],"data":[2,-4]}' -- \
  "$cli" call "$url" double_ndarray --ndarray '[1,-2]' --dtype '>i4'
check "client-side validation" 2 'expected dtype float32' -- \
  "$cli" call "$url" echo_ndarray_enforce_dtype --ndarray '["a","b"]'
check "server validation error" 5 'Expecting ndarray of dtype "float32"' -- \
  "$cli" call "$url" echo_ndarray_enforce_dtype --ndarray '["a","b"]' --no-validate
check "text" 0 "Hello, Wörld!" -- "$cli" call "$url" bonjour --text "Wörld"
check "json pretty" 0 '  "a": 1.0,' -- "$cli" call "$url" echo_json --json '{"b":[true],"a":1}'
check "dataframe table" 0 "col1" -- "$cli" call "$url" double_dataframe --dataframe '{"col1":[23]}'
check "dataframe value" 0 "46" -- "$cli" call "$url" double_dataframe --dataframe '{"col1":[23]}'
check "series" 0 "series int64, 3 values" -- "$cli" call "$url" echo_series_from_sample --series '[1,2,3]'
/usr/bin/python3 - "$tmp/img.bmp" <<'PY'
import struct, sys
w, h = 3, 2
row = (w * 3 + 3) & ~3
data = b"".join(bytes([10, 20, 30] * w) + b"\0" * (row - w * 3) for _ in range(h))
hdr = b"BM" + struct.pack("<IHHI", 54 + len(data), 0, 0, 54)
hdr += struct.pack("<IiiHHIIiiII", 40, w, h, 1, 24, 0, len(data), 0, 0, 0, 0)
open(sys.argv[1], "wb").write(hdr + data)
PY
check "image to file" 0 "file image/bmp" -- "$cli" call "$url" echo_image --file "$tmp/img.bmp" -o "$tmp/out.bmp"
check "image written" 0 "" -- test -s "$tmp/out.bmp"
check "image mime refused" 2 "expects MIME type image/bmp" -- \
  "$cli" call "$url" echo_image --file "$tmp/img.bmp" --mime image/png
check "multipart" 0 "success" -- "$cli" call "$url" predict_multi_images \
  --part "original=file:$tmp/img.bmp" --part "compared=file:$tmp/img.bmp" -o "$tmp/mp"
check "multipart file part written" 0 "" -- test -s "$tmp/mp.result"
check "multipart missing part" 2 "part 'compared' is missing" -- \
  "$cli" call "$url" predict_multi_images --part "original=file:$tmp/img.bmp"
# a file or bytes part reads its PATH as --file does: - or @- is stdin, @PATH is PATH
check "--part file:- reads stdin" 0 "success" -- bash -c "'$cli' call '$url' predict_multi_images \
  --part original=file:- --part 'compared=file:$tmp/img.bmp' -o '$tmp/mp-stdin' <'$tmp/img.bmp'"
check "--part file:- sent what --part file:PATH sends" 0 "" -- cmp "$tmp/mp.result" "$tmp/mp-stdin.result"
check "--part file:@- reads stdin" 0 "success" -- bash -c "'$cli' call '$url' predict_multi_images \
  --part 'original=file:$tmp/img.bmp' --part compared=file:@- <'$tmp/img.bmp'"
check "--part file:@PATH is PATH, as for --file" 0 "success" -- "$cli" call "$url" predict_multi_images \
  --part "original=file:@$tmp/img.bmp" --part "compared=file:$tmp/img.bmp"
check "--part two file parts from stdin refused" 2 "--part: stdin (@-) can feed only one input" -- \
  "$cli" call "$url" predict_multi_images --part original=file:- --part compared=file:- <"$tmp/img.bmp"
check "--part text:@- and file:- refused" 2 "--part: stdin (@-) can feed only one input" -- \
  "$cli" call "$url" predict_multi_images --part a=text:@- --part original=file:- </dev/null
check "--part file:- after --text @- refused" 2 "--part: stdin (@-) can feed only one input" -- \
  "$cli" call "$url" predict_multi_images --text @- --part original=file:- </dev/null
check "raw call to unsupported descriptor" 0 "custom:3" -- \
  bash -c "printf abc > '$tmp/raw.bin' && '$cli' call '$url' custom_io --raw --bytes '$tmp/raw.bin'"
# load mode honours --raw: custom IO reached without descriptors, the server judging the input
check "load --raw to unsupported descriptor" 0 "calls: 20  ok: 20  failed: 0" -- \
  "$cli" call "$url" custom_io --raw --bytes "$tmp/raw.bin" --concurrency 4 --count 20
check_json "bench --raw to unsupported descriptor" 0 "d['calls'] == 20 and d['ok'] == 20" -- \
  "$cli" bench "$url" custom_io --raw --bytes "$tmp/raw.bin" --concurrency 4 --count 20 --format json
check "load --raw skips client-side validation" 5 'Expecting ndarray of dtype "float32"' -- \
  "$cli" call "$url" echo_ndarray_enforce_dtype --ndarray '["a","b"]' --raw --concurrency 2 --count 4
check "concurrent calls" 0 "ok: 50  failed: 0" -- \
  "$cli" call "$url" predict --ndarray '[[1,2,3,4]]' --dtype float32 --concurrency 8 --count 50
check "concurrent failures counted" 4 "failed: 6" -- \
  "$cli" call "$url" slow_echo_ndarray --ndarray '[1]' --concurrency 3 --count 6 --deadline-ms 100
check "bench report" 0 "p99.9" -- \
  "$cli" bench "$url" predict --ndarray '[[1,2,3,4]]' --dtype float32 --concurrency 4 --count 40
check "bench histogram" 0 "histogram (ms):" -- \
  "$cli" bench "$url" bonjour --text hi --concurrency 2 --duration-s 0.3
check "bench counts" 0 "calls: 40  ok: 40  failed: 0" -- \
  "$cli" bench "$url" predict --ndarray '[[1,2,3,4]]' --dtype float32 --concurrency 4 --count 40
check "two inputs" 2 "exactly one input" -- "$cli" call "$url" bonjour --text a --json 1
check "deadline" 4 "DEADLINE_EXCEEDED" -- "$cli" call "$url" slow_echo_ndarray --ndarray '[1]' --deadline-ms 200
check "bad metadata" 2 "only lower-case" -- "$cli" call "$url" predict --ndarray '[[1,2,3,4]]' -H 'Bad Key: 1'
# every output value printed exactly, server text escaped on a terminal
check "uint64 max entered and printed exactly" 0 '"data":[18446744073709551615]' -- \
  "$cli" call "$url" echo_ndarray --ndarray '[18446744073709551615]' --dtype uint64
check "uint64 above 2^63 inferred" 0 '{"dtype":"uint64","shape":[1],"data":[18446744073709551615]}' -- \
  "$cli" call "$url" echo_ndarray --ndarray '[18446744073709551615]'
check "uint64 doubled exactly" 0 '"data":[18446744073709551614]' -- \
  "$cli" call "$url" double_ndarray --ndarray '[9223372036854775807]' --dtype uint64
check "int64 min" 0 '"data":[-9223372036854775808,9223372036854775807]' -- \
  "$cli" call "$url" echo_ndarray --ndarray '[-9223372036854775808,9223372036854775807]'
check "infinity from the server" 0 '"shape":[2,2],"data":[[Infinity,2.0],[-Infinity,4.0]]' -- \
  "$cli" call "$url" double_ndarray --ndarray '[[1e308,1],[-1e308,2]]' --dtype float64
check "NaN and Infinity round trip" 0 '"data":[NaN,Infinity,-Infinity,0.5]' -- \
  "$cli" call "$url" echo_ndarray --ndarray '[NaN,Infinity,-Infinity,0.5]' --dtype float32
check "dataframe NaN and int64 min" 0 "            NaN -9223372036854775808" -- \
  "$cli" call "$url" echo_dataframe --dataframe '{"a":[NaN, 1.5], "b":[-9223372036854775808, 1]}'
check "-H key over 255 bytes kept whole" 2 "only lower-case" -- \
  "$cli" call "$url" bonjour --text hi -H "$(printf 'x%.0s' $(seq 255))@: 1"
check_absent "text reply escaped on a terminal" 0 'Hello, \x1b]0;pwned\x07\x1b[2J!' "<ESC>" -- \
  on_tty "$cli" call "$url" bonjour --text $'\e]0;pwned\a\e[2J'
check_absent "status message escaped on a terminal" 5 '\x1b]0;pwned\x07' "<ESC>" -- \
  on_tty "$cli" call "$url" fail_with_status --text $'NOT_FOUND|\e]0;pwned\a'
check "raw text with -o" 0 "text (no type), 22 bytes written" -- \
  "$cli" call "$url" bonjour --text $'\e]0;pwned\a\e[2J' -o "$tmp/text.out"
check "raw bytes in the -o file" 0 "" -- \
  bash -c "printf 'Hello, \\033]0;pwned\\a\\033[2J!' | cmp - '$tmp/text.out'"
check "raw text to a pipe" 0 "" -- \
  bash -c "'$cli' call '$url' bonjour --text \$'\\e' | od -c | grep -qF '033'"
# inputs from files and stdin, -o -, --format json for every output, -v, logging
printf '[[5.9,3,5.1,1.8],[1,2,3,4]]\n' >"$tmp/batch.json"
check "--ndarray @file" 0 '"data":[15.8,10.0]' -- "$cli" call "$url" predict --ndarray @"$tmp/batch.json" --dtype float32
check "--ndarray @- (stdin)" 0 '"data":[15.8,10.0]' -- \
  bash -c "'$cli' call '$url' predict --ndarray @- --dtype float32 <'$tmp/batch.json'"
check "--text @@ is a literal @" 0 "Hello, @x!" -- "$cli" call "$url" bonjour --text @@x
check "--part json:@file" 0 "" -- bash -c "printf '{\"a\": 1}' >'$tmp/meta.json' && '$cli' call '$url' echo_json --json @'$tmp/meta.json'"
check "two inputs from stdin refused" 2 "stdin (@-) can feed only one input" -- \
  "$cli" call "$url" bonjour --text @- --json @- </dev/null
check "-o - writes text to stdout" 0 "" -- \
  bash -c "'$cli' call '$url' bonjour --text W -o - | cmp - <(printf 'Hello, W!')"
check "-o - writes a file to stdout" 0 "" -- \
  bash -c "'$cli' call '$url' echo_image --file '$tmp/img.bmp' -o '$tmp/o.bmp' && '$cli' call '$url' echo_image --file '$tmp/img.bmp' -o - | cmp - '$tmp/o.bmp'"
check "no file named -" 0 "" -- test ! -e ./-
check "-H key lower-cased" 0 '"data":[true]' -- "$cli" call "$url" echo_ndarray --ndarray '[true]' -H 'X-Upper: 1'
check "-v shows trailers, status and time" 0 "< status: BG_OK" -- \
  "$cli" call "$url" bonjour --text hi -v -H 'x-request-id: 9'
check_absent "-v hides credentials" 0 "> x-api-key: (hidden)" "SECRETTOKEN" -- \
  "$cli" call "$url" bonjour --text hi -v -H 'X-Api-Key: SECRETTOKEN'
check_absent "-v hides proxy-authorization and cookies" 0 "> proxy-authorization: (hidden)" "SECRETTOKEN" -- \
  "$cli" call "$url" bonjour --text hi -v -H 'Proxy-Authorization: Basic SECRETTOKEN' -H 'Cookie: s=SECRETTOKEN' -H 'x-session-id: SECRETTOKEN'
check "-v still shows plain headers" 0 "> x-request-id: 9" -- \
  "$cli" call "$url" bonjour --text hi -v -H 'x-request-id: 9'
check "-v logs the library's events" 0 "bentogrpc: info: connecting to" -- "$cli" describe "$url" -v
check "--log info" 0 "bentogrpc: info: discovery at" -- "$cli" describe "$url" --log info
check "BG_LOG=info" 0 "bentogrpc: info: connecting to" -- env BG_LOG=info "$cli" health "$url"
check_json "describe json" 0 "any(a['name'] == 'predict' and a['input']['descriptor'] for a in d['apis'])" -- \
  "$cli" describe "$url" --format json
check_json "health json" 0 "d['status'] == 'SERVING'" -- "$cli" health "$url" --format json
check_json "wait json" 0 "d['status'] == 'SERVING'" -- "$cli" wait "$url" --format json
check_json "ndarray json" 0 "d['kind'] == 'ndarray' and d['value']['data'] == [15.8, 10.0]" -- \
  "$cli" call "$url" predict --ndarray @"$tmp/batch.json" --dtype float32 --format json
check_json "series json" 0 "d['kind'] == 'series' and d['value']['data'] == [1, 2, 3]" -- \
  "$cli" call "$url" echo_series_from_sample --series '[1,2,3]' --format json
check_json "dataframe json" 0 "d['kind'] == 'dataframe' and d['columns'][0]['name'] == 'col1' and d['columns'][0]['value']['data'] == [46]" -- \
  "$cli" call "$url" double_dataframe --dataframe '{"col1":[23]}' --format json
check_json "json output json" 0 "d['kind'] == 'json' and d['value'] == {'a': 1, 'b': [True]}" -- \
  "$cli" call "$url" echo_json --json '{"b":[true],"a":1}' --format json
check_json "text json" 0 "d == {'kind': 'text', 'value': 'Hello, Wörld!'}" -- \
  "$cli" call "$url" bonjour --text "Wörld" --format json
check_json "file json" 0 "d['kind'] == 'file' and d['mime'] == 'image/bmp' and d['size'] > 54" -- \
  "$cli" call "$url" echo_image --file "$tmp/img.bmp" --format json
check_json "multipart json" 0 "d['kind'] == 'multipart' and len(d['parts']) >= 1" -- \
  "$cli" call "$url" predict_multi_images --part "original=file:$tmp/img.bmp" --part "compared=file:$tmp/img.bmp" --format json
# non-finite floats as JSON can carry them (strings, as the proto3 JSON mapping and grpcurl
# spell them): a bare NaN is not JSON; and each document is one line
check_json "NaN and Infinity in strict JSON" 0 "d['value']['data'] == ['NaN', 'Infinity', '-Infinity', 0.5]" -- \
  "$cli" call "$url" echo_ndarray --ndarray '[NaN,Infinity,-Infinity,0.5]' --dtype float32 --format json
check_json "float64 NaN in strict JSON" 0 "d['value']['data'] == ['NaN', 1.5]" -- \
  "$cli" call "$url" echo_ndarray --ndarray '[NaN,1.5]' --format json
check_json "dataframe NaN in strict JSON" 0 "d['columns'][0]['value']['data'] == ['NaN', 1.5]" -- \
  "$cli" call "$url" echo_dataframe --dataframe '{"a":[NaN, 1.5]}' --format json
check "a call's JSON document is one line" 0 "" -- bash -c \
  "[ \"\$('$cli' call '$url' echo_series_from_sample --series '[1,2,3]' --format json | wc -l)\" = 1 ]"
check_json "bench unknown API as JSON" 5 "d['error']['exit_code'] == 5 and 'nope' in d['error']['message']" -- \
  "$cli" bench "$url" nope --text hi --count 2 --format json
check_json "bench bad input as JSON" 2 "d['error']['exit_code'] == 2 and 'Text expects' in d['error']['message']" -- \
  "$cli" bench "$url" bonjour --ndarray '[1]' --count 2 --format json
check_json "server error json" 5 "d['error']['exit_code'] == 5 and 'nope' in d['error']['message']" -- \
  "$cli" call "$url" nope --ndarray '[1]' --format json
check_json "bench json" 0 "d['calls'] == 20 and d['ok'] == 20 and d['latency_ms']['p99'] > 0 and sum(b['count'] for b in d['histogram']) == 20" -- \
  "$cli" bench "$url" bonjour --text hi --concurrency 2 --count 20 --format json
check "bench csv" 0 "calls,ok,failed,concurrency,elapsed_s" -- \
  "$cli" bench "$url" bonjour --text hi --concurrency 2 --count 10 --format csv
check_json "bench --rps and --warmup-s" 0 "d['calls'] == 6 and d['warmup_calls'] >= 1" -- \
  "$cli" bench "$url" bonjour --text hi --concurrency 2 --count 6 --rps 50 --warmup-s 0.1 --format json
check "--lb --retries --health-check accepted" 0 "Hello, x!" -- \
  "$cli" call "$url" bonjour --text x --lb round_robin --retries 2 --health-check
check "--health-check=SERVICE" 0 "SERVING" -- "$cli" health "$url" --lb round_robin --health-check=
check "v1alpha1 explains" 6 "no ServiceMetadata" -- "$cli" describe "$url" --protocol-version v1alpha1
cleanup

start_server --protocol-version v1alpha1
check "v1alpha1 raw call" 0 '"data":[2,4]' -- \
  "$cli" call "127.0.0.1:$port" double_ndarray --ndarray '[1,2]' --dtype int32 --protocol-version v1alpha1
check "v1alpha1 load" 0 "calls: 20  ok: 20  failed: 0" -- \
  "$cli" call "127.0.0.1:$port" double_ndarray --ndarray '[1,2]' --dtype int32 \
  --protocol-version v1alpha1 --concurrency 4 --count 20
check_json "v1alpha1 bench" 0 "d['calls'] == 20 and d['ok'] == 20 and d['failed'] == 0" -- \
  "$cli" bench "127.0.0.1:$port" double_ndarray --ndarray '[1,2]' --dtype int32 \
  --protocol-version v1alpha1 --concurrency 4 --count 20 --format json
cleanup

# TLS and mutual TLS with certificates made now
bash "$src/tests/support/make_certs.sh" "$tmp/certs" || { echo "make_certs.sh failed"; exit 1; }
c="$tmp/certs"
start_server --tls-cert "$c/server.pem" --tls-key "$c/server.key" --tls-ca "$c/ca.pem"
check "mtls call" 0 '"data":[10.0]' -- "$cli" call "localhost:$port" predict --ndarray '[[1,2,3,4]]' \
  --dtype float32 --cacert "$c/ca.pem" --cert "$c/client.pem" --key "$c/client.key"
check "mtls without client cert" 3 "TLS handshake" -- "$cli" health "localhost:$port" --cacert "$c/ca.pem"
check "tls wrong CA" 3 "TLS handshake" -- "$cli" health "localhost:$port" --cacert "$c/other-ca.pem" \
  --cert "$c/client.pem" --key "$c/client.key"
check "missing CA file" 2 "cannot open" -- "$cli" health "localhost:$port" --cacert "$c/nope.pem"
check "cert without key" 2 "--cert and --key go together" -- "$cli" health "localhost:$port" --cert "$c/client.pem"
check "--cacert then --plaintext" 2 "--plaintext cannot go with --cacert" -- \
  "$cli" health "localhost:$port" --cacert "$c/ca.pem" --plaintext
check "--plaintext then --cacert" 2 "--plaintext cannot go with --cacert" -- \
  "$cli" health "localhost:$port" --plaintext --cacert "$c/ca.pem"
check "--plaintext with --key" 2 "--plaintext cannot go with --cert" -- \
  "$cli" health "localhost:$port" --plaintext --key "$c/client.key" --cert "$c/client.pem"
if [ -n "$mtls_example" ]; then
  check "mtls from memory (example)" 0 "predict over mutual TLS: 15.8" -- \
    "$mtls_example" "localhost:$port" "$c/ca.pem" "$c/client.pem" "$c/client.key"
fi
cleanup
start_server --tls-cert "$c/wrongname.pem" --tls-key "$c/wrongname.key"
check "authority override" 0 "SERVING" -- "$cli" health "localhost:$port" --cacert "$c/ca.pem" --authority other.example
cleanup

start_server
check "compressed call" 0 '"data":[[2,4],[6,8]]' -- \
  "$cli" call "127.0.0.1:$port" double_ndarray --ndarray '[[1,2],[3,4]]' --compress gzip
check "bad compression" 2 "--compress takes" -- "$cli" call "127.0.0.1:$port" bonjour --text x --compress lz4
check "max recv bytes" 5 "bg_options_set_max_receive_size" -- \
  "$cli" call "127.0.0.1:$port" echo_ndarray --ndarray "[$(seq -s, 1 3000)]" --dtype float64 --max-recv-bytes 20000
check "discovery over limit" 5 "Received message larger than max" -- \
  "$cli" describe "127.0.0.1:$port" --max-recv-bytes 100
# the CLI's own remedy comes from the library's reason (the library's message names no flag)
check "max recv bytes: the CLI names its flag" 5 "(bentogrpc: raise the limit with --max-recv-bytes N)" -- \
  "$cli" call "127.0.0.1:$port" echo_ndarray --ndarray "[$(seq -s, 1 3000)]" --dtype float64 --max-recv-bytes 20000
check "TLS to a plaintext server: the CLI names its flags" 3 "(bentogrpc: the CA with --cacert CA.pem" -- \
  "$cli" health "grpcs://127.0.0.1:$port" --timeout-ms 3000
check "plaintext wins over grpcs" 0 "SERVING" -- "$cli" health "grpcs://127.0.0.1:$port" --plaintext
cleanup

# Replica flags: a replica that says who answered, retries over a server failing its first calls
start_server --replica-id r7 --fail-first-calls 1
check "--retries retries UNAVAILABLE" 0 '"data":[2.0]' -- \
  "$cli" call "127.0.0.1:$port" double_ndarray --ndarray '[1.0]' --retries 2 --lb round_robin
check_json "bench counts calls per replica" 0 "d['replicas'] == {'r7': 20}" -- \
  "$cli" bench "127.0.0.1:$port" bonjour --text hi --concurrency 2 --count 20 --format json \
  --lb round_robin --health-check
check "-v: request metadata, trailers, status and time on stderr only" 0 "" -- bash -c \
  "'$cli' call 127.0.0.1:$port bonjour --text hi -v -H 'X-Request-Id: 5' >'$tmp/v.out' 2>'$tmp/v.err' &&
   grep -qF '> x-request-id: 5' '$tmp/v.err' && grep -qF '< trailer bentoml-replica: r7' '$tmp/v.err' &&
   grep -qF '< status: BG_OK (gRPC OK)' '$tmp/v.err' && grep -qE '^< time: [0-9.]+ ms$' '$tmp/v.err' &&
   [ \"\$(cat '$tmp/v.out')\" = 'Hello, hi!' ]"
check "bench prints calls per replica" 0 "calls per replica (bentoml-replica):" -- \
  "$cli" bench "127.0.0.1:$port" bonjour --text hi --concurrency 2 --count 5
check "bench csv counts calls per replica" 0 "" -- bash -c \
  "out=\$('$cli' bench 127.0.0.1:$port bonjour --text hi --concurrency 2 --count 6 --format csv) &&
   [ \"\$(head -1 <<<\"\$out\" | cut -d, -f13-)\" = max_ms,replica:r7 ] &&
   [ \"\$(tail -1 <<<\"\$out\" | cut -d, -f1,14)\" = 6,6 ] && [ \"\$(wc -l <<<\"\$out\")\" = 2 ]"
check_json "bench --raw counts calls per replica" 0 "d['ok'] == 8 and d['replicas'] == {'r7': 8}" -- \
  "$cli" bench "127.0.0.1:$port" bonjour --text hi --concurrency 2 --count 8 --format json --raw
cleanup

# call and bench take gRPC's target syntax; one ipv4: target naming three replicas,
# round_robin: bench counts every replica's calls (round_robin may start on the first replica
# ready, so the split need not be exact), and the flags are taken by bench as by call.
server_pid=
targets=()
for i in 1 2 3; do
  start_server --listen "127.0.0.$i:0" --replica-id "r$i"
  replica_pids+=("$server_pid")
  targets+=("127.0.0.$i:$port")
done
server_pid=
ipv4_target="ipv4:$(IFS=,; echo "${targets[*]}")"
check "call over an ipv4: list" 0 '"data":[2.0]' -- \
  "$cli" call "$ipv4_target" double_ndarray --ndarray '[1.0]' --lb round_robin
check "call over dns:///localhost" 0 "Hello, x!" -- \
  "$cli" call "dns:///localhost:${targets[0]##*:}" bonjour --text x
# warm-up first: round_robin picks only replicas whose connection (and health check) is up, and
# on a loaded machine one may come up only after 300 quick calls are done (with the poll
# strategy, through gRPC's backup poll: transport/fork.c); the per-replica tally counts the
# warm-up calls too
check_json "bench spreads over 3 replicas" 0 \
  "d['ok'] == 300 and sorted(d['replicas']) == ['r1', 'r2', 'r3'] and sum(d['replicas'].values()) == 300 + d['warmup_calls']" -- \
  "$cli" bench "$ipv4_target" bonjour --text hi --concurrency 4 --count 300 --format json \
  --lb round_robin --retries 2 --health-check --warmup-s 1
check_json "bench pick_first sticks to one replica" 0 \
  "d['ok'] == 100 and len(d['replicas']) == 1" -- \
  "$cli" bench "$ipv4_target" bonjour --text hi --concurrency 4 --count 100 --format json
stop_replicas

# Credentials over plaintext: refused unless --allow-insecure-credentials, and then only to a
# loopback or unix: server. The reference server cannot show request headers; hostile_server.py
# (scenario echo) logs every RPC's metadata as a JSON line, so these see what arrived (or that
# no Call did). The token must never be printed.
start_hostile() { # start_hostile ARGS...: sets port and server_pid; RPCs logged to $tmp/rpc.log
  local out
  out=$(mktemp)
  : >"$tmp/rpc.log"
  /usr/bin/python3 "$src/tests/hostile/hostile_server.py" --scenario echo --log "$tmp/rpc.log" \
    "$@" >"$out" &
  server_pid=$!
  port=$(await_port "$out") || { echo "hostile server did not start"; exit 1; }
  rm -f "$out"
}
# logged_calls COUNT [AUTH]: the log holds exactly COUNT Calls, each with exactly the
# authorization value AUTH (without AUTH: none carried one).
logged_calls() {
  /usr/bin/python3 - "$tmp/rpc.log" "$@" <<'PY'
import json, sys
calls = [r for r in map(json.loads, open(sys.argv[1])) if r["rpc"] == "Call"]
want = sys.argv[3] if len(sys.argv) > 3 else None
seen = [r["meta"].get("authorization") for r in calls]
ok = len(calls) == int(sys.argv[2]) and all(a == want for a in seen)
print(f"{len(calls)} Calls, authorization: {sorted(set(map(str, seen)))}")
sys.exit(0 if ok else 1)
PY
}
token='authorization: Bearer SECRET-TOKEN-7'
start_hostile --unix "$tmp/h.sock"
hurl="127.0.0.1:$port"
check_absent "creds refused over plaintext, advice names the flag" 2 \
  "add --allow-insecure-credentials to send them to this local server" "SECRET-TOKEN" -- \
  "$cli" call "$hurl" text --text hi -H "$token" -v
check_json "creds refusal as JSON names the flag" 2 \
  "d['error']['exit_code'] == 2 and '--allow-insecure-credentials' in d['error']['message'] and 'SECRET' not in json.dumps(d)" -- \
  "$cli" call "$hurl" text --text hi -H "$token" --format json
check_absent "creds refused in a load run, advice names the flag" 2 "--allow-insecure-credentials" \
  "SECRET-TOKEN" -- "$cli" call "$hurl" text --text hi -H "$token" --concurrency 2 --count 3
check_absent "creds refused by bench, advice names the flag" 2 "--allow-insecure-credentials" \
  "SECRET-TOKEN" -- "$cli" bench "$hurl" text --text hi -H "$token" --count 3 --raw
check "creds: nothing was sent without the flag" 0 "0 Calls" -- logged_calls 0
check_absent "creds sent with --allow-insecure-credentials" 0 "> authorization: (hidden)" \
  "SECRET-TOKEN" -- "$cli" call "$hurl" text --text hi -H "$token" -v --allow-insecure-credentials
check "creds arrived with the flag" 0 "1 Calls" -- logged_calls 1 "Bearer SECRET-TOKEN-7"
check_absent "creds in a load run with the flag" 0 "ok: 3  failed: 0" "SECRET-TOKEN" -- \
  "$cli" call "$hurl" text --text hi -H "$token" --concurrency 2 --count 3 --allow-insecure-credentials
check_json "creds in bench with the flag" 0 "d['ok'] == 4 and d['failed'] == 0" -- \
  "$cli" bench "$hurl" text --text hi -H "$token" --concurrency 2 --count 4 --format json \
  --allow-insecure-credentials
check_absent "creds in a --raw load run with the flag" 0 "ok: 2  failed: 0" "SECRET-TOKEN" -- \
  "$cli" call "$hurl" text --text hi -H "$token" --count 2 --raw --allow-insecure-credentials
check "creds over a unix: socket with the flag" 0 "hi" -- \
  "$cli" call "unix:$tmp/h.sock" text --text hi -H "$token" --allow-insecure-credentials
check "creds: every Call carried the token" 0 "11 Calls" -- logged_calls 11 "Bearer SECRET-TOKEN-7"
check "creds flag taken by health" 0 "SERVING" -- "$cli" health "$hurl" --allow-insecure-credentials
check "creds flag taken by describe" 0 "text" -- "$cli" describe "$hurl" --allow-insecure-credentials
check "creds flag taken by wait" 0 "SERVING" -- "$cli" wait "$hurl" --allow-insecure-credentials
cleanup
server_pid=
# Not loopback: the library refuses even with the flag, before anything is sent (192.0.2.1 is
# TEST-NET-1; --raw needs no discovery, so the refusal comes without a connection).
check_absent "creds to a non-loopback target refused even with the flag" 2 \
  "--allow-insecure-credentials, too, covers only loopback and unix: servers" "SECRET-TOKEN" -- \
  "$cli" call 192.0.2.1:9 text --raw --text hi -H "$token" --allow-insecure-credentials
# A long API name is echoed in the refusal; the remedy comes first, so the advice stays right.
long_api=$(printf 'a%.0s' $(seq 900))
check_absent "creds advice right with a long API name" 2 \
  "--allow-insecure-credentials, too, covers only loopback and unix: servers" "SECRET-TOKEN" -- \
  "$cli" call 192.0.2.1:9 "$long_api" --raw --text hi -H "$token" --allow-insecure-credentials
# A load run connects first, raw or not (the calls it would refuse need a server to reach), so
# at this unreachable address it fails as unavailable, as a run through discovery does, and the
# token is still never printed.
check_absent "creds in a load run to an unreachable non-loopback target" 3 \
  "connecting to the server at 192.0.2.1:9 failed" "SECRET-TOKEN" -- \
  "$cli" bench 192.0.2.1:9 text --raw --text hi -H "$token" --count 2 --allow-insecure-credentials

# BentoML releases (README "BentoML releases"): the reference server behaves like each where
# they differ; the CLI says which service it checked and what to run instead of discovery.
start_server --bentoml-release 1.0.10 # only bentoml.grpc.v1alpha1.BentoService
url="127.0.0.1:$port"
check "1.0.10: health finds the v1alpha1 service" 0 \
  "SERVING (service bentoml.grpc.v1alpha1.BentoService)" -- "$cli" health "$url"
check_json "1.0.10: health json names the service" 0 \
  "d == {'status': 'SERVING', 'service': 'bentoml.grpc.v1alpha1.BentoService'}" -- \
  "$cli" health "$url" --format json
check "1.0.10: wait finds the v1alpha1 service" 0 \
  "SERVING (service bentoml.grpc.v1alpha1.BentoService)" -- "$cli" wait "$url" --timeout-ms 3000
check_json "1.0.10: wait json names the service" 0 \
  "d['service'] == 'bentoml.grpc.v1alpha1.BentoService'" -- "$cli" wait "$url" --format json
check "1.0.10: --service v1 stays NOT_FOUND" 5 "NOT_FOUND" -- \
  "$cli" health "$url" --service bentoml.grpc.v1.BentoService
check "1.0.10: call says v1alpha1 and repeats the command line" 5 \
  "run it without discovery: \`$cli call $url bonjour --text 'it'\\''s me' --protocol-version v1alpha1\`" -- \
  "$cli" call "$url" bonjour --text "it's me"
check "1.0.10: the suggested command line works" 0 "Hello, it's me!" -- \
  "$cli" call "$url" bonjour --text "it's me" --protocol-version v1alpha1
check "1.0.10: describe says which release and what to call" 5 \
  "serves only bentoml.grpc.v1alpha1.BentoService, as BentoML 1.0.6 to 1.0.10 do" -- \
  "$cli" describe "$url"
check "1.0.10: describe names the call" 5 \
  "\`bentogrpc call $url API --protocol-version v1alpha1 --text ...\`" -- "$cli" describe "$url"
check "1.0.10: bench repeats its command line" 5 \
  "\`$cli bench $url bonjour --text x --count 2 --protocol-version v1alpha1\`" -- \
  "$cli" bench "$url" bonjour --text x --count 2
check_json "1.0.10: call json error carries the advice" 5 \
  "d['error']['grpc_status_name'] == 'UNIMPLEMENTED' and d['error']['exit_code'] == 5 and '--protocol-version v1alpha1\`' in d['error']['message']" -- \
  "$cli" call "$url" bonjour --text x --format json
echo -n abc >"$tmp/old.bin"
check "1.0.10: File in the file field accepted" 0 "abc" -- \
  "$cli" call "$url" predict_file --protocol-version v1alpha1 --file "$tmp/old.bin" -o -
cleanup

start_server --bentoml-release 1.0.11 # v1 without ServiceMetadata
url="127.0.0.1:$port"
check "1.0.11: health checks the v1 service" 0 \
  "SERVING (service bentoml.grpc.v1.BentoService)" -- "$cli" health "$url"
check "1.0.11: call says no ServiceMetadata and repeats the command line with --raw" 5 \
  "run it without discovery: \`$cli call $url bonjour --text x --raw\`" -- \
  "$cli" call "$url" bonjour --text x
check "1.0.11: call names the release" 5 \
  "serves bentoml.grpc.v1.BentoService without the ServiceMetadata RPC (UNIMPLEMENTED), as BentoML 1.0.11 does" -- \
  "$cli" call "$url" bonjour --text x
check "1.0.11: the suggested command line works" 0 "Hello, x!" -- \
  "$cli" call "$url" bonjour --text x --raw
check "1.0.11: describe names the --raw call" 5 \
  "\`bentogrpc call $url API --raw --text ...\`" -- "$cli" describe "$url"
cleanup

start_server --bentoml-release 1.0.16 # File's `file` field refused: the client resends
url="127.0.0.1:$port"
check "1.0.16: File input resent as serialized_bytes" 5 "An error has occurred in BentoML user code" -- \
  env BG_LOG=info "$cli" call "$url" predict_file --file "$tmp/old.bin"
check "1.0.16: the resend is logged" 5 "sending it again as serialized_bytes" -- \
  env BG_LOG=info "$cli" call "$url" predict_file --file "$tmp/old.bin"
check "1.0.16: raw File call refused as file" 5 "got 'file' instead" -- \
  "$cli" call "$url" predict_file --file "$tmp/old.bin" --raw
cleanup

start_server --no-bento-service # a gRPC server that is not BentoML
url="127.0.0.1:$port"
check "no BentoService: health says it checked the whole server" 0 \
  "SERVING (service '': the whole server)" -- "$cli" health "$url"
check_json "no BentoService: health json service ''" 0 "d['service'] == ''" -- \
  "$cli" health "$url" --format json
check "no BentoService: describe asks if it is BentoML" 5 "is it a BentoML gRPC server" -- \
  "$cli" describe "$url"
cleanup

start_server --health-status NOT_SERVING
check "not serving" 1 "NOT_SERVING" -- "$cli" health "127.0.0.1:$port"
cleanup
server_pid=

# health --watch (Health/Watch): the status, then one line per change with a UTC timestamp
# (SIGUSR1 makes the reference server NOT_SERVING, SIGUSR2 SERVING again), until Ctrl-C or
# --timeout-ms; the exit code follows the last status. Every wait below is bounded.
start_server
url="127.0.0.1:$port"
watch_out=$(mktemp)
await_lines() { # await_lines FILE N: up to 5 s for FILE to have N lines
  local i
  for ((i = 0; i < 100; i++)); do
    [ "$(wc -l <"$1")" -ge "$2" ] && return 0
    sleep 0.05
  done
  return 1
}
watch_check() { # watch_check NAME CONDITION_RESULT DETAIL
  if [ "$2" -eq 0 ]; then
    passed=$((passed + 1))
    echo "ok   $1"
  else
    failed=$((failed + 1))
    echo "FAIL $1: $3"
    sed 's/^/     /' "$watch_out"
  fi
}
timeout 20 "$cli" health "$url" --watch >"$watch_out" 2>&1 &
watch_pid=$!
await_lines "$watch_out" 1 && kill -USR1 "$server_pid" &&
  await_lines "$watch_out" 2 && kill -USR2 "$server_pid" && await_lines "$watch_out" 3
kill -INT "$watch_pid"
wait "$watch_pid"
rc=$?
ts='[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z'
svc='\(service bentoml\.grpc\.v1\.BentoService\)'
grep -Eqx "$ts SERVING $svc" <(sed -n 1p "$watch_out") &&
  grep -Eqx "$ts NOT_SERVING $svc" <(sed -n 2p "$watch_out") &&
  grep -Eqx "$ts SERVING $svc" <(sed -n 3p "$watch_out") && [ "$(wc -l <"$watch_out")" -eq 3 ]
watch_check "health --watch prints each change with a timestamp" $? "want SERVING, NOT_SERVING, SERVING"
watch_check "health --watch ends on Ctrl-C with exit 0 after SERVING" $((rc != 0)) "exit $rc"

kill -USR1 "$server_pid"
start_ms=$(date +%s%3N)
timeout 20 "$cli" health "$url" --watch --timeout-ms 600 --format json >"$watch_out" 2>/dev/null
rc=$?
took=$(($(date +%s%3N) - start_ms))
/usr/bin/python3 -c '
import json, sys
lines = open(sys.argv[1]).read().splitlines()
d = [json.loads(l) for l in lines]
assert len(d) == 1 and d[0]["status"] == "NOT_SERVING", d
assert d[0]["service"] == "bentoml.grpc.v1.BentoService" and d[0]["time"].endswith("Z"), d
' "$watch_out"
watch_check "health --watch --format json: one object per line" $? "want one NOT_SERVING object"
watch_check "health --watch --timeout-ms ends on time with exit 1 after NOT_SERVING" \
  $((rc != 1 || took < 550 || took > 5000)) "exit $rc after $took ms"
kill -USR2 "$server_pid"
check "health --watch of an unknown name reports SERVICE_UNKNOWN" 1 "SERVICE_UNKNOWN" -- \
  timeout 20 "$cli" health "$url" --watch --service no.such.Service --timeout-ms 300
# wait watches: it returns as soon as the watch says SERVING (SIGUSR2 500 ms in)
kill -USR1 "$server_pid"
(sleep 0.5 && kill -USR2 "$server_pid") &
flip_pid=$!
check "wait by Watch returns once SERVING" 0 "SERVING (service bentoml.grpc.v1.BentoService)" -- \
  timeout 20 "$cli" wait "$url" --timeout-ms 5000
wait "$flip_pid"
check "wait by Watch times out naming the last status" 4 "last status: NOT_SERVING" -- \
  bash -c "kill -USR1 $server_pid; timeout 20 '$cli' wait '$url' --timeout-ms 500"
kill -USR2 "$server_pid"
rm -f "$watch_out"
cleanup

# A server without Watch (an older gRPC health service): health --watch reports UNIMPLEMENTED,
# wait falls back to polling Health/Check.
start_server --no-health-watch --startup-delay-ms 800
url="127.0.0.1:$port"
check "health --watch without Watch: UNIMPLEMENTED" 5 "UNIMPLEMENTED" -- \
  timeout 20 "$cli" health "$url" --watch --timeout-ms 3000
check "wait without Watch falls back to polling" 0 "SERVING (service bentoml.grpc.v1.BentoService)" -- \
  timeout 20 "$cli" wait "$url" --timeout-ms 5000 --interval-ms 100
cleanup
server_pid=

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
