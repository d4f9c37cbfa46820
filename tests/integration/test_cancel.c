/* Cancel tokens (options.h): another thread ends a blocking bg_client_call() — what a
 * binding needs for Ctrl-C — against the reference server's slow API. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include <cmocka.h>

#include "test_fixture.h"

static void sleep_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

static int setup(void **state) {
  static bgt_fixture f;
  const char *args[] = {"--slow-ms", "20000", NULL};
  if (bgt_fixture_start(&f, args) != 0)
    return -1;
  *state = &f;
  return 0;
}

static int teardown(void **state) {
  bgt_fixture_stop(*state);
  return 0;
}

typedef struct slow_call {
  bg_client *client;
  bg_call_options *co;
  bg_status status;
  bg_error err;
  volatile int started;
} slow_call;

static void *run_slow(void *arg) {
  slow_call *s = arg;
  double x = 1;
  int64_t shape[1] = {1};
  bg_value *in = bg_ndarray_borrow(BG_DTYPE_DOUBLE, shape, 1, &x, 1, &s->err);
  bg_value *out = NULL;
  s->started = 1;
  s->status = bg_client_call(s->client, "slow_echo_ndarray", in, &out, s->co, &s->err);
  bg_value_free(out);
  bg_value_free(in);
  return NULL;
}

static void test_cancel_running_sync_call(void **state) {
  bgt_fixture *f = *state;
  bg_error err;
  bg_cancel_token *token = bg_cancel_token_new();
  assert_non_null(token);
  bg_call_options *co = bg_call_options_new();
  assert_int_equal(bg_call_options_set_cancel_token(co, token, &err), BG_OK);
  /* two calls on one token, on two threads */
  slow_call a = {.client = f->client, .co = co}, b = {.client = f->client, .co = co};
  pthread_t ta, tb;
  assert_int_equal(pthread_create(&ta, NULL, run_slow, &a), 0);
  assert_int_equal(pthread_create(&tb, NULL, run_slow, &b), 0);
  while (!a.started || !b.started)
    sleep_ms(1);
  sleep_ms(200); /* let both reach the server; cancelling earlier works as well */
  assert_false(bg_cancel_token_is_cancelled(token));
  bg_cancel_token_cancel(token);
  /* joins well before the server's 20 s: the calls were cancelled, not waited out */
  pthread_join(ta, NULL);
  pthread_join(tb, NULL);
  assert_int_equal(a.status, BG_ERR_CANCELLED);
  assert_int_equal(a.err.grpc_status, 1);
  assert_int_equal(b.status, BG_ERR_CANCELLED);

  /* a cancelled token cancels later calls at once, until reset */
  slow_call c = {.client = f->client, .co = co};
  run_slow(&c);
  assert_int_equal(c.status, BG_ERR_CANCELLED);
  bg_cancel_token_reset(token);
  assert_false(bg_cancel_token_is_cancelled(token));
  bg_value *in = bg_text_new("token", (size_t)-1, &err), *out = NULL;
  assert_int_equal(bg_client_call(f->client, "bonjour", in, &out, co, &err), BG_OK);
  assert_string_equal(bg_text_data(out), "Hello, token!");
  bg_value_free(out);
  bg_value_free(in);

  bg_call_options_free(co);
  bg_cancel_token_free(token);
  bg_cancel_token_cancel(NULL); /* NULL is accepted */
  assert_int_equal(bg_call_options_set_cancel_token(NULL, NULL, &err), BG_ERR_INVALID_ARGUMENT);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_cancel_running_sync_call)};
  return cmocka_run_group_tests(tests, setup, teardown);
}
