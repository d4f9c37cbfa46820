/* The async engine (src/engine/async_engine.c) with a fake operation table: every `completed`,
 * `timer`, `deliver` and `free` the engine makes is counted per operation, with the thread, the
 * cancel reason and the time, for each delivery mode (poll, callback thread, fd).
 *
 * The calls are real gRPC Core calls. Most need no server: a lame channel (every call fails at
 * once with UNAVAILABLE) and a channel to a loopback port this program holds bound but never
 * listens on (connections are refused; a wait-for-ready call without a deadline stays pending
 * until it is cancelled). Some operations start no call at all and only arm timers. Only the
 * deferred probes need a reply message: a small gRPC Core server in this process gives one.
 *
 * Every test is bounded: a SIGALRM watchdog ends the program if a test runs past its bound, and
 * each wait for something another thread must do has a deadline whose passing ends the program
 * at once (a thread left asleep in the queue would stall the tests after it). Run one test with
 * a cmocka pattern as the argument: test_async_engine '*two_pollers*'. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <grpc/grpc.h>
#include <grpc/grpc_security.h>
#include <grpc/support/time.h>

#include "child_exit.h"
#include "engine/async_engine.h"
#include "transport/fork.h"

/* The bound of one test (the watchdog), and of any one wait inside it. */
#define TEST_BOUND_S  30
#define WAIT_BOUND_MS 5000

enum mode { MODE_POLL, MODE_THREAD, MODE_FD };
static const char *const mode_names[] = {"poll", "callback thread", "fd"};

/* ---- the calls' channels ---- */

static grpc_channel *lame; /* every call fails at once (UNAVAILABLE) */
static void *lame_method;
static grpc_channel *stuck; /* refused connections: wait-for-ready calls wait until cancelled */
static void *stuck_method;
static int reserved_fd = -1; /* holds the refused port: bound, never listening */

/* ---- time and the watchdog ---- */

static int64_t to_ms(gpr_timespec t) {
  t = gpr_convert_clock_type(t, GPR_CLOCK_MONOTONIC);
  return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}
static int64_t mono_ms(void) { return to_ms(gpr_now(GPR_CLOCK_MONOTONIC)); }

static void sleep_ms(int ms) {
  struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) != 0) {
  }
}

static void watchdog_fired(int sig) {
  (void)sig;
  static const char msg[] = "test_async_engine: HANG: a test ran past its time bound\n";
  if (write(2, msg, sizeof msg - 1) < 0) {
  }
  _exit(1);
}

/* Something another thread had to do did not happen in time: a thread may be stuck inside the
 * engine, so no later test can run. */
static void hang(const char *what) {
  fprintf(stderr, "test_async_engine: HANG: %s did not happen within %d ms\n", what, WAIT_BOUND_MS);
  fflush(stderr);
  _exit(1);
}

/* ---- the record of what the engine did ---- */

static pthread_mutex_t rec_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t rec_cond; /* CLOCK_MONOTONIC; n_delivered grew */
static int n_delivered;         /* under rec_mu: deliveries in this test, all operations */
static bool close_returned;     /* under rec_mu: bgi_async_engine_close() returned */

typedef struct fake_op fake_op;
struct fake_op {
  bgi_async_op op; /* first: the engine hands the operation back */
  int id;

  /* What the operation does (set before it is admitted). */
  grpc_channel *channel; /* the call it starts, if any */
  void *method;
  bool wait_for_ready;
  int timer_ms; /* > 0: `completed` arms a timer this far ahead instead of delivering */
  int restarts; /* `timer` starts the call again this many times, then delivers */
  bool (*on_completed)(fake_op *f, bool ok);                /* replaces the default */
  void (*on_deliver)(fake_op *f, bgi_cancel_reason reason); /* runs first in `deliver` */
  void *user;

  /* The call (owned until `deliver`). */
  grpc_byte_buffer *request;
  bgi_unary_result result;
  bool result_live;

  /* Counted wherever the engine calls. */
  atomic_int n_completed, n_timer, n_deliver, n_free;
  /* Written by drainers before the engine hands the operation on (its own locks order them). */
  int64_t armed_ms, due_ms, fired_ms;

  /* Written by `deliver` under rec_mu, before it counts the delivery: read once it was seen. */
  bgi_cancel_reason reason;
  int status; /* the call's gRPC status, -1 when it started none */
  pthread_t deliver_thread;
  int64_t delivered_ms;
  bool in_callback;
  size_t outstanding_inside;
  bool after_close;
  bg_status reentry_status; /* on_deliver hooks' findings */
  bool nested_ok;
  bool had_reply, extra_message; /* the call's result */
  char reentry_message[BG_ERROR_MESSAGE_SIZE];
};

static bg_status start_call(fake_op *f, bg_error *err) {
  if (!f->request) {
    grpc_slice empty = grpc_empty_slice();
    f->request = grpc_raw_byte_buffer_create(&empty, 1);
  }
  bgi_unary_call call = {.channel = f->channel,
                         .method = f->method,
                         .wait_for_ready = f->wait_for_ready,
                         .request = f->request};
  f->result_live = true; /* bgi_unary_start() sets the result up, also when it fails */
  return bgi_async_op_start(&f->op, &call, &f->result, err);
}

static void arm(fake_op *f, int ms) {
  gpr_timespec now = gpr_now(GPR_CLOCK_MONOTONIC);
  gpr_timespec due = gpr_time_add(now, gpr_time_from_millis(ms, GPR_TIMESPAN));
  f->armed_ms = to_ms(now);
  f->due_ms = to_ms(due);
  bgi_async_op_arm_timer(&f->op, due);
}

static bool fake_completed(bgi_async_op *op, bool ok) {
  fake_op *f = (fake_op *)op;
  atomic_fetch_add(&f->n_completed, 1);
  if (f->on_completed)
    return f->on_completed(f, ok);
  if (f->timer_ms > 0) {
    arm(f, f->timer_ms);
    return false;
  }
  return true;
}

static bool fake_timer(bgi_async_op *op) {
  fake_op *f = (fake_op *)op;
  f->fired_ms = mono_ms();
  int n = atomic_fetch_add(&f->n_timer, 1);
  if (n >= f->restarts || bgi_async_op_cancelled(op) != BGI_CANCEL_NONE)
    return true;
  if (f->result_live) { /* the previous call's */
    bgi_unary_result_fini(&f->result);
    f->result_live = false;
  }
  bg_error err;
  /* Once started, the operation may be delivered on another thread: nothing of it is touched
   * after this. */
  return start_call(f, &err) != BG_OK;
}

static void fake_deliver(bgi_async_op *op, bgi_cancel_reason reason) {
  fake_op *f = (fake_op *)op;
  if (f->on_deliver)
    f->on_deliver(f, reason);
  bool in_callback = bgi_async_engine_in_callback(op->engine);
  size_t outstanding = bgi_async_engine_outstanding(op->engine);
  pthread_mutex_lock(&rec_mu);
  atomic_fetch_add(&f->n_deliver, 1);
  f->reason = reason;
  f->status = f->result_live ? (int)f->result.status : -1;
  f->deliver_thread = pthread_self();
  f->delivered_ms = mono_ms();
  f->in_callback = in_callback;
  f->outstanding_inside = outstanding;
  f->after_close = close_returned;
  f->had_reply = f->result_live && f->result.response != NULL;
  f->extra_message = f->result_live && f->result.extra_message;
  pthread_mutex_unlock(&rec_mu);
  if (f->result_live) {
    bgi_unary_result_fini(&f->result);
    f->result_live = false;
  }
  if (f->request) {
    grpc_byte_buffer_destroy(f->request);
    f->request = NULL;
  }
  /* Counted last: a test that saw the count may read everything above. */
  pthread_mutex_lock(&rec_mu);
  n_delivered++;
  pthread_cond_broadcast(&rec_cond);
  pthread_mutex_unlock(&rec_mu);
}

/* The memory stays the test's (freed after the engine is closed): only counted. */
static void fake_free(bgi_async_op *op) { atomic_fetch_add(&((fake_op *)op)->n_free, 1); }

static const bgi_async_op_vtable fake_vt = {
    .completed = fake_completed, .timer = fake_timer, .deliver = fake_deliver, .free = fake_free};

static fake_op *new_ops(size_t n) {
  fake_op *ops = calloc(n, sizeof *ops);
  assert_non_null(ops);
  for (size_t i = 0; i < n; i++) {
    ops[i].id = (int)i;
    ops[i].status = -1;
  }
  return ops;
}

/* `refs`: 1 for the engine's, 2 when the test keeps a handle (released by the test). */
static void init_op(fake_op *f, bgi_async_engine *e, int refs) {
  bgi_async_op_init(&f->op, &fake_vt, e, refs);
}

static void use_lame(fake_op *f) {
  f->channel = lame;
  f->method = lame_method;
}
static void use_stuck(fake_op *f) {
  f->channel = stuck;
  f->method = stuck_method;
  f->wait_for_ready = true;
}

/* Admits `f` and starts its call. */
static void launch(fake_op *f) {
  bg_error err;
  assert_int_equal(bgi_async_engine_admit(f->op.engine, &f->op, &err), BG_OK);
  assert_int_equal(start_call(f, &err), BG_OK);
}

static bgi_async_engine *new_engine(enum mode mode, int *fd) {
  bg_error err;
  bgi_async_engine *e = bgi_async_engine_create(mode == MODE_THREAD, &err);
  if (!e)
    fail_msg("bgi_async_engine_create: %s", err.message);
  int event_fd = -1;
  if (mode == MODE_FD) {
    event_fd = bgi_async_engine_fd(e);
    assert_true(event_fd >= 0);
  }
  if (fd)
    *fd = event_fd;
  return e;
}

/* A new count for each scenario (a test may run several). */
static void reset_record(void) {
  pthread_mutex_lock(&rec_mu);
  n_delivered = 0;
  close_returned = false;
  pthread_mutex_unlock(&rec_mu);
}

static int delivered_count(void) {
  pthread_mutex_lock(&rec_mu);
  int n = n_delivered;
  pthread_mutex_unlock(&rec_mu);
  return n;
}

static void mark_close_returned(void) {
  pthread_mutex_lock(&rec_mu);
  close_returned = true;
  pthread_mutex_unlock(&rec_mu);
}

/* Waits (without running anything) until `total` deliveries happened. */
static void wait_delivered(int total, const char *what) {
  int64_t give_up = mono_ms() + WAIT_BOUND_MS;
  pthread_mutex_lock(&rec_mu);
  while (n_delivered < total) {
    int64_t left = give_up - mono_ms();
    if (left <= 0) {
      pthread_mutex_unlock(&rec_mu);
      hang(what);
    }
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    ts.tv_nsec += (long)(left > 50 ? 50 : left) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
      ts.tv_sec++;
      ts.tv_nsec -= 1000000000L;
    }
    pthread_cond_timedwait(&rec_cond, &rec_mu, &ts);
  }
  pthread_mutex_unlock(&rec_mu);
}

static bool fd_readable(int fd, int timeout_ms) {
  struct pollfd p = {.fd = fd, .events = POLLIN};
  int rc = poll(&p, 1, timeout_ms);
  assert_true(rc >= 0);
  return rc == 1 && (p.revents & POLLIN);
}

/* Makes the engine run callbacks on this thread (poll and fd modes) or waits for its thread,
 * until `total` deliveries happened. */
static void drive(bgi_async_engine *e, enum mode mode, int fd, int total, const char *what) {
  if (mode == MODE_THREAD) {
    wait_delivered(total, what);
    return;
  }
  int64_t give_up = mono_ms() + WAIT_BOUND_MS;
  while (delivered_count() < total) {
    if (mono_ms() > give_up)
      hang(what);
    size_t n;
    bg_error err;
    if (mode == MODE_FD && !fd_readable(fd, 100))
      continue;
    assert_int_equal(bgi_async_engine_run_ready(e, mode == MODE_FD ? 0 : 100, &n, &err), BG_OK);
  }
}

/* Waits until `*counter` reaches `value` (something a drainer does). */
static void wait_count(atomic_int *counter, int value, const char *what) {
  int64_t give_up = mono_ms() + WAIT_BOUND_MS;
  while (atomic_load(counter) < value) {
    if (mono_ms() > give_up)
      hang(what);
    sleep_ms(1);
  }
}

static void wait_outstanding(bgi_async_engine *e, size_t value, const char *what) {
  int64_t give_up = mono_ms() + WAIT_BOUND_MS;
  while (bgi_async_engine_outstanding(e) != value) {
    if (mono_ms() > give_up)
      hang(what);
    sleep_ms(1);
  }
}

/* A poller on its own thread: one bgi_async_engine_run_ready(timeout). */
typedef struct poller {
  pthread_t thread;
  bgi_async_engine *engine;
  int64_t timeout_ms;
  bg_status status;
  size_t n_run;
  atomic_bool done;
} poller;

static void *poller_main(void *arg) {
  poller *p = arg;
  bg_error err;
  p->status = bgi_async_engine_run_ready(p->engine, p->timeout_ms, &p->n_run, &err);
  atomic_store(&p->done, true);
  return NULL;
}

static void poller_start(poller *p, bgi_async_engine *e, int64_t timeout_ms) {
  memset(p, 0, sizeof *p);
  p->engine = e;
  p->timeout_ms = timeout_ms;
  atomic_init(&p->done, false);
  assert_int_equal(pthread_create(&p->thread, NULL, poller_main, p), 0);
}

static void poller_join(poller *p, const char *what) {
  int64_t give_up = mono_ms() + WAIT_BOUND_MS;
  while (!atomic_load(&p->done)) {
    if (mono_ms() > give_up)
      hang(what);
    sleep_ms(1);
  }
  pthread_join(p->thread, NULL);
}

/* Exactly once: every operation delivered once, freed once. */
static void assert_each_once(fake_op *ops, int n, int freed) {
  for (int i = 0; i < n; i++) {
    if (atomic_load(&ops[i].n_deliver) != 1)
      fail_msg("operation %d was delivered %d times", i, atomic_load(&ops[i].n_deliver));
    assert_int_equal(atomic_load(&ops[i].n_free), freed);
  }
}

/* ---- fixtures ---- */

static int group_setup(void **state) {
  (void)state;
  signal(SIGALRM, watchdog_fired);
  pthread_condattr_t attr;
  pthread_condattr_init(&attr);
  pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
  pthread_cond_init(&rec_cond, &attr);
  pthread_condattr_destroy(&attr);

  bgi_grpc_init(); /* as the library does: fork support on before gRPC first starts */
  lame = grpc_lame_client_channel_create("lame", GRPC_STATUS_UNAVAILABLE,
                                         "a lame channel: every call fails at once");
  lame_method = grpc_channel_register_call(lame, "/fake.Engine/Call", NULL, NULL);

  reserved_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = 0};
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (reserved_fd < 0 || bind(reserved_fd, (struct sockaddr *)&addr, sizeof addr) != 0 ||
      getsockname(reserved_fd, (struct sockaddr *)&addr, &len) != 0) {
    perror("reserving a loopback port");
    return -1;
  }
  char target[64];
  snprintf(target, sizeof target, "ipv4:127.0.0.1:%u", (unsigned)ntohs(addr.sin_port));
  grpc_channel_credentials *creds = grpc_insecure_credentials_create();
  stuck = grpc_channel_create(target, creds, NULL);
  grpc_channel_credentials_release(creds);
  stuck_method = grpc_channel_register_call(stuck, "/fake.Engine/Call", NULL, NULL);
  return 0;
}

static int group_teardown(void **state) {
  (void)state;
  grpc_channel_destroy(lame);
  grpc_channel_destroy(stuck);
  close(reserved_fd);
  grpc_shutdown();
  pthread_cond_destroy(&rec_cond);
  return 0;
}

static int test_setup(void **state) {
  (void)state;
  alarm(TEST_BOUND_S);
  reset_record();
  return 0;
}

static int test_teardown(void **state) {
  (void)state;
  alarm(0);
  return 0;
}

/* ---- the ready list and exactly-once delivery ---- */

enum { N_MANY = 48 };

static void test_poll_delivers_each_op_exactly_once(void **state) {
  (void)state;
  bgi_async_engine *e = new_engine(MODE_POLL, NULL);
  fake_op *ops = new_ops(N_MANY);
  for (int i = 0; i < N_MANY; i++) {
    init_op(&ops[i], e, 1);
    use_lame(&ops[i]);
    launch(&ops[i]);
  }
  /* Nobody drains in poll mode until someone polls. */
  assert_int_equal(bgi_async_engine_outstanding(e), N_MANY);
  size_t ran = 0;
  int64_t give_up = mono_ms() + WAIT_BOUND_MS;
  while (bgi_async_engine_outstanding(e) > 0) {
    if (mono_ms() > give_up)
      hang("delivering the lame calls in poll mode");
    size_t n;
    bg_error err;
    assert_int_equal(bgi_async_engine_run_ready(e, -1, &n, &err), BG_OK);
    ran += n;
  }
  assert_int_equal(ran, N_MANY); /* the counts the poller returned add up */
  assert_int_equal(delivered_count(), N_MANY);
  assert_each_once(ops, N_MANY, 1); /* the engine held the only reference */
  for (int i = 0; i < N_MANY; i++) {
    assert_int_equal(atomic_load(&ops[i].n_completed), 1);
    assert_int_equal(atomic_load(&ops[i].n_timer), 0);
    assert_int_equal(ops[i].reason, BGI_CANCEL_NONE);
    assert_int_equal(ops[i].status, GRPC_STATUS_UNAVAILABLE);
    assert_true(pthread_equal(ops[i].deliver_thread, pthread_self()));
    assert_true(ops[i].in_callback);
    assert_true(ops[i].outstanding_inside >= 1); /* itself, until its callback returns */
  }
  assert_false(bgi_async_engine_in_callback(e));

  /* Nothing outstanding: no wait, even with no time limit. */
  int64_t t0 = mono_ms();
  size_t n = 99;
  bg_error err;
  assert_int_equal(bgi_async_engine_run_ready(e, -1, &n, &err), BG_OK);
  assert_int_equal(n, 0);
  assert_int_equal(bgi_async_engine_run_ready(e, 0, &n, &err), BG_OK);
  assert_int_equal(n, 0);
  assert_true(mono_ms() - t0 < 1000);
  bgi_async_engine_close(e);
  free(ops);
}

static void test_callback_thread_delivers_each_op_exactly_once(void **state) {
  (void)state;
  bgi_async_engine *e = new_engine(MODE_THREAD, NULL);
  fake_op *ops = new_ops(N_MANY);
  for (int i = 0; i < N_MANY; i++) {
    init_op(&ops[i], e, 1);
    use_lame(&ops[i]);
    launch(&ops[i]);
  }
  wait_delivered(N_MANY, "delivering the lame calls on the callback thread");
  wait_outstanding(e, 0, "the callback thread finishing its callbacks");
  /* No polling and no fd with a callback thread. */
  size_t n = 99;
  bg_error err;
  assert_int_equal(bgi_async_engine_run_ready(e, 0, &n, &err), BG_ERR_INVALID_ARGUMENT);
  assert_int_equal(n, 0);
  assert_non_null(strstr(err.message, "its own thread"));
  assert_int_equal(bgi_async_engine_fd(e), -1);
  bgi_async_engine_close(e);
  assert_int_equal(delivered_count(), N_MANY); /* close delivered nothing twice */
  assert_each_once(ops, N_MANY, 1);
  pthread_t callback_thread = ops[0].deliver_thread;
  assert_false(pthread_equal(callback_thread, pthread_self()));
  for (int i = 0; i < N_MANY; i++) {
    assert_int_equal(atomic_load(&ops[i].n_completed), 1);
    assert_int_equal(ops[i].reason, BGI_CANCEL_NONE);
    assert_int_equal(ops[i].status, GRPC_STATUS_UNAVAILABLE);
    assert_true(pthread_equal(ops[i].deliver_thread, callback_thread)); /* one thread */
    assert_true(ops[i].in_callback);
  }
  free(ops);
}

/* An operation that arms a far timer from `completed` (so it can be cancelled onto the ready
 * list without any event on the queue). */
static bool arm_far(fake_op *f, bool ok) {
  (void)ok;
  arm(f, 60000);
  return false;
}

static void test_fd_readable_exactly_while_callbacks_are_ready(void **state) {
  (void)state;
  bgi_async_engine *e = new_engine(MODE_POLL, NULL);
  bg_error err;
  size_t n;

  /* Ready before the fd mode begins: the first bgi_async_engine_fd() makes the fd readable. */
  fake_op *first = new_ops(1);
  init_op(first, e, 1);
  use_lame(first);
  first->on_completed = arm_far;
  launch(first);
  int64_t give_up = mono_ms() + WAIT_BOUND_MS;
  while (atomic_load(&first->n_completed) == 0) {
    if (mono_ms() > give_up)
      hang("a lame call completing in poll mode");
    assert_int_equal(bgi_async_engine_run_ready(e, 20, &n, &err), BG_OK);
    assert_int_equal(n, 0); /* it waits for its timer */
  }
  assert_true(bgi_async_op_cancel(&first->op, BGI_CANCEL_USER)); /* now on the ready list */
  int fd = bgi_async_engine_fd(e);
  assert_true(fd >= 0);
  assert_int_equal(bgi_async_engine_fd(e), fd); /* once switched, the same fd */
  assert_true(fd_readable(fd, 0));
  assert_true(fd_readable(fd, 0)); /* looking does not consume it: readable while ready */
  assert_int_equal(bgi_async_engine_run_ready(e, 0, &n, &err), BG_OK);
  assert_int_equal(n, 1);
  assert_int_equal(first->reason, BGI_CANCEL_USER);
  assert_false(fd_readable(fd, 0)); /* ran: nothing is ready */

  /* The driver thread drains; every time the fd is readable something is there to run. */
  fake_op *ops = new_ops(N_MANY);
  for (int i = 0; i < N_MANY; i++) {
    init_op(&ops[i], e, 1);
    use_lame(&ops[i]);
    launch(&ops[i]);
  }
  size_t ran = 0;
  give_up = mono_ms() + WAIT_BOUND_MS;
  while (ran < N_MANY) {
    if (mono_ms() > give_up)
      hang("the fd becoming readable for the lame calls");
    if (!fd_readable(fd, 100))
      continue;
    assert_int_equal(bgi_async_engine_run_ready(e, 0, &n, &err), BG_OK);
    assert_true(n >= 1); /* readable only while callbacks are ready */
    ran += n;
  }
  assert_int_equal(ran, N_MANY);
  assert_int_equal(bgi_async_engine_outstanding(e), 0);
  assert_false(fd_readable(fd, 100)); /* not after they ran, nor a little later */
  assert_each_once(ops, N_MANY, 1);
  for (int i = 0; i < N_MANY; i++) {
    assert_int_equal(ops[i].reason, BGI_CANCEL_NONE);
    assert_int_equal(ops[i].status, GRPC_STATUS_UNAVAILABLE);
    assert_true(pthread_equal(ops[i].deliver_thread, pthread_self())); /* the dispatcher's */
  }

  /* run_ready(-1) in fd mode waits for the driver thread's work. */
  fake_op *more = new_ops(8);
  for (int i = 0; i < 8; i++) {
    init_op(&more[i], e, 1);
    use_lame(&more[i]);
    launch(&more[i]);
  }
  ran = 0;
  while (ran < 8) {
    assert_int_equal(bgi_async_engine_run_ready(e, -1, &n, &err), BG_OK);
    assert_true(n >= 1);
    ran += n;
  }
  assert_each_once(more, 8, 1);
  assert_false(fd_readable(fd, 0));
  bgi_async_engine_close(e);
  free(first);
  free(ops);
  free(more);
}

/* ---- timers ---- */

/* One operation arms a 200 ms timer from `completed` (starting its call again `restarts` times
 * from `timer`): the timer fires once per arming, never early, and the operation is delivered
 * once, on time. */
static void timer_fires_on_time(enum mode mode, int restarts) {
  reset_record();
  int fd;
  bgi_async_engine *e = new_engine(mode, &fd);
  fake_op *f = new_ops(1);
  init_op(f, e, 1);
  use_lame(f);
  f->timer_ms = restarts ? 30 : 200;
  f->restarts = restarts;
  launch(f);
  drive(e, mode, fd, 1, "a timer armed from `completed` firing");
  assert_int_equal(atomic_load(&f->n_deliver), 1);
  assert_int_equal(atomic_load(&f->n_completed), restarts + 1);
  assert_int_equal(atomic_load(&f->n_timer), restarts + 1);
  assert_int_equal(f->reason, BGI_CANCEL_NONE);
  assert_true(f->fired_ms >= f->due_ms); /* never early */
  if (f->delivered_ms - f->due_ms > 1000)
    fail_msg("%s mode: the timer was due at %lld ms, delivered at %lld ms", mode_names[mode],
             (long long)f->due_ms, (long long)f->delivered_ms);
  bgi_async_engine_close(e);
  assert_int_equal(atomic_load(&f->n_deliver), 1);
  assert_int_equal(atomic_load(&f->n_free), 1);
  free(f);
}

static void test_timer_fires_on_time_poll(void **state) {
  (void)state;
  timer_fires_on_time(MODE_POLL, 0);
  timer_fires_on_time(MODE_POLL, 2);
}

static void test_timer_fires_on_time_callback_thread(void **state) {
  (void)state;
  timer_fires_on_time(MODE_THREAD, 0);
  timer_fires_on_time(MODE_THREAD, 2);
}

static void test_timer_fires_on_time_fd(void **state) {
  (void)state;
  timer_fires_on_time(MODE_FD, 0);
  timer_fires_on_time(MODE_FD, 2);
}

/* The two-poller timer hang. The operation's call completes on poller A (the only drainer then);
 * inside its `completed`, before arming, another drainer B is started and given time to fall
 * asleep in the queue — with no timer armed, its sleep has no limit. Then A arms the timer and
 * returns to its caller before the timer is due, and nobody polls on A's side again. Only B can
 * fire the timer, so it must be woken to see it. How A leaves: */
enum leaving {
  A_TIMES_OUT,     /* A polled with a short timeout */
  A_HAS_A_BATCH,   /* A polled without limit, and another operation became ready */
  B_IS_THE_DRIVER, /* B is the fd mode's driver thread, which `completed` switches on */
};

typedef struct two_pollers {
  enum leaving leaving;
  poller b;
  fake_op *other; /* A_HAS_A_BATCH: admitted, no call */
  int fd;
} two_pollers;

enum { TIMER_MS = 500, ASLEEP_MS = 150 };

static bool arm_after_the_other_sleeps(fake_op *f, bool ok) {
  (void)ok;
  two_pollers *t = f->user;
  if (t->leaving == B_IS_THE_DRIVER)
    t->fd = bgi_async_engine_fd(f->op.engine); /* starts the driver, asleep in the queue */
  else
    poller_start(&t->b, f->op.engine, -1);
  sleep_ms(ASLEEP_MS);
  arm(f, TIMER_MS);
  if (t->leaving == A_HAS_A_BATCH) { /* made ready without any event on the queue */
    arm(t->other, 60000);
    bgi_async_op_cancel(&t->other->op, BGI_CANCEL_USER);
  }
  return false;
}

static void two_poller_timer(enum leaving leaving) {
  bgi_async_engine *e = new_engine(MODE_POLL, NULL);
  two_pollers t = {.leaving = leaving, .fd = -1};
  fake_op *ops = new_ops(2);
  fake_op *f = &ops[0];
  init_op(f, e, 1);
  use_lame(f);
  f->on_completed = arm_after_the_other_sleeps;
  f->user = &t;
  if (leaving == A_HAS_A_BATCH) {
    t.other = &ops[1];
    init_op(t.other, e, 1);
    bg_error err;
    assert_int_equal(bgi_async_engine_admit(e, &t.other->op, &err), BG_OK);
  }
  launch(f); /* both its events are on the queue before anyone polls */

  size_t n;
  bg_error err;
  int64_t t0 = mono_ms();
  assert_int_equal(bgi_async_engine_run_ready(e, leaving == A_HAS_A_BATCH ? -1 : 50, &n, &err),
                   BG_OK);
  assert_int_equal(atomic_load(&f->n_completed), 1); /* A ran `completed` */
  assert_int_equal(atomic_load(&f->n_deliver), 0);
  assert_true(mono_ms() < f->due_ms); /* A left before the timer was due */
  assert_int_equal(n, leaving == A_HAS_A_BATCH ? 1 : 0);
  if (leaving == A_HAS_A_BATCH)
    assert_int_equal(t.other->reason, BGI_CANCEL_USER);

  if (leaving == B_IS_THE_DRIVER) {
    assert_true(t.fd >= 0);
    int64_t give_up = mono_ms() + WAIT_BOUND_MS;
    while (!fd_readable(t.fd, 50))
      if (mono_ms() > give_up)
        hang("the driver thread firing the timer armed by a poller");
    assert_int_equal(bgi_async_engine_run_ready(e, 0, &n, &err), BG_OK);
    assert_int_equal(n, 1);
  } else {
    wait_delivered(leaving == A_HAS_A_BATCH ? 2 : 1,
                   "the sleeping poller firing the timer armed by the poller that returned");
    poller_join(&t.b, "the sleeping poller returning");
    assert_int_equal(t.b.status, BG_OK);
    assert_int_equal(t.b.n_run, 1);
  }
  assert_int_equal(atomic_load(&f->n_deliver), 1);
  assert_int_equal(atomic_load(&f->n_timer), 1);
  assert_int_equal(f->reason, BGI_CANCEL_NONE);
  assert_true(f->fired_ms >= f->due_ms);
  if (f->delivered_ms - f->due_ms > 1000)
    fail_msg("the timer was due %d ms after arming, delivered %lld ms after", TIMER_MS,
             (long long)(f->delivered_ms - f->armed_ms));
  if (leaving != B_IS_THE_DRIVER)
    assert_true(pthread_equal(f->deliver_thread, t.b.thread));
  (void)t0;
  bgi_async_engine_close(e);
  assert_each_once(ops, leaving == A_HAS_A_BATCH ? 2 : 1, 1);
  free(ops);
}

static void test_two_pollers_timer_when_arming_poller_times_out(void **state) {
  (void)state;
  two_poller_timer(A_TIMES_OUT);
}

static void test_two_pollers_timer_when_arming_poller_has_a_batch(void **state) {
  (void)state;
  two_poller_timer(A_HAS_A_BATCH);
}

static void test_timer_armed_by_poller_while_driver_thread_sleeps(void **state) {
  (void)state;
  two_poller_timer(B_IS_THE_DRIVER);
}

/* ---- cancel ---- */

static void test_cancel_pending_call_delivers_once_with_reason(void **state) {
  (void)state;
  bgi_async_engine *e = new_engine(MODE_POLL, NULL);
  fake_op *f = new_ops(1);
  init_op(f, e, 2); /* the test's handle */
  use_stuck(f);
  launch(f);
  size_t n;
  bg_error err;
  assert_int_equal(bgi_async_engine_run_ready(e, 50, &n, &err), BG_OK);
  assert_int_equal(n, 0); /* pending: it waits for a connection that never comes */
  assert_true(bgi_async_op_cancel(&f->op, BGI_CANCEL_USER));
  assert_true(bgi_async_op_cancel(&f->op, BGI_CANCEL_CLOSE));        /* not delivered yet... */
  assert_int_equal(bgi_async_op_cancelled(&f->op), BGI_CANCEL_USER); /* ...the first reason wins */
  drive(e, MODE_POLL, -1, 1, "a cancelled call's delivery");
  assert_int_equal(atomic_load(&f->n_deliver), 1);
  assert_int_equal(atomic_load(&f->n_completed), 1);
  assert_int_equal(f->reason, BGI_CANCEL_USER);
  assert_int_equal(f->status, GRPC_STATUS_CANCELLED);
  assert_false(bgi_async_op_cancel(&f->op, BGI_CANCEL_USER)); /* delivered: too late */
  assert_int_equal(bgi_async_engine_outstanding(e), 0);
  assert_int_equal(atomic_load(&f->n_free), 0);
  bgi_async_op_release(&f->op);
  assert_int_equal(atomic_load(&f->n_free), 1);
  bgi_async_engine_close(e);
  assert_int_equal(atomic_load(&f->n_deliver), 1);
  free(f);
}

static void test_cancel_before_the_call_starts(void **state) {
  (void)state;
  bgi_async_engine *e = new_engine(MODE_POLL, NULL);
  fake_op *f = new_ops(1);
  init_op(f, e, 1);
  use_stuck(f);
  bg_error err;
  assert_int_equal(bgi_async_engine_admit(e, &f->op, &err), BG_OK);
  assert_true(bgi_async_op_cancel(&f->op, BGI_CANCEL_USER)); /* no call yet */
  assert_int_equal(start_call(f, &err), BG_OK);              /* starts, and is cancelled at once */
  drive(e, MODE_POLL, -1, 1, "a call cancelled before it started being delivered");
  assert_int_equal(atomic_load(&f->n_deliver), 1);
  assert_int_equal(f->reason, BGI_CANCEL_USER);
  assert_int_equal(f->status, GRPC_STATUS_CANCELLED);
  bgi_async_engine_close(e);
  assert_int_equal(atomic_load(&f->n_deliver), 1);
  assert_int_equal(atomic_load(&f->n_free), 1);
  free(f);
}

/* A cancel that comes before `completed` arms its timer: the arming delivers instead. */
static bool cancel_then_arm(fake_op *f, bool ok) {
  (void)ok;
  bgi_async_op_cancel(&f->op, BGI_CANCEL_USER);
  arm(f, 60000);
  return false;
}

/* A far timer is cancelled while a drainer sleeps in the queue: delivered soon, with the
 * reason, and the timer never fires. */
static void cancel_armed_timer(enum mode mode) {
  int fd;
  bgi_async_engine *e = new_engine(mode, &fd);
  fake_op *ops = new_ops(2);
  fake_op *f = &ops[0];
  init_op(f, e, 2);
  use_lame(f);
  f->timer_ms = 60000;
  launch(f);
  poller b = {0};
  if (mode == MODE_POLL)
    poller_start(&b, e, -1);
  else if (mode == MODE_FD)
    poller_start(&b, e, -1); /* waits for the driver thread */
  wait_count(&f->n_completed, 1, "the far timer being armed");
  sleep_ms(50); /* the drainer is back asleep in the queue */
  int64_t cancelled_ms = mono_ms();
  assert_true(bgi_async_op_cancel(&f->op, BGI_CANCEL_USER));
  if (mode == MODE_THREAD)
    wait_delivered(1, "a cancelled timer's delivery");
  else
    poller_join(&b, "a poller delivering a cancelled timer");
  assert_int_equal(atomic_load(&f->n_deliver), 1);
  assert_int_equal(atomic_load(&f->n_timer), 0);
  assert_int_equal(f->reason, BGI_CANCEL_USER);
  if (f->delivered_ms - cancelled_ms > 1000)
    fail_msg("%s mode: a cancelled timer was delivered %lld ms after the cancel", mode_names[mode],
             (long long)(f->delivered_ms - cancelled_ms));
  if (mode != MODE_THREAD)
    assert_true(pthread_equal(f->deliver_thread, b.thread));
  assert_false(bgi_async_op_cancel(&f->op, BGI_CANCEL_USER));
  bgi_async_op_release(&f->op);

  /* Cancelled before the timer is armed. */
  fake_op *g = &ops[1];
  init_op(g, e, 1);
  use_lame(g);
  g->on_completed = cancel_then_arm;
  launch(g);
  drive(e, mode, fd, 2, "an operation cancelled before arming its timer being delivered");
  assert_int_equal(atomic_load(&g->n_deliver), 1);
  assert_int_equal(atomic_load(&g->n_timer), 0);
  assert_int_equal(g->reason, BGI_CANCEL_USER);
  bgi_async_engine_close(e);
  assert_each_once(ops, 2, 1);
  free(ops);
}

static void test_cancel_armed_timer_poll(void **state) {
  (void)state;
  cancel_armed_timer(MODE_POLL);
}

static void test_cancel_armed_timer_callback_thread(void **state) {
  (void)state;
  cancel_armed_timer(MODE_THREAD);
}

static void test_cancel_armed_timer_fd(void **state) {
  (void)state;
  cancel_armed_timer(MODE_FD);
}

/* ---- many threads at once ---- */

/* `completed` starts the call again (no timer) until it has run `restarts` + 1 times: the next
 * end comes back to `completed`, maybe on another drainer before this one returns. */
static bool restart_from_completed(fake_op *f, bool ok) {
  (void)ok;
  if (atomic_load(&f->n_completed) > f->restarts)
    return true;
  bgi_unary_result_fini(&f->result);
  f->result_live = false;
  bg_error err;
  return start_call(f, &err) != BG_OK;
}

typedef struct loop_poller {
  pthread_t thread;
  bgi_async_engine *engine;
  atomic_bool *stop;
  atomic_bool done;
  bg_status status;
} loop_poller;

static void *loop_poller_main(void *arg) {
  loop_poller *p = arg;
  p->status = BG_OK;
  while (!atomic_load(p->stop) && p->status == BG_OK) {
    size_t n;
    bg_error err;
    p->status = bgi_async_engine_run_ready(p->engine, 20, &n, &err);
    if (n == 0 && bgi_async_engine_outstanding(p->engine) == 0)
      sleep_ms(1);
  }
  atomic_store(&p->done, true);
  return NULL;
}

enum { N_STRESS = 160, N_POLLERS = 3 };

/* Operations of every kind at once — failing at once, timers of a few ms, restarts from
 * `completed` and from `timer`, stuck calls and far timers cancelled from the test's thread —
 * with three pollers (poll and fd modes) or the callback thread: each delivered exactly once,
 * with the right reason. Mostly for ThreadSanitizer. */
static void many_threads_at_once(enum mode mode) {
  reset_record();
  int fd;
  bgi_async_engine *e = new_engine(mode, &fd);
  fake_op *ops = new_ops(N_STRESS);
  atomic_bool stop;
  atomic_init(&stop, false);
  loop_poller pollers[N_POLLERS];
  int n_pollers = mode == MODE_THREAD ? 0 : N_POLLERS;
  for (int i = 0; i < n_pollers; i++) {
    memset(&pollers[i], 0, sizeof pollers[i]);
    pollers[i].engine = e;
    pollers[i].stop = &stop;
    atomic_init(&pollers[i].done, false);
    assert_int_equal(pthread_create(&pollers[i].thread, NULL, loop_poller_main, &pollers[i]), 0);
  }
  for (int i = 0; i < N_STRESS; i++) {
    fake_op *f = &ops[i];
    init_op(f, e, 2);
    switch (i % 6) {
    case 0: use_lame(f); break;
    case 1:
      use_lame(f);
      f->timer_ms = 1 + i % 15;
      break;
    case 2:
      use_lame(f);
      f->restarts = 2;
      f->on_completed = restart_from_completed;
      break;
    case 3:
      use_lame(f);
      f->timer_ms = 1 + i % 7;
      f->restarts = 1;
      break;
    case 4: use_stuck(f); break;
    case 5:
      use_lame(f);
      f->timer_ms = 60000;
      break;
    }
    launch(f);
  }
  for (int i = 0; i < N_STRESS; i++) {
    if (i % 6 == 4) /* stuck: cancelled while the pollers run */
      assert_true(bgi_async_op_cancel(&ops[i].op, BGI_CANCEL_USER));
    if (i % 6 == 5) { /* a far timer, once armed */
      wait_count(&ops[i].n_completed, 1, "far timers being armed under load");
      assert_true(bgi_async_op_cancel(&ops[i].op, BGI_CANCEL_USER));
    }
  }
  wait_delivered(N_STRESS, "every operation of the mixed load being delivered");
  atomic_store(&stop, true);
  for (int i = 0; i < n_pollers; i++) {
    int64_t give_up = mono_ms() + WAIT_BOUND_MS;
    while (!atomic_load(&pollers[i].done))
      if (mono_ms() > give_up)
        hang("a looping poller stopping");
      else
        sleep_ms(1);
    pthread_join(pollers[i].thread, NULL);
    assert_int_equal(pollers[i].status, BG_OK);
  }
  wait_outstanding(e, 0, "the callbacks finishing");
  for (int i = 0; i < N_STRESS; i++) {
    fake_op *f = &ops[i];
    assert_int_equal(atomic_load(&f->n_deliver), 1);
    int kind = i % 6;
    assert_int_equal(f->reason, kind >= 4 ? BGI_CANCEL_USER : BGI_CANCEL_NONE);
    if (kind == 1)
      assert_int_equal(atomic_load(&f->n_timer), 1);
    if (kind == 2)
      assert_int_equal(atomic_load(&f->n_completed), 3);
    if (kind == 3) {
      assert_int_equal(atomic_load(&f->n_completed), 2);
      assert_int_equal(atomic_load(&f->n_timer), 2);
    }
    if (kind == 4)
      assert_int_equal(f->status, GRPC_STATUS_CANCELLED);
    if (kind == 5)
      assert_int_equal(atomic_load(&f->n_timer), 0);
    bgi_async_op_release(&f->op);
  }
  bgi_async_engine_close(e);
  assert_each_once(ops, N_STRESS, 1);
  free(ops);
}

static void test_many_threads_at_once_poll(void **state) {
  (void)state;
  many_threads_at_once(MODE_POLL);
}

static void test_many_threads_at_once_callback_thread(void **state) {
  (void)state;
  many_threads_at_once(MODE_THREAD);
}

static void test_many_threads_at_once_fd(void **state) {
  (void)state;
  many_threads_at_once(MODE_FD);
}

/* ---- close ---- */

static fake_op *late_op; /* initialised on the engine, never admitted */

static void admit_during_close(fake_op *f, bgi_cancel_reason reason) {
  (void)reason;
  bg_error err;
  f->reentry_status = bgi_async_engine_admit(f->op.engine, &late_op->op, &err);
  snprintf(f->reentry_message, sizeof f->reentry_message, "%s", err.message);
  if (f->reentry_status == BG_OK) /* wrong: keep the engine consistent for what follows */
    bgi_async_engine_abandon(f->op.engine, &late_op->op);
}

/* Stuck calls, lame calls delivered before close, far timers, and lame calls started just
 * before close (their ends may still be on the queue, or ready and not yet run). */
enum {
  N_STUCK = 6,
  N_LAME = 6,
  N_TIMERS = 4,
  N_LATE = 4,
  N_EARLY = N_STUCK + N_LAME + N_TIMERS,
  N_CLOSE = N_EARLY + N_LATE
};

static void close_with_calls_in_flight(enum mode mode) {
  int fd;
  bgi_async_engine *e = new_engine(mode, &fd);
  fake_op *ops = new_ops(N_CLOSE);
  late_op = new_ops(1);
  init_op(late_op, e, 1); /* holds the engine for the admit after close */
  for (int i = 0; i < N_EARLY; i++) {
    init_op(&ops[i], e, 1);
    if (i < N_STUCK) {
      use_stuck(&ops[i]);
    } else {
      use_lame(&ops[i]);
      if (i >= N_STUCK + N_LAME)
        ops[i].timer_ms = 60000;
    }
    launch(&ops[i]);
  }
  ops[0].on_deliver = admit_during_close;
  /* The lame calls are delivered and the timers armed; the stuck calls stay pending. */
  drive(e, mode, fd, N_LAME, "the lame calls being delivered before close");
  for (int i = N_STUCK + N_LAME; i < N_EARLY; i++) {
    int64_t give_up = mono_ms() + WAIT_BOUND_MS;
    while (mode == MODE_POLL && atomic_load(&ops[i].n_completed) == 0) { /* we drain */
      if (mono_ms() > give_up)
        hang("the far timers being armed before close");
      size_t n;
      bg_error err;
      assert_int_equal(bgi_async_engine_run_ready(e, 20, &n, &err), BG_OK);
      assert_int_equal(n, 0);
    }
    wait_count(&ops[i].n_completed, 1, "the far timers being armed before close");
  }
  assert_int_equal(bgi_async_engine_outstanding(e), N_STUCK + N_TIMERS);
  for (int i = N_EARLY; i < N_CLOSE; i++) {
    init_op(&ops[i], e, 1);
    use_lame(&ops[i]);
    launch(&ops[i]);
  }

  int64_t t0 = mono_ms();
  bgi_async_engine_close(e);
  mark_close_returned();
  if (mono_ms() - t0 > 3000)
    fail_msg("%s mode: close took %lld ms", mode_names[mode], (long long)(mono_ms() - t0));

  assert_int_equal(delivered_count(), N_CLOSE);
  assert_each_once(ops, N_CLOSE, 1);
  for (int i = 0; i < N_CLOSE; i++) {
    fake_op *f = &ops[i];
    assert_false(f->after_close); /* every delivery happened before close returned */
    if (i < N_STUCK) {
      assert_int_equal(f->reason, BGI_CANCEL_CLOSE);
      assert_int_equal(f->status, GRPC_STATUS_CANCELLED);
    } else if (i < N_STUCK + N_LAME) {
      assert_int_equal(f->reason, BGI_CANCEL_NONE);
    } else if (i < N_EARLY) {
      assert_int_equal(f->reason, BGI_CANCEL_CLOSE);
      assert_int_equal(atomic_load(&f->n_timer), 0);
    } else { /* cancelled by close if still pending then */
      assert_true(f->reason == BGI_CANCEL_NONE || f->reason == BGI_CANCEL_CLOSE);
      assert_true(f->status == GRPC_STATUS_UNAVAILABLE || f->status == GRPC_STATUS_CANCELLED);
    }
    if ((i < N_STUCK || i >= N_STUCK + N_LAME) && (i < N_EARLY || mode != MODE_THREAD)) {
      /* delivered by close (the late ones may go on the callback thread before it) */
      bool on_this_thread = pthread_equal(f->deliver_thread, pthread_self());
      assert_true(mode == MODE_THREAD ? !on_this_thread : on_this_thread);
    }
  }
  /* Admission is refused once close has begun: from a callback close ran... */
  assert_int_equal(ops[0].reentry_status, BG_ERR_CANCELLED);
  assert_non_null(strstr(ops[0].reentry_message, "closing"));
  /* ...and after it. */
  bg_error err;
  assert_int_equal(bgi_async_engine_admit(e, &late_op->op, &err), BG_ERR_CANCELLED);
  assert_int_equal(err.code, BG_ERR_CANCELLED);
  bgi_async_op_free(&late_op->op); /* the last reference to the engine */
  assert_int_equal(atomic_load(&late_op->n_free), 1);
  free(late_op);
  late_op = NULL;
  free(ops);
}

static void test_close_with_calls_in_flight_poll(void **state) {
  (void)state;
  close_with_calls_in_flight(MODE_POLL);
}

static void test_close_with_calls_in_flight_callback_thread(void **state) {
  (void)state;
  close_with_calls_in_flight(MODE_THREAD);
}

static void test_close_with_calls_in_flight_fd(void **state) {
  (void)state;
  close_with_calls_in_flight(MODE_FD);
}

/* ---- replies: the deferred probes ---- */

/* A call is listed for a probe whenever its reply comes before its status, which needs a reply:
 * a small gRPC Core server in this process, on a free loopback port, answers every call with one
 * message and the status together, or (`two_replies`) with two messages, which only the probe
 * finds (the client's status waits until every message was read). */
typedef struct reply_server {
  grpc_server *server;
  grpc_completion_queue *cq;
  pthread_t thread;
  bool two_replies;
  char shutdown_tag;
  grpc_channel *channel;
  void *method;
} reply_server;

typedef struct server_call {
  grpc_call *call;
  grpc_call_details details;
  grpc_metadata_array metadata;
  grpc_byte_buffer *request, *replies[2];
  int cancelled;
  int stage;
} server_call;

/* On the server's thread, where cmocka cannot fail a test: never expected. */
static void server_broke(const char *what, grpc_call_error rc) {
  fprintf(stderr, "test_async_engine: the test server's %s failed (%d)\n", what, (int)rc);
  _exit(1);
}

static void server_request_next(reply_server *s) {
  server_call *c = calloc(1, sizeof *c);
  if (!c)
    server_broke("calloc", GRPC_CALL_ERROR);
  grpc_call_details_init(&c->details);
  grpc_metadata_array_init(&c->metadata);
  grpc_call_error rc =
      grpc_server_request_call(s->server, &c->call, &c->details, &c->metadata, s->cq, s->cq, c);
  if (rc != GRPC_CALL_OK)
    server_broke("grpc_server_request_call", rc);
}

static void server_call_free(server_call *c) {
  if (c->call)
    grpc_call_unref(c->call);
  grpc_call_details_destroy(&c->details);
  grpc_metadata_array_destroy(&c->metadata);
  if (c->request)
    grpc_byte_buffer_destroy(c->request);
  for (int i = 0; i < 2; i++)
    if (c->replies[i])
      grpc_byte_buffer_destroy(c->replies[i]);
  free(c);
}

static grpc_byte_buffer *reply_message(void) {
  grpc_slice slice = grpc_slice_from_static_string("reply");
  grpc_byte_buffer *b = grpc_raw_byte_buffer_create(&slice, 1);
  grpc_slice_unref(slice);
  return b;
}

/* Stage 0 (a call came): headers, the request, the first reply, and — unless a second reply
 * follows — the status. Stage 1 (two replies): the second reply and the status. */
static void server_step(reply_server *s, server_call *c) {
  grpc_op ops[6];
  memset(ops, 0, sizeof ops);
  size_t n = 0;
  int stage = c->stage++;
  if (stage == 0) {
    ops[n++].op = GRPC_OP_SEND_INITIAL_METADATA;
    ops[n].op = GRPC_OP_RECV_MESSAGE;
    ops[n++].data.recv_message.recv_message = &c->request;
  }
  if (stage == 0 || (stage == 1 && s->two_replies)) {
    c->replies[stage] = reply_message();
    ops[n].op = GRPC_OP_SEND_MESSAGE;
    ops[n++].data.send_message.send_message = c->replies[stage];
  }
  if (stage == (s->two_replies ? 1 : 0)) {
    ops[n].op = GRPC_OP_SEND_STATUS_FROM_SERVER;
    ops[n++].data.send_status_from_server.status = GRPC_STATUS_OK;
    ops[n].op = GRPC_OP_RECV_CLOSE_ON_SERVER;
    ops[n++].data.recv_close_on_server.cancelled = &c->cancelled;
  }
  if (n == 0) { /* the call is over */
    server_call_free(c);
    return;
  }
  grpc_call_error rc = grpc_call_start_batch(c->call, ops, n, c, NULL);
  if (rc != GRPC_CALL_OK)
    server_broke("grpc_call_start_batch", rc);
}

static void *server_main(void *arg) {
  reply_server *s = arg;
  for (;;) {
    grpc_event ev = grpc_completion_queue_next(s->cq, gpr_inf_future(GPR_CLOCK_MONOTONIC), NULL);
    if (ev.type == GRPC_QUEUE_SHUTDOWN)
      return NULL;
    if (ev.tag == &s->shutdown_tag) {
      grpc_completion_queue_shutdown(s->cq);
      continue;
    }
    server_call *c = ev.tag;
    if (c->stage == 0 && !ev.success) { /* the server is shutting down */
      server_call_free(c);
      continue;
    }
    if (c->stage == 0)
      server_request_next(s);
    if (!ev.success) { /* the client went away */
      server_call_free(c);
      continue;
    }
    server_step(s, c);
  }
}

static void reply_server_start(reply_server *s, bool two_replies) {
  memset(s, 0, sizeof *s);
  s->two_replies = two_replies;
  s->cq = grpc_completion_queue_create_for_next(NULL);
  s->server = grpc_server_create(NULL, NULL);
  grpc_server_register_completion_queue(s->server, s->cq, NULL);
  grpc_server_credentials *creds = grpc_insecure_server_credentials_create();
  int port = grpc_server_add_http2_port(s->server, "127.0.0.1:0", creds);
  grpc_server_credentials_release(creds);
  assert_true(port > 0);
  grpc_server_start(s->server);
  server_request_next(s);
  assert_int_equal(pthread_create(&s->thread, NULL, server_main, s), 0);
  char target[64];
  snprintf(target, sizeof target, "ipv4:127.0.0.1:%d", port);
  grpc_channel_credentials *ccreds = grpc_insecure_credentials_create();
  s->channel = grpc_channel_create(target, ccreds, NULL);
  grpc_channel_credentials_release(ccreds);
  s->method = grpc_channel_register_call(s->channel, "/fake.Engine/Call", NULL, NULL);
}

static void reply_server_stop(reply_server *s) {
  grpc_channel_destroy(s->channel);
  grpc_server_shutdown_and_notify(s->server, s->cq, &s->shutdown_tag);
  grpc_server_cancel_all_calls(s->server);
  pthread_join(s->thread, NULL);
  grpc_server_destroy(s->server);
  grpc_completion_queue_destroy(s->cq);
}

enum { N_REPLIES = 32 };

/* Every call gets its reply: each is delivered once with it, and every operation is freed once
 * the engine closes (the probe list's references are dropped); a second reply message is found
 * by the probe the engine starts when its queue is idle, and the call fails as INTERNAL. */
static void replies_and_probes(enum mode mode, bool two_replies) {
  reset_record();
  reply_server server;
  reply_server_start(&server, two_replies);
  int fd;
  bgi_async_engine *e = new_engine(mode, &fd);
  int n_ops = two_replies ? 4 : N_REPLIES;
  fake_op *ops = new_ops((size_t)n_ops);
  for (int i = 0; i < n_ops; i++) {
    init_op(&ops[i], e, 1);
    ops[i].channel = server.channel;
    ops[i].method = server.method;
    ops[i].wait_for_ready = true; /* the server is up; the channel connects on the first call */
    launch(&ops[i]);
  }
  drive(e, mode, fd, n_ops,
        two_replies ? "calls with a second reply message being delivered"
                    : "calls with replies being delivered");
  wait_outstanding(e, 0, "the callbacks finishing");
  for (int i = 0; i < n_ops; i++) {
    fake_op *f = &ops[i];
    assert_int_equal(atomic_load(&f->n_deliver), 1);
    assert_int_equal(atomic_load(&f->n_completed), 1);
    assert_int_equal(f->reason, BGI_CANCEL_NONE);
    assert_true(f->had_reply);
    if (two_replies) {
      assert_true(f->extra_message);
      assert_int_equal(f->status, GRPC_STATUS_INTERNAL);
    } else {
      assert_false(f->extra_message);
      assert_int_equal(f->status, GRPC_STATUS_OK);
    }
  }
  bgi_async_engine_close(e);
  assert_each_once(ops, n_ops, 1);
  free(ops);
  reply_server_stop(&server);
}

static void test_replies_and_probes_poll(void **state) {
  (void)state;
  replies_and_probes(MODE_POLL, false);
  replies_and_probes(MODE_POLL, true);
}

static void test_replies_and_probes_callback_thread(void **state) {
  (void)state;
  replies_and_probes(MODE_THREAD, false);
  replies_and_probes(MODE_THREAD, true);
}

static void test_replies_and_probes_fd(void **state) {
  (void)state;
  replies_and_probes(MODE_FD, false);
  replies_and_probes(MODE_FD, true);
}

/* A poller leaving while another sleeps in the queue takes what the queue has at once, so that
 * no call waits for a probe with nobody awake (settle_probes). What that makes ready must not be
 * left on the ready list: the sleeper, with no timer armed, is woken by nothing. Poller B sleeps
 * in the queue throughout (a stuck call keeps it there); the test's thread A polls without
 * waiting until the call to the reply server has completed; the callback must then run at once
 * — on A, or on B. The race (A takes the reply, the status is already queued when A leaves) is
 * timing-dependent: hundreds of rounds, each a few hundred microseconds. */
static void *sleeping_poller_main(void *arg) {
  loop_poller *p = arg;
  p->status = BG_OK;
  while (!atomic_load(p->stop) && p->status == BG_OK) {
    size_t n;
    bg_error err;
    p->status = bgi_async_engine_run_ready(p->engine, -1, &n, &err);
  }
  atomic_store(&p->done, true);
  return NULL;
}

enum { STRAND_ROUNDS = 3000, STRAND_BUDGET_MS = 3000, STRAND_WAIT_MS = 1000 };

static void test_callbacks_made_ready_as_a_poller_leaves_are_run(void **state) {
  (void)state;
  reply_server server;
  reply_server_start(&server, false);
  bgi_async_engine *e = new_engine(MODE_POLL, NULL);
  fake_op *ops = new_ops(STRAND_ROUNDS + 1);
  fake_op *keeper = &ops[STRAND_ROUNDS]; /* keeps B inside, asleep in the queue */
  init_op(keeper, e, 1);
  use_stuck(keeper);
  launch(keeper);
  atomic_bool stop;
  atomic_init(&stop, false);
  loop_poller b;
  memset(&b, 0, sizeof b);
  b.engine = e;
  b.stop = &stop;
  atomic_init(&b.done, false);
  assert_int_equal(pthread_create(&b.thread, NULL, sleeping_poller_main, &b), 0);

  int rounds = 0;
  int64_t budget_end = mono_ms() + STRAND_BUDGET_MS;
  for (; rounds < STRAND_ROUNDS && mono_ms() < budget_end; rounds++) {
    reset_record();
    fake_op *x = &ops[rounds];
    init_op(x, e, 1);
    x->channel = server.channel;
    x->method = server.method;
    x->wait_for_ready = true;
    launch(x);
    int64_t give_up = mono_ms() + WAIT_BOUND_MS;
    while (atomic_load(&x->n_completed) == 0) {
      if (mono_ms() > give_up)
        hang("a call to the reply server completing");
      size_t n;
      bg_error err;
      assert_int_equal(bgi_async_engine_run_ready(e, 0, &n, &err), BG_OK);
    }
    /* Completed (on A or on B): its callback runs now, without A polling again. */
    give_up = mono_ms() + STRAND_WAIT_MS;
    while (delivered_count() == 0) {
      if (mono_ms() > give_up) {
        fprintf(stderr,
                "test_async_engine: round %d: the call completed, but its callback did not run "
                "within %d ms: it was left on the ready list while the other poller slept in the "
                "queue\n",
                rounds, STRAND_WAIT_MS);
        _exit(1); /* B and the engine cannot be stopped cleanly from here */
      }
      sleep_ms(1);
    }
  }
  atomic_store(&stop, true);
  assert_true(bgi_async_op_cancel(&keeper->op, BGI_CANCEL_USER)); /* an event: B wakes */
  int64_t give_up = mono_ms() + WAIT_BOUND_MS;
  while (!atomic_load(&b.done)) {
    if (mono_ms() > give_up)
      hang("the sleeping poller stopping");
    sleep_ms(1);
  }
  pthread_join(b.thread, NULL);
  assert_int_equal(b.status, BG_OK);
  bgi_async_engine_close(e);
  assert_true(rounds >= 100);
  for (int i = 0; i < rounds; i++) {
    assert_int_equal(atomic_load(&ops[i].n_deliver), 1);
    assert_int_equal(ops[i].status, GRPC_STATUS_OK);
  }
  assert_each_once(ops, rounds, 1);
  assert_each_once(keeper, 1, 1);
  free(ops);
  reply_server_stop(&server);
}

/* ---- re-entrancy ---- */

static bgi_async_engine *other_engine;

/* Inside a callback: polling the same engine is refused; another engine's may be polled, and
 * its callbacks run nested. (Callbacks record; the test asserts afterwards.) */
static void poll_from_inside(fake_op *f, bgi_cancel_reason reason) {
  (void)reason;
  bg_error err;
  size_t n = 99;
  f->reentry_status = bgi_async_engine_run_ready(f->op.engine, 0, &n, &err);
  snprintf(f->reentry_message, sizeof f->reentry_message, "%s", err.message);
  f->nested_ok = n == 0 && !bgi_async_engine_in_callback(other_engine);
  bg_status st = bgi_async_engine_run_ready(other_engine, -1, &n, &err);
  f->nested_ok = f->nested_ok && st == BG_OK && n == 1 &&
                 bgi_async_engine_in_callback(f->op.engine) && /* restored after the nested run */
                 !bgi_async_engine_in_callback(other_engine);
}

static void nested_deliver(fake_op *f, bgi_cancel_reason reason) {
  (void)reason;
  f->nested_ok = !bgi_async_engine_in_callback(f->user); /* the outer engine's: not this one */
}

static void reentrant_poll_refused(enum mode mode) {
  int fd;
  bgi_async_engine *e = new_engine(mode, &fd);
  other_engine = new_engine(MODE_POLL, NULL);
  fake_op *ops = new_ops(2);
  init_op(&ops[1], other_engine, 1);
  use_lame(&ops[1]);
  ops[1].on_deliver = nested_deliver;
  ops[1].user = e;
  launch(&ops[1]);
  init_op(&ops[0], e, 1);
  use_lame(&ops[0]);
  ops[0].on_deliver = poll_from_inside;
  launch(&ops[0]);
  drive(e, mode, fd, 2, "a callback polling from inside");
  assert_int_equal(ops[0].reentry_status, BG_ERR_INVALID_ARGUMENT);
  assert_non_null(strstr(ops[0].reentry_message, "inside a callback"));
  assert_true(ops[0].nested_ok);
  assert_true(ops[1].nested_ok);
  assert_true(ops[0].in_callback);
  assert_true(ops[1].in_callback);
  assert_true(pthread_equal(ops[0].deliver_thread, ops[1].deliver_thread)); /* nested */
  assert_false(bgi_async_engine_in_callback(e));

  /* Outside callbacks, only -1, 0 or a number of ms. */
  size_t n;
  bg_error err;
  assert_int_equal(bgi_async_engine_run_ready(e, -2, &n, &err), BG_ERR_INVALID_ARGUMENT);
  assert_non_null(strstr(err.message, "timeout"));
  bgi_async_engine_close(other_engine);
  other_engine = NULL;
  bgi_async_engine_close(e);
  assert_each_once(ops, 2, 1);
  free(ops);
}

static void test_reentrant_poll_refused_poll(void **state) {
  (void)state;
  reentrant_poll_refused(MODE_POLL);
}

static void test_reentrant_poll_refused_fd(void **state) {
  (void)state;
  reentrant_poll_refused(MODE_FD);
}

/* ---- outstanding counts ---- */

static void test_outstanding_counts(void **state) {
  (void)state;
  bgi_async_engine *e = new_engine(MODE_POLL, NULL);
  assert_int_equal(bgi_async_engine_outstanding(e), 0);
  fake_op *ops = new_ops(4);
  init_op(&ops[0], e, 2); /* keeps the engine to look at after close */
  for (int i = 1; i < 3; i++)
    init_op(&ops[i], e, 1);
  for (int i = 0; i < 3; i++) {
    use_stuck(&ops[i]);
    launch(&ops[i]);
    assert_int_equal(bgi_async_engine_outstanding(e), (size_t)i + 1);
  }
  /* Admitted, then abandoned (its call could not start): no longer counted. */
  init_op(&ops[3], e, 1);
  bg_error err;
  assert_int_equal(bgi_async_engine_admit(e, &ops[3].op, &err), BG_OK);
  assert_int_equal(bgi_async_engine_outstanding(e), 4);
  bgi_async_engine_abandon(e, &ops[3].op);
  assert_int_equal(bgi_async_engine_outstanding(e), 3);
  bgi_async_op_free(&ops[3].op);
  assert_int_equal(atomic_load(&ops[3].n_free), 1);
  assert_int_equal(atomic_load(&ops[3].n_deliver), 0);

  /* With calls outstanding and none ready, a poll waits its timeout, then returns none. */
  size_t n = 99;
  int64_t t0 = mono_ms();
  assert_int_equal(bgi_async_engine_run_ready(e, 150, &n, &err), BG_OK);
  int64_t waited = mono_ms() - t0;
  assert_int_equal(n, 0);
  if (waited < 140 || waited > 3000)
    fail_msg("a 150 ms poll returned after %lld ms", (long long)waited);
  assert_int_equal(bgi_async_engine_outstanding(e), 3);

  /* A callback is outstanding until it returns. */
  assert_true(bgi_async_op_cancel(&ops[1].op, BGI_CANCEL_USER));
  drive(e, MODE_POLL, -1, 1, "a cancelled call's delivery");
  assert_int_equal(ops[1].outstanding_inside, 3);
  assert_int_equal(bgi_async_engine_outstanding(e), 2);
  bgi_async_engine_close(e);
  assert_int_equal(bgi_async_engine_outstanding(e), 0);
  /* Close delivers them one by one, in the order their calls ended. */
  assert_int_equal(ops[0].outstanding_inside + ops[2].outstanding_inside, 3);
  assert_true(ops[0].outstanding_inside == 1 || ops[0].outstanding_inside == 2);
  assert_int_equal(atomic_load(&ops[0].n_free), 0); /* the test's handle */
  bgi_async_op_release(&ops[0].op);                 /* and with it the engine */
  assert_each_once(ops, 3, 1);
  free(ops);
}

/* ---- fork ---- */

/* A fork while a drainer sleeps in the queue with no timer armed (nothing of ours would wake
 * it): the fork's quiesce hook wakes it, so the child may use gRPC. In the
 * child the engine is the parent's and refuses; in the parent it goes on working. */
static void fork_while_drainer_sleeps(enum mode mode) {
  int fd;
  bgi_async_engine *e = new_engine(mode, &fd);
  fake_op *f = new_ops(1);
  init_op(f, e, 2);
  use_stuck(f);
  launch(f);
  poller b = {0};
  if (mode != MODE_THREAD)
    poller_start(&b, e, -1);
  sleep_ms(100); /* the drainer (poller, callback or driver thread) is asleep in the queue */

  int64_t t0 = mono_ms();
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    bg_error err;
    size_t n;
    int code = 0;
    if (bgi_async_engine_run_ready(e, 0, &n, &err) != BG_ERR_FORKED)
      code = 2;
    else if (bgi_async_engine_fd(e) != -1)
      code = 3;
    else if (bgi_async_op_cancel(&f->op, BGI_CANCEL_USER))
      code = 4;
    else if (bgi_fork_check_new_client(&err) != BG_OK)
      code = 5; /* the fork could not reset gRPC: a drainer stayed inside */
    bgt_child_exit(code);
  }
  int64_t fork_ms = mono_ms() - t0;
  int status = 0;
  int64_t give_up = mono_ms() + WAIT_BOUND_MS;
  while (waitpid(pid, &status, WNOHANG) == 0) {
    if (mono_ms() > give_up) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      fail_msg("%s mode: the child did not exit", mode_names[mode]);
    }
    sleep_ms(1);
  }
  static const char *const child_failures[] = {
      "",
      "",
      "the parent's engine did not refuse to poll",
      "the parent's engine gave its fd",
      "the parent's operation could be cancelled",
      "no new client may be made: gRPC could not be reset (a drainer stayed inside gRPC)"};
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    fail_msg("%s mode: the child failed (status %#x): %s", mode_names[mode], status,
             WIFEXITED(status) && WEXITSTATUS(status) < 6 ? child_failures[WEXITSTATUS(status)]
                                                          : "it crashed");
  /* That the child may make clients (code 5 above) is the proof the drainer was woken: the
   * fork waits at most BGI_FORK_QUIESCE_MS for it, then forks a child that may not use gRPC.
   * How long the fork took depends on the machine's load: printed, not asserted. */
  print_message("%s mode: fork() took %lld ms\n", mode_names[mode], (long long)fork_ms);

  /* The parent's engine still works. */
  assert_true(bgi_async_op_cancel(&f->op, BGI_CANCEL_USER));
  if (mode == MODE_THREAD)
    wait_delivered(1, "a cancelled call's delivery after fork");
  else
    poller_join(&b, "the poller delivering a cancelled call after fork");
  assert_int_equal(atomic_load(&f->n_deliver), 1);
  assert_int_equal(f->reason, BGI_CANCEL_USER);
  bgi_async_op_release(&f->op);
  bgi_async_engine_close(e);
  assert_int_equal(atomic_load(&f->n_free), 1);
  free(f);
}

static void test_fork_wakes_sleeping_drainer_poll(void **state) {
  (void)state;
  fork_while_drainer_sleeps(MODE_POLL);
}

static void test_fork_wakes_sleeping_drainer_callback_thread(void **state) {
  (void)state;
  fork_while_drainer_sleeps(MODE_THREAD);
}

static void test_fork_wakes_sleeping_drainer_fd(void **state) {
  (void)state;
  fork_while_drainer_sleeps(MODE_FD);
}

#if defined(__SANITIZE_THREAD__)
#define BGT_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define BGT_TSAN 1
#endif
#endif
#ifdef BGT_TSAN
/* The fork tests' children restart gRPC's threads (gRPC's fork support), which TSan refuses by
 * default in a child of a multi-threaded process; the child only checks a few refusals and
 * exits. TSAN_OPTIONS still overrides this. */
const char *__tsan_default_options(void);
const char *__tsan_default_options(void) { return "die_after_fork=0"; }
#endif

#define T(name) cmocka_unit_test_setup_teardown(name, test_setup, test_teardown)

/* An optional argument picks the tests to run (a cmocka pattern, e.g. "*two_pollers*"). */
int main(int argc, char **argv) {
  if (argc > 1)
    cmocka_set_test_filter(argv[1]);
  const struct CMUnitTest tests[] = {
      T(test_poll_delivers_each_op_exactly_once),
      T(test_callback_thread_delivers_each_op_exactly_once),
      T(test_fd_readable_exactly_while_callbacks_are_ready),
      T(test_timer_fires_on_time_poll),
      T(test_timer_fires_on_time_callback_thread),
      T(test_timer_fires_on_time_fd),
      T(test_two_pollers_timer_when_arming_poller_times_out),
      T(test_two_pollers_timer_when_arming_poller_has_a_batch),
      T(test_timer_armed_by_poller_while_driver_thread_sleeps),
      T(test_cancel_pending_call_delivers_once_with_reason),
      T(test_cancel_before_the_call_starts),
      T(test_cancel_armed_timer_poll),
      T(test_cancel_armed_timer_callback_thread),
      T(test_cancel_armed_timer_fd),
      T(test_many_threads_at_once_poll),
      T(test_many_threads_at_once_callback_thread),
      T(test_many_threads_at_once_fd),
      T(test_close_with_calls_in_flight_poll),
      T(test_close_with_calls_in_flight_callback_thread),
      T(test_close_with_calls_in_flight_fd),
      T(test_reentrant_poll_refused_poll),
      T(test_reentrant_poll_refused_fd),
      T(test_outstanding_counts),
      T(test_replies_and_probes_poll),
      T(test_replies_and_probes_callback_thread),
      T(test_replies_and_probes_fd),
      T(test_callbacks_made_ready_as_a_poller_leaves_are_run),
      T(test_fork_wakes_sleeping_drainer_poll),
      T(test_fork_wakes_sleeping_drainer_callback_thread),
      T(test_fork_wakes_sleeping_drainer_fd),
  };
  return cmocka_run_group_tests_name("async_engine", tests, group_setup, group_teardown);
}
