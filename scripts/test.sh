#!/usr/bin/env bash
# The whole test suite: install what is missing, then build and run every test twice — a
# normal build, and a build under AddressSanitizer + UndefinedBehaviorSanitizer — each with
# -Wall -Wextra -Werror; then the async client's tests once more under ThreadSanitizer.
# Exits non-zero if anything fails.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

bash scripts/install-deps.sh

echo "== build and test (RelWithDebInfo)"
bash scripts/build.sh build
(cd build && ctest --output-on-failure --timeout 600)

echo "== build and test under AddressSanitizer + UndefinedBehaviorSanitizer"
bash scripts/build.sh build-asan -DCMAKE_BUILD_TYPE=Debug -DBG_SANITIZE=ON
(cd build-asan && ctest --output-on-failure --timeout 600)

# gRPC Core is not built with TSan; tests/sanitizers/tsan.supp says which of its libraries are
# ignored and why. Only the async client's programs are built and run here (its threads).
echo "== build and test the async client under ThreadSanitizer"
cmake -S "$root" -B "$root/build-tsan" -DCMAKE_BUILD_TYPE=Debug -DBG_SANITIZE_THREAD=ON >/dev/null
cmake --build "$root/build-tsan" -j"$(nproc)" --target test_integration_async \
  test_integration_async_health test_integration_cli_async with_server example_async_epoll \
  example_async_libuv
(cd build-tsan && ctest --output-on-failure --timeout 600 -R 'async')
