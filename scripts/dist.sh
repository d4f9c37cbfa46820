#!/usr/bin/env bash
# The source release: libbentogrpc-VERSION.tar.gz of the committed tree (git archive, every
# file under the directory libbentogrpc-VERSION/) and libbentogrpc-VERSION.tar.gz.sha256
# (`sha256sum -c` reads it). VERSION is CMakeLists.txt's project() version at REF. Only what
# is committed goes in: nothing generated, no build directory, no uncommitted change (a dirty
# working tree is reported, not packed). The same commit gives the same bytes.
# usage: dist.sh [OUTDIR] [REF]   (defaults: dist/ in the repository, HEAD); prints the path.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$root/dist}
ref=${2:-HEAD}
git -C "$root" rev-parse --verify -q "$ref^{commit}" >/dev/null || {
  echo "dist: $ref is not a commit of $root (the tarball is made from the committed tree)" >&2
  exit 1
}
version=$(git -C "$root" show "$ref:CMakeLists.txt" |
  sed -nE 's/^[[:space:]]*project\([[:space:]]*bentogrpc[[:space:]]+VERSION[[:space:]]+([0-9]+\.[0-9]+\.[0-9]+).*/\1/p' | head -n 1)
[ -n "$version" ] || {
  echo "dist: CMakeLists.txt at $ref has no project(bentogrpc VERSION x.y.z)" >&2
  exit 1
}
name=libbentogrpc-$version
if [ "$ref" = HEAD ] && [ -n "$(git -C "$root" status --porcelain --untracked-files=no)" ]; then
  echo "dist: uncommitted changes are not in $name.tar.gz (it packs $(git -C "$root" rev-parse --short HEAD))" >&2
fi
mkdir -p "$out"
out=$(cd "$out" && pwd)
git -C "$root" archive --format=tar.gz --prefix="$name/" -o "$out/$name.tar.gz" "$ref"
(cd "$out" && sha256sum "$name.tar.gz" >"$name.tar.gz.sha256")
echo "$out/$name.tar.gz"
