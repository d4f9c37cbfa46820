#!/usr/bin/env bash
# Regenerates the ABI baseline abi/libbentogrpc.abi from a plain (RelWithDebInfo) build, for the
# `abi` test (scripts/check-abi.sh) to compare against. Run it when the ABI changes on purpose
# (a release, or after merging new public API), and commit the result.
# usage: update-abi.sh [BUILD_DIR]   (default build/, built first if needed)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
[ -f "$build/CMakeCache.txt" ] || bash "$root/scripts/build.sh" "$(basename "$build")"
cmake --build "$build" --target bentogrpc -j"$(nproc)"
mkdir -p "$root/abi"
# Only types of the public headers; no paths or line numbers, so the file is the same on any
# machine and a moved declaration is not an ABI change.
abidw --headers-dir "$root/include/bentogrpc" --header-file "$build/include/bentogrpc/version.h" \
  --drop-private-types --no-show-locs --no-comp-dir-path --no-corpus-path \
  "$build/libbentogrpc.so" | sed -e "s|$build/|BUILD/|g" -e "s|$root/||g" >"$root/abi/libbentogrpc.abi"
echo "update-abi: wrote abi/libbentogrpc.abi ($(grep -c '<elf-symbol ' "$root/abi/libbentogrpc.abi") symbols)"
