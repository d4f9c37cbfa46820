#!/usr/bin/env bash
# Proves scripts/check-version.sh can fail: copies the files that state a version into a
# temporary tree, plants one disagreement at a time (a changelog heading, a missing [Unreleased],
# the Go constant changed or gone, a __version__ or pyproject version written by hand, CMake's
# project() bumped alone, a CPack or Debian version), and fails unless check-version.sh exits
# non-zero AND names the place. The unplanted copy must pass.
# usage: check-version-selftest.sh   (run by the ctest `version_detects_mismatch`)
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
copy=$tmp/tree
failures=0
bad() {
  echo "check-version-selftest: FAIL: $*" >&2
  failures=$((failures + 1))
}
fresh() {
  rm -rf "$copy" && mkdir -p "$copy/bindings/python" "$copy/bindings/go" "$copy/cmake"
  cp "$root/CMakeLists.txt" "$root/CHANGELOG.md" "$copy/"
  cp "$root"/cmake/*.cmake "$copy/cmake/"
  cp -r "$root/bindings/python/bentogrpc" "$root/bindings/python/pyproject.toml" "$copy/bindings/python/"
  cp "$root"/bindings/go/*.go "$copy/bindings/go/"
}
check() { bash "$root/scripts/check-version.sh" --root "$copy" "$@" >/dev/null 2>"$tmp/stderr"; }
version=$(sed -nE 's/^project\(bentogrpc VERSION ([0-9.]+).*/\1/p' "$root/CMakeLists.txt")
other=9.8.7

fresh
check || {
  bad "the unplanted copy fails check-version.sh (fix the tree first):"
  cat "$tmp/stderr" >&2
}

# expect NAME EXPECTED [BUILD_DIR]: after a plant, check-version.sh fails naming EXPECTED (ERE).
expect() {
  if check "${@:3}"; then
    bad "$1: check-version.sh passed"
  elif ! grep -qE "$2" "$tmp/stderr"; then
    bad "$1: check-version.sh failed without naming /$2/:"
    cat "$tmp/stderr" >&2
  else
    echo "check-version-selftest: ok: $1"
  fi
  fresh
}

sed -i "0,/^## \[$version\]/s//## [$other]/" "$copy/CHANGELOG.md"
expect "changelog's latest release differs" "CHANGELOG.md's latest released version .*says $other"

sed -i '/^## \[Unreleased\]/d' "$copy/CHANGELOG.md"
expect "changelog without [Unreleased]" "CHANGELOG.md has no '## \[Unreleased\]'"

sed -i "s/^const Version = .*/const Version = \"$other\"/" "$copy"/bindings/go/version.go
expect "Go const Version differs" "bindings/go/version.go \(Go const Version\) says $other"

sed -i '/^const Version = /d' "$copy"/bindings/go/version.go
expect "Go const Version missing" "bindings/go: expected one 'const Version"

echo "__version__ = \"$other\"" >>"$copy/bindings/python/bentogrpc/__init__.py"
expect "a __version__ written by hand" "bentogrpc/__init__.py \(__version__\) says $other"

sed -i "s/^dynamic = \[\"version\"\]/version = \"$other\"/" "$copy/bindings/python/pyproject.toml"
expect "a static pyproject version" "pyproject.toml .*says $other"

sed -i "s/^project(bentogrpc VERSION $version/project(bentogrpc VERSION $other/" "$copy/CMakeLists.txt"
expect "CMake's project() bumped alone" "CHANGELOG.md's latest released version .*says $version, CMakeLists.txt's project\(\) says $other"

echo "set(CPACK_PACKAGE_VERSION \"$other\")" >>"$copy/cmake/Install.cmake"
expect "a CPack version written as a literal" "cmake/Install.cmake .*says $other"

mkdir -p "$tmp/build" && echo "set(CPACK_PACKAGE_VERSION \"$other\")" >"$tmp/build/CPackConfig.cmake"
expect "a configured CPack version" "CPackConfig.cmake \(CPACK_PACKAGE_VERSION\) says $other" "$tmp/build"

mkdir -p "$copy/debian" && printf 'libbentogrpc (%s-1) unstable; urgency=medium\n' "$other" >"$copy/debian/changelog"
expect "a Debian changelog version" "debian/changelog .*says $other"

# What agrees must pass: CPack from ${PROJECT_VERSION}, a Debian revision on the same version.
# shellcheck disable=SC2016 # the CMake variable, written as is
echo 'set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})' >>"$copy/cmake/Install.cmake"
mkdir -p "$copy/debian" && printf 'libbentogrpc (%s-1) unstable; urgency=medium\n' "$version" >"$copy/debian/changelog"
check || {
  bad "agreeing CPack and Debian versions were refused:"
  cat "$tmp/stderr" >&2
}

if [ "$failures" -gt 0 ]; then
  echo "check-version-selftest: $failures failure(s)" >&2
  exit 1
fi
echo "check-version-selftest: check-version.sh named every planted disagreement"
