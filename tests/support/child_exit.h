/* How a test's forked child ends: _exit(), so that nothing of the parent's runs in it (its
 * stdio buffers, atexit handlers, static destructors), after writing its coverage counters
 * when the test is built for coverage (scripts/coverage.sh): _exit() skips gcov's own exit
 * hook, so without this what children execute (transport/fork.c's child side) is never
 * counted. __gcov_dump is gcov's runtime function; the weak reference is NULL in every other
 * build, and in the coverage build tests/CMakeLists.txt makes the linker take it from libgcov. */
#ifndef BGT_CHILD_EXIT_H
#define BGT_CHILD_EXIT_H

#include <unistd.h>

extern void __gcov_dump(void) __attribute__((weak));

static inline __attribute__((noreturn)) void bgt_child_exit(int code) {
  if (__gcov_dump)
    __gcov_dump();
  _exit(code);
}

#endif
