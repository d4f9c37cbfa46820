#!/usr/bin/env bash
# The whole test suite: install what is missing, then build and run every test twice — a
# normal build, and a build under AddressSanitizer + UndefinedBehaviorSanitizer — each with
# -Wall -Wextra -Werror. Exits non-zero if anything fails.
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
