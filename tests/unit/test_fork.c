/* gRPC 1.51's fork bookkeeping as transport/grpc_fork_state.c finds it: the watchdog that
 * releases a stuck prefork must find gRPC's count of the threads inside it (an unnamed libgpr
 * variable, located from machine code) — the right variable, or it would corrupt another one —
 * and its release must act only while a prefork holds the block. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <cmocka.h>

#include "transport/fork.h"
#include "transport/grpc_fork_state.h"

#if BGI_GRPC_FORK_INTERNALS && defined(__x86_64__)
void grpc_count_enter(void) __asm__("_ZN9grpc_core4Fork17DoIncExecCtxCountEv");
void grpc_count_leave(void) __asm__("_ZN9grpc_core4Fork17DoDecExecCtxCountEv");
bool grpc_block_exec_ctx(void) __asm__("_ZN9grpc_core4Fork12BlockExecCtxEv");
void grpc_allow_exec_ctx(void) __asm__("_ZN9grpc_core4Fork12AllowExecCtxEv");

static void sleep_ms(long ms) { nanosleep(&(struct timespec){.tv_nsec = ms * 1000000L}, NULL); }

static double now_s(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* gRPC's own threads (timers, executor, event engine) may open an ExecCtx at any moment and
 * hold it for a short while, which adds one to the count meanwhile (nothing but a thread
 * leaving takes one off): the counts these tests assert while ExecCtxs may be opened are the
 * ones at rest, the least of REST_READS reads 1 ms apart (a transient ExecCtx would have to
 * span them all to hide it, and a count resting above or below the expected value shows as
 * such). Each is tried for up to SETTLE_S, so that a count that never rests where it should
 * fails. While a prefork holds the block nobody else can enter or be inside: the count is read
 * once. */
enum { REST_READS = 10 };
static const double SETTLE_S = 5.0;

/* The count at rest. */
static long count_at_rest(void) {
  long least = bgi_grpc_fork_inside_count();
  for (int i = 1; i < REST_READS; i++) {
    sleep_ms(1);
    long now = bgi_grpc_fork_inside_count();
    least = now < least ? now : least;
  }
  return least;
}

/* `expected` once the count rests there; the count at rest if it does not within SETTLE_S (the
 * assertion then fails, showing it). */
static long count_rests_at(long expected) {
  double deadline = now_s() + SETTLE_S;
  long seen = count_at_rest();
  while (seen != expected && now_s() < deadline) {
    sleep_ms(1);
    seen = count_at_rest();
  }
  return seen;
}

/* grpc_block_exec_ctx() blocks only when the caller's ExecCtx is the one inside: retried while
 * one of gRPC's threads is in an ExecCtx of its own, for up to SETTLE_S. */
static bool block_exec_ctx(void) {
  double deadline = now_s() + SETTLE_S;
  while (!grpc_block_exec_ctx()) {
    if (now_s() >= deadline)
      return false;
    sleep_ms(1);
  }
  return true;
}

static void test_watchdog_finds_grpc_inside_count(void **state) {
  (void)state;
  bgi_grpc_init(); /* turns gRPC's fork support on: the count is kept from now on */
  long before = count_at_rest();
  assert_true(before >= 2); /* "unblocked" is 2 + the threads inside; nothing runs here */
  grpc_count_enter();
  assert_int_equal(count_rests_at(before + 1), before + 1);
  grpc_count_enter();
  assert_int_equal(count_rests_at(before + 2), before + 2);
  grpc_count_leave();
  grpc_count_leave();
  assert_int_equal(count_rests_at(before), before);
}
static atomic_bool entered;

/* A thread that opens an ExecCtx while a prefork holds the block: gRPC makes it wait. */
static void *enter_grpc(void *arg) {
  (void)arg;
  grpc_count_enter();
  atomic_store(&entered, true);
  grpc_count_leave();
  return NULL;
}

static bool wait_for(atomic_bool *flag, int ms) {
  for (int i = 0; i < ms && !atomic_load(flag); i++)
    nanosleep(&(struct timespec){.tv_nsec = 1000000L}, NULL);
  return atomic_load(flag);
}

static void test_release_lets_blocked_threads_in_and_keeps_the_count(void **state) {
  (void)state;
  bgi_grpc_init();
  long unblocked = count_at_rest();
  assert_false(bgi_grpc_fork_release_prefork()); /* no prefork holds the block: nothing done */
  assert_int_equal(count_rests_at(unblocked), unblocked);

  grpc_count_enter(); /* what grpc_prefork() does: its own ExecCtx, then the block */
  assert_true(block_exec_ctx());
  assert_int_equal(bgi_grpc_fork_inside_count(), 1);
  pthread_t t;
  assert_int_equal(pthread_create(&t, NULL, enter_grpc, NULL), 0);
  assert_false(wait_for(&entered, 200)); /* blocked, as a closure on a gRPC thread is */

  assert_true(bgi_grpc_fork_release_prefork());
  assert_true(wait_for(&entered, 5000));
  pthread_join(t, NULL);
  assert_int_equal(count_rests_at(3), 3);        /* unblocked, the "prefork" inside */
  assert_false(bgi_grpc_fork_release_prefork()); /* once only */
  grpc_count_leave(); /* the prefork's ExecCtx ends: unblocked, nobody inside */
  assert_int_equal(count_rests_at(2), 2);
}
/* The race the release must lose: the prefork's own ExecCtx has already left (the prefork is
 * returning, its block "nobody inside"). Releasing then would count an ExecCtx that no longer
 * exists, and the count would stay one high for good. */
static void test_release_after_the_prefork_left_does_nothing(void **state) {
  (void)state;
  bgi_grpc_init();
  grpc_count_enter();
  assert_true(block_exec_ctx());
  grpc_count_leave(); /* the prefork's ExecCtx ends */
  assert_int_equal(bgi_grpc_fork_inside_count(), 0);
  assert_false(bgi_grpc_fork_release_prefork());
  assert_int_equal(bgi_grpc_fork_inside_count(), 0);
  grpc_allow_exec_ctx(); /* what the postfork hooks do first */
  assert_int_equal(count_rests_at(2), 2);
}
#else
static void test_release_after_the_prefork_left_does_nothing(void **state) {
  (void)state;
  assert_false(bgi_grpc_fork_release_prefork());
}

static void test_release_lets_blocked_threads_in_and_keeps_the_count(void **state) {
  (void)state;
  assert_false(bgi_grpc_fork_release_prefork());
}

static void test_watchdog_finds_grpc_inside_count(void **state) {
  (void)state; /* built without gRPC 1.51's internals: nothing is located, nothing is read */
  assert_int_equal(bgi_grpc_fork_inside_count(), -1);
}
#endif

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_watchdog_finds_grpc_inside_count),
      cmocka_unit_test(test_release_lets_blocked_threads_in_and_keeps_the_count),
      cmocka_unit_test(test_release_after_the_prefork_left_does_nothing),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
