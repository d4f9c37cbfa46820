#!/usr/bin/env bash
# scripts/dist.sh: the tarball of the committed tree and its SHA-256. Checks that it is named
# by the version, verifies against its .sha256, is the same bytes when made twice, holds
# exactly HEAD's tracked files under libbentogrpc-VERSION/ and nothing generated or built, and
# that the unpacked tree (no git) configures and builds the library and the CLI, whose
# --version says the version, passes check-version.sh and builds the Python wheel.
# usage: test_dist.sh SOURCE_DIR   (exit 77, skipped, when SOURCE_DIR is not a git checkout)
set -euo pipefail
src=$(cd "$1" && pwd)
git -C "$src" rev-parse --is-inside-work-tree >/dev/null 2>&1 || {
  echo "dist: $src is not a git checkout: nothing committed to pack (skipped)"
  exit 77
}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() {
  echo "dist test: FAIL: $*" >&2
  exit 1
}
version=$(git -C "$src" show HEAD:CMakeLists.txt | sed -nE 's/^project\(bentogrpc VERSION ([0-9.]+).*/\1/p')
name=libbentogrpc-$version

tarball=$(bash "$src/scripts/dist.sh" "$tmp/out" 2>/dev/null)
[ "$tarball" = "$tmp/out/$name.tar.gz" ] || fail "dist.sh made '$tarball', expected $tmp/out/$name.tar.gz"
[ -f "$tarball.sha256" ] || fail "no $name.tar.gz.sha256"
(cd "$tmp/out" && sha256sum --quiet -c "$name.tar.gz.sha256") || fail "the tarball does not match its .sha256"
bash "$src/scripts/dist.sh" "$tmp/again" >/dev/null 2>&1
cmp -s "$tarball" "$tmp/again/$name.tar.gz" || fail "two runs on the same commit made different bytes"

tar -tzf "$tarball" >"$tmp/list"
if grep -v "^$name/" "$tmp/list"; then fail "entries outside $name/ (above)"; fi
sed "s|^$name/||; /\/$/d; /^$/d" "$tmp/list" | sort >"$tmp/packed"
git -C "$src" ls-tree -r --name-only HEAD | sort >"$tmp/committed"
diff "$tmp/committed" "$tmp/packed" >&2 || fail "the tarball's files differ from HEAD's tracked files (< committed, > packed)"
generated='^build[^/]*/|^dist/|\.(o|a|so|pyc|whl)$|\.so\.[0-9]|__pycache__|\.egg-info|\.pb-c\.[ch]$|_pb2(_grpc)?\.py$|^include/bentogrpc/version\.h$|CMakeCache\.txt|CMakeFiles/|(^|/)\.git/'
if grep -E "$generated" "$tmp/packed"; then fail "generated or built files are in the tarball (above)"; fi
for f in CMakeLists.txt CHANGELOG.md LICENSE README.md include/bentogrpc/version.h.in \
  bindings/python/setup.py scripts/dist.sh; do
  grep -qx "$f" "$tmp/packed" || fail "$f is not in the tarball"
done

tar -xzf "$tarball" -C "$tmp"
unpacked=$tmp/$name
! git -C "$unpacked" rev-parse --is-inside-work-tree >/dev/null 2>&1 || fail "the unpacked tree is inside a git checkout"
cmake -S "$unpacked" -B "$tmp/build" -DCMAKE_BUILD_TYPE=Release -DBG_BUILD_TESTS=OFF \
  -DBG_BUILD_EXAMPLES=OFF >"$tmp/configure.log" 2>&1 || {
  cat "$tmp/configure.log" >&2
  fail "the unpacked tree does not configure"
}
cmake --build "$tmp/build" -j2 --target bentogrpc bentogrpc_cli >"$tmp/build.log" 2>&1 || {
  tail -n 40 "$tmp/build.log" >&2
  fail "the unpacked tree does not build"
}
"$tmp/build/bentogrpc" --version | tee "$tmp/version.txt"
grep -q "$version" "$tmp/version.txt" || fail "the CLI built from the tarball does not say $version"
bash "$unpacked/scripts/check-version.sh" "$tmp/build" || fail "check-version.sh fails in the unpacked tree"
# the Python wheel builds from the unpacked tree too (test_python_wheel.py tests what it holds)
CMAKE_BUILD_PARALLEL_LEVEL=2 PIP_ROOT_USER_ACTION=ignore timeout 240 /usr/bin/python3 -m pip wheel \
  -q --no-build-isolation --no-deps --no-index -w "$tmp/wheel" "$unpacked/bindings/python" \
  >"$tmp/wheel.log" 2>&1 || {
  tail -n 40 "$tmp/wheel.log" >&2
  fail "the Python wheel does not build from the unpacked tree"
}
ls "$tmp/wheel/bentogrpc-$version-py3-none-"*.whl || fail "no bentogrpc-$version-py3-none-PLATFORM wheel"
echo "dist test: $name.tar.gz ($(wc -l <"$tmp/packed") files) verified, unpacked, built (library, CLI, wheel)"
