#!/usr/bin/env bash
# Installs the build into a fresh prefix, then builds out-of-tree consumers against that
# install alone (pkg-config + make, CMake find_package, the static library through CMake and
# through the README's pkg-config command, and the C++ API through CMake's
# bentogrpc::bentogrpc_cpp and pkg-config's bentogrpc-cpp) and runs each against the reference
# server. Also checks the installed tree: SONAME links, relocatable bentogrpc.pc, the CLI's
# RPATH, LICENSE, docs, man page, bash completion.
# usage: run.sh BUILD_DIR SOURCE_DIR [EXTRA_CFLAGS]   (EXTRA_CFLAGS: e.g. the sanitizer flags)
set -u
build=$1
src=$2
extra=${3:-}
passed=0
failed=0
server_pid=
tmp=$(mktemp -d)
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT
# shellcheck source=scripts/await_port.sh
source "$src/scripts/await_port.sh"

ok() { passed=$((passed + 1)); echo "ok   $1"; }
bad() { failed=$((failed + 1)); echo "FAIL $1"; [ -f "$tmp/log" ] && sed 's/^/     /' "$tmp/log"; }
step() { # step NAME COMMAND...: runs COMMAND (output to a log), passes when it exits 0
  local name=$1
  shift
  if "$@" >"$tmp/log" 2>&1; then ok "$name"; else bad "$name"; fi
}

# Installed into P, then moved: everything must still work from the new place (relocatable).
step "cmake --install into a fresh prefix" cmake --install "$build" --prefix "$tmp/first"
mv "$tmp/first" "$tmp/prefix"
p=$tmp/prefix
lib=$(cd "$p" && ls -d lib* | head -n 1)
for f in include/bentogrpc/bentogrpc.h include/bentogrpc/bentogrpc.hpp \
  include/bentogrpc/version.h "$lib/libbentogrpc.a" "$lib/pkgconfig/bentogrpc-cpp.pc" \
  "$lib/pkgconfig/bentogrpc.pc" "$lib/cmake/bentogrpc/bentogrpcConfig.cmake" \
  "$lib/cmake/bentogrpc/bentogrpcConfigVersion.cmake" bin/bentogrpc \
  share/doc/bentogrpc/LICENSE share/doc/bentogrpc/README.md share/man/man1/bentogrpc.1 \
  share/bash-completion/completions/bentogrpc; do
  step "installed $f" test -e "$p/$f"
done
soname=$(readelf -d "$p/$lib/libbentogrpc.so" 2>/dev/null | sed -n 's/.*SONAME.*\[\(.*\)\]/\1/p')
step "SONAME '$soname' is a link to the versioned library" \
  bash -c '[ -n "$1" ] && [ -L "$2/$1" ] && [ -L "$2/libbentogrpc.so" ]' _ "$soname" "$p/$lib"
step "the CLI runs from the moved prefix (RPATH)" env -u LD_LIBRARY_PATH "$p/bin/bentogrpc" --help
export PKG_CONFIG_PATH=$p/$lib/pkgconfig
step "pkg-config's includedir is in the moved prefix" \
  bash -c 'test -f "$(pkg-config --variable=includedir bentogrpc)/bentogrpc/bentogrpc.h"'

/usr/bin/python3 "$src/tests/server/reference_server.py" >"$tmp/server.out" &
server_pid=$!
port=$(await_port "$tmp/server.out") || { echo "reference server did not start"; exit 1; }
url=127.0.0.1:$port

run_consumer() { # run_consumer NAME BINARY
  if env -u LD_LIBRARY_PATH "$2" "$url" >"$tmp/log" 2>&1 && grep -qF "predict -> 15.8" "$tmp/log"; then
    ok "$1 runs against the server"
  else
    bad "$1 runs against the server"
  fi
}

cp -r "$src/tests/consumer" "$tmp/consumer"
step "pkg-config + make consumer builds" make -C "$tmp/consumer/pkgconfig" EXTRA="$extra"
run_consumer "pkg-config consumer" "$tmp/consumer/pkgconfig/consumer"
# the README's command for the static library with pkg-config
step "pkg-config + libbentogrpc.a consumer builds (README's command)" bash -c 'cd "$1" &&
  cc $2 consumer.c $(pkg-config --cflags bentogrpc) "$3/libbentogrpc.a" \
    $(pkg-config --static --libs grpc libprotobuf-c jansson libcrypto) -lm -pthread $2 -o consumer_static_pc' \
  _ "$tmp/consumer" "$extra" "$p/$lib"
run_consumer "pkg-config static consumer" "$tmp/consumer/consumer_static_pc"

for kind in cmake static; do
  step "CMake find_package consumer ($kind) configures" cmake -S "$tmp/consumer/$kind" \
    -B "$tmp/consumer/$kind/build" -DCMAKE_PREFIX_PATH="$p" -DCMAKE_C_FLAGS="$extra" \
    -DCMAKE_EXE_LINKER_FLAGS="$extra"
  step "CMake find_package consumer ($kind) builds" cmake --build "$tmp/consumer/$kind/build"
  run_consumer "CMake consumer ($kind)" "$tmp/consumer/$kind/build/consumer"
done
# The C++ API (header-only): through CMake's bentogrpc::bentogrpc_cpp and pkg-config's
# bentogrpc-cpp, each run against the server like the C consumers.
step "CMake find_package C++ consumer (bentogrpc::bentogrpc_cpp) configures" cmake \
  -S "$tmp/consumer/cpp" -B "$tmp/consumer/cpp/build" -DCMAKE_PREFIX_PATH="$p" \
  -DCMAKE_CXX_FLAGS="$extra" -DCMAKE_EXE_LINKER_FLAGS="$extra"
step "CMake find_package C++ consumer builds" cmake --build "$tmp/consumer/cpp/build"
run_consumer "CMake C++ consumer" "$tmp/consumer/cpp/build/consumer"
step "pkg-config (bentogrpc-cpp) + make C++ consumer builds" \
  make -C "$tmp/consumer/cpp_pkgconfig" EXTRA="$extra"
run_consumer "pkg-config C++ consumer" "$tmp/consumer/cpp_pkgconfig/consumer"

step "the static consumer does not need libbentogrpc.so" \
  bash -c "readelf -d '$tmp/consumer/static/build/consumer' >'$tmp/dyn' && ! grep -q libbentogrpc '$tmp/dyn'"

step "add_subdirectory: alias target, tests and examples off" cmake -S "$tmp/consumer/subdir" \
  -B "$tmp/consumer/subdir/build" -DBENTOGRPC_SOURCE_DIR="$src"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
