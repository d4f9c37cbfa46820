#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <grpc/support/time.h>

#include "engine/async_engine.h"
#include "error_internal.h"
#include "transport/fork.h"
#include "transport/stream.h"

/* Who drains the completion queue (see async_engine.h): the pollers themselves (poll mode, the
 * default), the callback thread (which also runs the callbacks), or, once the eventfd has been
 * asked for, a driver thread that moves finished operations to the ready list. */
struct bgi_async_engine {
  atomic_int refs;          /* the creator's + one per live operation */
  unsigned fork_generation; /* when it was made: in a forked child it is the parent's */
  bgi_async_engine *live_prev, *live_next; /* every open engine, for the fork's quiesce hook */
  grpc_completion_queue *cq;
  pthread_t thread; /* the callback thread, or the fd mode's driver thread */
  bool has_callback_thread;
  bool has_driver_thread; /* under mu; set once, by bgi_async_engine_fd() */
  int event_fd;           /* -1 with a callback thread */
  bool fd_armed;          /* under mu: the eventfd is signalled (fd mode only) */

  pthread_mutex_t mu;
  pthread_cond_t ready_cond; /* ready list became non-empty, or nothing is outstanding */
  pthread_cond_t idle_cond;  /* nothing is pending */
  bool closing;
  bgi_async_op *pending; /* doubly linked through prev/next */
  size_t n_pending;      /* admitted, not yet ready */
  size_t n_outstanding;  /* admitted, callback not finished */
  bgi_async_op *ready_head, *ready_tail;
  bgi_async_op *timers; /* sorted by due time */
  /* timers != NULL, stored under mu whenever the list changes: drainers read it without the
   * lock to skip the clock and the mutex when no timer is armed (nearly always). A stale read
   * is as good as taking the lock a moment earlier. */
  atomic_bool has_timers;
  /* Calls whose reply came before their status (BGI_UNARY_PROBE, nearly every async call: the
   * reply's event is taken off the queue just before the status's): their probe batches start
   * only once the queue has nothing else to give, by when the status has usually arrived and
   * made the probe needless (see unary.h). Listed ops stay listed, holding a reference, until
   * a flush: when the queue is idle while some still wait, at BGI_UNPROBED_LIMIT, at close. */
  bgi_async_op *unprobed;  /* under mu, through probe_next */
  atomic_size_t n_listed;  /* written under mu; read without it as a hint */
  atomic_size_t n_waiting; /* listed ops whose call still waits: neither status nor probe */
  atomic_int n_pollers;    /* threads inside bg_async_client_poll() (drain_ready) */
  /* Waking a drainer asleep in the queue (see wake_sleepers): a watch on a lame channel, whose
   * state never changes, with a deadline already past is an event on the queue at once — the
   * public C API has no other way to post one (grpc_alarm is C++ only). Made on first use. */
  grpc_channel *waker; /* under mu */
  bool wake_pending;   /* under mu: a wake is on its way through the queue */
  char wake_tag;       /* its address is the wake's tag: no operation is inside the engine */
};

/* Open engines, so a fork can wake the threads asleep in their queues (transport/fork.h). */
static pthread_mutex_t live_mu = PTHREAD_MUTEX_INITIALIZER;
static bgi_async_engine *live_engines;

/* The engine whose callback this thread is running, to refuse re-entrant poll and close. */
static _Thread_local const bgi_async_engine *running_engine;

static void engine_release(bgi_async_engine *e) {
  if (atomic_fetch_sub_explicit(&e->refs, 1, memory_order_acq_rel) != 1)
    return;
  pthread_cond_destroy(&e->ready_cond);
  pthread_cond_destroy(&e->idle_cond);
  pthread_mutex_destroy(&e->mu);
  free(e);
}

/* ---- operations ---- */

void bgi_async_op_init(bgi_async_op *op, const bgi_async_op_vtable *vt, bgi_async_engine *engine,
                       int refs) {
  op->vt = vt;
  op->engine = engine;
  atomic_init(&op->refs, refs);
  atomic_init(&op->batches, 0);
  op->probe_next = NULL;
  op->probe_listed = false;
  op->probe_waiting = false;
  pthread_mutex_init(&op->mu, NULL);
  atomic_fetch_add_explicit(&engine->refs, 1, memory_order_relaxed);
}

void bgi_async_op_free(bgi_async_op *op) {
  bgi_async_engine *e = op->engine;
  pthread_mutex_destroy(&op->mu);
  op->vt->free(op);
  engine_release(e);
}

static bool forked(const bgi_async_engine *e) {
  return e->fork_generation != bgi_fork_generation();
}

void bgi_async_op_release(bgi_async_op *op) {
  /* In a forked child the operation's call is the parent's: freeing it could cancel the
   * parent's stream on the shared connection, so it is left as it is. */
  if (forked(op->engine))
    return;
  if (atomic_fetch_sub_explicit(&op->refs, 1, memory_order_acq_rel) == 1)
    bgi_async_op_free(op);
}

bgi_cancel_reason bgi_async_op_cancelled(bgi_async_op *op) {
  pthread_mutex_lock(&op->mu);
  bgi_cancel_reason reason = op->cancelled;
  pthread_mutex_unlock(&op->mu);
  return reason;
}

/* ---- lists (engine mutex held) ---- */

static void unlink_pending(bgi_async_engine *e, bgi_async_op *op) {
  if (op->prev)
    op->prev->next = op->next;
  else
    e->pending = op->next;
  if (op->next)
    op->next->prev = op->prev;
  op->prev = op->next = NULL;
  if (--e->n_pending == 0)
    pthread_cond_broadcast(&e->idle_cond);
}

/* Makes the eventfd readable, once the fd mode is on: a poll-mode client pays no syscall. */
static void signal_fd(bgi_async_engine *e) {
  if (!e->has_driver_thread || e->fd_armed)
    return;
  uint64_t one = 1;
  if (write(e->event_fd, &one, sizeof one) < 0) {
    /* only EAGAIN is possible (counter full), and then the fd is readable anyway */
  }
  e->fd_armed = true;
}

/* Moves a pending operation to the ready list. The eventfd is written only when the list
 * turns non-empty and read only when a runner empties it, so it is readable exactly while
 * callbacks are ready. */
static void make_ready(bgi_async_engine *e, bgi_async_op *op) {
  unlink_pending(e, op);
  op->ready_next = NULL;
  bool was_empty = e->ready_head == NULL;
  if (was_empty)
    e->ready_head = op;
  else
    e->ready_tail->ready_next = op;
  e->ready_tail = op;
  if (!was_empty)
    return;
  signal_fd(e);
  pthread_cond_broadcast(&e->ready_cond);
}

static bgi_async_op *take_ready(bgi_async_engine *e) {
  bgi_async_op *batch = e->ready_head;
  if (batch && e->fd_armed) {
    uint64_t count;
    if (read(e->event_fd, &count, sizeof count) < 0) {
      /* EAGAIN cannot happen while the fd is armed; nothing to undo either way */
    }
    e->fd_armed = false;
  }
  e->ready_head = e->ready_tail = NULL;
  return batch;
}

static void timers_changed(bgi_async_engine *e) {
  atomic_store_explicit(&e->has_timers, e->timers != NULL, memory_order_release);
}

static bool timers_armed(bgi_async_engine *e) {
  return atomic_load_explicit(&e->has_timers, memory_order_acquire);
}

static void remove_timer(bgi_async_engine *e, bgi_async_op *op) {
  for (bgi_async_op **p = &e->timers; *p; p = &(*p)->timer_next)
    if (*p == op) {
      *p = op->timer_next;
      break;
    }
  op->timer_next = NULL;
  op->timer_armed = false;
  timers_changed(e);
}

static void deliver_later(bgi_async_engine *e, bgi_async_op *op) {
  pthread_mutex_lock(&e->mu);
  make_ready(e, op);
  pthread_mutex_unlock(&e->mu);
}

/* ---- admission, start, timers, cancel ---- */

bg_status bgi_async_engine_admit(bgi_async_engine *e, bgi_async_op *op, bg_error *err) {
  pthread_mutex_lock(&e->mu);
  if (e->closing) {
    pthread_mutex_unlock(&e->mu);
    return bgi_fail(err, BG_ERR_CANCELLED, 0, "the async client is closing; nothing was started");
  }
  op->prev = NULL;
  op->next = e->pending;
  if (e->pending)
    e->pending->prev = op;
  e->pending = op;
  e->n_pending++;
  e->n_outstanding++;
  pthread_mutex_unlock(&e->mu);
  return BG_OK;
}

void bgi_async_engine_abandon(bgi_async_engine *e, bgi_async_op *op) {
  pthread_mutex_lock(&e->mu);
  unlink_pending(e, op);
  if (--e->n_outstanding == 0)
    pthread_cond_broadcast(&e->ready_cond);
  pthread_mutex_unlock(&e->mu);
}

bg_status bgi_async_op_start(bgi_async_op *op, const bgi_unary_call *call, bgi_unary_result *result,
                             bg_error *err) {
  bgi_fork_enter();
  pthread_mutex_lock(&op->mu);
  atomic_fetch_add_explicit(&op->batches, 1, memory_order_release);
  bg_status st = bgi_unary_start(call, op->engine->cq, op, result, err);
  if (st == BG_OK) {
    op->active = result->call;
    op->unary = result;
    if (op->cancelled) /* cancelled before it started: it still completes, as cancelled */
      grpc_call_cancel(op->active, NULL);
  }
  pthread_mutex_unlock(&op->mu);
  bgi_fork_leave();
  return st;
}

bg_status bgi_async_op_launch_stream(bgi_async_op *op, const bgi_unary_call *call,
                                     bgi_unary_result *result, bg_error *err) {
  bg_status st = bgi_fork_check(op->engine->fork_generation, "async client", err);
  if (st == BG_OK)
    st = bgi_async_engine_admit(op->engine, op, err);
  if (st != BG_OK)
    return st;
  bgi_fork_enter();
  pthread_mutex_lock(&op->mu);
  atomic_fetch_add_explicit(&op->batches, 1, memory_order_release);
  st = bgi_stream_start(call, op->engine->cq, op, result, err);
  if (st == BG_OK) {
    op->active = result->call;
    op->unary = result;
    op->streaming = true;
    if (op->cancelled)
      grpc_call_cancel(op->active, NULL);
  }
  pthread_mutex_unlock(&op->mu);
  bgi_fork_leave();
  if (st != BG_OK)
    bgi_async_engine_abandon(op->engine, op);
  return st;
}

bg_status bgi_async_engine_post(bgi_async_engine *e, bgi_async_op *op, bg_error *err) {
  bg_status st = bgi_async_engine_admit(e, op, err);
  if (st == BG_OK)
    deliver_later(e, op);
  return st;
}

bg_status bgi_async_op_launch(bgi_async_op *op, bgi_operation *operation, bg_error *err) {
  bg_status st = bgi_fork_check(op->engine->fork_generation, "async client", err);
  if (st == BG_OK)
    st = bgi_async_engine_admit(op->engine, op, err);
  if (st == BG_OK) {
    operation->result_live = true;
    st = bgi_async_op_start(op, &operation->call, &operation->result, err);
    if (st != BG_OK)
      bgi_async_engine_abandon(op->engine, op);
  }
  return st == BG_OK ? st : bgi_operation_abort(operation, st, err);
}

/* Starts the call the kind packed for AGAIN/AFTER; true when it started. */
static bool restart(bgi_async_op *op, bgi_operation *operation) {
  bgi_unary_result kept;
  bgi_operation_restart(operation, &kept);
  bg_error ignored;
  if (bgi_async_op_start(op, &operation->call, &operation->result, &ignored) != BG_OK) {
    bgi_operation_restart_failed(operation, &kept);
    return false;
  }
  bgi_operation_restarted(operation, &kept); /* only `kept`, a local: the op may be gone */
  return true;
}

bool bgi_async_op_next(bgi_async_op *op, bgi_operation *operation, bool ok) {
  if (!ok || !operation->rpc->next || bgi_async_op_cancelled(op) != BGI_CANCEL_NONE)
    return true;
  int64_t after_ms;
  bgi_next next = bgi_operation_next(operation, &after_ms);
  if (next == BGI_NEXT_DONE)
    return true;
  if (next == BGI_NEXT_AFTER) {
    bgi_async_op_arm_timer(op, gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC),
                                            gpr_time_from_millis(after_ms, GPR_TIMESPAN)));
    return false;
  }
  return !restart(op, operation);
}

bool bgi_async_op_next_timer(bgi_async_op *op, bgi_operation *operation) {
  if (bgi_async_op_cancelled(op) != BGI_CANCEL_NONE || !operation->request /* a last pause */)
    return true;
  grpc_channel_reset_connect_backoff(operation->call.channel); /* that check, now */
  return !restart(op, operation);
}

bg_status bgi_async_fail_cancelled(bg_error *err, bgi_cancel_reason reason, const char *what,
                                   const char *address) {
  return bgi_fail(err, BG_ERR_CANCELLED, GRPC_STATUS_CANCELLED, "%s at %s was cancelled %s", what,
                  address,
                  reason == BGI_CANCEL_CLOSE ? "because the async client was closed"
                                             : "by bg_async_op_cancel()");
}

bg_status bgi_async_op_outcome(bgi_async_op *op, bgi_operation *operation, bgi_cancel_reason reason,
                               const char *what, const char *address, bg_error *err) {
  bgi_error_clear(err);
  if (reason != BGI_CANCEL_NONE) /* an arrived reply is discarded (async.h) */
    return bgi_operation_abort(operation, bgi_async_fail_cancelled(err, reason, what, address),
                               err);
  return bgi_operation_complete(operation, op->batch_ok, err);
}

void bgi_async_op_arm_timer(bgi_async_op *op, gpr_timespec due) {
  bgi_async_engine *e = op->engine;
  pthread_mutex_lock(&e->mu);
  /* Checked under the engine's mutex: a cancel either is seen here or finds the timer. */
  if (bgi_async_op_cancelled(op)) {
    make_ready(e, op);
  } else {
    bgi_async_op **p = &e->timers;
    while (*p && gpr_time_cmp((*p)->due, due) <= 0)
      p = &(*p)->timer_next;
    op->due = due;
    op->timer_next = *p;
    *p = op;
    op->timer_armed = true;
    timers_changed(e);
  }
  pthread_mutex_unlock(&e->mu);
}

bool bgi_async_op_cancel(bgi_async_op *op, bgi_cancel_reason reason) {
  if (forked(op->engine)) /* the parent's call: cancelling it here would cancel it there */
    return false;
  pthread_mutex_lock(&op->mu);
  if (op->delivered) {
    pthread_mutex_unlock(&op->mu);
    return false;
  }
  if (!op->cancelled)
    op->cancelled = reason;
  if (op->active)
    grpc_call_cancel(op->active, NULL);
  pthread_mutex_unlock(&op->mu);
  /* An operation waiting for its timer has no call to cancel: deliver it now. The engine
   * stays allocated while the operation lives, even after close. */
  bgi_async_engine *e = op->engine;
  pthread_mutex_lock(&e->mu);
  if (op->timer_armed) {
    remove_timer(e, op);
    make_ready(e, op);
  }
  pthread_mutex_unlock(&e->mu);
  return true;
}

/* ---- draining the queue ---- */

static void fire_due_timers(bgi_async_engine *e) {
  if (!timers_armed(e))
    return;
  gpr_timespec now = gpr_now(GPR_CLOCK_MONOTONIC);
  bgi_async_op *due = NULL, **tail = &due;
  pthread_mutex_lock(&e->mu);
  while (e->timers && gpr_time_cmp(e->timers->due, now) <= 0) {
    bgi_async_op *op = e->timers;
    e->timers = op->timer_next;
    op->timer_armed = false;
    op->timer_next = NULL;
    *tail = op;
    tail = &op->timer_next;
  }
  timers_changed(e);
  pthread_mutex_unlock(&e->mu);
  while (due) {
    bgi_async_op *op = due;
    due = op->timer_next;
    op->timer_next = NULL;
    if (op->vt->timer(op))
      deliver_later(e, op);
  }
}

/* Starts the probes still needed by the calls on the unprobed list and drops the list's
 * references. The engine's mutex is held throughout (before each op's, the house order):
 * another thread may list an op again the moment it leaves the list. Starting a batch calls
 * nothing of ours back. An op whose last reference goes here is freed after unlocking. */
static void start_deferred_probes(bgi_async_engine *e) {
  bgi_async_op *dead = NULL;
  pthread_mutex_lock(&e->mu);
  for (bgi_async_op *op = e->unprobed, *next; op; op = next) {
    next = op->probe_next;
    op->probe_next = NULL;
    op->probe_listed = false;
    pthread_mutex_lock(&op->mu);
    if (op->probe_waiting) { /* its call has neither status nor probe yet */
      op->probe_waiting = false;
      atomic_fetch_sub_explicit(&e->n_waiting, 1, memory_order_relaxed);
      atomic_fetch_add_explicit(&op->batches, 1, memory_order_release);
      bgi_unary_probe(op->unary, op);
    }
    pthread_mutex_unlock(&op->mu);
    if (atomic_fetch_sub_explicit(&op->refs, 1, memory_order_acq_rel) == 1) {
      op->probe_next = dead; /* nobody else holds it: the link is ours */
      dead = op;
    }
  }
  e->unprobed = NULL;
  atomic_store_explicit(&e->n_listed, 0, memory_order_relaxed);
  pthread_mutex_unlock(&e->mu);
  while (dead) {
    bgi_async_op *op = dead;
    dead = op->probe_next;
    bgi_async_op_free(op);
  }
}

/* Enough listed calls that an idle queue should not be waited for any longer: under a steady
 * load it may not run dry for a long time. */
#define BGI_UNPROBED_LIMIT 256

/* Lists `op`, whose call waits for a probe (the caller took a reference for the list). An op
 * still listed from an earlier call of its own (a health re-check restarts the op) already is
 * covered: the flush looks at whatever call the op runs then. */
static void defer_probe(bgi_async_engine *e, bgi_async_op *op) {
  pthread_mutex_lock(&e->mu);
  bool listed = op->probe_listed;
  if (!listed) {
    op->probe_listed = true;
    op->probe_next = e->unprobed;
    e->unprobed = op;
  }
  size_t n = atomic_load_explicit(&e->n_listed, memory_order_relaxed) + !listed;
  atomic_store_explicit(&e->n_listed, n, memory_order_relaxed);
  pthread_mutex_unlock(&e->mu);
  if (listed)
    bgi_async_op_release(op); /* not the last reference: the list holds one */
  if (n >= BGI_UNPROBED_LIMIT)
    start_deferred_probes(e);
}

/* A batch of a streaming operation's call completed (on_complete): hand a message to the
 * `message` hook and read the next, or finish the operation once the status is in. */
static void on_stream_event(bgi_async_engine *e, bgi_async_op *op, void *event_tag, bool ok) {
  pthread_mutex_lock(&op->mu);
  atomic_fetch_add_explicit(&op->batches, 1, memory_order_release);
  grpc_byte_buffer *message = NULL;
  bgi_stream_state state = bgi_stream_step(op->unary, event_tag, ok, &message);
  bool cancelled = op->cancelled != BGI_CANCEL_NONE;
  pthread_mutex_unlock(&op->mu);
  if (state == BGI_STREAM_MESSAGE) {
    bool more = !cancelled && op->vt->message(op, message);
    grpc_byte_buffer_destroy(message);
    pthread_mutex_lock(&op->mu);
    atomic_fetch_add_explicit(&op->batches, 1, memory_order_release);
    if (more && bgi_stream_read(op->unary, op))
      state = BGI_STREAM_RUNNING;
    else
      state = bgi_stream_stop(op->unary);
    pthread_mutex_unlock(&op->mu);
  }
  if (state != BGI_STREAM_DONE)
    return;
  pthread_mutex_lock(&op->mu);
  ok = op->unary->status_ok;
  op->active = NULL;
  op->unary = NULL;
  op->streaming = false;
  pthread_mutex_unlock(&op->mu);
  op->batch_ok = ok;
  if (!op->vt->completed || op->vt->completed(op, ok))
    deliver_later(e, op);
}

static void on_complete(bgi_async_engine *e, void *event_tag, bool ok) {
  if (event_tag == &e->wake_tag) { /* the waker's: this drainer now sees the timers */
    pthread_mutex_lock(&e->mu);
    e->wake_pending = false;
    pthread_mutex_unlock(&e->mu);
    return;
  }
  bgi_async_op *op = bgi_unary_call_tag(event_tag); /* either batch of the op's call */
  /* Pairs with the release in bgi_async_op_start(): everything the starter wrote (the
   * operation, its mutex, the result) happens before what this thread does next. */
  (void)atomic_load_explicit(&op->batches, memory_order_acquire);
  if (op->streaming) { /* set before its first batch started, cleared after its last ended */
    on_stream_event(e, op, event_tag, ok);
    return;
  }
  /* Under the mutex a cancel finds the call while its next batch starts (gRPC keeps a call
   * cancelled, so a batch started after a cancel ends at once). */
  pthread_mutex_lock(&op->mu);
  atomic_fetch_add_explicit(&op->batches, 1, memory_order_release);
  bgi_unary_state state = op->unary ? bgi_unary_step(op->unary, event_tag, ok) : BGI_UNARY_DONE;
  bool list = state == BGI_UNARY_PROBE && !op->probe_waiting;
  if (list) {
    op->probe_waiting = true;
    atomic_fetch_add(&e->n_waiting, 1);                            /* seq_cst: see drain_ready */
    atomic_fetch_add_explicit(&op->refs, 1, memory_order_relaxed); /* the list's */
  }
  if (state == BGI_UNARY_DONE) { /* the call is over: nothing is left to cancel */
    if (op->probe_waiting) {     /* the status came first: no probe needed */
      op->probe_waiting = false;
      atomic_fetch_sub_explicit(&e->n_waiting, 1, memory_order_relaxed);
    }
    if (op->unary)
      ok = op->unary->status_ok; /* the call's flag, whichever of its batches ended last */
    op->active = NULL;
    op->unary = NULL;
  }
  pthread_mutex_unlock(&op->mu);
  if (list)
    defer_probe(e, op);
  if (state != BGI_UNARY_DONE)
    return;
  op->batch_ok = ok;
  if (!op->vt->completed || op->vt->completed(op, ok))
    deliver_later(e, op);
}

/* A drainer going back to its caller while calls wait for probes: another poller may be asleep
 * in the queue with nothing else coming to wake it, so take what the queue has without waiting,
 * then start the probes. */
static void settle_probes_inside(bgi_async_engine *e) {
  while (atomic_load_explicit(&e->n_waiting, memory_order_relaxed) > 0) {
    grpc_event ev = grpc_completion_queue_next(e->cq, gpr_inf_past(GPR_CLOCK_MONOTONIC), NULL);
    if (ev.type == GRPC_QUEUE_TIMEOUT) {
      start_deferred_probes(e);
      return;
    }
    if (ev.type != GRPC_OP_COMPLETE)
      return;
    on_complete(e, ev.tag, ev.success != 0);
  }
}

static void settle_probes(bgi_async_engine *e) {
  bgi_fork_enter(); /* see drain_one() */
  settle_probes_inside(e);
  bgi_fork_leave();
}

/* How long a queue drainer may sleep: until `limit` or the next timer, whichever is first;
 * while timers are armed at most 100 ms, so a cancelled wait (made ready by another thread,
 * which cannot wake a thread inside grpc_completion_queue_next) is delivered soon. */
static gpr_timespec sleep_until(bgi_async_engine *e, gpr_timespec limit) {
  if (!timers_armed(e))
    return limit;
  pthread_mutex_lock(&e->mu);
  bool timers = e->timers != NULL;
  gpr_timespec due = timers ? e->timers->due : limit;
  pthread_mutex_unlock(&e->mu);
  if (timers) {
    gpr_timespec soon =
        gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC), gpr_time_from_millis(100, GPR_TIMESPAN));
    if (gpr_time_cmp(soon, due) < 0)
      due = soon;
  }
  limit = gpr_convert_clock_type(limit, GPR_CLOCK_MONOTONIC);
  return gpr_time_cmp(limit, due) < 0 ? limit : due;
}

/* Takes one event off the queue (waiting until `limit` at most) and acts on it and on due
 * timers. false once the queue has been shut down and drained. */
static bool drain_one_inside(bgi_async_engine *e, gpr_timespec limit) {
  grpc_event ev = {.type = GRPC_QUEUE_TIMEOUT};
  /* Flushing whenever the queue runs dry also frees the listed ops that are done soon,
   * while their memory is still warm. */
  if (atomic_load_explicit(&e->n_waiting, memory_order_relaxed) > 0) {
    /* Probes wait until the queue is empty: the statuses they wait for come first. */
    ev = grpc_completion_queue_next(e->cq, gpr_inf_past(GPR_CLOCK_MONOTONIC), NULL);
    if (ev.type == GRPC_QUEUE_TIMEOUT)
      start_deferred_probes(e);
  } else if (atomic_load_explicit(&e->n_listed, memory_order_relaxed) > 0) {
    /* Every listed call has its status (the usual case: it came right behind the reply): no
     * probe to hold back, so no look at the queue first — only the list's references to drop.
     * (The counts are hints: the flush itself decides under the locks.) */
    start_deferred_probes(e);
  }
  if (ev.type == GRPC_QUEUE_TIMEOUT)
    ev = grpc_completion_queue_next(e->cq, sleep_until(e, limit), NULL);
  if (ev.type == GRPC_QUEUE_SHUTDOWN)
    return false;
  if (ev.type == GRPC_OP_COMPLETE)
    on_complete(e, ev.tag, ev.success != 0);
  fire_due_timers(e);
  return true;
}

/* drain_one_inside() within the fork gate: a fork waits until the drainer is out of gRPC, and a
 * drainer waits until the fork is over (transport/fork.h). */
static bool drain_one(bgi_async_engine *e, gpr_timespec limit) {
  bgi_fork_enter();
  bool open = drain_one_inside(e, limit);
  bgi_fork_leave();
  return open;
}

static bool driver_started(bgi_async_engine *e) {
  pthread_mutex_lock(&e->mu);
  bool driven = e->has_driver_thread;
  pthread_mutex_unlock(&e->mu);
  return driven;
}

/* fd mode: the driver thread only moves finished operations to the ready list. */
static void *driver_main(void *arg) {
  bgi_async_engine *e = arg;
  while (drain_one(e, gpr_inf_future(GPR_CLOCK_MONOTONIC))) {
  }
  return NULL;
}

/* ---- runners ---- */

static size_t run_batch(bgi_async_engine *e, bgi_async_op *batch) {
  const bgi_async_engine *outer = running_engine;
  running_engine = e;
  size_t n = 0;
  while (batch) {
    bgi_async_op *op = batch;
    batch = op->ready_next;
    pthread_mutex_lock(&op->mu);
    op->delivered = true;
    bgi_cancel_reason reason = op->cancelled;
    pthread_mutex_unlock(&op->mu);
    op->vt->deliver(op, reason);
    n++;
    pthread_mutex_lock(&e->mu);
    if (--e->n_outstanding == 0)
      pthread_cond_broadcast(&e->ready_cond);
    pthread_mutex_unlock(&e->mu);
    bgi_async_op_release(op);
  }
  running_engine = outer;
  return n;
}

/* Callback-thread mode: one thread drains the queue and runs the callbacks, no hand-off. */
static void *callback_main(void *arg) {
  bgi_async_engine *e = arg;
  bool open = true;
  while (open) {
    open = drain_one(e, gpr_inf_future(GPR_CLOCK_MONOTONIC));
    pthread_mutex_lock(&e->mu);
    bgi_async_op *batch = take_ready(e);
    pthread_mutex_unlock(&e->mu);
    run_batch(e, batch);
  }
  return NULL;
}

static struct timespec deadline_after(int64_t ms) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  ts.tv_sec += (time_t)(ms / 1000);
  ts.tv_nsec += (long)(ms % 1000) * 1000000L;
  if (ts.tv_nsec >= 1000000000L) {
    ts.tv_sec++;
    ts.tv_nsec -= 1000000000L;
  }
  return ts;
}

/* fd mode: the driver thread drains the queue; wait for it to make something ready. */
static size_t wait_ready(bgi_async_engine *e, int64_t timeout_ms) {
  struct timespec deadline = deadline_after(timeout_ms > 0 ? timeout_ms : 0);
  pthread_mutex_lock(&e->mu);
  while (timeout_ms != 0 && !e->ready_head && e->n_outstanding > 0) {
    if (timeout_ms < 0)
      pthread_cond_wait(&e->ready_cond, &e->mu);
    else if (pthread_cond_timedwait(&e->ready_cond, &e->mu, &deadline) == ETIMEDOUT)
      break;
  }
  bgi_async_op *batch = take_ready(e);
  pthread_mutex_unlock(&e->mu);
  return run_batch(e, batch);
}

/* Poll mode: this thread drains the queue itself until a callback is ready (or the time is
 * up, or nothing is outstanding), then runs what is ready — no thread hop per call. Several
 * pollers may drain one queue at once (gRPC allows it). */
static bgi_async_op *drain_until_ready(bgi_async_engine *e, int64_t timeout_ms) {
  gpr_timespec limit = timeout_ms < 0
                           ? gpr_inf_future(GPR_CLOCK_MONOTONIC)
                           : gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC),
                                          gpr_time_from_millis(timeout_ms, GPR_TIMESPAN));
  for (;;) {
    pthread_mutex_lock(&e->mu);
    bgi_async_op *batch = take_ready(e);
    size_t outstanding = e->n_outstanding;
    pthread_mutex_unlock(&e->mu);
    if (batch || outstanding == 0)
      return batch;
    bool late = gpr_time_cmp(gpr_now(GPR_CLOCK_MONOTONIC), limit) >= 0;
    drain_one(e, late ? gpr_inf_past(GPR_CLOCK_MONOTONIC) : limit);
    if (late) { /* one look without waiting, then give up */
      pthread_mutex_lock(&e->mu);
      batch = take_ready(e);
      pthread_mutex_unlock(&e->mu);
      return batch;
    }
  }
}

/* A poller going back to its caller while timers are armed and another drainer may be asleep
 * in the queue, its sleep unbounded because no timer was armed when it went to sleep (only
 * drainers arm timers, and each bounds its own next sleep by them): nothing else may come to
 * wake it before the timer is due, or ever. One event on the queue wakes one such drainer,
 * which then sleeps at most until the next timer (sleep_until) and fires it — or, if it too
 * goes back to its caller first, comes here in turn. So one wake at a time is enough, and it
 * need not wait for the timer's due time. Never after close began: the queue may be shut down
 * (gRPC asserts it is not when an operation starts on it). */
/* Posts one wake on the queue unless one is on its way or close began (engine's mutex held). */
static void post_wake(bgi_async_engine *e) {
  if (e->wake_pending || e->closing)
    return;
  if (!e->waker)
    e->waker = grpc_lame_client_channel_create("bentogrpc-async-waker", GRPC_STATUS_UNAVAILABLE,
                                               "only wakes the async client's pollers");
  /* The state of a lame channel never changes: the deadline ends the watch, here at once. */
  grpc_channel_watch_connectivity_state(e->waker, GRPC_CHANNEL_TRANSIENT_FAILURE,
                                        gpr_inf_past(GPR_CLOCK_MONOTONIC), e->cq, &e->wake_tag);
  e->wake_pending = true;
}

static void wake_sleepers(bgi_async_engine *e) {
  pthread_mutex_lock(&e->mu);
  if (e->timers)
    post_wake(e);
  pthread_mutex_unlock(&e->mu);
}

/* The fork's quiesce hook (transport/fork.h): one wake on every open engine's queue, so a drainer
 * asleep there leaves gRPC (and then waits at the fork gate until the fork is over). */
static void wake_for_fork(void) {
  pthread_mutex_lock(&live_mu);
  for (bgi_async_engine *e = live_engines; e; e = e->live_next) {
    pthread_mutex_lock(&e->mu);
    post_wake(e);
    pthread_mutex_unlock(&e->mu);
  }
  pthread_mutex_unlock(&live_mu);
}

static size_t drain_ready(bgi_async_engine *e, int64_t timeout_ms) {
  atomic_fetch_add(&e->n_pollers, 1);
  bgi_async_op *batch = drain_until_ready(e, timeout_ms);
  /* Sequentially consistent with the listing's count and the timers' hint: a poller that
   * enters later sees the waiting calls and the timers itself; one inside may be asleep in the
   * queue. (In fd mode the driver thread may sleep there too, whose own arming it sees.) */
  bool others = atomic_fetch_sub(&e->n_pollers, 1) > 1;
  if (others) {
    /* May arm timers, and make callbacks ready: this poller runs those as well, since one asleep
     * in the queue would not see them (nothing on the queue wakes it for the ready list). */
    settle_probes(e);
    pthread_mutex_lock(&e->mu);
    bgi_async_op *more = take_ready(e);
    pthread_mutex_unlock(&e->mu);
    bgi_async_op **tail = &batch;
    while (*tail)
      tail = &(*tail)->ready_next;
    *tail = more;
  }
  if (timers_armed(e) && (others || driver_started(e)))
    wake_sleepers(e);
  return run_batch(e, batch);
}

bg_status bgi_async_engine_run_ready(bgi_async_engine *e, int64_t timeout_ms, size_t *n_run,
                                     bg_error *err) {
  if (n_run)
    *n_run = 0;
  if (forked(e)) /* its queue and threads are the parent's: nothing would ever arrive */
    return bgi_fork_check(e->fork_generation, "async client", err);
  if (e->has_callback_thread)
    return bgi_fail(err, BG_ERR_INVALID_ARGUMENT, 0,
                    "this async client runs callbacks on its own thread "
                    "(BG_ASYNC_CALLBACK_THREAD); poll and dispatch are not used with it");
  if (running_engine == e)
    return bgi_fail(err, BG_ERR_INVALID_ARGUMENT, 0,
                    "poll/dispatch called from inside a callback of the same async client");
  if (timeout_ms < -1)
    return bgi_fail(err, BG_ERR_INVALID_ARGUMENT, 0,
                    "poll timeout must be -1 (no limit), 0 or a number of ms (got %lld)",
                    (long long)timeout_ms);
  pthread_mutex_lock(&e->mu);
  bool driven = e->has_driver_thread;
  pthread_mutex_unlock(&e->mu);
  size_t n = driven ? wait_ready(e, timeout_ms) : drain_ready(e, timeout_ms);
  if (n_run)
    *n_run = n;
  return BG_OK;
}

int bgi_async_engine_fd(bgi_async_engine *e) {
  if (e->has_callback_thread || forked(e))
    return -1;
  pthread_mutex_lock(&e->mu);
  if (!e->has_driver_thread && !e->closing) {
    /* From now on a thread drains the queue and the eventfd tells the caller's loop. */
    int rc = pthread_create(&e->thread, NULL, driver_main, e);
    e->has_driver_thread = rc == 0;
    if (rc == 0 && e->ready_head)
      signal_fd(e);
  }
  int fd = e->has_driver_thread ? e->event_fd : -1;
  pthread_mutex_unlock(&e->mu);
  return fd;
}

size_t bgi_async_engine_outstanding(bgi_async_engine *e) {
  pthread_mutex_lock(&e->mu);
  size_t n = e->n_outstanding;
  pthread_mutex_unlock(&e->mu);
  return n;
}

bool bgi_async_engine_in_callback(const bgi_async_engine *e) { return running_engine == e; }

/* ---- life cycle ---- */

static void init_sync(bgi_async_engine *e) {
  pthread_mutex_init(&e->mu, NULL);
  pthread_condattr_t attr;
  pthread_condattr_init(&attr);
  pthread_condattr_setclock(&attr, CLOCK_MONOTONIC); /* poll timeouts ignore clock changes */
  pthread_cond_init(&e->ready_cond, &attr);
  pthread_condattr_destroy(&attr);
  pthread_cond_init(&e->idle_cond, NULL);
}

/* Both within the fork gate, so live_mu is never held across a fork by another thread. */
static void live_add(bgi_async_engine *e) {
  bgi_fork_enter();
  pthread_mutex_lock(&live_mu);
  e->live_prev = NULL;
  e->live_next = live_engines;
  if (live_engines)
    live_engines->live_prev = e;
  live_engines = e;
  bgi_fork_set_quiesce_hook(wake_for_fork);
  pthread_mutex_unlock(&live_mu);
  bgi_fork_leave();
}

static void live_remove(bgi_async_engine *e) {
  bgi_fork_enter();
  pthread_mutex_lock(&live_mu);
  if (e->live_prev)
    e->live_prev->live_next = e->live_next;
  else
    live_engines = e->live_next;
  if (e->live_next)
    e->live_next->live_prev = e->live_prev;
  pthread_mutex_unlock(&live_mu);
  bgi_fork_leave();
}

bgi_async_engine *bgi_async_engine_create(bool callback_thread, bg_error *err) {
  if (bgi_fork_check_new_client(err) != BG_OK)
    return NULL;
  bgi_async_engine *e = calloc(1, sizeof *e);
  if (!e) {
    BGI_FAIL_NOMEM(err);
    return NULL;
  }
  atomic_init(&e->refs, 1);
  e->fork_generation = bgi_fork_generation();
  atomic_init(&e->n_waiting, 0);
  atomic_init(&e->n_listed, 0);
  atomic_init(&e->n_pollers, 0);
  atomic_init(&e->has_timers, false);
  init_sync(e);
  e->event_fd = -1;
  if (!callback_thread && (e->event_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0) {
    bgi_fail(err, BG_ERR_INTERNAL, 0, "cannot create the async client's eventfd: %s",
             strerror(errno));
    engine_release(e);
    return NULL;
  }
  bgi_grpc_init(); /* balanced in bgi_async_engine_close() */
  e->cq = grpc_completion_queue_create_for_next(NULL);
  live_add(e); /* before its thread starts: a fork from now on wakes it */
  if (callback_thread) {
    int rc = pthread_create(&e->thread, NULL, callback_main, e);
    if (rc != 0) {
      bgi_fail(err, BG_ERR_INTERNAL, 0, "cannot start the async client's callback thread: %s",
               strerror(rc));
      live_remove(e);
      grpc_completion_queue_shutdown(e->cq);
      grpc_completion_queue_destroy(e->cq);
      grpc_shutdown();
      engine_release(e);
      return NULL;
    }
    e->has_callback_thread = true;
  }
  return e;
}

/* Cancels everything pending; operations waiting on a timer are delivered at once. */
static void cancel_all(bgi_async_engine *e) {
  for (bgi_async_op *op = e->pending; op; op = op->next) {
    pthread_mutex_lock(&op->mu);
    if (!op->cancelled)
      op->cancelled = BGI_CANCEL_CLOSE;
    if (op->active)
      grpc_call_cancel(op->active, NULL);
    pthread_mutex_unlock(&op->mu);
  }
  while (e->timers) {
    bgi_async_op *op = e->timers;
    remove_timer(e, op);
    make_ready(e, op);
  }
}

void bgi_async_engine_close(bgi_async_engine *e) {
  if (running_engine == e) {
    fprintf(stderr, "libbentogrpc: bg_async_client_close() called from inside a callback of the "
                    "same client; close it after the callback returns\n");
    abort();
  }
  if (forked(e)) {
    /* A child of the process that made it: its queue, calls and threads are the parent's, and
     * touching them could disturb the parent. Nothing is delivered; the memory stays. */
    return;
  }
  live_remove(e);
  pthread_mutex_lock(&e->mu);
  e->closing = true;
  cancel_all(e);
  bool threaded = e->has_callback_thread || e->has_driver_thread;
  if (threaded) {
    while (e->n_pending > 0) /* cancelled calls complete quickly; a thread drains them */
      pthread_cond_wait(&e->idle_cond, &e->mu);
  }
  pthread_mutex_unlock(&e->mu);
  if (!threaded) { /* poll mode: nobody else drains the queue */
    for (;;) {
      pthread_mutex_lock(&e->mu);
      size_t pending = e->n_pending;
      pthread_mutex_unlock(&e->mu);
      if (pending == 0)
        break;
      drain_one(e, gpr_inf_future(GPR_CLOCK_MONOTONIC));
    }
  }
  /* Every call is over: no more events but the shutdown. The callback thread delivers what is
   * ready and stops when it sees it; otherwise this thread delivers. */
  grpc_completion_queue_shutdown(e->cq);
  if (threaded)
    pthread_join(e->thread, NULL);
  else
    while (drain_one(e, gpr_inf_future(GPR_CLOCK_MONOTONIC))) {
    }
  if (!e->has_callback_thread) {
    for (;;) {
      pthread_mutex_lock(&e->mu);
      bgi_async_op *batch = take_ready(e);
      pthread_mutex_unlock(&e->mu);
      if (!batch)
        break;
      run_batch(e, batch);
    }
  }
  start_deferred_probes(e); /* every call is over: this only drops the list's references */
  grpc_completion_queue_destroy(e->cq);
  if (e->waker) /* its watches are over: the queue gave its shutdown only after them */
    grpc_channel_destroy(e->waker);
  if (e->event_fd >= 0)
    close(e->event_fd);
  e->event_fd = -1;
  grpc_shutdown();
  engine_release(e);
}
