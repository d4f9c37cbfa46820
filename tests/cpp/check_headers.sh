#!/usr/bin/env bash
# check_headers.sh SOURCE_DIR BUILD_DIR: compiles bentogrpc.hpp (through compile_check.cpp,
# which instantiates every template) with each C++ compiler there is (g++, clang++) at
# -std=c++17 and -std=c++20, with -Wall -Wextra -Wpedantic -Wshadow -Werror: plain, with
# nlohmann/json.hpp included first (when installed), and with -fno-exceptions. Fails on any
# warning.
set -uo pipefail
src=$1 build=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failed=0 ran=0
flags=(-Wall -Wextra -Wpedantic -Wshadow -Werror -I"$src/include" -I"$build/include" -fsyntax-only
  "$src/tests/cpp/compile_check.cpp")
variants=("" "-fno-exceptions")
[ -f /usr/include/nlohmann/json.hpp ] && variants+=("-DBGT_WITH_NLOHMANN")
for cxx in g++ clang++; do
  command -v "$cxx" >/dev/null || { echo "skip $cxx: not installed"; continue; }
  for std in c++17 c++20; do
    for extra in "${variants[@]}"; do
      ran=$((ran + 1))
      # shellcheck disable=SC2086 # extra is one flag or none
      if "$cxx" -std=$std $extra "${flags[@]}" 2>"$tmp/log"; then
        echo "ok   $cxx -std=$std $extra"
      else
        echo "FAIL $cxx -std=$std $extra"
        sed 's/^/     /' "$tmp/log" | head -40
        failed=$((failed + 1))
      fi
    done
  done
done
echo "$((ran - failed)) passed, $failed failed"
[ "$ran" -gt 0 ] && [ "$failed" -eq 0 ]
