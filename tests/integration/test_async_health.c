/* Async health checks and wait-until-ready against the reference server: serving, unknown
 * service, a server that is starting, one that comes up later, one that never does,
 * cancelling or closing while the wait sleeps between checks, and a wait's re-check timer armed
 * by one poller while another sleeps in the queue. */
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include <bentogrpc/bentogrpc.h>

#include "test_assert.h"
#include "test_server.h"

static bgt_server server;

static int setup(void **state) {
  *state = &server; /* stopped by bgt_server_group_teardown */
  return bgt_server_start(&server, NULL);
}

typedef struct outcome {
  pthread_mutex_t mu;
  pthread_cond_t cond;
  int runs;
  bg_status status;
  bg_health_status health;
  bg_error err;
} outcome;

static void outcome_init(outcome *o) {
  memset(o, 0, sizeof *o);
  pthread_mutex_init(&o->mu, NULL);
  pthread_cond_init(&o->cond, NULL);
}

static void outcome_free(outcome *o) {
  pthread_cond_destroy(&o->cond);
  pthread_mutex_destroy(&o->mu);
}

static void on_health(bg_async_op *call, bg_status st, bg_health_status health, const bg_error *err,
                      void *user_data) {
  (void)call;
  outcome *o = user_data;
  pthread_mutex_lock(&o->mu);
  o->runs++;
  o->status = st;
  o->health = health;
  o->err = *err; /* only valid during the callback */
  pthread_cond_broadcast(&o->cond);
  pthread_mutex_unlock(&o->mu);
}

/* Polls until `o` has its callback (or fails after a liveness bound). */
static void poll_until_done(bg_async_client *ac, outcome *o) {
  bg_error err;
  for (int i = 0; i < 600 && o->runs == 0; i++)
    assert_int_equal(bg_async_client_poll(ac, 100, NULL, &err), BG_OK);
  assert_int_equal(o->runs, 1);
}

static bg_async_client *connect_to(const char *url, unsigned flags) {
  bg_error err;
  bg_async_client *ac = bg_async_client_connect(url, NULL, flags, &err);
  if (!ac)
    fail_msg("bg_async_client_connect: %s", err.message);
  return ac;
}

/* Inits *o and starts bg_async_wait_until_ready reporting to it (its op in *h unless h is NULL);
 * a refusal fails at the caller's line. */
#define start_wait(ac, timeout_ms, interval_ms, o, h)                                              \
  start_wait_at((ac), (timeout_ms), (interval_ms), (o), (h), __LINE__)
static void start_wait_at(bg_async_client *ac, int64_t timeout_ms, int64_t interval_ms, outcome *o,
                          bg_async_op **h, int line) {
  outcome_init(o);
  bg_error err;
  bg_status st = bg_async_wait_until_ready(ac, timeout_ms, interval_ms, on_health, o, h, &err);
  if (st != BG_OK)
    print_error("bg_async_wait_until_ready: %s\n", err.message);
  _assert_int_equal(st, BG_OK, __FILE__, line);
}

/* An async client (connect only) of a loopback port nothing listens on; its URL in url[64]. */
static bg_async_client *connect_to_nothing(char *url) {
  snprintf(url, 64, "127.0.0.1:%d", bgt_unused_port());
  return connect_to(url, 0);
}

static void check(bg_async_client *ac, const char *service, bg_status want_st,
                  bg_health_status want_health, int want_grpc) {
  outcome o;
  outcome_init(&o);
  bg_error err;
  assert_int_equal(bg_async_health(ac, service, 5000, on_health, &o, NULL, &err), BG_OK);
  poll_until_done(ac, &o);
  if (o.status != want_st)
    fail_msg("health of '%s': %s: %s", service ? service : "(default)", bg_status_name(o.status),
             o.err.message);
  assert_int_equal(o.health, want_health);
  assert_int_equal(o.err.grpc_status, want_grpc);
  outcome_free(&o);
}

static void test_health_check(void **state) {
  (void)state;
  bg_error err;
  bg_async_client *ac = bg_async_client_from_url(server.url, NULL, 0, &err);
  assert_non_null(ac);
  check(ac, NULL, BG_OK, BG_HEALTH_SERVING, 0);
  check(ac, "", BG_OK, BG_HEALTH_SERVING, 0);
  check(ac, "no.such.Service", BG_ERR_SERVER, BG_HEALTH_UNKNOWN, 5);
  assert_int_equal(bg_async_health(ac, NULL, 0, on_health, NULL, NULL, &err),
                   BG_ERR_INVALID_ARGUMENT);
  assert_int_equal(bg_async_health(ac, NULL, 100, NULL, NULL, NULL, &err), BG_ERR_INVALID_ARGUMENT);
  assert_int_equal(bg_async_wait_until_ready(ac, 100, 0, on_health, NULL, NULL, &err),
                   BG_ERR_INVALID_ARGUMENT);
  bg_async_client_close(ac);
}

static void test_health_on_the_callback_thread(void **state) {
  (void)state;
  bg_async_client *ac = connect_to(server.url, BG_ASYNC_CALLBACK_THREAD);
  outcome a, b;
  outcome_init(&a);
  outcome_init(&b);
  bg_error err;
  assert_int_equal(bg_async_health(ac, "", 5000, on_health, &a, NULL, &err), BG_OK);
  assert_int_equal(bg_async_wait_until_ready(ac, 20000, 100, on_health, &b, NULL, &err), BG_OK);
  bg_async_client_close(ac); /* lets both finish: a check is short; the server is serving */
  assert_int_equal(a.runs, 1);
  assert_int_equal(b.runs, 1);
  /* either completed or was cancelled by close; never both, never twice */
  assert_true(a.status == BG_OK || a.status == BG_ERR_CANCELLED);
  assert_true(b.status == BG_OK || b.status == BG_ERR_CANCELLED);
  outcome_free(&a);
  outcome_free(&b);

  ac = connect_to(server.url, BG_ASYNC_CALLBACK_THREAD);
  start_wait(ac, 20000, 100, &a, NULL);
  pthread_mutex_lock(&a.mu);
  while (a.runs == 0)
    pthread_cond_wait(&a.cond, &a.mu);
  pthread_mutex_unlock(&a.mu);
  assert_int_equal(a.status, BG_OK);
  assert_int_equal(a.health, BG_HEALTH_SERVING);
  bg_async_client_close(ac);
  assert_int_equal(a.runs, 1);
  outcome_free(&a);
}

static void test_wait_on_a_starting_server(void **state) {
  (void)state;
  bgt_server starting;
  const char *args[] = {"--startup-delay-ms", "1500", NULL};
  assert_int_equal(bgt_server_start(&starting, args), 0);
  bg_async_client *ac = connect_to(starting.url, 0);
  assert_null(bg_async_client_sync(ac)); /* no discovery: health only */
  check(ac, NULL, BG_OK, BG_HEALTH_NOT_SERVING, 0);

  outcome o;
  start_wait(ac, 20000, 100, &o, NULL);
  poll_until_done(ac, &o);
  assert_int_equal(o.status, BG_OK);
  assert_int_equal(o.health, BG_HEALTH_SERVING);

  bg_error err;
  float x = 1;
  bg_value *in = bg_ndarray_borrow(BG_DTYPE_FLOAT, NULL, 0, &x, 1, NULL);
  assert_int_equal(bg_async_call(ac, "predict", in, NULL, NULL, NULL, NULL, &err),
                   BG_ERR_INVALID_ARGUMENT);
  bg_value_free(in);
  bg_async_client_close(ac);
  outcome_free(&o);

  /* now discovery works */
  ac = bg_async_client_from_url(starting.url, NULL, 0, &err);
  assert_non_null(ac);
  assert_non_null(bg_async_client_sync(ac));
  bg_async_client_close(ac);
  bgt_server_stop(&starting);
}

static void refuse(bg_async_op *call, bg_status st, bg_value *out, const bg_error *err,
                   void *user_data) {
  (void)call;
  (void)st;
  (void)err;
  (void)user_data;
  bg_value_free(out);
  fail_msg("a refused call ran its callback");
}

static void test_connect_only_client_refuses_calls(void **state) {
  (void)state;
  bg_async_client *ac = connect_to(server.url, 0);
  float x = 1;
  bg_value *in = bg_ndarray_borrow(BG_DTYPE_FLOAT, NULL, 0, &x, 1, NULL);
  bg_error err;
  assert_int_equal(bg_async_call(ac, "predict", in, NULL, refuse, NULL, NULL, &err),
                   BG_ERR_UNSUPPORTED);
  assert_contains(err.message, "bg_async_client_from_url");
  bg_value_free(in);
  bg_async_client *bad = bg_async_client_connect("no-port", NULL, 0, &err);
  assert_null(bad);
  assert_int_equal(err.code, BG_ERR_INVALID_ARGUMENT);
  bg_async_client_close(ac);
}

/* Nothing listens at first; the wait keeps checking (without blocking the poller) and
 * succeeds once a server binds the port. */
static void test_wait_for_a_server_that_comes_up_later(void **state) {
  (void)state;
  int port = bgt_unused_port();
  char url[64], listen[64];
  snprintf(url, sizeof url, "127.0.0.1:%d", port);
  snprintf(listen, sizeof listen, "127.0.0.1:%d", port);
  bg_async_client *ac = connect_to(url, 0);
  outcome o;
  start_wait(ac, 60000, 100, &o, NULL);
  bg_error err;
  size_t n = 99;
  assert_int_equal(bg_async_client_poll(ac, 300, &n, &err), BG_OK);
  assert_int_equal(n, 0); /* no server yet: the wait goes on, the poller is free */
  assert_int_equal(o.runs, 0);

  bgt_server later;
  const char *args[] = {"--listen", listen, NULL};
  assert_int_equal(bgt_server_start(&later, args), 0);
  poll_until_done(ac, &o);
  if (o.status != BG_OK)
    fail_msg("wait: %s", o.err.message);
  assert_int_equal(o.health, BG_HEALTH_SERVING);
  bg_async_client_close(ac);
  bgt_server_stop(&later);
  outcome_free(&o);
}

static void test_wait_times_out(void **state) {
  (void)state;
  char url[64];
  bg_async_client *ac = connect_to_nothing(url);
  outcome o;
  start_wait(ac, 700, 100, &o, NULL);
  poll_until_done(ac, &o);
  assert_int_equal(o.status, BG_ERR_TIMEOUT);
  assert_int_equal(o.health, BG_HEALTH_UNKNOWN);
  assert_contains(o.err.message, url);
  assert_contains(o.err.message, "was not ready after waiting");
  assert_contains(o.err.message, "health checks of 'bentoml.grpc.v1.BentoService'");
  assert_contains(o.err.message, "UNAVAILABLE");
  bg_async_client_close(ac);
  outcome_free(&o);
}

/* The wait sleeps 30 s between checks; cancel and close must not wait for that. */
static void test_cancel_a_sleeping_wait(void **state) {
  (void)state;
  char url[64];
  bg_async_client *ac = connect_to_nothing(url);
  outcome o;
  bg_async_op *h;
  start_wait(ac, 120000, 30000, &o, &h);
  bg_error err;
  assert_int_equal(bg_async_client_poll(ac, 300, NULL, &err), BG_OK);
  assert_int_equal(o.runs, 0);
  assert_true(bg_async_op_cancel(h));
  /* liveness bound far below the 30 s interval */
  assert_int_equal(bg_async_client_poll(ac, 10000, NULL, &err), BG_OK);
  assert_int_equal(o.runs, 1);
  assert_int_equal(o.status, BG_ERR_CANCELLED);
  assert_contains(o.err.message, "bg_async_op_cancel");
  assert_false(bg_async_op_cancel(h));
  bg_async_op_release(h);

  outcome c;
  start_wait(ac, 120000, 30000, &c, NULL);
  assert_int_equal(bg_async_client_poll(ac, 300, NULL, &err), BG_OK);
  bg_async_client_close(ac);
  assert_int_equal(c.runs, 1);
  assert_int_equal(c.status, BG_ERR_CANCELLED);
  assert_contains(c.err.message, "closed");
  outcome_free(&o);
  outcome_free(&c);
}

/* Two pollers, one sleeping in the queue with no limit (it went to sleep before any timer was
 * armed), the other taking the check's completion, arming the wait's timer and going back to
 * its caller: the timer must still fire (a wait never delivered was the defect). Whichever
 * poller takes the completion is up to gRPC (before the fix about one trial in eight hung), so
 * the race is run 20 times; a trial whose callback has not come 10 s after its 1 s wait began
 * is a hang, not slowness. */
typedef struct sleeper {
  bg_async_client *ac;
  bg_status st;
} sleeper;

static void *poll_without_limit(void *arg) {
  sleeper *s = arg;
  bg_error err;
  s->st = bg_async_client_poll(s->ac, -1, NULL, &err); /* returns once the callback ran */
  return NULL;
}

static void test_timer_armed_while_another_poller_sleeps(void **state) {
  (void)state;
  bgt_server down;
  const char *args[] = {"--health-status", "NOT_SERVING", NULL};
  assert_int_equal(bgt_server_start(&down, args), 0);
  bg_async_client *ac = connect_to(down.url, 0);
  check(ac, NULL, BG_OK, BG_HEALTH_NOT_SERVING, 0); /* connected: checks are quick now */
  int hung = 0;
  for (int trial = 0; trial < 20 && !hung; trial++) {
    outcome o;
    /* the interval outlasts the wait: one check, then the timer that ends the wait */
    start_wait(ac, 1000, 60000, &o, NULL);
    bg_error err;
    sleeper s = {.ac = ac, .st = BG_ERR_INTERNAL};
    pthread_t b;
    assert_int_equal(pthread_create(&b, NULL, poll_without_limit, &s), 0);
    assert_int_equal(bg_async_client_poll(ac, 300, NULL, &err), BG_OK); /* then leaves */
    struct timespec bound;
    clock_gettime(CLOCK_REALTIME, &bound);
    bound.tv_sec += 10;
    pthread_mutex_lock(&o.mu);
    while (o.runs == 0 && pthread_cond_timedwait(&o.cond, &o.mu, &bound) == 0) {
    }
    hung = o.runs == 0;
    pthread_mutex_unlock(&o.mu);
    if (hung) { /* wake the sleeper with an event of its own, so the test can stop */
      outcome w;
      outcome_init(&w);
      assert_int_equal(bg_async_health(ac, NULL, 5000, on_health, &w, NULL, &err), BG_OK);
      pthread_join(b, NULL);
      bg_async_client_poll(ac, 5000, NULL, &err);
      outcome_free(&w);
    } else {
      pthread_join(b, NULL);
      assert_int_equal(s.st, BG_OK);
      assert_int_equal(o.runs, 1);
      assert_int_equal(o.status, BG_ERR_TIMEOUT);
      assert_contains(o.err.message, "NOT_SERVING");
    }
    outcome_free(&o);
  }
  bg_async_client_close(ac);
  bgt_server_stop(&down);
  if (hung)
    fail_msg("a wait-until-ready's timer armed by one poller was never fired while another "
             "poller slept in the queue");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_health_check),
      cmocka_unit_test(test_health_on_the_callback_thread),
      cmocka_unit_test(test_wait_on_a_starting_server),
      cmocka_unit_test(test_connect_only_client_refuses_calls),
      cmocka_unit_test(test_wait_for_a_server_that_comes_up_later),
      cmocka_unit_test(test_wait_times_out),
      cmocka_unit_test(test_cancel_a_sleeping_wait),
      cmocka_unit_test(test_timer_armed_while_another_poller_sleeps),
  };
  return cmocka_run_group_tests_name("async_health", tests, setup, bgt_server_group_teardown);
}
