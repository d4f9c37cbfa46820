#!/usr/bin/env bash
# Compares the built libbentogrpc.so with the committed ABI baseline abi/libbentogrpc.abi
# (abidiff, Debian's abigail-tools). Added functions and enumerators are allowed; a removed
# symbol or a changed function, type or version node fails. Regenerate the baseline with
# scripts/update-abi.sh when the ABI changes on purpose.
# usage: check-abi.sh BUILD_DIR [BASELINE]   (default abi/libbentogrpc.abi)
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$1
baseline=${2:-$root/abi/libbentogrpc.abi}
lib=$build/libbentogrpc.so
abidiff --no-added-syms --no-show-locs --headers-dir2 "$root/include/bentogrpc" \
  --drop-private-types "$baseline" "$lib"
rc=$?
if [ "$rc" -ne 0 ]; then
  # abidiff's exit status is a bit field: 1 error, 2 usage, 4 ABI change, 8 incompatible change.
  echo "check-abi: libbentogrpc's ABI differs from abi/libbentogrpc.abi (abidiff status $rc):"
  echo "check-abi: a removed or changed bg_ function or type breaks users. If the change is"
  echo "check-abi: intended, run scripts/update-abi.sh and commit the new baseline."
  exit 1
fi
echo "check-abi: no removed or changed symbols (added ones are allowed)"
