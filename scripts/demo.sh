#!/usr/bin/env bash
# The main job: install what is missing, build, start the bundled reference server, and call
# it with the bentogrpc CLI (describe, health, a predict call). Stops the server on exit.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

bash scripts/install-deps.sh
bash scripts/build.sh build

out=$(mktemp)
/usr/bin/python3 tests/server/reference_server.py --listen 127.0.0.1:0 >"$out" &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -f "$out"' EXIT
# shellcheck source=scripts/await_port.sh
source scripts/await_port.sh
port=$(await_port "$out") || { echo "demo: the reference server did not start" >&2; exit 1; }
url="localhost:$port"
cli=build/bentogrpc

run() { echo; echo "\$ bentogrpc $*"; "$cli" "$@"; }
run wait "$url" --timeout-ms 10000
run health "$url"
run describe "$url"
run call "$url" predict --ndarray '[[5.9,3.0,5.1,1.8],[4.9,3.0,1.4,0.2]]' --dtype float32
run call "$url" double_ndarray --ndarray '[[1,2],[3,4]]' --dtype int32
run call "$url" bonjour --text "BentoML"
run call "$url" echo_json --json '{"request_id": "123", "scores": [0.5, 1]}'
run call "$url" double_dataframe --dataframe '{"col1": [23, 5]}'
run call "$url" predict --ndarray '[[5.9,3.0,5.1,1.8]]' --dtype float32 --concurrency 16 --count 500
echo
echo "\$ example_predict $url"
build/example_predict "$url"
echo
echo "demo: OK"
