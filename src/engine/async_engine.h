/* The async engine: one completion queue per async client, and callbacks run from a ready
 * list. Who drains the queue depends on the mode (docs/INTERNALS.md, "The async client"):
 *   - poll (default): the thread inside bgi_async_engine_run_ready() drains it itself
 *     (grpc_completion_queue_next, its deadline bounded by the next timer), so a call's
 *     completion reaches its callback without a thread hop;
 *   - callback thread: that one thread drains the queue and runs the callbacks;
 *   - fd (once bgi_async_engine_fd() was called): a driver thread drains the queue into the
 *     ready list and signals the eventfd; runners take the list.
 *
 * Life of an operation (bgi_async_op, embedded first in the client's operation):
 *   admit (pending) -> start batch(es) / timers -> ready -> delivered (callback) -> freed.
 * Every admitted operation is delivered exactly once; close cancels what is pending and
 * delivers everything before it returns.
 *
 * Locks: the engine's mutex guards the lists and counters; an operation's mutex guards its
 * grpc call and cancel/deliver flags. When both are held, the engine's is taken first. */
#ifndef BGI_ENGINE_ASYNC_ENGINE_H
#define BGI_ENGINE_ASYNC_ENGINE_H

#include <grpc/grpc.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "bentogrpc/common.h"
#include "engine/operation.h"
#include "transport/unary.h"

typedef struct bgi_async_engine bgi_async_engine;
typedef struct bgi_async_op bgi_async_op;

typedef enum bgi_cancel_reason {
  BGI_CANCEL_NONE = 0,
  BGI_CANCEL_USER, /* bg_async_op_cancel() */
  BGI_CANCEL_CLOSE /* the client is closing */
} bgi_cancel_reason;

/* What the owner of an operation does at each step. */
typedef struct bgi_async_op_vtable {
  /* Queue drainer, no lock held: the operation's call finished (`ok`: the queue's success
   * flag, also kept in batch_ok). Return true to deliver it, false when it goes on: it armed a
   * timer (bgi_async_op_arm_timer), or started another call (bgi_async_op_start), whose end
   * comes back here; once that call started, the operation may be delivered on another thread
   * before `completed` returns. NULL: deliver. */
  bool (*completed)(bgi_async_op *op, bool ok);
  /* Queue drainer: the armed timer is due. Return true to deliver, false when it started
   * another batch. NULL for operations that never arm timers. */
  bool (*timer)(bgi_async_op *op);
  /* Runner thread, exactly once: run the user's callback (`reason`: why it was cancelled,
   * or BGI_CANCEL_NONE) and release what the operation holds besides its memory. */
  void (*deliver)(bgi_async_op *op, bgi_cancel_reason reason);
  /* Frees the operation's memory; called when the last reference goes. */
  void (*free)(bgi_async_op *op);
  /* Streams only (bgi_async_op_start_stream): queue drainer, no lock held, a streamed message
   * (borrowed for the call). Return false to read no more (the call is cancelled; `completed`
   * follows once its status is in). Keep it short: the drainer waits. NULL for unary kinds. */
  bool (*message)(bgi_async_op *op, grpc_byte_buffer *message);
} bgi_async_op_vtable;

struct bgi_async_op {
  const bgi_async_op_vtable *vt;
  bgi_async_engine *engine; /* referenced until the operation is freed */
  atomic_int refs;
  /* Released before each batch starts, acquired when it completes: the operation travels
   * to the queue drainer as a tag inside gRPC, whose synchronisation the C11 memory model
   * (and ThreadSanitizer) cannot see; this pair makes the hand-off explicit. */
  atomic_uint batches;

  bool batch_ok; /* the last call's queue success flag, for `deliver` */

  pthread_mutex_t mu;          /* guards the three fields below */
  grpc_call *active;           /* the batch running now (borrowed), for cancel */
  bgi_unary_result *unary;     /* the call whose batches run now (bgi_unary_step) */
  bgi_cancel_reason cancelled; /* first reason wins */
  bool delivered;              /* the callback has started */
  bool streaming;              /* `unary` is a stream (transport/stream.h), not a unary call */

  /* Owned by the engine, under its mutex. */
  bgi_async_op *prev, *next; /* pending list (admitted, not yet ready) */
  bgi_async_op *ready_next;
  bgi_async_op *timer_next;
  bgi_async_op *probe_next; /* the engine's unprobed list (under the engine's mutex) */
  bool probe_listed;        /* on that list (under the engine's mutex) */
  bool probe_waiting;       /* its call waits for a probe from the list (under mu) */
  gpr_timespec due;         /* monotonic */
  bool timer_armed;
};

/* A new engine with its queue (and its callback thread when `callback_thread`; no thread
 * otherwise until bgi_async_engine_fd()). NULL with `err` filled when the thread or the
 * eventfd cannot be made. */
bgi_async_engine *bgi_async_engine_create(bool callback_thread, bg_error *err);

/* Refuses new operations, cancels the pending ones, drains the queue (itself in poll mode),
 * delivers every operation (on this thread, or on the callback thread, which is joined), stops
 * the threads and drops the creator's reference. Must not run on a runner of this engine. */
void bgi_async_engine_close(bgi_async_engine *engine);

/* Sets up `op` with `refs` references (1 for the engine, +1 for a caller's handle). */
void bgi_async_op_init(bgi_async_op *op, const bgi_async_op_vtable *vt, bgi_async_engine *engine,
                       int refs);
/* Drops one reference; the last one destroys the operation. Any thread. */
void bgi_async_op_release(bgi_async_op *op);
/* Frees an operation that was never admitted (or was abandoned), whatever its references. */
void bgi_async_op_free(bgi_async_op *op);

/* Makes `op` pending, so close will cancel and wait for it. BG_ERR_CANCELLED when closing. */
bg_status bgi_async_engine_admit(bgi_async_engine *engine, bgi_async_op *op, bg_error *err);
/* Undoes admit for an operation whose first batch could not be started. */
void bgi_async_engine_abandon(bgi_async_engine *engine, bgi_async_op *op);

/* Starts `call` for `op` on the engine's queue; the engine runs its further batches
 * (bgi_unary_step) and calls `completed` once, when the call has finished. Runs under the
 * operation's mutex, so a concurrent cancel either finds the grpc call or is found here (and the
 * call is then cancelled at once). `result` must stay put until `completed`. */
bg_status bgi_async_op_start(bgi_async_op *op, const bgi_unary_call *call, bgi_unary_result *result,
                             bg_error *err);

/* Admits `op` and starts `call` as a server-streaming call (transport/stream.h): each message
 * goes to the vtable's `message` hook, `completed` comes once its status is in. On failure
 * nothing is admitted and `err` says why. `result` must stay put until `completed`. */
bg_status bgi_async_op_launch_stream(bgi_async_op *op, const bgi_unary_call *call,
                                     bgi_unary_result *result, bg_error *err);

/* Admits `op`, which has no call, and makes it ready at once: its `deliver` runs where
 * callbacks run (a stream's per-message callbacks use it). BG_ERR_CANCELLED when closing. */
bg_status bgi_async_engine_post(bgi_async_engine *engine, bgi_async_op *op, bg_error *err);

/* Admits `op` and starts `operation`'s call for it (its request prepared). On failure nothing
 * is admitted, the operation has been aborted (bgi_operation_abort) and `err` says why. */
bg_status bgi_async_op_launch(bgi_async_op *op, bgi_operation *operation, bg_error *err);

/* Queue drainer, from the owner's `completed` hook: follows `operation`'s rpc->next (operation.h)
 * after its call finished (`ok`: the queue's flag). Returns true to deliver — DONE, a failed or
 * cancelled call, or a next call that could not start (the finished result then stands) — and
 * false when the next call started (do not touch the operation after that) or, for AFTER, a
 * timer is armed: the owner's `timer` hook then calls bgi_async_op_next_timer(). */
bool bgi_async_op_next(bgi_async_op *op, bgi_operation *operation, bool ok);
/* Queue drainer, from the owner's `timer` hook: starts the call AFTER waited for; true to
 * deliver (cancelled meanwhile, or it could not start). */
bool bgi_async_op_next_timer(bgi_async_op *op, bgi_operation *operation);

/* Runner (from `deliver`): the outcome of `operation`'s call — cancelled for `reason` (with
 * a message naming `what` at `address`), a failed queue, or its rpc->complete. Fills `err`
 * (cleared first) and returns the status for the callback. */
bg_status bgi_async_op_outcome(bgi_async_op *op, bgi_operation *operation, bgi_cancel_reason reason,
                               const char *what, const char *address, bg_error *err);

/* Fills `err` for an operation cancelled for `reason`; `what` names it ("call 'predict'"). */
bg_status bgi_async_fail_cancelled(bg_error *err, bgi_cancel_reason reason, const char *what,
                                   const char *address);

/* Queue drainer (from `completed`): call `timer` at `due`. If the operation was cancelled it
 * is delivered instead. */
void bgi_async_op_arm_timer(bgi_async_op *op, gpr_timespec due);

/* The reason `op` was cancelled so far (BGI_CANCEL_NONE if it was not). */
bgi_cancel_reason bgi_async_op_cancelled(bgi_async_op *op);

/* Marks `op` cancelled and cancels its grpc call; true when its callback has not started. */
bool bgi_async_op_cancel(bgi_async_op *op, bgi_cancel_reason reason);

/* Runs ready callbacks on this thread, waiting up to `timeout_ms` (0: no wait, -1: none) for
 * the first while operations are outstanding. `*n_run` gets the count. */
bg_status bgi_async_engine_run_ready(bgi_async_engine *engine, int64_t timeout_ms, size_t *n_run,
                                     bg_error *err);

/* The eventfd (readable while callbacks are ready), or -1 with a callback thread (or when the
 * driver thread cannot start). The first call switches the engine to fd mode: from then on a
 * driver thread drains the queue, so an event loop that only watches the fd sees progress. */
int bgi_async_engine_fd(bgi_async_engine *engine);

/* Operations admitted whose callbacks have not finished. */
size_t bgi_async_engine_outstanding(bgi_async_engine *engine);

/* true when this thread is running one of `engine`'s callbacks right now. */
bool bgi_async_engine_in_callback(const bgi_async_engine *engine);

#endif
