#!/usr/bin/env bash
# Proves scripts/check.sh can fail: copies the tracked tree into a temporary directory, plants one
# violation at a time (a layer including what its row of docs/INTERNALS.md's table does not
# allow, a tool/example/binding including a library-internal header, a bgi_ name in a tool, a
# document that drifted from check.sh's table, a library object defining a global outside
# bg_/bgi_, a layer calling a function of a layer it must not know, ...), and fails unless
# check.sh exits non-zero AND names that violation. The unplanted copy must pass every check.
# The symbol plants compile a few one-line .c files with the library's visibility flags into a
# stand-in build directory (no build of the library needed).
# usage: check-selftest.sh [BUILD_DIR]   (with a build, the unplanted symbol check runs on it too)
# Run by the ctest `check_detects_violations`.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
copy=$tmp/tree
mkdir -p "$copy"
failures=0
bad() {
  echo "check-selftest: FAIL: $*" >&2
  failures=$((failures + 1))
}

# The copy: the tracked files as they are in the working tree, committed once so that each
# plant is undone by checking its file out again.
(cd "$root" && git ls-files -z | tar --null -T - --ignore-failed-read -cf - 2>/dev/null) |
  tar -C "$copy" -xf -
git -C "$copy" init -q
git -C "$copy" add -A
git -C "$copy" -c user.name=selftest -c user.email=selftest@localhost commit -qm tree
check() { bash "$copy/scripts/check.sh" "$@" 2>"$tmp/stderr" >/dev/null; }
# undo FILE: FILE as it was in the copy (or gone, when the plant created it).
undo() {
  if git -C "$copy" cat-file -e "HEAD:$1" 2>/dev/null; then
    git -C "$copy" checkout -q HEAD -- "$1"
  else
    git -C "$copy" rm -qf -- "$1"
  fi
}

# The unplanted copy passes (the symbol check on BUILD_DIR when one is given).
if ! check ${build:+"$build"}; then
  bad "the unplanted copy fails check.sh (fix the tree first):"
  cat "$tmp/stderr" >&2
fi

# plant NAME SECTION EXPECTED FILE LINE: adds LINE after the last #include of FILE (or at the end
# when it has none); check.sh --only SECTION must fail with a message matching EXPECTED (an ERE).
plant() {
  local name=$1 section=$2 expected=$3 file=$4 line=$5
  mkdir -p "$copy/$(dirname "$file")"
  touch "$copy/$file"
  awk -v add="$line" '{ lines[NR] = $0 } /^[[:space:]]*(\/\/ *)?#[[:space:]]*include/ { last = NR }
    END { if (!last) last = NR; for (i = 1; i <= NR; i++) { print lines[i]; if (i == last) print add }
      if (NR == 0) print add }' "$copy/$file" >"$tmp/planted" && cp "$tmp/planted" "$copy/$file"
  git -C "$copy" add -- "$file"
  expect_failure "$name" "$expected" --only "$section"
  undo "$file"
}
# expect_failure NAME EXPECTED CHECK-ARGS...: check.sh fails, its message matching EXPECTED (ERE).
expect_failure() {
  local name=$1 expected=$2
  shift 2
  if check "$@"; then
    bad "$name: check.sh passed"
  elif ! grep -qE -- "$expected" "$tmp/stderr"; then
    bad "$name: check.sh failed without naming it (expected \"$expected\"):"
    cat "$tmp/stderr" >&2
  else
    echo "check-selftest: detected: $name ($(head -n1 "$tmp/stderr"))"
  fi
}

# Layers (the rows of docs/INTERNALS.md's table).
plant "transport includes wire" layers \
  'src/transport/url\.c:[0-9]+ includes "wire/arena\.h": transport must not depend on wire' \
  src/transport/url.c '#include "wire/arena.h"'
plant "transport includes generated protobuf (wire)" layers \
  'channel\.c:[0-9]+ includes "bentoml/grpc/v1/service\.pb-c\.h": transport must not depend on wire' \
  src/transport/channel.c '#include "bentoml/grpc/v1/service.pb-c.h"'
plant "engine includes descriptors" layers 'operation\.c:[0-9]+ includes "descriptors/descriptor\.h": engine must not depend on descriptors' \
  src/engine/operation.c '#include "descriptors/descriptor.h"'
plant "engine includes client by a relative path" layers '"\.\./client/call_internal\.h": engine must not depend on client' \
  src/engine/operation.c '#include "../client/call_internal.h"'
plant "engine includes wire" layers 'async_engine\.h:[0-9]+ includes "wire/arena\.h": engine must not depend on wire' \
  src/engine/async_engine.h '#include "wire/arena.h"'
plant "value includes wire in angle brackets" layers 'value\.c:[0-9]+ includes <wire/arena\.h>: value must not depend on wire' \
  src/value/value.c '#include <wire/arena.h>'
plant "value includes gRPC" layers 'blob\.c:[0-9]+ includes <grpc/grpc\.h>: value knows nothing of gRPC' \
  src/value/blob.c '#include <grpc/grpc.h>'
plant "a root file includes client" layers \
  'src/log\.c:[0-9]+ includes "client/client_internal\.h": shared must not depend on client' \
  src/log.c '#include "client/client_internal.h"'
plant "a root header includes transport" layers 'error_internal\.h:[0-9]+ includes "transport/url\.h": shared must not depend on transport' \
  src/error_internal.h '#include "transport/url.h"'
plant "wire includes descriptors" layers 'content\.c:[0-9]+ includes "descriptors/rules\.h": wire must not depend on descriptors' \
  src/wire/content.c '#include "descriptors/rules.h"'
plant "src includes a tool's header" layers 'resolves to tools/cli_json\.h, outside the library' \
  src/client/client.c '#include "../../tools/cli_json.h"'
plant "src includes a file that does not exist" layers '"nowhere/missing\.h", which resolves to no file of the tree' \
  src/client/client.c '#include "nowhere/missing.h"'
plant "a folder of src/ that is no layer" layers 'src/extra/ is not a layer' \
  src/extra/helper.c '#include "error_internal.h"'
# The document drifted from check.sh's table.
cp "$copy/docs/INTERNALS.md" "$tmp/doc"
sed -i 's/| shared, transport |$/| shared, transport, wire |/' "$copy/docs/INTERNALS.md"
if cmp -s "$tmp/doc" "$copy/docs/INTERNALS.md"; then
  bad "the engine row of docs/INTERNALS.md's layer table was not found to plant a drift in"
else
  expect_failure "the document lets engine know wire" \
    'INTERNALS\.md says engine knows about "shared transport wire", check\.sh.s table says "shared transport"' --only layers
fi
undo docs/INTERNALS.md

# Tools, examples and bindings: the public headers and their own directory only.
plant "a tool includes ../src/log_internal.h" includes \
  'tools/cli_exit\.c:[0-9]+ includes "\.\./src/log_internal\.h", which resolves to src/log_internal\.h' \
  tools/cli_exit.c '#include "../src/log_internal.h"'
plant "a tool includes src/ in angle brackets" includes 'cli_json\.c:[0-9]+ includes <\.\./src/log_internal\.h>, which resolves to src/log_internal\.h' \
  tools/cli_json.c '#include <../src/log_internal.h>'
plant "an example includes a relative path into src/" includes \
  'examples/predict\.c:[0-9]+ includes "\.\./src/value/value_internal\.h", which resolves to src/' \
  examples/predict.c '#include "../src/value/value_internal.h"'
plant "an example includes a header that is nowhere" includes \
  'examples/predict\.c:[0-9]+ includes "value/value_internal\.h", which resolves to no file' \
  examples/predict.c '#include "value/value_internal.h"'
plant "the Go binding's C includes src/" includes \
  'bindings/go/bgo\.c:[0-9]+ includes "\.\./\.\./src/error_internal\.h", which resolves to src/' \
  bindings/go/bgo.c '#include "../../src/error_internal.h"'
plant "a cgo preamble includes src/" includes \
  'bindings/go/errors\.go:[0-9]+ includes "\.\./\.\./src/error_internal\.h", which resolves to src/' \
  bindings/go/errors.go '// #include "../../src/error_internal.h"'
plant "a bgi_ name in a tool" prefixes 'name the library.s internals .*tools/cli_exit\.c:[0-9]+' \
  tools/cli_exit.c 'int bgi_planted_helper(void);'
plant "a BGI_ macro in an example" prefixes \
  'name the library.s internals .*examples/predict\.c:[0-9]+' \
  examples/predict.c '#define BGI_PLANTED 1'

# Symbols: stand-in build directories laid out as CMake's (the objects under
# CMakeFiles/bentogrpc_objects.dir/ mirroring src/, an archive and a shared library of them),
# made from a few small files compiled with the flags that decide symbol visibility
# (-fvisibility=hidden, as the library's objects are compiled; BG_API is visibility("default")).
cc=${CC:-cc}
srcs=$tmp/srcs
# fake_build DIR FILE...: compiles each FILE of $srcs (src/X/name.c, generated/...) into
# DIR/CMakeFiles/bentogrpc_objects.dir/FILE.o, then DIR/libbentogrpc_internal.a and
# DIR/libbentogrpc.so from those objects.
fake_build() {
  local dir=$1 file obj objs=()
  shift
  for file in "$@"; do
    obj=$dir/CMakeFiles/bentogrpc_objects.dir/$file.o
    mkdir -p "${obj%/*}"
    "$cc" -c -fPIC -fvisibility=hidden -O0 -o "$obj" "$srcs/$file" || return 1
    objs+=("$obj")
  done
  ar rcs "$dir/libbentogrpc_internal.a" "${objs[@]}" &&
    "$cc" -shared -o "$dir/libbentogrpc.so" "${objs[@]}"
}
api='__attribute__((visibility("default")))'
mkdir -p "$srcs/src/wire" "$srcs/src/value" "$srcs/src/client" "$srcs/generated/bentoml/grpc/v1"
{
  echo "$api int bg_planted_api(void) { return 1; }"
  echo 'int bgi_planted_wire(void) { return 2; }'
  echo 'static int planted_static(void) { return 3; }'
  echo 'int bgi_planted_calls_static(void) { return planted_static(); }'
} >"$srcs/src/wire/good.c"
echo "$api void bg_planted_free(char *text) { (void)text; }" >"$srcs/src/value/free.c"
# client knows about wire: a use the layer check must allow.
echo 'int bgi_planted_wire(void); int bgi_planted_client(void) { return bgi_planted_wire(); }' \
  >"$srcs/src/client/uses.c"
echo 'int bentoml__grpc__v1__planted__init(void) { return 4; }' \
  >"$srcs/generated/bentoml/grpc/v1/service.pb-c.c"
good=(src/wire/good.c src/value/free.c src/client/uses.c generated/bentoml/grpc/v1/service.pb-c.c)
if fake_build "$tmp/good" "${good[@]}" && check --only symbols "$tmp/good"; then
  echo "check-selftest: passed: a stand-in build of bg_, bgi_ and protoc-c globals, client using wire"
else
  bad "a stand-in build of bg_, bgi_ and protoc-c globals, client using wire, fails the symbol check:"
  cat "$tmp/stderr" >&2
fi
# plant_symbols NAME EXPECTED FILE CODE: the stand-in build plus FILE (of src/) holding CODE fails
# the symbol check, its message matching EXPECTED (ERE).
plant_symbols() {
  local dir
  dir=$(mktemp -d "$tmp/build.XXXXXX")
  mkdir -p "$srcs/$(dirname "$3")"
  echo "$4" >"$srcs/$3"
  if ! fake_build "$dir" "${good[@]}" "$3"; then
    bad "$1: the planted file did not compile"
  else
    expect_failure "$1" "$2" --only symbols "$dir"
  fi
  rm -f "$srcs/$3"
}
plant_symbols "a global function without prefix" 'neither bg_ .*: planted\.c\.o: helper_count' \
  src/value/planted.c 'int helper_count(void) { return 5; }'
plant_symbols "a global variable without prefix" 'neither bg_ .*: planted\.c\.o: planted_table' \
  src/engine/planted.c 'int planted_table[4] = {1};'
plant_symbols "protoc-c's prefix outside protoc-c's objects" \
  'neither bg_ .*: planted\.c\.o: google__protobuf__planted' \
  src/wire/planted.c 'int google__protobuf__planted(void) { return 6; }'
plant_symbols "a bg_ function the shared library does not export" \
  'does not export \(bg_ is the public API.*\): bg_planted_hidden' \
  src/client/planted.c 'int bg_planted_hidden(void) { return 7; }'
plant_symbols "the shared library exports a name without bg_" \
  'libbentogrpc\.so exports more than bg_\*: planted_exported' \
  src/client/planted.c "$api int planted_exported(void) { return 8; }"
plant_symbols "a bgi_ name exported by the shared library" \
  'exports more than bg_\*: bgi_planted_visible' \
  src/client/planted.c "$api int bgi_planted_visible(void) { return 9; }"
plant_symbols "transport calls a wire function (declared by hand, no include)" \
  'src/transport/planted\.c uses bgi_planted_wire of src/wire/good\.c: transport must not depend on wire' \
  src/transport/planted.c 'int bgi_planted_wire(void); int bgi_planted_t(void) { return bgi_planted_wire(); }'
plant_symbols "a root file calls a public function of the value layer" \
  'src/planted\.c uses bg_planted_free of src/value/free\.c: shared must not depend on value' \
  src/planted.c 'void bg_planted_free(char *text); void bgi_planted_s(char *p) { bg_planted_free(p); }'
expect_failure "a build directory without the library" 'holds no libbentogrpc_internal\.a' \
  --only symbols "$srcs"

if [ "$failures" -ne 0 ]; then
  echo "check-selftest: $failures planted violation(s) not detected, or the clean copy fails" >&2
  exit 1
fi
echo "check-selftest: check.sh passes the clean tree and detects every planted violation"
