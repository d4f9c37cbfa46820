#!/usr/bin/env bash
# run_cpp_example.sh SOURCE_DIR BUILD_DIR NAME SECONDS [CXXFLAGS]: builds the README's C++ example
# NAME (the block after `<!-- readme-test: NAME -->`) exactly as printed against the build
# tree's library, with -std=c++17 -Wall -Wextra -Wpedantic -Werror, and runs it against a
# reference server (with_server), failing if it takes over SECONDS. CXXFLAGS: extra compiler
# flags (the sanitizer builds pass their -fsanitize options).
set -euo pipefail
src=$1 build=$2 name=$3 seconds=$4 extra=${5:-}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
/usr/bin/python3 "$src/tests/readme/extract_block.py" "$src/README.md" "$name" >"$tmp/$name"
# shellcheck disable=SC2086 # extra is a list of flags
c++ $extra -std=c++17 -Wall -Wextra -Wpedantic -Werror -I"$src/include" -I"$build/include" \
  "$tmp/$name" -L"$build" -lbentogrpc -Wl,-rpath,"$build" -o "$tmp/example"
# with_server starts the server (not timed) and appends its address to the command
"$build/tests/with_server" "$(command -v timeout)" "$seconds" "$tmp/example"
