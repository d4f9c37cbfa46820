#!/usr/bin/env bash
# Everything a release ships, from this tree, into one folder: the four Debian packages
# (scripts/package-deb.sh), the Python wheel carrying libbentogrpc.so (pip wheel, offline), and
# the source tarball with its SHA-256 (scripts/dist.sh).
#   release-artifacts.sh [OUTDIR]   (default release/ in the repository; prints what it made)
# Needs what scripts/install-deps.sh installs (dpkg-dev, lintian, doxygen, python3-pip,
# python3-setuptools, python3-wheel).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$root/release}
case "$out" in /*) ;; *) out=$PWD/$out ;; esac
mkdir -p "$out"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

bash "$root/scripts/package-deb.sh" "$work/deb" >&2
cp "$work"/deb/packages/*.deb "$out/"
# --no-build-isolation --no-index: offline, with Debian's setuptools and wheel; --no-deps:
# numpy is the system's. The wheel's build step builds the library with CMake.
/usr/bin/python3 -m pip wheel --no-build-isolation --no-deps --no-index -q -w "$out" \
  "$root/bindings/python" >&2
bash "$root/scripts/dist.sh" "$out" >/dev/null
ls -1 "$out"
