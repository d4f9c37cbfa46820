#!/usr/bin/env bash
# One version: CMakeLists.txt's project(bentogrpc VERSION x.y.z) is where it is set, and
# everything else that states a version must agree with it (README, "Releases"):
#   - CHANGELOG.md: an [Unreleased] section, and the latest released heading ## [x.y.z];
#   - the Python package: bentogrpc/_version.py derives it from CMakeLists.txt (run here), and
#     no other version is written in pyproject.toml or the package's modules;
#   - the Go module: const Version in bindings/go, exactly once;
#   - CPack, when configured: a CPACK_*VERSION set to a literal in the CMake files, the
#     CPackConfig.cmake of BUILD_DIR (when given and present), and debian/changelog if any.
# usage: check-version.sh [--root DIR] [BUILD_DIR]
#   DIR defaults to this script's repository. Exits 1 naming every place that disagrees.
#   scripts/check-version-selftest.sh (ctest version_detects_mismatch) proves each check fails.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=''
while [ $# -gt 0 ]; do
  case "$1" in
  --root) root=$(cd "$2" && pwd) && shift 2 ;;
  -h | --help) sed -n '2,/^set -uo/p' "$0" | sed '$d' && exit 0 ;;
  *) build=$1 && shift ;;
  esac
done
cd "$root" || exit 2
failures=0
checked=0
fail() {
  echo "check-version: $*" >&2
  failures=$((failures + 1))
}
# agree WHERE VALUE: VALUE (what WHERE states) must be the project's version.
agree() {
  checked=$((checked + 1))
  [ "$2" = "$version" ] ||
    fail "$1 says ${2:-nothing}, CMakeLists.txt's project() says $version: make them agree (README, \"Releases\")"
}

version=$(sed -nE 's/^[[:space:]]*project\([[:space:]]*bentogrpc[[:space:]]+VERSION[[:space:]]+([0-9]+\.[0-9]+\.[0-9]+).*/\1/p' CMakeLists.txt | head -n 1)
if [ -z "$version" ]; then
  echo "check-version: CMakeLists.txt has no project(bentogrpc VERSION x.y.z)" >&2
  exit 1
fi

# The changelog: Keep a Changelog headings, ## [Unreleased] then ## [x.y.z] - date.
if [ ! -f CHANGELOG.md ]; then
  fail "CHANGELOG.md is missing"
else
  grep -qE '^## \[Unreleased\]' CHANGELOG.md ||
    fail "CHANGELOG.md has no '## [Unreleased]' section (where changes not yet released go)"
  released=$(sed -nE 's/^## \[([0-9]+\.[0-9]+\.[0-9]+)\].*/\1/p' CHANGELOG.md | head -n 1)
  agree "CHANGELOG.md's latest released version (its first ## [x.y.z] heading)" "$released"
fi

# Python: the version the package derives, and no version written anywhere else in it.
py=bindings/python
if [ -d "$py" ]; then
  if [ -x /usr/bin/python3 ]; then
    derived=$(/usr/bin/python3 -c 'import runpy, sys; print(runpy.run_path(sys.argv[1])["__version__"])' \
      "$py/bentogrpc/_version.py" 2>&1)
    agree "$py/bentogrpc/_version.py (what the Python package derives)" "$derived"
  else
    echo "check-version: /usr/bin/python3 not found: the Python package's derived version is not checked" >&2
  fi
  static=$(sed -nE '/^\[project\]/,/^\[/{s/^version[[:space:]]*=[[:space:]]*"([^"]*)".*/\1/p}' "$py/pyproject.toml")
  [ -z "$static" ] || agree "$py/pyproject.toml ([project] version; better: dynamic, from setup.py)" "$static"
  while IFS=: read -r file _ value; do
    value=$(sed -nE 's/.*__version__[[:space:]]*=[[:space:]]*"([^"]*)".*/\1/p' <<<"$value")
    agree "$file (__version__)" "$value"
  done < <(grep -nE '^__version__[[:space:]]*=[[:space:]]*"' "$py"/bentogrpc/*.py)
fi

# Go: const Version, once.
if [ -d bindings/go ]; then
  mapfile -t consts < <(grep -nE '^(const[[:space:]]+)?Version[[:space:]]*=[[:space:]]*"' bindings/go/*.go)
  if [ ${#consts[@]} -ne 1 ]; then
    fail "bindings/go: expected one 'const Version = \"x.y.z\"', found ${#consts[@]}"
  else
    agree "${consts[0]%%:*} (Go const Version)" "$(sed -nE 's/.*"([^"]*)".*/\1/p' <<<"${consts[0]}")"
  fi
fi

# CPack and Debian packaging, where they exist. A version written as a literal must agree (the
# Debian revision after the last '-' and an epoch before ':' aside); ${PROJECT_VERSION} agrees.
upstream() { sed -E 's/^[0-9]+://; s/-[^-]*$//' <<<"$1"; }
while IFS= read -r line; do
  file=${line%%:*}
  value=$(sed -nE 's/.*set\([[:space:]]*CPACK_([A-Z]+_)?PACKAGE_VERSION[[:space:]]+"?([0-9][^")[:space:]]*)"?.*/\2/p' <<<"${line#*:*:}")
  [ -n "$value" ] && agree "$file (${line#*:*:})" "$(upstream "$value")"
done < <(grep -nE 'set\([[:space:]]*CPACK_([A-Z]+_)?PACKAGE_VERSION[[:space:]]+"?[0-9]' \
  CMakeLists.txt cmake/*.cmake cmake/*.in 2>/dev/null)
if [ -n "$build" ] && [ -f "$build/CPackConfig.cmake" ]; then
  value=$(sed -nE 's/^set\(CPACK_PACKAGE_VERSION "([^"]*)"\)/\1/p' "$build/CPackConfig.cmake")
  agree "$build/CPackConfig.cmake (CPACK_PACKAGE_VERSION)" "$value"
  deb=$(sed -nE 's/^set\(CPACK_DEBIAN_PACKAGE_VERSION "([^"]*)"\)/\1/p' "$build/CPackConfig.cmake")
  [ -z "$deb" ] || agree "$build/CPackConfig.cmake (CPACK_DEBIAN_PACKAGE_VERSION)" "$(upstream "$deb")"
fi
if [ -f debian/changelog ]; then
  value=$(sed -nE '1s/^[^ ]+ \(([^)]*)\).*/\1/p' debian/changelog)
  agree "debian/changelog (its latest entry)" "$(upstream "$value")"
fi

if [ "$failures" -gt 0 ]; then
  echo "check-version: $failures place(s) disagree with version $version" >&2
  exit 1
fi
echo "check-version: $checked place(s) agree with CMakeLists.txt's project() version $version"
