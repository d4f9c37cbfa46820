#!/usr/bin/env bash
# Builds the Debian packages from this tree: libbentogrpc0, libbentogrpc-dev, bentogrpc and
# python3-bentogrpc (cmake/Packaging.cmake, CPack's DEB generator; docs/PACKAGING.md).
#   package-deb.sh [BUILD_DIR]      (default build-deb/; the .deb files land in BUILD_DIR/packages)
# Configures BUILD_DIR for /usr (multiarch libdir) with Debian's build flags (dpkg-buildflags:
# hardening, -ffile-prefix-map so no build path is recorded), no tests or examples, builds the
# library, CLI and man pages, runs `cpack -G DEB`, then lintian on each package when lintian is
# installed: any error fails (warnings are listed in packaging/deb/lintian-justifications.md).
# Needs dpkg-dev (dpkg-shlibdeps, dpkg-buildflags) and doxygen (man pages);
# scripts/install-deps.sh installs them.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-build-deb}
case "$build" in /*) ;; *) build=$root/$build ;; esac
cd "$root"

# Reproducible: the changelog's and man pages' dates are the last commit's, when there is one.
if [ -z "${SOURCE_DATE_EPOCH:-}" ] && epoch=$(git -C "$root" log -1 --format=%ct 2>/dev/null); then
  export SOURCE_DATE_EPOCH=$epoch
fi
export DEB_BUILD_MAINT_OPTIONS=hardening=+all
# dpkg-buildflags maps the current directory (the source tree) to "."; the build directory,
# where protoc-c's sources are generated (their __FILE__ is in the library), may lie outside it.
cflags="$(dpkg-buildflags --get CFLAGS) $(dpkg-buildflags --get CPPFLAGS) -ffile-prefix-map=$build=."
ldflags=$(dpkg-buildflags --get LDFLAGS)
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=None -DCMAKE_INSTALL_PREFIX=/usr \
  -DBG_BUILD_TESTS=OFF -DBG_BUILD_EXAMPLES=OFF -DBG_BUILD_MAN=ON \
  -DCMAKE_C_FLAGS="$cflags" -DCMAKE_EXE_LINKER_FLAGS="$ldflags" \
  -DCMAKE_SHARED_LINKER_FLAGS="$ldflags" >"$build.configure.log" 2>&1 || {
  cat "$build.configure.log" >&2
  exit 1
}
rm -f "$build.configure.log"
cmake --build "$build" -j"$(nproc)" >/dev/null
rm -rf "$build/packages"
(cd "$build" && cpack -G DEB >cpack.log 2>&1) || {
  cat "$build/cpack.log" >&2
  exit 1
}
mapfile -t debs < <(find "$build/packages" -maxdepth 1 -name '*.deb' | sort)
[ "${#debs[@]}" -eq 4 ] || {
  echo "package-deb: expected 4 packages in $build/packages, got: ${debs[*]}" >&2
  exit 1
}
for deb in "${debs[@]}"; do
  echo "package-deb: $deb"
  dpkg-deb --field "$deb" Package Version Architecture Depends | sed 's/^/    /'
done
if command -v lintian >/dev/null; then
  # --fail-on error: errors fail; warnings are printed (each justified in
  # packaging/deb/lintian-justifications.md).
  lintian --fail-on error --tag-display-limit 0 "${debs[@]}"
  echo "package-deb: lintian: no errors"
else
  echo "package-deb: lintian is not installed: the packages were not checked (apt-get install lintian)"
fi
