#!/usr/bin/env bash
# The Debian packages, built and used.
#   test_deb.sh WORK_DIR SOURCE_DIR                   (ctest `deb_packages`)
#     1. scripts/package-deb.sh builds the four packages into WORK_DIR (lintian: no errors);
#     2. their file lists: the expected paths present, every path one the package may hold, no
#        build path recorded in any file, binaries stripped, no RPATH;
#     3. extracted with dpkg-deb -x into a temporary root: the C consumer of tests/consumer
#        built with pkg-config against that root (bentogrpc.pc is relocatable) and run against
#        the reference server; the extracted CLI and Python package (without
#        BENTOGRPC_LIBRARY: it loads libbentogrpc.so.0 by SONAME) called against it with
#        LD_LIBRARY_PATH into the root.
#   test_deb.sh WORK_DIR SOURCE_DIR --system-install  (ctest `deb_system_install`)
#     4. the round trip on this machine, with the packages step 1 left in WORK_DIR/packages:
#        `apt-get install ./*.deb`, the installed CLI, `/usr/bin/python3 -c 'import bentogrpc'`,
#        man pages and a pkg-config build against the server, `apt-get purge`, and nothing of
#        the packages left behind. It changes the machine (as root), so it runs only with
#        BG_TEST_SYSTEM_INSTALL=1; otherwise it says so and exits 77 (ctest: skipped).
set -u
mkdir -p "$1" && work=$(cd "$1" && pwd)
src=$(cd "$2" && pwd)
system=0
[ "${3:-}" != --system-install ] || system=1
if [ "$system" = 1 ] && [ "${BG_TEST_SYSTEM_INSTALL:-}" != 1 ]; then
  echo "skipped: the round trip apt-get install / use / purge changes this machine; set BG_TEST_SYSTEM_INSTALL=1 (as root) to run it"
  exit 77
fi
passed=0
failed=0
server_pid=
tmp=$(mktemp -d)
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT
# shellcheck source=scripts/await_port.sh
source "$src/scripts/await_port.sh"
ok() { passed=$((passed + 1)); echo "ok   $1"; }
bad() { failed=$((failed + 1)); echo "FAIL $1"; [ -s "$tmp/log" ] && sed 's/^/     /' "$tmp/log" | tail -n 40; }
step() { # step NAME COMMAND...: passes when COMMAND exits 0 (its output in the log)
  local name=$1
  shift
  if "$@" >"$tmp/log" 2>&1; then ok "$name"; else bad "$name"; fi
  [ "$system" = 0 ] || [ "$failed" -gt 0 ] || sed 's/^/     /' "$tmp/log" | tail -n 4
  : >"$tmp/log"
}
finish() {
  echo "$passed passed, $failed failed"
  [ "$failed" -eq 0 ]
  exit
}

# 1. Build (the round trip uses the packages already built).
if [ "$system" = 1 ]; then
  ok "the packages of $work/packages: $(cd "$work/packages" 2>/dev/null && ls ./*.deb | xargs)"
elif bash "$src/scripts/package-deb.sh" "$work" >"$tmp/log" 2>&1; then
  ok "scripts/package-deb.sh built the packages ($(grep -c "^package-deb: /" "$tmp/log") .deb; lintian: $(grep -c "^E: " "$tmp/log") errors, $(grep -c "^W: " "$tmp/log") warnings)"
  grep -E '^(W|E): ' "$tmp/log" | sed 's/^/     lintian /'
else
  bad "scripts/package-deb.sh $work"
  finish
fi
: >"$tmp/log"
multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
deb() { find "$work/packages" -maxdepth 1 -name "$1_*.deb" | head -n 1; }
declare -A debs=()
for p in libbentogrpc0 libbentogrpc-dev bentogrpc python3-bentogrpc; do
  debs[$p]=$(deb "$p")
  [ -n "${debs[$p]}" ] && ok "package $p: $(basename "${debs[$p]}")" || bad "package $p was not built"
done
[ "$failed" -eq 0 ] || finish

if [ "$system" = 0 ]; then
  # 2. File lists: every path (directories aside) matches one of its package's patterns, and each
  #    required path is present.
  L=lib/$multiarch
  declare -A allowed=(
    [libbentogrpc0]="^(\./)?usr/($L/libbentogrpc\.so\.0(\.[0-9]+\.[0-9]+)?|share/doc/libbentogrpc0/(copyright|changelog\.Debian\.gz))$"
    [libbentogrpc-dev]="^(\./)?usr/(include/bentogrpc/[a-z]+\.h|include/bentogrpc/bentogrpc\.hpp|$L/libbentogrpc\.(so|a)|$L/pkgconfig/bentogrpc(-cpp)?\.pc|$L/cmake/bentogrpc/bentogrpc[A-Za-z-]*\.cmake|share/man/man3/(bg_|BG_|bentogrpc_)[A-Za-z0-9_.]+\.3\.gz|share/doc/libbentogrpc-dev/(copyright|changelog\.Debian\.gz))$"
    [bentogrpc]="^(\./)?usr/(bin/bentogrpc|share/man/man1/bentogrpc\.1\.gz|share/bash-completion/completions/bentogrpc|share/doc/bentogrpc/(copyright|changelog\.Debian\.gz|README\.md|PROTOCOL\.md|INTERNALS\.md))$"
    [python3-bentogrpc]="^(\./)?usr/(lib/python3/dist-packages/bentogrpc/([a-z_]+\.py|py\.typed)|lib/python3/dist-packages/bentogrpc-[0-9.]+\.dist-info/(METADATA|INSTALLER)|share/doc/python3-bentogrpc/(copyright|changelog\.Debian\.gz))$"
  )
  declare -A required=(
    [libbentogrpc0]="usr/$L/libbentogrpc.so.0 usr/share/doc/libbentogrpc0/copyright usr/share/doc/libbentogrpc0/changelog.Debian.gz"
    [libbentogrpc-dev]="usr/include/bentogrpc/bentogrpc.h usr/include/bentogrpc/bentogrpc.hpp usr/include/bentogrpc/version.h usr/$L/libbentogrpc.so usr/$L/libbentogrpc.a usr/$L/pkgconfig/bentogrpc.pc usr/$L/pkgconfig/bentogrpc-cpp.pc usr/$L/cmake/bentogrpc/bentogrpcConfig.cmake usr/share/man/man3/bg_client_call.3.gz usr/share/man/man3/bentogrpc_client.h.3.gz usr/share/doc/libbentogrpc-dev/copyright"
    [bentogrpc]="usr/bin/bentogrpc usr/share/man/man1/bentogrpc.1.gz usr/share/bash-completion/completions/bentogrpc usr/share/doc/bentogrpc/copyright"
    [python3-bentogrpc]="usr/lib/python3/dist-packages/bentogrpc/__init__.py usr/lib/python3/dist-packages/bentogrpc/_lib.py usr/share/doc/python3-bentogrpc/copyright"
  )
  for p in "${!debs[@]}"; do
    dpkg-deb --fsys-tarfile "${debs[$p]}" | tar -t | grep -v '/$' | sed 's|^\./||' >"$tmp/$p.files"
    unexpected=$(grep -vE "${allowed[$p]}" "$tmp/$p.files" | xargs)
    [ -z "$unexpected" ] && ok "$p holds only expected paths ($(wc -l <"$tmp/$p.files") files)" ||
      bad "$p holds unexpected paths: $unexpected"
    missing=''
    for f in ${required[$p]}; do grep -qxF "$f" "$tmp/$p.files" || missing="$missing $f"; done
    [ -z "$missing" ] && ok "$p holds its required paths" || bad "$p lacks:$missing"
  done
  step "libbentogrpc0 carries shlibs, symbols and the ldconfig trigger, no maintainer script" bash -c '
    dpkg-deb --ctrl-tarfile "$1" | tar -t | sed "s|^\./||" | sort | xargs >"$2"
    [ "$(cat "$2")" = "control md5sums shlibs symbols triggers" ] || { cat "$2"; exit 1; }' _ \
    "${debs[libbentogrpc0]}" "$tmp/ctrl"
  step "the CLI's dependency on libbentogrpc0 came from dpkg-shlibdeps" bash -c '
    dpkg-deb --field "$1" Depends | tee /dev/stderr | grep -q "libbentogrpc0 (>= "' _ "${debs[bentogrpc]}"

  # 3. Extracted into a root.
  root=$tmp/root
  for p in "${!debs[@]}"; do dpkg-deb -x "${debs[$p]}" "$root"; done
  step "no file of the packages records the source or build path" bash -c '
    ! grep -rlF -e "$1" -e "$2" "$3"' _ "$src" "$work" "$root"
  step "the binaries are stripped" bash -c 'for f in "$@"; do
    file -L "$f" | tee /dev/stderr | grep -q ", stripped" || exit 1; done' _ \
    "$root/usr/bin/bentogrpc" "$root/usr/$L/libbentogrpc.so.0"
  step "the CLI has no RPATH (the library is in the system directory)" bash -c '
    ! readelf -d "$1" | grep -E "RPATH|RUNPATH"' _ "$root/usr/bin/bentogrpc"

fi

/usr/bin/python3 "$src/tests/server/reference_server.py" >"$tmp/server.out" &
server_pid=$!
port=$(await_port "$tmp/server.out") || {
  bad "the reference server did not start"
  finish
}
url=127.0.0.1:$port

cp -r "$src/tests/consumer" "$tmp/consumer"
python_check='import bentogrpc, numpy, sys
c = bentogrpc.Client.from_url(sys.argv[1])
y = c.predict(numpy.array([[5.9, 3.0, 5.1, 1.8]], dtype=numpy.float32))
print(bentogrpc._lib.load()._name, y)
assert abs(float(y[0]) - 15.8) < 1e-4, y
c.close()'
if [ "$system" = 0 ]; then
  libdir=$root/usr/$L
  step "the pkg-config consumer builds against the extracted libbentogrpc-dev" \
    env PKG_CONFIG_PATH="$libdir/pkgconfig" make -C "$tmp/consumer/pkgconfig"
  step "pkg-config --cflags names the extracted headers" bash -c '
    PKG_CONFIG_PATH=$1/pkgconfig pkg-config --cflags bentogrpc | grep -qF -- "-I$1/"' _ "$libdir"
  step "the consumer runs on the extracted library against the reference server" bash -c '
    LD_LIBRARY_PATH=$1 ldd "$2" | grep "libbentogrpc.so.0 => $1/" &&
    LD_LIBRARY_PATH=$1 "$2" "$3" | tee /dev/stderr | grep -qF "predict -> 15.8"' _ \
    "$libdir" "$tmp/consumer/pkgconfig/consumer" "$url"
  step "the extracted CLI calls the reference server" bash -c '
    LD_LIBRARY_PATH=$1 ldd "$2" | grep "libbentogrpc.so.0 => $1/" &&
    LD_LIBRARY_PATH=$1 timeout 30 "$2" call "$3" predict --ndarray "[[5.9,3.0,5.1,1.8]]" --dtype float32 |
      tee /dev/stderr | grep -q "15.8"' _ "$libdir" "$root/usr/bin/bentogrpc" "$url"
  step "the extracted Python package loads libbentogrpc.so.0 by SONAME and calls the server" bash -c '
    env -u BENTOGRPC_LIBRARY PYTHONPATH=$1/usr/lib/python3/dist-packages LD_LIBRARY_PATH=$2 \
      timeout 60 /usr/bin/python3 -B -c "$3" "$4" | tee /dev/stderr | grep -q "^libbentogrpc.so.0 "' _ \
    "$root" "$libdir" "$python_check" "$url"
  finish
fi

# 4. The round trip on the machine itself.
pkgs=(libbentogrpc0 libbentogrpc-dev bentogrpc python3-bentogrpc)
if dpkg-query -W "${pkgs[@]}" 2>/dev/null | grep -q .; then
  installed=$(dpkg-query -W -f='${Package} ${Status}\n' "${pkgs[@]}" 2>/dev/null | grep -v 'not-installed' | xargs)
  if [ -n "$installed" ]; then
    bad "some packages are already installed ($installed): the round trip would not start from a clean machine"
    finish
  fi
fi
for p in "${!debs[@]}"; do dpkg-deb --fsys-tarfile "${debs[$p]}" | tar -t | sed 's|^\./|/|; s|/$||'; done |
  grep -v '^$' | sort -u >"$tmp/all"
step "apt-get install ./*.deb" env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 \
  install -y "${debs[@]}"
step "dpkg -L lists what the packages hold" bash -c '
  for p in "${@:2}"; do dpkg -L "$p"; done | sort -u >"$1.dpkg"; grep -qx /usr/bin/bentogrpc "$1.dpkg"' _ \
  "$tmp/all" "${pkgs[@]}"
step "the installed CLI (/usr/bin/bentogrpc) calls the reference server" bash -c '
  [ "$(command -v bentogrpc)" = /usr/bin/bentogrpc ] &&
  env -u LD_LIBRARY_PATH timeout 30 /usr/bin/bentogrpc call "$1" predict --ndarray "[[5.9,3.0,5.1,1.8]]" --dtype float32 |
    tee /dev/stderr | grep -q "15.8"' _ "$url"
step "/usr/bin/python3 imports the installed bentogrpc and calls the server" bash -c '
  cd / && env -u BENTOGRPC_LIBRARY -u LD_LIBRARY_PATH -u PYTHONPATH timeout 60 /usr/bin/python3 -c "$1" "$2" |
    tee /dev/stderr | grep -q "^libbentogrpc.so.0 " &&
  /usr/bin/python3 -c "import bentogrpc; print(bentogrpc.__file__)" | grep -q "^/usr/lib/python3/dist-packages/bentogrpc/"' _ \
  "$python_check" "$url"
step "man 3 bg_client_call and man 1 bentogrpc render from the system's manpath" bash -c '
  MANPAGER=cat man 3 bg_client_call | grep -q "bentogrpc/client.h - The synchronous client" &&
  MANPAGER=cat man 1 bentogrpc | grep -q "command-line client for BentoML gRPC model servers"'
step "a C program builds with the system's pkg-config and runs" bash -c '
  cd "$1" && cc consumer.c $(pkg-config --cflags --libs bentogrpc) -o consumer_system &&
  env -u LD_LIBRARY_PATH ./consumer_system "$2" | grep -qF "predict -> 15.8"' _ "$tmp/consumer" "$url"
# What a package built against libbentogrpc-dev would depend on: dpkg-shlibdeps reads the
# installed libbentogrpc0's symbols file; the dependency must be the ABI range its shlibs names.
abi_range=$(dpkg-deb --ctrl-tarfile "${debs[libbentogrpc0]}" | tar -xO ./shlibs | cut -d' ' -f3-)
step "a program built against the installed library depends on '$abi_range' (dpkg-shlibdeps)" bash -c '
  cd "$1" && mkdir -p debian && : >debian/control &&
  dpkg-shlibdeps -O consumer_system | tee /dev/stderr | grep -qF "$2"' _ "$tmp/consumer" "$abi_range"
step "apt-get purge removes the four packages" env DEBIAN_FRONTEND=noninteractive \
  apt-get -o DPkg::Lock::Timeout=600 purge -y "${pkgs[@]}"
# Nothing left: no file or link of the packages, no byte-compiled leftovers, and each of their
# directories gone unless another package owns it.
step "nothing of the packages is left on the machine" bash -c '
  left=""
  while IFS= read -r f; do
    if [ -d "$f" ] && [ ! -L "$f" ]; then
      dpkg-query -S "$f" >/dev/null 2>&1 || left="$left $f"
    elif [ -e "$f" ] || [ -L "$f" ]; then left="$left $f"; fi
  done < <(sort -u "$1" "$1.dpkg")
  for d in /usr/lib/python3/dist-packages/bentogrpc /usr/include/bentogrpc; do [ ! -e "$d" ] || left="$left $d"; done
  dpkg-query -W -f="\${Package} \${Status}\n" libbentogrpc0 libbentogrpc-dev bentogrpc python3-bentogrpc 2>/dev/null |
    grep -v "not-installed" && left="$left (dpkg still knows them)"
  [ -z "$left" ] || { echo "left behind:$left"; exit 1; }' _ "$tmp/all"
finish
