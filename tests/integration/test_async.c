/* The async client against the reference server: thousands of calls in flight with every
 * callback counted exactly once and every output checked; successes, server errors,
 * deadlines and cancellations mixed; cancel before and after the answer, from other threads
 * and from callbacks; close with calls in flight; callbacks that start calls; the three
 * delivery paths (poll, fd + dispatch, library thread); raw calls (bg_async_call_raw) of
 * custom-IO APIs, unknown names and v1alpha1 servers; File inputs refused as `file`,
 * resent as serialized_bytes like bg_client_call does, also when cancelled meanwhile; and
 * sync and async calls decoding into one reused output buffer. */
#include <dirent.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include <bentogrpc/bentogrpc.h>

#include "bmp.h"
#include "test_assert.h"
#include "test_server.h"

static bgt_server server;

static int setup(void **state) {
  *state = &server; /* stopped by bgt_server_group_teardown */
  const char *args[] = {"--slow-ms", "4000", "--workers", "32", NULL};
  return bgt_server_start(&server, args);
}

/* ---- bookkeeping shared by the callbacks ---- */

typedef enum mode { MODE_POLL, MODE_FD, MODE_THREAD } mode;

typedef enum kind { KIND_DOUBLE, KIND_SERVER_ERROR, KIND_DEADLINE, KIND_CANCEL } kind;

typedef struct tally tally;

typedef struct slot {
  tally *t;
  int index;
  kind kind;
  int32_t x[3];
  bool cancel_accepted; /* bg_async_op_cancel() returned true */
} slot;

struct tally {
  pthread_mutex_t mu;
  pthread_cond_t cond;
  int n;
  slot *slots;
  int *hits;       /* callbacks per slot: must end at exactly 1 */
  bg_status *seen; /* status per slot */
  int done;
  int wrong; /* outputs or errors that do not match the slot's kind */
  char first_wrong[512];
  pthread_t callback_thread;
  /* chain: callbacks start more calls until `chain_left` is 0 */
  bg_async_client *chain_client;
  int chain_left;
  int chain_started;
};

static void tally_init(tally *t, int n) {
  memset(t, 0, sizeof *t);
  pthread_mutex_init(&t->mu, NULL);
  pthread_cond_init(&t->cond, NULL);
  t->n = n;
  t->slots = calloc((size_t)n, sizeof *t->slots);
  t->hits = calloc((size_t)n, sizeof *t->hits);
  t->seen = calloc((size_t)n, sizeof *t->seen);
  for (int i = 0; i < n; i++) {
    t->slots[i] = (slot){.t = t, .index = i, .x = {i, -i, 7 * i + 1}};
  }
}

static void tally_free(tally *t) {
  free(t->slots);
  free(t->hits);
  free(t->seen);
  pthread_cond_destroy(&t->cond);
  pthread_mutex_destroy(&t->mu);
}

static void note_wrong(tally *t, const char *fmt, ...) {
  t->wrong++;
  if (t->first_wrong[0])
    return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(t->first_wrong, sizeof t->first_wrong, fmt, ap);
  va_end(ap);
}

/* Checks one completion against what its slot expects; called with t->mu held. */
static void judge(slot *s, bg_status st, const bg_value *out, const bg_error *err) {
  tally *t = s->t;
  if (err->code != st)
    note_wrong(t, "slot %d: err->code %d != status %d", s->index, err->code, st);
  switch (s->kind) {
  case KIND_DOUBLE: {
    const int32_t *y = bg_ndarray_data(out);
    if (st != BG_OK || bg_ndarray_count(out) != 3 || y[0] != 2 * s->x[0] || y[1] != 2 * s->x[1] ||
        y[2] != 2 * s->x[2])
      note_wrong(t, "slot %d: double_ndarray gave %s: %s", s->index, bg_status_name(st),
                 err->message);
    break;
  }
  case KIND_SERVER_ERROR:
    if (st != BG_ERR_SERVER || err->grpc_status != 3 || out)
      note_wrong(t, "slot %d: expected a server error, got %s: %s", s->index, bg_status_name(st),
                 err->message);
    break;
  case KIND_DEADLINE:
    if (st != BG_ERR_DEADLINE || err->grpc_status != 4 || out)
      note_wrong(t, "slot %d: expected a deadline, got %s: %s", s->index, bg_status_name(st),
                 err->message);
    break;
  case KIND_CANCEL:
    if (s->cancel_accepted && (st != BG_ERR_CANCELLED || err->grpc_status != 1 || out ||
                               !strstr(err->message, "bg_async_op_cancel")))
      note_wrong(t, "slot %d: cancel accepted, but got %s: %s", s->index, bg_status_name(st),
                 err->message);
    break;
  }
}

static void on_done(bg_async_op *call, bg_status st, bg_value *out, const bg_error *err,
                    void *user_data) {
  (void)call;
  slot *s = user_data;
  tally *t = s->t;
  pthread_mutex_lock(&t->mu);
  t->hits[s->index]++;
  t->seen[s->index] = st;
  t->callback_thread = pthread_self();
  judge(s, st, out, err);
  t->done++;
  pthread_cond_broadcast(&t->cond);
  pthread_mutex_unlock(&t->mu);
  bg_value_free(out); /* the callback owns the output */
}

static const char *api_of(kind k) {
  switch (k) {
  case KIND_DOUBLE: return "double_ndarray";
  case KIND_SERVER_ERROR: return "echo_ndarray"; /* BentoML cannot send strings back */
  default: return "slow_echo_ndarray";
  }
}

/* Starts the slot's call; the input and the call options are freed before this returns. */
static bg_status start_slot(bg_async_client *ac, slot *s, bg_async_call_cb cb, bg_async_op **handle,
                            bg_error *err) {
  int64_t shape[] = {3};
  static const char *const words[] = {"a", "b", "c"};
  bg_value *in = s->kind == KIND_SERVER_ERROR
                     ? bg_ndarray_copy(BG_DTYPE_STRING, shape, 1, words, 3, NULL)
                     : bg_ndarray_copy(BG_DTYPE_INT32, shape, 1, s->x, 3, NULL);
  bg_call_options *co = bg_call_options_new();
  if (s->kind == KIND_DEADLINE)
    bg_call_options_set_deadline_ms(co, 200, NULL);
  bg_call_options_add_metadata(co, "x-slot", "n", 1, NULL);
  bg_status st = bg_async_call(ac, api_of(s->kind), in, co, cb, s, handle, err);
  bg_call_options_free(co);
  bg_value_free(in);
  return st;
}

static bg_async_client *open_client(mode m) {
  bg_error err;
  bg_async_client *ac = bg_async_client_from_url(
      server.url, NULL, m == MODE_THREAD ? BG_ASYNC_CALLBACK_THREAD : 0, &err);
  if (!ac)
    fail_msg("bg_async_client_from_url: %s", err.message);
  return ac;
}

/* Waits until `want` callbacks have run, receiving completions the way `m` says. */
static void wait_done(bg_async_client *ac, mode m, tally *t, int want) {
  bg_error err;
  for (;;) {
    pthread_mutex_lock(&t->mu);
    int done = t->done;
    if (m == MODE_THREAD && done < want) {
      struct timespec limit;
      clock_gettime(CLOCK_REALTIME, &limit);
      limit.tv_sec += 120; /* liveness bound only: a hang fails instead of blocking ctest */
      while (t->done < want)
        if (pthread_cond_timedwait(&t->cond, &t->mu, &limit) != 0)
          break;
      done = t->done;
    }
    pthread_mutex_unlock(&t->mu);
    if (done >= want)
      return;
    if (m == MODE_THREAD)
      fail_msg("only %d of %d callbacks ran", done, want);
    if (bg_async_client_pending(ac) == 0)
      fail_msg("nothing pending, yet only %d of %d callbacks ran", done, want);
    if (m == MODE_POLL) {
      assert_int_equal(bg_async_client_poll(ac, -1, NULL, &err), BG_OK);
    } else {
      struct pollfd p = {.fd = bg_async_client_fd(ac), .events = POLLIN};
      assert_true(poll(&p, 1, 120000) == 1);
      size_t n = 0;
      assert_int_equal(bg_async_client_dispatch(ac, &n, &err), BG_OK);
      assert_true(n > 0); /* readable means callbacks are ready */
    }
  }
}

static void assert_each_once(tally *t) {
  for (int i = 0; i < t->n; i++)
    if (t->hits[i] != 1)
      fail_msg("slot %d: callback ran %d times", i, t->hits[i]);
  if (t->wrong)
    fail_msg("%d wrong completions; first: %s", t->wrong, t->first_wrong);
}

/* ---- thousands in flight ---- */

static void many_in_flight(mode m, int n) {
  bg_async_client *ac = open_client(m);
  tally t;
  tally_init(&t, n);
  bg_error err;
  for (int i = 0; i < n; i++)
    assert_int_equal(start_slot(ac, &t.slots[i], on_done, NULL, &err), BG_OK);
  wait_done(ac, m, &t, n);
  assert_each_once(&t);
  if (m != MODE_THREAD) /* there, the count drops just after the last callback returns */
    assert_int_equal(bg_async_client_pending(ac), 0);
  bg_async_client_close(ac);
  tally_free(&t);
}

static void test_thousands_in_flight_poll(void **state) {
  (void)state;
  many_in_flight(MODE_POLL, 3000);
}

static void test_thousands_in_flight_fd(void **state) {
  (void)state;
  many_in_flight(MODE_FD, 2000);
}

static void test_thousands_in_flight_thread(void **state) {
  (void)state;
  many_in_flight(MODE_THREAD, 2000);
}

/* ---- mixed outcomes ---- */

static void mixed(mode m) {
  enum { N = 400 };
  bg_async_client *ac = open_client(m);
  tally t;
  tally_init(&t, N);
  bg_async_op *handles[N] = {0};
  bg_error err;
  for (int i = 0; i < N; i++) {
    slot *s = &t.slots[i];
    s->kind = (kind)(i % 4);
    bg_status st = start_slot(ac, s, on_done, s->kind == KIND_CANCEL ? &handles[i] : NULL, &err);
    if (st != BG_OK)
      fail_msg("slot %d (%s): %s", i, api_of(s->kind), err.message);
    if (s->kind == KIND_CANCEL) {
      assert_non_null(handles[i]);
      pthread_mutex_lock(&t.mu);
      s->cancel_accepted = bg_async_op_cancel(handles[i]);
      pthread_mutex_unlock(&t.mu);
    } else {
      assert_null(handles[i]);
    }
  }
  wait_done(ac, m, &t, N);
  assert_each_once(&t);
  for (int i = 0; i < N; i++) {
    if (t.slots[i].kind != KIND_CANCEL)
      continue;
    /* slow_echo takes seconds, so every cancel came before the answer */
    assert_true(t.slots[i].cancel_accepted);
    assert_int_equal(t.seen[i], BG_ERR_CANCELLED);
    assert_false(bg_async_op_cancel(handles[i])); /* after the callback: no effect */
    bg_async_op_release(handles[i]);
  }
  bg_async_client_close(ac);
  tally_free(&t);
}

static void test_mixed_outcomes_poll(void **state) {
  (void)state;
  mixed(MODE_POLL);
}

static void test_mixed_outcomes_fd(void **state) {
  (void)state;
  mixed(MODE_FD);
}

static void test_mixed_outcomes_thread(void **state) {
  (void)state;
  mixed(MODE_THREAD);
}

/* ---- cancellation ---- */

static void test_cancel_before_the_server_answers(void **state) {
  (void)state;
  bg_async_client *ac = open_client(MODE_POLL);
  tally t;
  tally_init(&t, 1);
  t.slots[0].kind = KIND_CANCEL;
  bg_async_op *h;
  bg_error err;
  assert_int_equal(start_slot(ac, &t.slots[0], on_done, &h, &err), BG_OK);
  t.slots[0].cancel_accepted = bg_async_op_cancel(h);
  assert_true(t.slots[0].cancel_accepted);
  assert_true(bg_async_op_cancel(h)); /* repeating is harmless until the callback runs */
  wait_done(ac, MODE_POLL, &t, 1);
  assert_each_once(&t);
  assert_int_equal(t.seen[0], BG_ERR_CANCELLED);
  bg_async_op_release(h);
  bg_async_client_close(ac);
  tally_free(&t);
}

/* The answer has arrived (the fd says a callback is ready) but the callback has not run:
 * cancel still wins and the output is discarded. */
static void test_cancel_after_the_server_answered(void **state) {
  (void)state;
  bg_async_client *ac = open_client(MODE_FD);
  tally t;
  tally_init(&t, 2);
  t.slots[0].kind = KIND_CANCEL; /* judged as a cancel once accepted */
  bg_async_op *h;
  bg_error err;
  int64_t shape[] = {3};
  bg_value *in = bg_ndarray_copy(BG_DTYPE_INT32, shape, 1, t.slots[0].x, 3, NULL);
  assert_int_equal(bg_async_call(ac, "double_ndarray", in, NULL, on_done, &t.slots[0], &h, &err),
                   BG_OK);
  bg_value_free(in);
  struct pollfd p = {.fd = bg_async_client_fd(ac), .events = POLLIN};
  assert_int_equal(poll(&p, 1, 60000), 1);
  assert_int_equal(t.done, 0);
  t.slots[0].cancel_accepted = bg_async_op_cancel(h);
  assert_true(t.slots[0].cancel_accepted);
  size_t n = 0;
  assert_int_equal(bg_async_client_dispatch(ac, &n, &err), BG_OK);
  assert_int_equal(n, 1);
  assert_int_equal(t.seen[0], BG_ERR_CANCELLED);
  assert_int_equal(poll(&p, 1, 0), 0); /* dispatched: not readable any more */

  /* and once the callback has run, cancel changes nothing */
  t.slots[1].kind = KIND_DOUBLE;
  bg_async_op *h2;
  assert_int_equal(start_slot(ac, &t.slots[1], on_done, &h2, &err), BG_OK);
  wait_done(ac, MODE_FD, &t, 2);
  assert_false(bg_async_op_cancel(h2));
  assert_int_equal(t.seen[1], BG_OK);
  assert_each_once(&t);
  bg_async_op_release(h2);
  bg_async_op_release(h);
  bg_async_client_close(ac);
  tally_free(&t);
}

typedef struct self_cancel {
  bg_async_op *other; /* a slow call this callback cancels */
  bool own_cancel, other_cancel;
  int runs;
} self_cancel;

static void cancel_from_callback(bg_async_op *call, bg_status st, bg_value *out,
                                 const bg_error *err, void *user_data) {
  (void)err;
  self_cancel *sc = user_data;
  sc->runs++;
  assert_int_equal(st, BG_OK);
  sc->own_cancel = bg_async_op_cancel(call);        /* its own callback has started: false */
  sc->other_cancel = bg_async_op_cancel(sc->other); /* still in flight: true */
  bg_value_free(out);
}

static void test_cancel_from_inside_a_callback(void **state) {
  (void)state;
  bg_async_client *ac = open_client(MODE_POLL);
  tally t;
  tally_init(&t, 1);
  t.slots[0].kind = KIND_CANCEL;
  t.slots[0].cancel_accepted = true; /* set before the cancel, read only after it */
  self_cancel sc = {0};
  bg_error err;
  assert_int_equal(start_slot(ac, &t.slots[0], on_done, &sc.other, &err), BG_OK);
  int32_t x = 4;
  int64_t shape[] = {1};
  bg_value *in = bg_ndarray_borrow(BG_DTYPE_INT32, shape, 1, &x, 1, NULL);
  bg_async_op *h;
  assert_int_equal(
      bg_async_call(ac, "double_ndarray", in, NULL, cancel_from_callback, &sc, &h, &err), BG_OK);
  bg_value_free(in);
  wait_done(ac, MODE_POLL, &t, 1);
  while (bg_async_client_pending(ac) > 0)
    assert_int_equal(bg_async_client_poll(ac, -1, NULL, &err), BG_OK);
  assert_int_equal(sc.runs, 1);
  assert_false(sc.own_cancel);
  assert_true(sc.other_cancel);
  assert_each_once(&t);
  bg_async_op_release(sc.other);
  bg_async_op_release(h);
  bg_async_client_close(ac);
  tally_free(&t);
}

/* Calls started on one thread, cancelled from another, delivered on the library thread. */
typedef struct canceller {
  bg_async_op **handles;
  slot *slots;
  pthread_mutex_t *mu;
  int n;
} canceller;

static void *cancel_all_main(void *arg) {
  canceller *c = arg;
  for (int i = 0; i < c->n; i++) {
    bool accepted = bg_async_op_cancel(c->handles[i]);
    pthread_mutex_lock(c->mu);
    c->slots[i].cancel_accepted = accepted;
    pthread_mutex_unlock(c->mu);
  }
  return NULL;
}

static void test_cancel_from_another_thread(void **state) {
  (void)state;
  enum { N = 200 };
  bg_async_client *ac = open_client(MODE_THREAD);
  tally t;
  tally_init(&t, N);
  bg_async_op *handles[N];
  bg_error err;
  for (int i = 0; i < N; i++) {
    t.slots[i].kind = KIND_CANCEL;
    assert_int_equal(start_slot(ac, &t.slots[i], on_done, &handles[i], &err), BG_OK);
  }
  canceller c = {.handles = handles, .slots = t.slots, .mu = &t.mu, .n = N};
  pthread_t thread;
  assert_int_equal(pthread_create(&thread, NULL, cancel_all_main, &c), 0);
  pthread_join(thread, NULL);
  wait_done(ac, MODE_THREAD, &t, N);
  assert_each_once(&t);
  for (int i = 0; i < N; i++) {
    assert_true(t.slots[i].cancel_accepted);
    assert_int_equal(t.seen[i], BG_ERR_CANCELLED);
    bg_async_op_release(handles[i]);
  }
  bg_async_client_close(ac);
  tally_free(&t);
}

/* ---- close ---- */

typedef struct close_probe {
  tally *t;
  bg_async_client *ac;
  int refused; /* calls started from callbacks during close that were refused */
} close_probe;

static close_probe probe;

static void on_done_then_start(bg_async_op *call, bg_status st, bg_value *out, const bg_error *err,
                               void *user_data) {
  on_done(call, st, out, err, user_data);
  slot *s = user_data;
  bg_error e2;
  bg_status st2 = start_slot(probe.ac, s, on_done, NULL, &e2);
  pthread_mutex_lock(&s->t->mu);
  if (st2 == BG_ERR_CANCELLED && strstr(e2.message, "closing"))
    probe.refused++;
  else
    note_wrong(s->t, "a call started during close was not refused: %s", e2.message);
  pthread_mutex_unlock(&s->t->mu);
}

static void close_with_calls_in_flight(mode m) {
  enum { N = 300 };
  bg_async_client *ac = open_client(m);
  tally t;
  tally_init(&t, N);
  probe = (close_probe){.t = &t, .ac = ac};
  bg_async_op *kept = NULL;
  bg_error err;
  for (int i = 0; i < N; i++) {
    t.slots[i].kind = KIND_CANCEL; /* slow: still in flight when close runs */
    assert_int_equal(start_slot(ac, &t.slots[i], on_done_then_start, i == 0 ? &kept : NULL, &err),
                     BG_OK);
  }
  bg_async_client_close(ac); /* cancels all 300 and runs every callback before returning */
  assert_int_equal(t.done, N);
  assert_int_equal(probe.refused, N);
  assert_each_once(&t);
  for (int i = 0; i < N; i++)
    assert_int_equal(t.seen[i], BG_ERR_CANCELLED);
  /* a kept handle outlives the client; cancel is then a no-op */
  assert_false(bg_async_op_cancel(kept));
  bg_async_op_release(kept);
  tally_free(&t);
}

static void test_close_with_calls_in_flight_poll(void **state) {
  (void)state;
  close_with_calls_in_flight(MODE_POLL);
}

static void test_close_with_calls_in_flight_thread(void **state) {
  (void)state;
  close_with_calls_in_flight(MODE_THREAD);
}

static void test_close_runs_ready_callbacks(void **state) {
  (void)state;
  bg_async_client *ac = open_client(MODE_FD);
  tally t;
  tally_init(&t, 1);
  bg_error err;
  assert_int_equal(start_slot(ac, &t.slots[0], on_done, NULL, &err), BG_OK);
  struct pollfd p = {.fd = bg_async_client_fd(ac), .events = POLLIN};
  assert_int_equal(poll(&p, 1, 60000), 1); /* answered, not dispatched */
  bg_async_client_close(ac);
  assert_int_equal(t.done, 1);
  assert_int_equal(t.seen[0], BG_OK); /* an answer that arrived is delivered, not cancelled */
  assert_each_once(&t);
  tally_free(&t);
}

/* ---- callbacks that start calls ---- */

static void chain_next(bg_async_op *call, bg_status st, bg_value *out, const bg_error *err,
                       void *user_data);

static void chain_start_one(tally *t) {
  /* t->mu held */
  if (t->chain_left == 0)
    return;
  t->chain_left--;
  slot *s = &t->slots[t->chain_started++];
  bg_error err;
  if (start_slot(t->chain_client, s, chain_next, NULL, &err) != BG_OK)
    note_wrong(t, "chained start failed: %s", err.message);
}

static void chain_next(bg_async_op *call, bg_status st, bg_value *out, const bg_error *err,
                       void *user_data) {
  on_done(call, st, out, err, user_data);
  tally *t = ((slot *)user_data)->t;
  pthread_mutex_lock(&t->mu);
  chain_start_one(t);
  pthread_mutex_unlock(&t->mu);
}

static void callbacks_start_calls(mode m) {
  enum { N = 600, WIDTH = 16 };
  bg_async_client *ac = open_client(m);
  tally t;
  tally_init(&t, N);
  t.chain_client = ac;
  t.chain_left = N;
  pthread_mutex_lock(&t.mu);
  for (int i = 0; i < WIDTH; i++)
    chain_start_one(&t);
  pthread_mutex_unlock(&t.mu);
  wait_done(ac, m, &t, N);
  assert_int_equal(t.chain_started, N);
  assert_each_once(&t);
  if (m == MODE_THREAD)
    assert_false(pthread_equal(t.callback_thread, pthread_self()));
  else
    assert_true(pthread_equal(t.callback_thread, pthread_self()));
  bg_async_client_close(ac);
  tally_free(&t);
}

static void test_callbacks_start_calls_poll(void **state) {
  (void)state;
  callbacks_start_calls(MODE_POLL);
}

static void test_callbacks_start_calls_fd(void **state) {
  (void)state;
  callbacks_start_calls(MODE_FD);
}

static void test_callbacks_start_calls_thread(void **state) {
  (void)state;
  callbacks_start_calls(MODE_THREAD);
}

/* ---- several threads start calls on one client ---- */

typedef struct starter {
  bg_async_client *ac;
  slot *slots;
  int n;
  int failed;
} starter;

static void *starter_main(void *arg) {
  starter *s = arg;
  for (int i = 0; i < s->n; i++)
    if (start_slot(s->ac, &s->slots[i], on_done, NULL, NULL) != BG_OK)
      s->failed++;
  return NULL;
}

static void test_threads_start_calls_on_one_client(void **state) {
  (void)state;
  enum { THREADS = 4, EACH = 250 };
  bg_async_client *ac = open_client(MODE_THREAD);
  tally t;
  tally_init(&t, THREADS * EACH);
  pthread_t threads[THREADS];
  starter starters[THREADS];
  for (int i = 0; i < THREADS; i++) {
    starters[i] = (starter){.ac = ac, .slots = t.slots + i * EACH, .n = EACH};
    assert_int_equal(pthread_create(&threads[i], NULL, starter_main, &starters[i]), 0);
  }
  for (int i = 0; i < THREADS; i++) {
    pthread_join(threads[i], NULL);
    assert_int_equal(starters[i].failed, 0);
  }
  wait_done(ac, MODE_THREAD, &t, THREADS * EACH);
  assert_each_once(&t);
  bg_async_client_close(ac);
  tally_free(&t);
}

/* ---- delivery paths and their rules ---- */

static void reenter(bg_async_op *call, bg_status st, bg_value *out, const bg_error *err,
                    void *user_data) {
  (void)call;
  (void)err;
  bg_async_client *ac = user_data;
  bg_error e2;
  assert_int_equal(st, BG_OK);
  assert_int_equal(bg_async_client_poll(ac, 0, NULL, &e2), BG_ERR_INVALID_ARGUMENT);
  assert_contains(e2.message, "inside a callback");
  assert_int_equal(bg_async_client_dispatch(ac, NULL, &e2), BG_ERR_INVALID_ARGUMENT);
  bg_value_free(out);
}

static void test_delivery_rules(void **state) {
  (void)state;
  bg_error err;
  /* thread mode: no fd, no poll */
  bg_async_client *threaded = open_client(MODE_THREAD);
  assert_int_equal(bg_async_client_fd(threaded), -1);
  assert_int_equal(bg_async_client_poll(threaded, 0, NULL, &err), BG_ERR_INVALID_ARGUMENT);
  assert_contains(err.message, "BG_ASYNC_CALLBACK_THREAD");
  bg_async_client_close(threaded);

  bg_async_client *ac = open_client(MODE_POLL);
  int fd = bg_async_client_fd(ac);
  assert_true(fd >= 0);
  struct pollfd p = {.fd = fd, .events = POLLIN};
  assert_int_equal(poll(&p, 1, 0), 0); /* nothing ready */
  size_t n = 99;
  assert_int_equal(bg_async_client_poll(ac, -1, &n, &err), BG_OK); /* nothing outstanding */
  assert_int_equal(n, 0);
  assert_int_equal(bg_async_client_poll(ac, -2, &n, &err), BG_ERR_INVALID_ARGUMENT);

  int32_t x = 1;
  int64_t shape[] = {1};
  bg_value *in = bg_ndarray_borrow(BG_DTYPE_INT32, shape, 1, &x, 1, NULL);
  assert_int_equal(bg_async_call(ac, "double_ndarray", in, NULL, reenter, ac, NULL, &err), BG_OK);
  bg_value_free(in);
  assert_int_equal(bg_async_client_pending(ac), 1);
  while (bg_async_client_pending(ac) > 0)
    assert_int_equal(bg_async_client_poll(ac, 1000, NULL, &err), BG_OK);
  assert_int_equal(poll(&p, 1, 0), 0);
  assert_int_equal(bg_async_client_fd(NULL), -1);
  assert_int_equal(bg_async_client_pending(NULL), 0);
  assert_int_equal(bg_async_client_poll(NULL, 0, &n, &err), BG_ERR_INVALID_ARGUMENT);
  bg_async_client_close(ac);
}

/* ---- what fails at once, without a callback ---- */

static void never(bg_async_op *call, bg_status st, bg_value *out, const bg_error *err,
                  void *user_data) {
  (void)call;
  (void)st;
  (void)out;
  (void)err;
  (void)user_data;
  fail_msg("callback of a call that was refused");
}

static void test_refused_calls_have_no_callback(void **state) {
  (void)state;
  bg_async_client *ac = open_client(MODE_POLL);
  float v = 1;
  bg_value *in = bg_ndarray_borrow(BG_DTYPE_FLOAT, NULL, 0, &v, 1, NULL);
  bg_async_op *h = (bg_async_op *)&v;
  bg_error err;
  assert_int_equal(bg_async_call(ac, "no_such_api", in, NULL, never, NULL, &h, &err),
                   BG_ERR_UNKNOWN_API);
  assert_null(h);
  assert_contains(err.message, "no API named 'no_such_api'");
  assert_int_equal(bg_async_call(ac, "custom_io", in, NULL, never, NULL, &h, &err),
                   BG_ERR_UNSUPPORTED);
  assert_int_equal(bg_async_call(ac, "predict", NULL, NULL, never, NULL, &h, &err),
                   BG_ERR_INVALID_ARGUMENT);
  assert_int_equal(bg_async_call(ac, "predict", in, NULL, NULL, NULL, &h, &err),
                   BG_ERR_INVALID_ARGUMENT);
  assert_int_equal(bg_async_call(NULL, "predict", in, NULL, never, NULL, NULL, NULL),
                   BG_ERR_INVALID_ARGUMENT);
  assert_int_equal(bg_async_client_pending(ac), 0);
  assert_false(bg_async_op_cancel(NULL));
  bg_async_op_release(NULL);
  bg_async_client_close(NULL);
  assert_null(bg_async_client_from_client(NULL, 0, &err));
  assert_null(bg_async_client_from_url("localhost", NULL, 0, &err));
  assert_int_equal(err.code, BG_ERR_INVALID_ARGUMENT);
  assert_null(bg_async_client_from_url(server.url, NULL, 0x80, &err));
  assert_contains(err.message, "flags");
  bg_value_free(in);
  bg_async_client_close(ac);
}

/* ---- per-call options, shared channel ---- */

static void test_deadline_from_client_options(void **state) {
  (void)state;
  bg_options *o = bg_options_new();
  bg_options_set_default_deadline_ms(o, 300, NULL);
  bg_error err;
  bg_async_client *ac = bg_async_client_from_url(server.url, o, 0, &err);
  bg_options_free(o);
  assert_non_null(ac);
  tally t;
  tally_init(&t, 1);
  t.slots[0].kind = KIND_DEADLINE; /* slow_echo, no per-call deadline: the default applies */
  int64_t shape[] = {3};
  bg_value *in = bg_ndarray_borrow(BG_DTYPE_INT32, shape, 1, t.slots[0].x, 3, NULL);
  assert_int_equal(
      bg_async_call(ac, "slow_echo_ndarray", in, NULL, on_done, &t.slots[0], NULL, &err), BG_OK);
  bg_value_free(in);
  wait_done(ac, MODE_POLL, &t, 1);
  assert_each_once(&t);
  bg_async_client_close(ac);
  tally_free(&t);
}

static void test_wait_for_ready_and_metadata(void **state) {
  (void)state;
  bg_async_client *ac = open_client(MODE_POLL);
  tally t;
  tally_init(&t, 1);
  bg_call_options *co = bg_call_options_new();
  bg_call_options_set_wait_for_ready(co, true, NULL);
  bg_call_options_set_deadline_ms(co, 20000, NULL);
  bg_call_options_add_metadata(co, "x-request-id", "42", 2, NULL);
  bg_call_options_add_metadata(co, "x-blob-bin", "\x01\x00\x02", 3, NULL);
  int64_t shape[] = {3};
  bg_value *in = bg_ndarray_copy(BG_DTYPE_INT32, shape, 1, t.slots[0].x, 3, NULL);
  bg_error err;
  assert_int_equal(bg_async_call(ac, "double_ndarray", in, co, on_done, &t.slots[0], NULL, &err),
                   BG_OK);
  bg_call_options_free(co); /* copied by bg_async_call */
  bg_value_free(in);
  wait_done(ac, MODE_POLL, &t, 1);
  assert_each_once(&t);
  bg_async_client_close(ac);
  tally_free(&t);
}

static void test_shares_a_sync_client(void **state) {
  (void)state;
  bg_error err;
  bg_client *sync = bg_client_from_url(server.url, NULL, &err);
  assert_non_null(sync);
  bg_async_client *ac = bg_async_client_from_client(sync, 0, &err);
  assert_non_null(ac);
  assert_ptr_equal(bg_async_client_sync(ac), sync);
  tally t;
  tally_init(&t, 50);
  for (int i = 0; i < 50; i++)
    assert_int_equal(start_slot(ac, &t.slots[i], on_done, NULL, &err), BG_OK);
  /* a sync call on the same channel while the async ones are in flight */
  int32_t x[] = {21};
  int64_t shape[] = {1};
  bg_value *in = bg_ndarray_borrow(BG_DTYPE_INT32, shape, 1, x, 1, NULL);
  bg_value *out = NULL;
  assert_int_equal(bg_client_call(sync, "double_ndarray", in, &out, NULL, &err), BG_OK);
  assert_int_equal(*(const int32_t *)bg_ndarray_data(out), 42);
  bg_value_free(out);
  wait_done(ac, MODE_POLL, &t, 50);
  assert_each_once(&t);
  bg_async_client_close(ac);
  /* the sync client is untouched by closing the async one */
  assert_int_equal(bg_client_call(sync, "double_ndarray", in, &out, NULL, &err), BG_OK);
  bg_value_free(out);
  bg_value_free(in);
  bg_client_close(sync);
  tally_free(&t);
}

/* ---- who drains the completion queue ---- */

static int count_threads(void) {
  DIR *dir = opendir("/proc/self/task");
  assert_non_null(dir);
  int n = 0;
  for (struct dirent *entry; (entry = readdir(dir));)
    n += entry->d_name[0] != '.';
  closedir(dir);
  return n;
}

/* Poll mode drains the queue on the polling thread: the async client starts no thread (a
 * thread in between costs two hand-offs per call); asking for the fd starts exactly one. */
static void test_poll_mode_starts_no_thread(void **state) {
  (void)state;
  bg_error err;
  bg_client *sync = bg_client_from_url(server.url, NULL, &err);
  assert_non_null(sync);
  int32_t x[] = {21};
  int64_t shape[] = {1};
  bg_value *in = bg_ndarray_borrow(BG_DTYPE_INT32, shape, 1, x, 1, NULL);
  bg_value *out = NULL;
  assert_int_equal(bg_client_call(sync, "double_ndarray", in, &out, NULL, &err), BG_OK);
  bg_value_free(out);
  bg_value_free(in);
  int before = count_threads(); /* gRPC's own threads are running by now */
  bg_async_client *ac = bg_async_client_from_client(sync, 0, &err);
  assert_non_null(ac);
  tally t;
  tally_init(&t, 20);
  for (int i = 0; i < 20; i++)
    assert_int_equal(start_slot(ac, &t.slots[i], on_done, NULL, &err), BG_OK);
  wait_done(ac, MODE_POLL, &t, 20);
  assert_each_once(&t);
  assert_int_equal(count_threads(), before);
  assert_true(bg_async_client_fd(ac) >= 0);
  assert_int_equal(count_threads(), before + 1);
  bg_async_client_close(ac);
  bg_client_close(sync);
  tally_free(&t);
}

/* ---- large inputs without a copy ---- */

typedef struct borrowed_outcome {
  float *buffer;
  size_t n;
  bool done, doubled;
  bg_status status;
} borrowed_outcome;

/* Frees the caller's buffer at the first moment async.h allows: under ASan, any later use of
 * it by the library is a use-after-free. */
static void on_borrowed_done(bg_async_op *call, bg_status st, bg_value *out, const bg_error *err,
                             void *user_data) {
  (void)call;
  (void)err;
  borrowed_outcome *o = user_data;
  o->status = st;
  o->doubled = st == BG_OK && bg_ndarray_count(out) == o->n;
  const float *got = st == BG_OK ? bg_ndarray_data(out) : NULL;
  for (size_t i = 0; o->doubled && i < o->n; i++)
    o->doubled = got[i] == 2.0f * o->buffer[i];
  free(o->buffer);
  o->buffer = NULL;
  bg_value_free(out);
  o->done = true;
}

/* BG_ASYNC_BORROW_INPUTS: a 1 MiB float ndarray goes out from the caller's buffer, which the
 * caller keeps until the callback and frees in it; the same for a raw call. */
static void borrowed_input_kept_until_callback(bool raw) {
  bg_error err;
  bg_async_client *ac = bg_async_client_from_url(server.url, NULL, BG_ASYNC_BORROW_INPUTS, &err);
  assert_non_null(ac);
  borrowed_outcome o = {.n = 1 << 18};
  o.buffer = malloc(o.n * sizeof *o.buffer);
  for (size_t i = 0; i < o.n; i++)
    o.buffer[i] = (float)(i % 1000) * 0.5f;
  int64_t shape[] = {(int64_t)o.n};
  bg_value *in = bg_ndarray_borrow(BG_DTYPE_FLOAT, shape, 1, o.buffer, o.n, &err);
  assert_non_null(in);
  bg_status st =
      raw ? bg_async_call_raw(ac, "double_ndarray", in, NULL, on_borrowed_done, &o, NULL, &err)
          : bg_async_call(ac, "double_ndarray", in, NULL, on_borrowed_done, &o, NULL, &err);
  assert_int_equal(st, BG_OK);
  while (!o.done)
    assert_int_equal(bg_async_client_poll(ac, -1, NULL, &err), BG_OK);
  assert_int_equal(o.status, BG_OK);
  assert_true(o.doubled);
  bg_value_free(in);
  bg_async_client_close(ac);
}

static void test_borrowed_input_kept_until_callback(void **state) {
  (void)state;
  borrowed_input_kept_until_callback(false);
}

static void test_borrowed_input_kept_until_callback_raw(void **state) {
  (void)state;
  borrowed_input_kept_until_callback(true);
}

/* ---- interceptors and response metadata ---- */

static bg_status deny_call(bg_error *err) {
  if (err) {
    err->code = BG_ERR_INVALID_ARGUMENT;
    err->grpc_status = 0;
    snprintf(err->message, sizeof err->message, "denied by the test");
  }
  return BG_ERR_INVALID_ARGUMENT;
}

typedef struct hook_log {
  pthread_mutex_t mu;
  int before, after;
  int after_ok, after_cancelled, after_denied;
} hook_log;

static bg_status count_before(void *state, bg_call_context *ctx, bg_error *err) {
  hook_log *log = state;
  pthread_mutex_lock(&log->mu);
  log->before++;
  pthread_mutex_unlock(&log->mu);
  for (size_t i = 0; i < bg_call_context_metadata_count(ctx); i++)
    if (strcmp(bg_call_context_metadata_key(ctx, i), "x-deny") == 0)
      return deny_call(err);
  return BG_OK;
}

static bg_status count_after(void *state, bg_call_context *ctx, bg_error *err) {
  (void)err;
  hook_log *log = state;
  pthread_mutex_lock(&log->mu);
  log->after++;
  bg_status st = bg_call_context_status(ctx);
  log->after_ok += st == BG_OK;
  log->after_cancelled += st == BG_ERR_CANCELLED;
  log->after_denied += st == BG_ERR_INVALID_ARGUMENT;
  pthread_mutex_unlock(&log->mu);
  return BG_OK;
}

typedef struct text_result {
  int runs;
  bg_status status;
  char text[64];
} text_result;

static void on_text(bg_async_op *call, bg_status st, bg_value *out, const bg_error *err,
                    void *user_data) {
  (void)call;
  (void)err;
  text_result *r = user_data;
  r->runs++;
  r->status = st;
  if (out)
    snprintf(r->text, sizeof r->text, "%.*s", (int)bg_text_length(out), bg_text_data(out));
  bg_value_free(out);
}

static void test_interceptors_and_response_metadata(void **state) {
  (void)state;
  hook_log log = {.mu = PTHREAD_MUTEX_INITIALIZER};
  bg_error err;
  bg_interceptor *ic = bg_interceptor_new("counter", count_before, count_after, &log, NULL, &err);
  bg_options *o = bg_options_new();
  assert_int_equal(bg_options_add_interceptor(o, ic, &err), BG_OK);
  bg_interceptor_release(ic);
  bg_async_client *ac = bg_async_client_from_url(server.url, o, 0, &err);
  bg_options_free(o);
  assert_non_null(ac);

  /* answered: request metadata out, reply metadata into the sink before the callback */
  bg_response_metadata *sink = bg_response_metadata_new();
  bg_call_options *co = bg_call_options_new();
  bg_call_options_add_metadata(co, "x-echo", "hello", 5, NULL);
  bg_call_options_add_metadata(co, "x-echo-color", "blue", 4, NULL);
  bg_call_options_set_response_metadata(co, sink, NULL);
  bg_value *text = bg_text_new("in", 2, NULL);
  text_result answered = {0};
  assert_int_equal(bg_async_call(ac, "echo_metadata", text, co, on_text, &answered, NULL, &err),
                   BG_OK);
  bg_call_options_free(co);

  /* cancelled: the `after` hook still sees it end */
  tally t;
  tally_init(&t, 1);
  t.slots[0].kind = KIND_CANCEL;
  bg_async_op *h;
  assert_int_equal(start_slot(ac, &t.slots[0], on_done, &h, &err), BG_OK);
  t.slots[0].cancel_accepted = bg_async_op_cancel(h);

  /* refused by a `before` hook: no callback, and the `after` hook saw it */
  bg_call_options *deny = bg_call_options_new();
  bg_call_options_add_metadata(deny, "x-deny", "1", 1, NULL);
  assert_int_equal(bg_async_call(ac, "echo_metadata", text, deny, on_text, NULL, NULL, &err),
                   BG_ERR_INVALID_ARGUMENT);
  assert_contains(err.message, "denied by the test");
  bg_call_options_free(deny);
  bg_value_free(text);

  while (bg_async_client_pending(ac) > 0)
    assert_int_equal(bg_async_client_poll(ac, -1, NULL, &err), BG_OK);
  assert_int_equal(answered.runs, 1);
  assert_int_equal(answered.status, BG_OK);
  assert_string_equal(answered.text, "hello");
  size_t len = 0;
  const char *color = bg_response_metadata_find(sink, BG_METADATA_TRAILING, "x-echo-color", &len);
  assert_non_null(color);
  assert_memory_equal(color, "blue", 4);
  assert_each_once(&t);
  assert_int_equal(t.seen[0], BG_ERR_CANCELLED);
  assert_int_equal(log.before, 3);
  assert_int_equal(log.after, 3);
  assert_int_equal(log.after_ok, 1);
  assert_int_equal(log.after_cancelled, 1);
  assert_int_equal(log.after_denied, 1);
  bg_async_op_release(h);
  bg_async_client_close(ac);
  bg_response_metadata_free(sink);
  tally_free(&t);
}

/* ---- raw calls (bg_async_call_raw) ---- */

typedef struct raw_outcome {
  int runs;
  bg_status status;
  bg_error err;     /* copied: only valid during the callback */
  bg_value *output; /* taken from the callback */
} raw_outcome;

static void on_raw(bg_async_op *call, bg_status st, bg_value *out, const bg_error *err,
                   void *user_data) {
  (void)call;
  raw_outcome *o = user_data;
  o->runs++;
  o->status = st;
  o->err = *err;
  bg_value_free(o->output); /* a second run would be a bug; keep ASan quiet about it anyway */
  o->output = out;
}

/* Starts one raw call of `api` with `in` (freed at once: the call copied it) and polls until
 * its callback ran exactly once. */
static raw_outcome call_raw(bg_async_client *ac, const char *api, bg_value *in,
                            const bg_call_options *co) {
  raw_outcome o = {0};
  bg_error err;
  bg_async_op *h = NULL;
  bg_status st = bg_async_call_raw(ac, api, in, co, on_raw, &o, &h, &err);
  if (st != BG_OK)
    fail_msg("bg_async_call_raw(%s): %s: %s", api, bg_status_name(st), err.message);
  assert_non_null(h);
  bg_value_free(in);
  for (int i = 0; i < 600 && o.runs == 0; i++) /* liveness bound only */
    assert_int_equal(bg_async_client_poll(ac, 100, NULL, &err), BG_OK);
  assert_int_equal(o.runs, 1);
  assert_int_equal(o.err.code, o.status);
  assert_false(bg_async_op_cancel(h)); /* delivered: nothing to cancel */
  bg_async_op_release(h);
  assert_int_equal(bg_async_client_pending(ac), 0);
  return o;
}

static void expect_text(raw_outcome *o, const char *want) {
  if (o->status != BG_OK)
    fail_msg("expected '%s', got %s: %s", want, bg_status_name(o->status), o->err.message);
  assert_int_equal(bg_value_get_kind(o->output), BG_VALUE_TEXT);
  assert_string_equal(bg_text_data(o->output), want);
  bg_value_free(o->output);
  o->output = NULL;
}

static void test_raw_calls(void **state) {
  (void)state;
  bg_async_client *ac = open_client(MODE_POLL);
  bg_error err;
  /* an API whose input descriptor the library does not know: only a raw call reaches it */
  bg_value *in = bg_bytes_copy("abcdef", 6, &err);
  assert_int_equal(bg_async_call(ac, "custom_io", in, NULL, never, NULL, NULL, &err),
                   BG_ERR_UNSUPPORTED);
  assert_contains(err.message, "bg_async_call_raw()");
  raw_outcome o = call_raw(ac, "custom_io", in, NULL);
  expect_text(&o, "custom:6");

  /* an API whose descriptor has no spec at all */
  o = call_raw(ac, "no_spec", bg_text_new("hi", (size_t)-1, NULL), NULL);
  expect_text(&o, "ok");

  /* a supported API called raw: the content follows the input's kind, the reply is read
   * from the member the server set */
  int32_t x[] = {1, 2, 3, 4};
  int64_t shape[] = {2, 2};
  o = call_raw(ac, "double_ndarray", bg_ndarray_borrow(BG_DTYPE_INT32, shape, 2, x, 4, NULL), NULL);
  assert_int_equal(o.status, BG_OK);
  assert_int_equal(bg_value_get_kind(o.output), BG_VALUE_NDARRAY);
  assert_int_equal(bg_ndarray_dtype(o.output), BG_DTYPE_INT32);
  assert_int_equal(((const int32_t *)bg_ndarray_data(o.output))[3], 8);
  bg_value_free(o.output);

  /* call options apply and may be freed as soon as the call started (their metadata copied) */
  bg_call_options *co = bg_call_options_new();
  bg_call_options_add_metadata(co, "x-echo", "from-raw", 8, NULL);
  bg_value *text = bg_text_new("in", 2, NULL);
  raw_outcome echoed = {0};
  assert_int_equal(bg_async_call_raw(ac, "echo_metadata", text, co, on_raw, &echoed, NULL, &err),
                   BG_OK);
  bg_call_options_free(co);
  bg_value_free(text);
  while (echoed.runs == 0)
    assert_int_equal(bg_async_client_poll(ac, -1, NULL, &err), BG_OK);
  expect_text(&echoed, "from-raw");

  /* an unknown name is the server's answer (INTERNAL, PROTOCOL.md §5.2), mapped to
   * UNKNOWN_API in the callback: no registry refuses it first */
  o = call_raw(ac, "nope", bg_text_new("x", 1, NULL), NULL);
  assert_int_equal(o.status, BG_ERR_UNKNOWN_API);
  assert_int_equal(o.err.grpc_status, 13);
  assert_contains(o.err.message, "given 'api_name' is not defined in");
  assert_null(o.output);

  /* the wrong field for a known API: no validation here, the server's message comes back */
  o = call_raw(ac, "double_ndarray", bg_text_new("asdf", (size_t)-1, NULL), NULL);
  assert_int_equal(o.status, BG_ERR_SERVER);
  assert_int_equal(o.err.grpc_status, 3);
  assert_contains(o.err.message, "'NumpyNdarray' accepts one of the following fields: "
                                 "'ndarray,serialized_bytes' got 'text' instead.");
  assert_null(o.output);

  /* refused before anything started: no callback, no handle */
  bg_async_op *h = (bg_async_op *)&o;
  in = bg_text_new("x", 1, NULL);
  assert_int_equal(bg_async_call_raw(ac, "custom_io", NULL, NULL, never, NULL, &h, &err),
                   BG_ERR_INVALID_ARGUMENT);
  assert_null(h);
  assert_int_equal(bg_async_call_raw(ac, NULL, in, NULL, never, NULL, NULL, &err),
                   BG_ERR_INVALID_ARGUMENT);
  assert_int_equal(bg_async_call_raw(ac, "custom_io", in, NULL, NULL, NULL, NULL, &err),
                   BG_ERR_INVALID_ARGUMENT);
  assert_contains(err.message, "bg_async_call_raw");
  assert_int_equal(bg_async_call_raw(NULL, "custom_io", in, NULL, never, NULL, NULL, NULL),
                   BG_ERR_INVALID_ARGUMENT);
  assert_int_equal(bg_async_client_pending(ac), 0);
  bg_value_free(in);
  bg_async_client_close(ac);
}

/* Raw calls in flight when the client closes end as cancelled, each callback once. */
static void test_raw_calls_cancelled_by_close(void **state) {
  (void)state;
  bg_async_client *ac = open_client(MODE_POLL);
  bg_error err;
  int32_t x[] = {5};
  int64_t shape[] = {1};
  raw_outcome o[4] = {0};
  for (int i = 0; i < 4; i++) {
    bg_value *in = bg_ndarray_borrow(BG_DTYPE_INT32, shape, 1, x, 1, NULL);
    assert_int_equal(
        bg_async_call_raw(ac, "slow_echo_ndarray", in, NULL, on_raw, &o[i], NULL, &err), BG_OK);
    bg_value_free(in);
  }
  assert_int_equal(bg_async_client_pending(ac), 4);
  bg_async_client_close(ac); /* the server answers after 4 s: all are still in flight */
  for (int i = 0; i < 4; i++) {
    assert_int_equal(o[i].runs, 1);
    assert_int_equal(o[i].status, BG_ERR_CANCELLED);
    assert_null(o[i].output);
  }
}

/* v1alpha1 has no ServiceMetadata: an async client without discovery calls it raw, made by
 * bg_async_client_connect() or on a bg_client_open() client. */
static void test_raw_calls_v1alpha1(void **state) {
  (void)state;
  bgt_server s;
  const char *args[] = {"--protocol-version", "v1alpha1", NULL};
  assert_int_equal(bgt_server_start(&s, args), 0);
  bg_options *opts = bg_options_new();
  bg_options_set_protocol_version(opts, "v1alpha1", NULL);
  bg_error err;
  assert_null(bg_async_client_from_url(s.url, opts, 0, &err));
  assert_int_equal(err.code, BG_ERR_UNSUPPORTED);
  assert_contains(err.message, "bg_async_call_raw(); see client.h"); /* the advice, whole */

  bg_async_client *ac = bg_async_client_connect(s.url, opts, 0, &err);
  assert_non_null(ac);
  int32_t x[] = {1, 2, 3, 4};
  int64_t shape[] = {2, 2};
  bg_value *in = bg_ndarray_borrow(BG_DTYPE_INT32, shape, 2, x, 4, NULL);
  /* without discovery there are no descriptors to call through */
  assert_int_equal(bg_async_call(ac, "double_ndarray", in, NULL, never, NULL, NULL, &err),
                   BG_ERR_UNSUPPORTED);
  assert_contains(err.message, "bg_async_call_raw()");
  raw_outcome o = call_raw(ac, "double_ndarray", in, NULL);
  if (o.status != BG_OK)
    fail_msg("v1alpha1 double_ndarray: %s", o.err.message);
  assert_int_equal(((const int32_t *)bg_ndarray_data(o.output))[3], 8);
  bg_value_free(o.output);

  /* File.kind travels as the v1alpha1 enum and comes back as a MIME type */
  uint8_t bmp[256];
  size_t n = bgt_bmp(2, 2, 5, bmp);
  o = call_raw(ac, "echo_image", bg_file_borrow(bmp, n, "image/bmp", NULL), NULL);
  if (o.status != BG_OK)
    fail_msg("v1alpha1 echo_image: %s", o.err.message);
  assert_string_equal(bg_file_mime(o.output), "image/bmp");
  assert_memory_equal(bg_file_data(o.output), "BM", 2);
  bg_value_free(o.output);
  /* a MIME type v1alpha1 has no enum for is refused before anything starts */
  in = bg_file_borrow(bmp, n, "image/x-icon", NULL);
  assert_int_equal(bg_async_call_raw(ac, "echo_image", in, NULL, never, NULL, NULL, &err),
                   BG_ERR_INVALID_ARGUMENT);
  assert_contains(err.message, "has no v1alpha1 File kind");
  bg_value_free(in);
  /* an unknown name: the v1alpha1 server's own answer */
  o = call_raw(ac, "nope", bg_text_new("x", 1, NULL), NULL);
  assert_int_equal(o.status, BG_ERR_UNKNOWN_API);
  bg_async_client_close(ac);

  /* the same through an async client over a bg_client_open() client */
  bg_client *sync = bg_client_open(s.url, opts, &err);
  assert_non_null(sync);
  ac = bg_async_client_from_client(sync, BG_ASYNC_CALLBACK_THREAD, &err);
  assert_non_null(ac);
  in = bg_text_new("raw", 3, NULL);
  assert_int_equal(bg_async_call(ac, "bonjour", in, NULL, never, NULL, NULL, &err),
                   BG_ERR_UNSUPPORTED);
  assert_contains(err.message, "bg_async_call_raw()");
  tally t;
  tally_init(&t, 1); /* the library's thread runs the callback: wait on the tally */
  t.slots[0].kind = KIND_DOUBLE;
  bg_value *nd = bg_ndarray_borrow(BG_DTYPE_INT32, (int64_t[]){3}, 1, t.slots[0].x, 3, NULL);
  assert_int_equal(
      bg_async_call_raw(ac, "double_ndarray", nd, NULL, on_done, &t.slots[0], NULL, &err), BG_OK);
  bg_value_free(nd);
  bg_value_free(in);
  wait_done(ac, MODE_THREAD, &t, 1);
  assert_each_once(&t);
  bg_async_client_close(ac);
  bg_client_close(sync);
  tally_free(&t);
  bg_options_free(opts);
  bgt_server_stop(&s);
}

/* ---- File inputs refused as `file` (PROTOCOL.md §4.6) ---- */

/* The reference server refuses `file` like BentoML >= 1.0.16 by default. bg_client_call sends
 * the input once more as serialized_bytes, which gets past decoding to the broken server's
 * File output failure (INTERNAL); an async call must end exactly the same way, although its
 * input is gone by then. */

typedef struct file_outcome {
  pthread_mutex_t mu;
  pthread_cond_t cond;
  int runs;
  bg_status status;
  bg_error err; /* copied: only valid during the callback */
  bool output;  /* a value came (freed at once) */
} file_outcome;

static void file_outcome_init(file_outcome *o) {
  memset(o, 0, sizeof *o);
  pthread_mutex_init(&o->mu, NULL);
  pthread_cond_init(&o->cond, NULL);
}

static void file_outcome_fini(file_outcome *o) {
  pthread_cond_destroy(&o->cond);
  pthread_mutex_destroy(&o->mu);
}

static void on_file(bg_async_op *call, bg_status st, bg_value *out, const bg_error *err,
                    void *user_data) {
  (void)call;
  file_outcome *o = user_data;
  pthread_mutex_lock(&o->mu);
  o->runs++;
  o->status = st;
  o->err = *err;
  o->output = out != NULL;
  pthread_cond_broadcast(&o->cond);
  pthread_mutex_unlock(&o->mu);
  bg_value_free(out);
}

static int file_runs(file_outcome *o) {
  pthread_mutex_lock(&o->mu);
  int runs = o->runs;
  pthread_mutex_unlock(&o->mu);
  return runs;
}

/* Receives completions the way `m` says until `o` has run (liveness bound only). */
static void wait_file(bg_async_client *ac, mode m, file_outcome *o) {
  bg_error err;
  for (int i = 0; i < 1200 && file_runs(o) == 0; i++) {
    if (m == MODE_THREAD) {
      struct timespec limit;
      clock_gettime(CLOCK_REALTIME, &limit);
      limit.tv_sec += 1;
      pthread_mutex_lock(&o->mu);
      if (o->runs == 0)
        pthread_cond_timedwait(&o->cond, &o->mu, &limit);
      pthread_mutex_unlock(&o->mu);
    } else if (m == MODE_POLL) {
      assert_int_equal(bg_async_client_poll(ac, 100, NULL, &err), BG_OK);
    } else {
      struct pollfd p = {.fd = bg_async_client_fd(ac), .events = POLLIN};
      if (poll(&p, 1, 100) == 1)
        assert_int_equal(bg_async_client_dispatch(ac, NULL, &err), BG_OK);
    }
  }
  assert_int_equal(file_runs(o), 1);
}

/* Counts the library's "sending it again as serialized_bytes" events. */
static atomic_int resends_logged;

static void count_resends(bg_log_level level, const char *source, const char *message,
                          void *user_data) {
  (void)level;
  (void)source;
  (void)user_data;
  if (strstr(message, "predict_file") && strstr(message, "sending it again as serialized_bytes"))
    atomic_fetch_add(&resends_logged, 1);
}

/* A File input in memory the call must not need after bg_async_call() returns: it is freed
 * then (ASan reports any later read). */
static bg_status start_file_call(bg_async_client *ac, file_outcome *o, bg_async_op **h,
                                 bg_error *err) {
  uint8_t *content = malloc(4);
  memcpy(content, (const uint8_t[]){0x81, 0x30, 0x89, 0x39}, 4);
  bg_value *in = bg_file_borrow(content, 4, NULL, err);
  assert_non_null(in);
  bg_status st = bg_async_call(ac, "predict_file", in, NULL, on_file, o, h, err);
  bg_value_free(in);
  free(content);
  return st;
}

/* What bg_client_call reports for the File call on a new client: the outcome to match. */
static bg_error sync_file_outcome(void) {
  bg_error err;
  bg_client *c = bg_client_from_url(server.url, NULL, &err);
  assert_non_null(c);
  const uint8_t content[] = {0x81, 0x30, 0x89, 0x39};
  bg_value *in = bg_file_borrow(content, sizeof content, NULL, &err), *out = NULL;
  /* as test_descriptors.c: past decoding to the output failure, not "got 'file' instead" */
  assert_int_equal(bg_client_call(c, "predict_file", in, &out, NULL, &err), BG_ERR_SERVER);
  assert_int_equal(err.grpc_status, 13);
  assert_contains(err.message, "An error has occurred in BentoML user code");
  assert_null(out);
  bg_value_free(in);
  bg_client_close(c);
  return err;
}

static void expect_like_sync(file_outcome *o, const bg_error *sync) {
  if (o->status != sync->code || o->err.grpc_status != sync->grpc_status ||
      strcmp(o->err.message, sync->message) != 0)
    fail_msg("async: %s (grpc %d): %s\nsync:  %s (grpc %d): %s", bg_status_name(o->status),
             o->err.grpc_status, o->err.message, bg_status_name(sync->code), sync->grpc_status,
             sync->message);
  assert_int_equal(o->err.code, o->status);
  assert_false(o->output);
}

static void file_refused_like_sync(mode m) {
  bg_error sync = sync_file_outcome();
  bg_log_level level = bg_log_get_level();
  bg_log_set_level(BG_LOG_INFO);
  atomic_store(&resends_logged, 0);
  bg_log_set_handler(count_resends, NULL);

  bg_async_client *ac = open_client(m); /* its own discovery: `file` is sent first */
  bg_error err;
  for (int attempt = 1; attempt <= 2; attempt++) {
    file_outcome o;
    file_outcome_init(&o);
    bg_async_op *h = NULL;
    assert_int_equal(start_file_call(ac, &o, &h, &err), BG_OK);
    wait_file(ac, m, &o);
    expect_like_sync(&o, &sync);
    /* the first call is resent once; the second goes as serialized_bytes at once */
    assert_int_equal(atomic_load(&resends_logged), 1);
    assert_false(bg_async_op_cancel(h)); /* delivered: nothing to cancel */
    bg_async_op_release(h);
    file_outcome_fini(&o);
  }
  bg_async_client_close(ac);
  bg_log_set_handler(NULL, NULL);
  bg_log_set_level(level);
}

static void test_file_refused_as_file_is_resent_poll(void **state) {
  (void)state;
  file_refused_like_sync(MODE_POLL);
}

static void test_file_refused_as_file_is_resent_fd(void **state) {
  (void)state;
  file_refused_like_sync(MODE_FD);
}

static void test_file_refused_as_file_is_resent_thread(void **state) {
  (void)state;
  file_refused_like_sync(MODE_THREAD);
}

/* A cancel ends the call whenever it comes: right after submit (before the refusal), or while
 * calls are being refused and resent (the cancel may land between the two attempts, when no
 * grpc call is active). Each callback runs exactly once; an accepted cancel always wins. */
static void test_file_resend_cancelled(void **state) {
  (void)state;
  bg_error sync = sync_file_outcome();
  enum { N = 48 };
  /* static: a failed assertion leaves this function while the library thread may still write */
  static file_outcome o[N];
  static bg_async_op *h[N];
  static bool accepted[N];
  bg_error err;

  /* right after submit: in poll mode nothing is delivered before the next poll, so the cancel
   * is always accepted; with the callback thread it may come after the end (then the call
   * ends like the sync one) */
  const mode modes[] = {MODE_POLL, MODE_THREAD};
  for (int k = 0; k < 2; k++) {
    mode m = modes[k];
    bg_async_client *ac = open_client(m);
    file_outcome_init(&o[0]);
    assert_int_equal(start_file_call(ac, &o[0], &h[0], &err), BG_OK);
    accepted[0] = bg_async_op_cancel(h[0]);
    if (m == MODE_POLL)
      assert_true(accepted[0]);
    wait_file(ac, m, &o[0]);
    bg_async_client_close(ac);
    assert_int_equal(o[0].runs, 1);
    if (accepted[0]) {
      assert_int_equal(o[0].status, BG_ERR_CANCELLED);
      assert_int_equal(o[0].err.grpc_status, 1);
      assert_contains(o[0].err.message, "bg_async_op_cancel");
      assert_false(o[0].output);
    } else {
      expect_like_sync(&o[0], &sync);
    }
    bg_async_op_release(h[0]);
    file_outcome_fini(&o[0]);
  }

  /* many calls sent as `file` at once on a new client, cancelled one after another while the
   * library thread resends the refused ones */
  bg_async_client *ac = open_client(MODE_THREAD);
  for (int i = 0; i < N; i++) {
    file_outcome_init(&o[i]);
    assert_int_equal(start_file_call(ac, &o[i], &h[i], &err), BG_OK);
  }
  for (int i = 0; i < N; i += 2)
    accepted[i] = bg_async_op_cancel(h[i]);
  for (int i = 0; i < N; i++) {
    wait_file(ac, MODE_THREAD, &o[i]);
    if (i % 2 == 0 && accepted[i]) {
      if (o[i].status != BG_ERR_CANCELLED)
        fail_msg("call %d: cancel accepted, but got %s: %s", i, bg_status_name(o[i].status),
                 o[i].err.message);
    } else {
      expect_like_sync(&o[i], &sync);
    }
  }
  bg_async_client_close(ac); /* joins the callback thread: no callback runs after this */
  for (int i = 0; i < N; i++) {
    assert_int_equal(o[i].runs, 1);
    bg_async_op_release(h[i]);
    file_outcome_fini(&o[i]);
  }

  /* closed with File calls in flight: every callback runs once, as cancelled */
  ac = open_client(MODE_POLL);
  for (int i = 0; i < 8; i++) {
    file_outcome_init(&o[i]);
    assert_int_equal(start_file_call(ac, &o[i], NULL, &err), BG_OK);
  }
  bg_async_client_close(ac); /* nobody polled: all still pending, so all cancelled */
  for (int i = 0; i < 8; i++) {
    assert_int_equal(o[i].runs, 1);
    assert_int_equal(o[i].status, BG_ERR_CANCELLED);
    assert_contains(o[i].err.message, "closed");
    file_outcome_fini(&o[i]);
  }
}

/* Holds the library's thread at its "sending it again" event, between the refused attempt and
 * the resend, until the test thread has cancelled the call there. (A log handler must not call
 * into the library; this one does not: it only waits for the thread that does.) */
typedef struct window {
  pthread_mutex_t mu;
  pthread_cond_t cond;
  bool reached, cancelled;
} window;

static void wait_in_window(bg_log_level level, const char *source, const char *message,
                           void *user_data) {
  (void)level;
  (void)source;
  window *w = user_data;
  if (!strstr(message, "sending it again as serialized_bytes"))
    return;
  struct timespec limit;
  clock_gettime(CLOCK_REALTIME, &limit);
  limit.tv_sec += 60; /* liveness bound only */
  pthread_mutex_lock(&w->mu);
  w->reached = true;
  pthread_cond_broadcast(&w->cond);
  while (!w->cancelled && pthread_cond_timedwait(&w->cond, &w->mu, &limit) == 0) {
  }
  pthread_mutex_unlock(&w->mu);
}

/* A cancel between the two attempts, when no grpc call is active: the resend starts
 * cancelled and the call ends as cancelled, its callback once. */
static void test_file_resend_cancelled_between_attempts(void **state) {
  (void)state;
  window w = {.mu = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER};
  bg_log_level level = bg_log_get_level();
  bg_log_set_level(BG_LOG_INFO);
  bg_log_set_handler(wait_in_window, &w);
  bg_async_client *ac = open_client(MODE_THREAD);
  file_outcome o;
  file_outcome_init(&o);
  bg_async_op *h;
  bg_error err;
  assert_int_equal(start_file_call(ac, &o, &h, &err), BG_OK);
  struct timespec limit;
  clock_gettime(CLOCK_REALTIME, &limit);
  limit.tv_sec += 60; /* liveness bound only */
  pthread_mutex_lock(&w.mu);
  while (!w.reached && pthread_cond_timedwait(&w.cond, &w.mu, &limit) == 0) {
  }
  bool reached = w.reached;
  pthread_mutex_unlock(&w.mu);
  bool accepted = bg_async_op_cancel(h); /* the library thread waits in the window */
  pthread_mutex_lock(&w.mu);
  w.cancelled = true;
  pthread_cond_broadcast(&w.cond);
  pthread_mutex_unlock(&w.mu);
  wait_file(ac, MODE_THREAD, &o);
  bg_async_client_close(ac);
  bg_log_set_handler(NULL, NULL);
  bg_log_set_level(level);
  assert_true(reached);
  assert_true(accepted);
  assert_int_equal(o.runs, 1);
  assert_int_equal(o.status, BG_ERR_CANCELLED);
  assert_contains(o.err.message, "bg_async_op_cancel");
  assert_false(o.output);
  bg_async_op_release(h);
  file_outcome_fini(&o);
}

/* Like gRPC's own retries, the resend is not a call of its own for interceptors: one
 * `before`, one `after` that sees the final outcome. */
static void test_file_resend_invisible_to_interceptors(void **state) {
  (void)state;
  bg_error sync = sync_file_outcome();
  hook_log log = {.mu = PTHREAD_MUTEX_INITIALIZER};
  bg_error err;
  bg_interceptor *ic = bg_interceptor_new("counter", count_before, count_after, &log, NULL, &err);
  bg_options *opts = bg_options_new();
  assert_int_equal(bg_options_add_interceptor(opts, ic, &err), BG_OK);
  bg_interceptor_release(ic);
  bg_async_client *ac = bg_async_client_from_url(server.url, opts, 0, &err);
  bg_options_free(opts);
  assert_non_null(ac);
  file_outcome o;
  file_outcome_init(&o);
  assert_int_equal(start_file_call(ac, &o, NULL, &err), BG_OK);
  assert_int_equal(log.before, 1);
  wait_file(ac, MODE_POLL, &o);
  expect_like_sync(&o, &sync);
  assert_int_equal(log.before, 1);
  assert_int_equal(log.after, 1);
  file_outcome_fini(&o);
  bg_async_client_close(ac);
}

/* ---- the caller's output buffer (bg_call_options_set_output_buffer) ---- */

enum { OUT_N = 1 << 16 }; /* floats: 256 KiB, a reply in several slices */

typedef struct buffered_outcome {
  pthread_mutex_t mu;
  pthread_cond_t cond;
  int runs;
  bg_status status;
  char message[512];
  bg_value *output; /* taken from the callback */
} buffered_outcome;

static void on_buffered(bg_async_op *call, bg_status st, bg_value *out, const bg_error *err,
                        void *user_data) {
  (void)call;
  buffered_outcome *o = user_data;
  pthread_mutex_lock(&o->mu);
  o->runs++;
  o->status = st;
  snprintf(o->message, sizeof o->message, "%s", err->message);
  bg_value_free(o->output); /* a second run would be a bug; keep ASan quiet about it anyway */
  o->output = out;
  pthread_cond_broadcast(&o->cond);
  pthread_mutex_unlock(&o->mu);
}

/* One async call (raw or not) with `co`, which is freed as soon as the call started: the
 * buffer setting must travel with the call. Returns the output; the callback ran once. */
static bg_value *async_buffered(bg_async_client *ac, mode m, const char *api, const bg_value *in,
                                bg_call_options *co, bool raw) {
  buffered_outcome o = {.mu = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER};
  bg_error err;
  bg_status st = raw ? bg_async_call_raw(ac, api, in, co, on_buffered, &o, NULL, &err)
                     : bg_async_call(ac, api, in, co, on_buffered, &o, NULL, &err);
  if (st != BG_OK)
    fail_msg("async call of %s: %s: %s", api, bg_status_name(st), err.message);
  bg_call_options_free(co);
  pthread_mutex_lock(&o.mu);
  for (int i = 0; i < 1200 && o.runs == 0; i++) { /* liveness bound only */
    if (m == MODE_THREAD) {
      struct timespec limit;
      clock_gettime(CLOCK_REALTIME, &limit);
      limit.tv_sec += 1;
      pthread_cond_timedwait(&o.cond, &o.mu, &limit);
    } else {
      pthread_mutex_unlock(&o.mu);
      assert_int_equal(bg_async_client_poll(ac, 100, NULL, &err), BG_OK);
      pthread_mutex_lock(&o.mu);
    }
  }
  bg_value *out = o.output;
  int runs = o.runs;
  bg_status status = o.status;
  pthread_mutex_unlock(&o.mu);
  pthread_cond_destroy(&o.cond);
  pthread_mutex_destroy(&o.mu);
  assert_int_equal(runs, 1);
  if (status != BG_OK)
    fail_msg("async call of %s: %s: %s", api, bg_status_name(status), o.message);
  return out;
}

static bg_call_options *with_buffer(void *buffer, size_t capacity) {
  bg_call_options *co = bg_call_options_new();
  bg_error err;
  assert_int_equal(bg_call_options_set_output_buffer(co, buffer, capacity, &err), BG_OK);
  return co;
}

/* `out` is a float ndarray [2, OUT_N/2] holding factor * x. */
static void expect_floats(const bg_value *out, const float *x, float factor) {
  assert_int_equal(bg_ndarray_dtype(out), BG_DTYPE_FLOAT);
  assert_int_equal(bg_ndarray_ndim(out), 2);
  assert_int_equal(bg_ndarray_shape(out)[0], 2);
  assert_int_equal(bg_ndarray_count(out), OUT_N);
  const float *y = bg_ndarray_data(out);
  for (size_t i = 0; i < OUT_N; i++)
    if (y[i] != factor * x[i])
      fail_msg("element %zu: %g, expected %g", i, (double)y[i], (double)(factor * x[i]));
}

/* Sync (bg_client_call, bg_client_call_raw) and async (bg_async_call, bg_async_call_raw)
 * calls decode into one buffer reused by all: the output borrows it (bg_ndarray_data ==
 * buffer), bg_value_free leaves it usable; a buffer too small, or a reply of another dtype or
 * kind, gives a correct output in fresh memory. */
static void output_buffer_reused(mode m) {
  bg_async_client *ac = open_client(m);
  bg_client *sc = bg_async_client_sync(ac);
  bg_error err;
  float *x = malloc(OUT_N * sizeof *x);
  for (size_t i = 0; i < OUT_N; i++)
    x[i] = (float)i * 0.5f - 1000.0f;
  int64_t shape[] = {2, OUT_N / 2};
  bg_value *in = bg_ndarray_borrow(BG_DTYPE_FLOAT, shape, 2, x, OUT_N, &err);
  size_t bytes = OUT_N * sizeof(float);
  void *buffer = malloc(bytes); /* malloc'd: freed twice, or used after a free, is caught */
  bg_value *out = NULL;

  /* sync, through the descriptors: exactly the reply's size */
  bg_call_options *co = with_buffer(buffer, bytes);
  assert_int_equal(bg_client_call(sc, "double_ndarray", in, &out, co, &err), BG_OK);
  assert_ptr_equal(bg_ndarray_data(out), buffer);
  assert_null(bg_ndarray_data_mut(out)); /* borrowed: the buffer is the caller's */
  expect_floats(out, x, 2.0f);
  bg_value_free(out);
  assert_true(((float *)buffer)[OUT_N - 1] == 2.0f * x[OUT_N - 1]); /* not freed, not cleared */
  memset(buffer, 0x7f, bytes);                                      /* still ours to write */

  /* sync raw, same options, same buffer */
  assert_int_equal(bg_client_call_raw(sc, "echo_ndarray", in, &out, co, &err), BG_OK);
  assert_ptr_equal(bg_ndarray_data(out), buffer);
  expect_floats(out, x, 1.0f);
  bg_value_free(out);
  bg_call_options_free(co);

  /* async and async raw, the options freed as soon as each call started */
  out = async_buffered(ac, m, "double_ndarray", in, with_buffer(buffer, bytes), false);
  assert_ptr_equal(bg_ndarray_data(out), buffer);
  expect_floats(out, x, 2.0f);
  bg_value_free(out);
  out = async_buffered(ac, m, "echo_ndarray", in, with_buffer(buffer, 4 * bytes), true);
  assert_ptr_equal(bg_ndarray_data(out), buffer);
  expect_floats(out, x, 1.0f);
  bg_value_free(out);

  /* doubles: as many bytes, the same buffer */
  double *d = malloc(OUT_N / 2 * sizeof *d);
  for (size_t i = 0; i < OUT_N / 2; i++)
    d[i] = (double)i / 3.0;
  int64_t dshape[] = {OUT_N / 2};
  bg_value *din = bg_ndarray_borrow(BG_DTYPE_DOUBLE, dshape, 1, d, OUT_N / 2, &err);
  out = async_buffered(ac, m, "echo_ndarray", din, with_buffer(buffer, bytes), false);
  assert_ptr_equal(bg_ndarray_data(out), buffer);
  assert_int_equal(bg_ndarray_dtype(out), BG_DTYPE_DOUBLE);
  assert_memory_equal(bg_ndarray_data(out), d, bytes);
  bg_value_free(out);

  /* one float short: a correct output in fresh memory, sync and async */
  co = with_buffer(buffer, bytes - sizeof(float));
  memset(buffer, 0, bytes);
  assert_int_equal(bg_client_call(sc, "double_ndarray", in, &out, co, &err), BG_OK);
  assert_ptr_not_equal(bg_ndarray_data(out), buffer);
  assert_ptr_equal(bg_ndarray_data_mut(out), bg_ndarray_data(out)); /* owned */
  expect_floats(out, x, 2.0f);
  bg_value_free(out);
  bg_call_options_free(co);
  out = async_buffered(ac, m, "double_ndarray", in, with_buffer(buffer, bytes - sizeof(float)),
                       false);
  assert_ptr_not_equal(bg_ndarray_data(out), buffer);
  expect_floats(out, x, 2.0f);
  bg_value_free(out);

  /* other dtypes and kinds are decoded as ever, never an error */
  int32_t ints[] = {1, 2, 3};
  int64_t three[] = {3};
  bg_value *iin = bg_ndarray_borrow(BG_DTYPE_INT32, three, 1, ints, 3, &err);
  co = with_buffer(buffer, bytes);
  assert_int_equal(bg_client_call(sc, "double_ndarray", iin, &out, co, &err), BG_OK);
  assert_ptr_not_equal(bg_ndarray_data(out), buffer);
  assert_int_equal(((const int32_t *)bg_ndarray_data(out))[2], 6);
  bg_value_free(out);
  bg_value *text = bg_text_new("buffer", (size_t)-1, &err);
  assert_int_equal(bg_client_call(sc, "bonjour", text, &out, co, &err), BG_OK);
  assert_string_equal(bg_text_data(out), "Hello, buffer!");
  bg_value_free(out);
  bg_call_options_free(co);
  out = async_buffered(ac, m, "bonjour", text, with_buffer(buffer, bytes), false);
  assert_string_equal(bg_text_data(out), "Hello, buffer!");
  bg_value_free(out);

  bg_value_free(text);
  bg_value_free(iin);
  bg_value_free(din);
  bg_value_free(in);
  bg_async_client_close(ac);
  free(buffer);
  free(d);
  free(x);
}

static void test_output_buffer_reused_poll(void **state) {
  (void)state;
  output_buffer_reused(MODE_POLL);
}

static void test_output_buffer_reused_thread(void **state) {
  (void)state;
  output_buffer_reused(MODE_THREAD);
}

/* The setter refuses a buffer not aligned for double and says why; NULL or 0 turns it off. */
static void test_output_buffer_setter(void **state) {
  (void)state;
  bg_call_options *co = bg_call_options_new();
  bg_error err;
  double storage[4];
  assert_int_equal(bg_call_options_set_output_buffer(co, (char *)storage + 1, 16, &err),
                   BG_ERR_INVALID_ARGUMENT);
  assert_contains(err.message, "not aligned for double");
  assert_int_equal(bg_call_options_set_output_buffer(NULL, storage, sizeof storage, &err),
                   BG_ERR_INVALID_ARGUMENT);
  assert_int_equal(bg_call_options_set_output_buffer(co, storage, sizeof storage, NULL), BG_OK);
  assert_int_equal(bg_call_options_set_output_buffer(co, NULL, 64, &err), BG_OK);
  assert_int_equal(bg_call_options_set_output_buffer(co, storage, 0, &err), BG_OK);
  /* off again: a reply that would fit gets fresh memory */
  bg_async_client *ac = open_client(MODE_POLL);
  float x[] = {1, 2, 3, 4};
  int64_t shape[] = {4};
  bg_value *in = bg_ndarray_borrow(BG_DTYPE_FLOAT, shape, 1, x, 4, &err);
  bg_value *out = NULL;
  assert_int_equal(bg_client_call(bg_async_client_sync(ac), "double_ndarray", in, &out, co, &err),
                   BG_OK);
  assert_ptr_not_equal(bg_ndarray_data(out), storage);
  assert_true(((const float *)bg_ndarray_data(out))[3] == 8.0f);
  bg_value_free(out);
  bg_value_free(in);
  bg_async_client_close(ac);
  bg_call_options_free(co);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_thousands_in_flight_poll),
      cmocka_unit_test(test_thousands_in_flight_fd),
      cmocka_unit_test(test_thousands_in_flight_thread),
      cmocka_unit_test(test_mixed_outcomes_poll),
      cmocka_unit_test(test_mixed_outcomes_fd),
      cmocka_unit_test(test_mixed_outcomes_thread),
      cmocka_unit_test(test_cancel_before_the_server_answers),
      cmocka_unit_test(test_cancel_after_the_server_answered),
      cmocka_unit_test(test_cancel_from_inside_a_callback),
      cmocka_unit_test(test_cancel_from_another_thread),
      cmocka_unit_test(test_close_with_calls_in_flight_poll),
      cmocka_unit_test(test_close_with_calls_in_flight_thread),
      cmocka_unit_test(test_close_runs_ready_callbacks),
      cmocka_unit_test(test_callbacks_start_calls_poll),
      cmocka_unit_test(test_callbacks_start_calls_fd),
      cmocka_unit_test(test_callbacks_start_calls_thread),
      cmocka_unit_test(test_threads_start_calls_on_one_client),
      cmocka_unit_test(test_delivery_rules),
      cmocka_unit_test(test_refused_calls_have_no_callback),
      cmocka_unit_test(test_deadline_from_client_options),
      cmocka_unit_test(test_wait_for_ready_and_metadata),
      cmocka_unit_test(test_shares_a_sync_client),
      cmocka_unit_test(test_interceptors_and_response_metadata),
      cmocka_unit_test(test_poll_mode_starts_no_thread),
      cmocka_unit_test(test_borrowed_input_kept_until_callback),
      cmocka_unit_test(test_borrowed_input_kept_until_callback_raw),
      cmocka_unit_test(test_raw_calls),
      cmocka_unit_test(test_raw_calls_cancelled_by_close),
      cmocka_unit_test(test_raw_calls_v1alpha1),
      cmocka_unit_test(test_file_refused_as_file_is_resent_poll),
      cmocka_unit_test(test_file_refused_as_file_is_resent_fd),
      cmocka_unit_test(test_file_refused_as_file_is_resent_thread),
      cmocka_unit_test(test_file_resend_cancelled),
      cmocka_unit_test(test_file_resend_cancelled_between_attempts),
      cmocka_unit_test(test_file_resend_invisible_to_interceptors),
      cmocka_unit_test(test_output_buffer_reused_poll),
      cmocka_unit_test(test_output_buffer_reused_thread),
      cmocka_unit_test(test_output_buffer_setter),
  };
  return cmocka_run_group_tests_name("async", tests, setup, bgt_server_group_teardown);
}
