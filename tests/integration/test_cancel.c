/* Cancel tokens (options.h): another thread ends a blocking bg_client_call() — what a
 * binding needs for Ctrl-C — against the reference server's slow API. Cancel fds: the call's
 * own thread ends it when a cancelling byte lands in a pipe (Python's signal wake-up fd). */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

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
  volatile int finished;
  int64_t deadline_ms; /* 0: none */
} slow_call;

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void *run_slow(void *arg) {
  slow_call *s = arg;
  double x = 1;
  int64_t shape[1] = {1};
  bg_value *in = bg_ndarray_borrow(BG_DTYPE_DOUBLE, shape, 1, &x, 1, &s->err);
  bg_value *out = NULL;
  s->started = 1;
  if (s->deadline_ms)
    bg_call_options_set_deadline_ms(s->co, s->deadline_ms, NULL);
  s->status = bg_client_call(s->client, "slow_echo_ndarray", in, &out, s->co, &s->err);
  s->finished = 1;
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

/* A non-blocking pipe: [0] read end, [1] write end. */
static void make_pipe(int fds[2]) {
  assert_int_equal(pipe(fds), 0);
  assert_int_equal(fcntl(fds[0], F_SETFL, fcntl(fds[0], F_GETFL) | O_NONBLOCK), 0);
}

static void test_cancel_fd_cancels_on_its_byte_only(void **state) {
  bgt_fixture *f = *state;
  bg_error err;
  int fds[2];
  make_pipe(fds);
  bg_call_options *co = bg_call_options_new();
  const unsigned char sigint = 2;
  assert_int_equal(bg_call_options_set_cancel_fd(co, fds[0], &sigint, 1, &err), BG_OK);
  slow_call a = {.client = f->client, .co = co};
  pthread_t t;
  assert_int_equal(pthread_create(&t, NULL, run_slow, &a), 0);
  while (!a.started)
    sleep_ms(1);
  sleep_ms(200);
  /* another byte (another signal's number) is read and dropped: the call goes on */
  const unsigned char other[3] = {10, 0, 255};
  assert_int_equal(write(fds[1], other, sizeof other), (ssize_t)sizeof other);
  sleep_ms(150);
  assert_false(a.finished);
  unsigned char left;
  assert_int_equal(read(fds[0], &left, 1), -1); /* the call consumed the bytes */
  assert_int_equal(errno, EAGAIN);
  /* its byte cancels it, on its own thread, within a tick (20 ms) plus gRPC's cancel */
  double t0 = now_ms();
  assert_int_equal(write(fds[1], &sigint, 1), 1);
  while (!a.finished && now_ms() - t0 < 5000)
    sleep_ms(1);
  double took = now_ms() - t0;
  pthread_join(t, NULL);
  assert_int_equal(a.status, BG_ERR_CANCELLED);
  assert_int_equal(a.err.grpc_status, 1);
  assert_true(took < 250); /* 20 s without the fd */
  printf("cancel fd: the call ended %.1f ms after the byte\n", took);

  /* a byte already there when the call starts cancels it at its first tick */
  assert_int_equal(write(fds[1], &sigint, 1), 1);
  slow_call b = {.client = f->client, .co = co};
  t0 = now_ms();
  run_slow(&b);
  assert_int_equal(b.status, BG_ERR_CANCELLED);
  assert_true(now_ms() - t0 < 1000);

  /* a call that completes within a tick never reads the fd; the client works on */
  assert_int_equal(write(fds[1], &sigint, 1), 1);
  bg_value *in = bg_text_new("fd", (size_t)-1, &err), *out = NULL;
  assert_int_equal(bg_client_call(f->client, "bonjour", in, &out, co, &err), BG_OK);
  assert_string_equal(bg_text_data(out), "Hello, fd!");
  bg_value_free(out);
  bg_value_free(in);
  assert_int_equal(read(fds[0], &left, 1), 1);
  assert_int_equal(left, sigint);

  /* count 0: any byte cancels */
  assert_int_equal(bg_call_options_set_cancel_fd(co, fds[0], NULL, 0, &err), BG_OK);
  assert_int_equal(write(fds[1], other, 1), 1);
  slow_call c = {.client = f->client, .co = co};
  run_slow(&c);
  assert_int_equal(c.status, BG_ERR_CANCELLED);

  /* -1 stops watching: the byte stays, the call runs to its deadline */
  assert_int_equal(bg_call_options_set_cancel_fd(co, -1, NULL, 0, &err), BG_OK);
  assert_int_equal(write(fds[1], &sigint, 1), 1);
  slow_call d = {.client = f->client, .co = co, .deadline_ms = 300};
  run_slow(&d);
  assert_int_equal(d.status, BG_ERR_DEADLINE);
  assert_int_equal(read(fds[0], &left, 1), 1);

  /* the write end closed: the call stops watching (no spin, no cancel) and meets its deadline */
  assert_int_equal(bg_call_options_set_cancel_fd(co, fds[0], &sigint, 1, &err), BG_OK);
  close(fds[1]);
  slow_call e = {.client = f->client, .co = co, .deadline_ms = 300};
  run_slow(&e);
  assert_int_equal(e.status, BG_ERR_DEADLINE);
  close(fds[0]);

  assert_int_equal(bg_call_options_set_cancel_fd(NULL, 0, NULL, 0, &err), BG_ERR_INVALID_ARGUMENT);
  assert_int_equal(bg_call_options_set_cancel_fd(co, -2, NULL, 0, &err), BG_ERR_INVALID_ARGUMENT);
  assert_int_equal(bg_call_options_set_cancel_fd(co, 0, NULL, 1, &err), BG_ERR_INVALID_ARGUMENT);
  bg_call_options_free(co);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_cancel_running_sync_call),
                                     cmocka_unit_test(test_cancel_fd_cancels_on_its_byte_only)};
  return cmocka_run_group_tests(tests, setup, teardown);
}
