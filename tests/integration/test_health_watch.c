/* grpc.health.v1.Health/Watch (bg_client_health_watch) against the reference server: the
 * current status then each change (SIGUSR1 makes every name NOT_SERVING, SIGUSR2 SERVING
 * again), an unknown name, a cancel from another thread, the timeout, the callback ending it,
 * bad arguments; the same for bg_async_health_watch (callback thread and poll modes, close
 * with a watch running). Every watch is bounded by its timeout; the whole file by ctest's TIMEOUT.
 */
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <bentogrpc/bentogrpc.h>

#include "test_assert.h"
#include "test_server.h"

static bgt_server server;

static int setup(void **state) {
  *state = &server; /* stopped by bgt_server_group_teardown */
  return bgt_server_start(&server, NULL);
}

static int64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static bg_client *open_client(void) {
  bg_error err;
  bg_client *client = bg_client_open(server.url, NULL, &err);
  if (!client)
    fail_msg("bg_client_open: %s", err.message);
  return client;
}

#define MAX_SEEN 16

typedef struct seen {
  pthread_mutex_t mu;
  pthread_cond_t cond;
  bg_health_status status[MAX_SEEN];
  int n;
  int stop_after; /* the callback returns false after this many statuses (0: never) */
  bool flip;      /* signal the server after each status: SERVING -> SIGUSR1, else SIGUSR2 */
} seen;

static void seen_init(seen *s) {
  memset(s, 0, sizeof *s);
  pthread_mutex_init(&s->mu, NULL);
  pthread_cond_init(&s->cond, NULL);
}

static void seen_free(seen *s) {
  pthread_cond_destroy(&s->cond);
  pthread_mutex_destroy(&s->mu);
}

static bool on_status(bg_health_status status, void *user_data) {
  seen *s = user_data;
  pthread_mutex_lock(&s->mu);
  if (s->n < MAX_SEEN)
    s->status[s->n] = status;
  s->n++;
  int n = s->n;
  pthread_cond_broadcast(&s->cond);
  pthread_mutex_unlock(&s->mu);
  if (s->stop_after && n >= s->stop_after)
    return false;
  if (s->flip)
    kill(server.pid, status == BG_HEALTH_SERVING ? SIGUSR1 : SIGUSR2);
  return true;
}

/* SERVING, then NOT_SERVING after SIGUSR1, then SERVING after SIGUSR2; the callback's false
 * ends the watch with BG_OK. */
static void test_watch_sees_every_change(void **state) {
  (void)state;
  bg_client *client = open_client();
  seen s;
  seen_init(&s);
  s.flip = true;
  s.stop_after = 3;
  bg_error err;
  int64_t t0 = now_ms();
  bg_status st = bg_client_health_watch(client, NULL, 20000, on_status, &s, NULL, &err);
  if (st != BG_OK)
    fail_msg("watch: %s", err.message);
  assert_int_equal(s.n, 3);
  assert_int_equal(s.status[0], BG_HEALTH_SERVING);
  assert_int_equal(s.status[1], BG_HEALTH_NOT_SERVING);
  assert_int_equal(s.status[2], BG_HEALTH_SERVING);
  assert_true(now_ms() - t0 < 10000);
  seen_free(&s);
  bg_client_close(client);
}

/* The whole server ("") is watched as well as the BentoService; an unknown name is a status. */
static void test_watch_reports_unknown_service_as_status(void **state) {
  (void)state;
  bg_client *client = open_client();
  seen s;
  seen_init(&s);
  s.stop_after = 1;
  bg_error err;
  assert_int_equal(
      bg_client_health_watch(client, "no.such.Service", 10000, on_status, &s, NULL, &err), BG_OK);
  assert_int_equal(s.n, 1);
  assert_int_equal(s.status[0], BG_HEALTH_SERVICE_UNKNOWN);
  s.n = 0;
  assert_int_equal(bg_client_health_watch(client, "", 10000, on_status, &s, NULL, &err), BG_OK);
  assert_int_equal(s.status[0], BG_HEALTH_SERVING);
  seen_free(&s);
  bg_client_close(client);
}

typedef struct canceller {
  seen *s;
  bg_cancel_token *token;
  int64_t cancelled_at;
} canceller;

static void *cancel_after_first_status(void *arg) {
  canceller *c = arg;
  pthread_mutex_lock(&c->s->mu);
  while (c->s->n == 0)
    pthread_cond_wait(&c->s->cond, &c->s->mu);
  pthread_mutex_unlock(&c->s->mu);
  struct timespec pause = {0, 200 * 1000 * 1000}; /* the watch waits for a change now */
  nanosleep(&pause, NULL);
  c->cancelled_at = now_ms();
  bg_cancel_token_cancel(c->token);
  return NULL;
}

/* A cancel token cancelled from another thread ends an unbounded watch promptly. */
static void test_watch_cancelled_from_another_thread(void **state) {
  (void)state;
  bg_client *client = open_client();
  seen s;
  seen_init(&s);
  bg_cancel_token *token = bg_cancel_token_new();
  bg_call_options *co = bg_call_options_new();
  bg_error err;
  assert_int_equal(bg_call_options_set_cancel_token(co, token, &err), BG_OK);
  canceller c = {.s = &s, .token = token};
  pthread_t thread;
  assert_int_equal(pthread_create(&thread, NULL, cancel_after_first_status, &c), 0);
  /* 0: no timeout; if the cancel did not work, ctest's TIMEOUT fails the test */
  bg_status st = bg_client_health_watch(client, NULL, 0, on_status, &s, co, &err);
  int64_t ended = now_ms();
  pthread_join(thread, NULL);
  assert_int_equal(st, BG_ERR_CANCELLED);
  assert_contains(err.message, "cancelled");
  assert_int_equal(s.n, 1);
  assert_true(ended - c.cancelled_at < 1000);
  bg_call_options_free(co);
  bg_cancel_token_free(token);
  seen_free(&s);
  bg_client_close(client);
}

/* The timeout ends a watch that sees no change: BG_ERR_TIMEOUT, on time. */
static void test_watch_ends_at_its_timeout(void **state) {
  (void)state;
  bg_client *client = open_client();
  seen s;
  seen_init(&s);
  bg_error err;
  int64_t t0 = now_ms();
  bg_status st = bg_client_health_watch(client, NULL, 400, on_status, &s, NULL, &err);
  int64_t took = now_ms() - t0;
  assert_int_equal(st, BG_ERR_TIMEOUT);
  assert_contains(err.message, "timeout");
  assert_int_equal(s.n, 1);
  assert_int_equal(s.status[0], BG_HEALTH_SERVING);
  assert_true(took >= 350 && took < 3000);
  seen_free(&s);
  bg_client_close(client);
}

/* No server there: UNAVAILABLE, not a hang. */
static void test_watch_without_server_fails(void **state) {
  (void)state;
  char url[64];
  snprintf(url, sizeof url, "127.0.0.1:%d", bgt_unused_port());
  bg_error err;
  bg_client *client = bg_client_open(url, NULL, &err);
  assert_non_null(client);
  seen s;
  seen_init(&s);
  assert_int_equal(bg_client_health_watch(client, NULL, 5000, on_status, &s, NULL, &err),
                   BG_ERR_UNAVAILABLE);
  assert_int_equal(s.n, 0);
  seen_free(&s);
  bg_client_close(client);
}

static void test_watch_refuses_bad_arguments(void **state) {
  (void)state;
  bg_client *client = open_client();
  bg_error err;
  assert_int_equal(bg_client_health_watch(NULL, NULL, 0, on_status, NULL, NULL, &err),
                   BG_ERR_INVALID_ARGUMENT);
  assert_int_equal(bg_client_health_watch(client, NULL, 0, NULL, NULL, NULL, &err),
                   BG_ERR_INVALID_ARGUMENT);
  assert_int_equal(bg_client_health_watch(client, NULL, -1, on_status, NULL, NULL, &err),
                   BG_ERR_INVALID_ARGUMENT);
  bg_client_close(client);
}

/* ---- bg_async_health_watch ---- */

typedef struct async_seen {
  seen s;
  bool flip;     /* as seen.flip */
  int cancel_at; /* cancel the watch (from its change callback) after this many; 0: never */
  int ended;
  bg_status end_status;
  bg_health_status end_health;
  char end_message[BG_ERROR_MESSAGE_SIZE];
  int changes_at_end;
} async_seen;

static void on_change(bg_async_op *call, bg_health_status health, void *user_data) {
  async_seen *a = user_data;
  pthread_mutex_lock(&a->s.mu);
  assert_int_equal(a->ended, 0); /* every change comes before the end */
  if (a->s.n < MAX_SEEN)
    a->s.status[a->s.n] = health;
  int n = ++a->s.n;
  pthread_cond_broadcast(&a->s.cond);
  pthread_mutex_unlock(&a->s.mu);
  if (a->cancel_at && n >= a->cancel_at)
    assert_true(bg_async_op_cancel(call));
  else if (a->flip)
    kill(server.pid, health == BG_HEALTH_SERVING ? SIGUSR1 : SIGUSR2);
}

static void on_end(bg_async_op *call, bg_status st, bg_health_status health, const bg_error *err,
                   void *user_data) {
  (void)call;
  async_seen *a = user_data;
  pthread_mutex_lock(&a->s.mu);
  a->ended++;
  a->end_status = st;
  a->end_health = health;
  a->changes_at_end = a->s.n;
  snprintf(a->end_message, sizeof a->end_message, "%s", err->message);
  pthread_cond_broadcast(&a->s.cond);
  pthread_mutex_unlock(&a->s.mu);
}

/* Waits (bounded) until `a` has ended; false on timeout. */
static bool wait_end(async_seen *a, int64_t ms) {
  struct timespec until;
  clock_gettime(CLOCK_REALTIME, &until);
  until.tv_sec += ms / 1000;
  until.tv_nsec += (ms % 1000) * 1000000;
  if (until.tv_nsec >= 1000000000) {
    until.tv_sec++;
    until.tv_nsec -= 1000000000;
  }
  pthread_mutex_lock(&a->s.mu);
  while (!a->ended)
    if (pthread_cond_timedwait(&a->s.cond, &a->s.mu, &until) != 0)
      break;
  bool ended = a->ended != 0;
  pthread_mutex_unlock(&a->s.mu);
  return ended;
}

static bg_async_client *open_async(unsigned flags) {
  bg_error err;
  bg_async_client *ac = bg_async_client_connect(server.url, NULL, flags, &err);
  if (!ac)
    fail_msg("bg_async_client_connect: %s", err.message);
  return ac;
}

/* SERVING, NOT_SERVING after SIGUSR1, SERVING after SIGUSR2; a cancel from the change callback
 * ends it with BG_ERR_CANCELLED and the last status. */
static void test_async_watch_sees_every_change(void **state) {
  (void)state;
  bg_async_client *ac = open_async(BG_ASYNC_CALLBACK_THREAD);
  async_seen a;
  memset(&a, 0, sizeof a);
  seen_init(&a.s);
  a.flip = true;
  a.cancel_at = 3;
  bg_error err;
  bg_async_op *call = NULL;
  assert_int_equal(bg_async_health_watch(ac, NULL, 20000, on_change, on_end, &a, &call, &err),
                   BG_OK);
  assert_non_null(call);
  assert_true(wait_end(&a, 15000));
  assert_int_equal(a.ended, 1);
  assert_int_equal(a.end_status, BG_ERR_CANCELLED);
  assert_int_equal(a.changes_at_end, 3);
  assert_int_equal(a.s.status[0], BG_HEALTH_SERVING);
  assert_int_equal(a.s.status[1], BG_HEALTH_NOT_SERVING);
  assert_int_equal(a.s.status[2], BG_HEALTH_SERVING);
  assert_int_equal(a.end_health, BG_HEALTH_SERVING);
  bg_async_op_release(call);
  bg_async_client_close(ac);
  assert_int_equal(a.ended, 1);
  seen_free(&a.s);
}

/* Poll mode: a cancel from the test's thread (not a callback) ends an unbounded watch promptly,
 * its callbacks run inside bg_async_client_poll(). */
static void test_async_watch_cancelled_while_polling(void **state) {
  (void)state;
  bg_async_client *ac = open_async(0);
  async_seen a;
  memset(&a, 0, sizeof a);
  seen_init(&a.s);
  bg_error err;
  bg_async_op *call = NULL;
  assert_int_equal(bg_async_health_watch(ac, NULL, 0, on_change, on_end, &a, &call, &err), BG_OK);
  int64_t t0 = now_ms();
  while (a.s.n == 0 && now_ms() - t0 < 10000)
    assert_int_equal(bg_async_client_poll(ac, 100, NULL, &err), BG_OK);
  assert_int_equal(a.s.n, 1);
  assert_int_equal(a.s.status[0], BG_HEALTH_SERVING);
  assert_int_equal(a.ended, 0);
  int64_t cancelled_at = now_ms();
  assert_true(bg_async_op_cancel(call));
  while (!a.ended && now_ms() - cancelled_at < 5000)
    assert_int_equal(bg_async_client_poll(ac, 100, NULL, &err), BG_OK);
  assert_int_equal(a.ended, 1);
  assert_true(now_ms() - cancelled_at < 1000);
  assert_int_equal(a.end_status, BG_ERR_CANCELLED);
  assert_contains(a.end_message, "cancel");
  bg_async_op_release(call);
  bg_async_client_close(ac);
  seen_free(&a.s);
}

/* The timeout ends it with BG_ERR_TIMEOUT; closing the client ends another one as cancelled
 * before bg_async_client_close() returns. */
static void test_async_watch_timeout_and_close(void **state) {
  (void)state;
  bg_async_client *ac = open_async(BG_ASYNC_CALLBACK_THREAD);
  async_seen timed, open_ended;
  memset(&timed, 0, sizeof timed);
  memset(&open_ended, 0, sizeof open_ended);
  seen_init(&timed.s);
  seen_init(&open_ended.s);
  bg_error err;
  int64_t t0 = now_ms();
  assert_int_equal(bg_async_health_watch(ac, NULL, 400, on_change, on_end, &timed, NULL, &err),
                   BG_OK);
  assert_int_equal(bg_async_health_watch(ac, "", 0, on_change, on_end, &open_ended, NULL, &err),
                   BG_OK);
  assert_true(wait_end(&timed, 5000));
  int64_t took = now_ms() - t0;
  assert_int_equal(timed.end_status, BG_ERR_TIMEOUT);
  assert_int_equal(timed.changes_at_end, 1);
  assert_true(took >= 350 && took < 3000);
  assert_int_equal(open_ended.ended, 0);
  bg_async_client_close(ac);
  assert_int_equal(open_ended.ended, 1);
  assert_int_equal(open_ended.end_status, BG_ERR_CANCELLED);
  assert_int_equal(open_ended.changes_at_end, 1);
  seen_free(&timed.s);
  seen_free(&open_ended.s);
}

static void test_async_watch_refuses_bad_arguments(void **state) {
  (void)state;
  bg_async_client *ac = open_async(0);
  bg_error err;
  assert_int_equal(bg_async_health_watch(ac, NULL, 0, NULL, on_end, NULL, NULL, &err),
                   BG_ERR_INVALID_ARGUMENT);
  assert_int_equal(bg_async_health_watch(ac, NULL, 0, on_change, NULL, NULL, NULL, &err),
                   BG_ERR_INVALID_ARGUMENT);
  assert_int_equal(bg_async_health_watch(ac, NULL, -5, on_change, on_end, NULL, NULL, &err),
                   BG_ERR_INVALID_ARGUMENT);
  bg_async_client_close(ac);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_watch_sees_every_change),
      cmocka_unit_test(test_watch_reports_unknown_service_as_status),
      cmocka_unit_test(test_watch_cancelled_from_another_thread),
      cmocka_unit_test(test_watch_ends_at_its_timeout),
      cmocka_unit_test(test_watch_without_server_fails),
      cmocka_unit_test(test_watch_refuses_bad_arguments),
      cmocka_unit_test(test_async_watch_sees_every_change),
      cmocka_unit_test(test_async_watch_cancelled_while_polling),
      cmocka_unit_test(test_async_watch_timeout_and_close),
      cmocka_unit_test(test_async_watch_refuses_bad_arguments),
  };
  return cmocka_run_group_tests(tests, setup, bgt_server_group_teardown);
}
