#!/usr/bin/env bash
# Installs the Debian packages libbentogrpc needs to build and test, skipping those already
# present. Runs `apt-get update` once, and only when something is missing. Needs root.
# usage: install-deps.sh [--bench]   (--bench adds what bench/ needs: C++ gRPC, perf tools)
set -euo pipefail

packages=(
  # build
  build-essential cmake pkg-config
  libgrpc-dev libprotobuf-c-dev protobuf-c-compiler libprotobuf-dev
  libjansson-dev libssl-dev
  # tests (libuv: the event-loop integration example of the async client; clang and its
  # runtime: the libFuzzer targets)
  libcmocka-dev openssl libuv1-dev clang libclang-rt-14-dev valgrind
  # the C++ API's tests (GoogleTest) and its optional nlohmann::json conversions
  libgtest-dev nlohmann-json3-dev
  # scripts/check.sh
  clang-format git
  # scripts/coverage.sh (gcov comes with gcc)
  lcov
  # the ABI check (abidiff, scripts/check-abi.sh) and the reference docs (doxygen)
  abigail-tools doxygen
  # the man pages' test (man-db) and the Debian packages (scripts/package-deb.sh: dpkg-shlibdeps
  # and dpkg-buildflags from dpkg-dev, file for CPack, lintian)
  man-db dpkg-dev file lintian
  # reference server (Python on Debian's grpcio, stubs generated with protoc at test time)
  python3 python3-grpcio python3-protobuf python3-numpy protobuf-compiler
  # bindings: the Python package is installed with Debian's pip and setuptools
  # and tested with pandas and Pillow; the Go module is built with Debian's Go
  python3-pip python3-setuptools python3-wheel python3-pandas python3-pil golang-go
  # the Python wheel's test (tests/bindings/test_python_wheel.py) installs it into a fresh venv
  python3-venv
  # the Python binding's _fastcall extension (cmake/PythonExtension.cmake): Python's headers
  # (numpy's come with python3-numpy)
  python3-dev
)

if [ "${1:-}" = "--bench" ]; then
  # side-by-side benchmarks: a C++ gRPC server and client, stubs from protoc's gRPC plugins
  packages+=(g++ libgrpc++-dev protobuf-compiler-grpc time)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo
echo "install-deps: installing ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
