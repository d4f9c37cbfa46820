#!/usr/bin/env bash
# The whole test suite: install what is missing, check the house conventions, then build and run every test in a normal
# build and under AddressSanitizer + UndefinedBehaviorSanitizer, the async client's tests
# once more under ThreadSanitizer, a bounded soak (LSan, valgrind), and the reply/JSON
# decoders under libFuzzer — all with -Wall -Wextra -Werror. Exits non-zero if anything fails.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

bash scripts/install-deps.sh

# The symbol part of check.sh needs a build: here it checks build/ only if that is newer than
# src/ (otherwise it says it is skipped); the ctest `symbols` runs it on the fresh build below.
echo "== house conventions (scripts/check.sh)"
bash scripts/check.sh

echo "== build and test (RelWithDebInfo)"
bash scripts/build.sh build
(cd build && ctest --output-on-failure --timeout 600)

echo "== build and test under AddressSanitizer + UndefinedBehaviorSanitizer"
bash scripts/build.sh build-asan -DCMAKE_BUILD_TYPE=Debug -DBG_SANITIZE=ON
(cd build-asan && ctest --output-on-failure --timeout 600)

# Soak: connect/close cycles, sync and async calls against the reference server,
# with the process's open fds and RSS checked before/after: the plain build with a tight RSS
# bound, the ASan build under LSan (a small quarantine; ASan's allocator keeps freed chunks, so
# its bound is loose), and the plain build under valgrind memcheck for a few cycles (valgrind
# cannot run ASan binaries; tests/soak/valgrind.supp says what of gRPC's is suppressed and why).
echo "== soak: connect/close cycles and calls, fds and RSS bounded (plain, LSan, valgrind)"
soak_runs=2
build/tests/soak --seconds "${BG_SOAK_SECONDS:-15}" --max-rss-growth-mb 16
ASAN_OPTIONS=detect_leaks=1:quarantine_size_mb=4:thread_local_quarantine_size_kb=64 \
  LSAN_OPTIONS="suppressions=$root/tests/sanitizers/lsan.supp" \
  build-asan/tests/soak --seconds "${BG_SOAK_SECONDS:-15}" --max-rss-growth-mb 96
if command -v valgrind >/dev/null; then
  valgrind -q --error-exitcode=1 --leak-check=full --show-leak-kinds=definite,indirect \
    --errors-for-leak-kinds=definite,indirect --suppressions="$root/tests/soak/valgrind.supp" \
    build/tests/soak --cycles 50 --max-rss-growth-mb 128
  soak_runs=3
else
  echo "valgrind is not installed: the memcheck soak is skipped"
fi

# gRPC Core is not built with TSan; tests/sanitizers/tsan.supp says which of its libraries are
# ignored and why. Only the async client's programs are built and run here (its threads),
# with the engine's unit test (unit_async_engine) and the C++ async client's (cpp_async,
# example_cpp_async) among them.
echo "== build and test the async client under ThreadSanitizer"
cmake -S "$root" -B "$root/build-tsan" -DCMAKE_BUILD_TYPE=Debug -DBG_SANITIZE_THREAD=ON >/dev/null
cmake --build "$root/build-tsan" -j"$(nproc)" --target test_async_engine test_integration_async \
  test_integration_async_health test_integration_cli_async with_server example_async_epoll \
  example_async_libuv test_cpp_async example_cpp_async
(cd build-tsan && ctest --output-on-failure --timeout 600 -R 'async')

# Each decoder a server's bytes reach, and the CLI's input parsers (fuzz_cli), fuzzed for a
# bounded time from the seed corpora (fuzz_json also compares the JSON text and Value-bytes paths
# with the tree-based pipeline they replaced, tests/fuzz/json_oracle.c: a difference aborts);
# a crash, leak or undefined behaviour fails the run (libFuzzer exits non-zero).
echo "== fuzz the reply and JSON decoders and the CLI input parsers (libFuzzer, ASan+UBSan, ${BG_FUZZ_SECONDS:-30} s each)"
CC=clang cmake -S "$root" -B "$root/build-fuzz" -DCMAKE_BUILD_TYPE=Debug -DBG_SANITIZE=ON \
  -DBG_FUZZ=ON -DBG_BUILD_TESTS=OFF >/dev/null
cmake --build "$root/build-fuzz" -j"$(nproc)" --target fuzz_reply fuzz_json fuzz_cli
for target in reply json cli; do
  corpus=$(mktemp -d)
  LSAN_OPTIONS="suppressions=$root/tests/sanitizers/lsan.supp" \
    "$root/build-fuzz/tests/fuzz/fuzz_$target" -max_total_time="${BG_FUZZ_SECONDS:-30}" \
    -print_final_stats=1 "$corpus" "$root/tests/fuzz/corpus/$target" 2>&1 | tail -n 4
  rm -rf "$corpus"
done

# Reaching this line means every stage passed (set -e): one closing line for the whole run.
count() { (cd "$root/$1" && ctest -N "${@:2}" | awk '/Total Tests:/ {print $3}'); }
# deb_system_install (apt-get install / purge on this machine) runs only with
# BG_TEST_SYSTEM_INSTALL=1; otherwise ctest reports it skipped and it is not counted as passed.
plain=(build)
[ "${BG_TEST_SYSTEM_INSTALL:-}" = 1 ] || plain+=(-E '^deb_system_install$')
total=$(($(count "${plain[@]}") + $(count build-asan) + $(count build-tsan -R async) + 3 + soak_runs))
echo "summary: $total passed, 0 failed"
