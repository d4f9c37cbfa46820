/* The sync runner: one unary call run to completion on a pluck completion queue taken from the
 * client's pool, waited for on the calling thread (engine/sync_runner.h). */
#include <grpc/support/time.h>
#include <string.h>

#include "engine/sync_runner.h"
#include "error_internal.h"
#include "transport/cancel.h"
#include "transport/fork.h"

/* The cancel fd a waiting call watches (bg_call_options_set_cancel_fd), or fd -1. */
typedef struct fd_watch {
  const bgi_cancel_fd *spec;
  int fd;          /* -1: nothing (left) to watch */
  grpc_call *call; /* what a cancelling byte cancels */
} fd_watch;

/* Waits for `tag` until `deadline`. With a cancel fd the wait is cut into ticks of
 * BGI_CANCEL_FD_CHECK_MS, the fd looked at after each: a call that completes within a tick never
 * touches it. A cancelling byte cancels the call (its batches then complete at once, status
 * CANCELLED) and the fd is watched no more. */
static grpc_event pluck(grpc_completion_queue *cq, void *tag, gpr_timespec deadline, fd_watch *w) {
  while (w->fd >= 0) {
    gpr_timespec tick = gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC),
                                     gpr_time_from_millis(BGI_CANCEL_FD_CHECK_MS, GPR_TIMESPAN));
    bool last = gpr_time_cmp(deadline, tick) <= 0;
    grpc_event ev = grpc_completion_queue_pluck(cq, tag, last ? deadline : tick, NULL);
    if (ev.type != GRPC_QUEUE_TIMEOUT || last)
      return ev;
    if (bgi_cancel_fd_check(w->spec, &w->fd)) {
      grpc_call_cancel(w->call, NULL);
      w->fd = -1;
    }
  }
  return grpc_completion_queue_pluck(cq, tag, deadline, NULL);
}

/* How long a sync call whose reply is in waits for the status before it starts the probe. The
 * status normally lands together with the reply (it is then taken without waiting); a server
 * holding it back behind a second reply message is caught after this. Only how soon a
 * streaming server is caught depends on it, never whether. */
#define STATUS_GRACE_MS 50

static gpr_timespec grace(void) {
  return gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC),
                      gpr_time_from_millis(STATUS_GRACE_MS, GPR_TIMESPAN));
}

/* Waits for every batch of the call started under `tag` on the pluck queue `cq`: the reply (one
 * wake-up), then the status, normally there already. false when the queue failed (never
 * expected). */
static bool wait_call(grpc_completion_queue *cq, void *tag, bgi_unary_result *result, fd_watch *w) {
  void *status_tag = bgi_unary_status_tag(tag);
  bgi_unary_state state = BGI_UNARY_RUNNING;
  while (state != BGI_UNARY_DONE) {
    void *next = tag; /* the main batch or the probe */
    grpc_event ev;
    if (!result->main_done || result->probing) {
      ev = pluck(cq, tag, gpr_inf_future(GPR_CLOCK_MONOTONIC), w);
    } else {
      next = status_tag;
      bool probe_may_help = state == BGI_UNARY_PROBE;
      ev = pluck(cq, status_tag, probe_may_help ? grace() : gpr_inf_future(GPR_CLOCK_MONOTONIC), w);
      if (ev.type == GRPC_QUEUE_TIMEOUT && probe_may_help) {
        bgi_unary_probe(result, tag);
        state = BGI_UNARY_RUNNING;
        continue;
      }
    }
    if (ev.type != GRPC_OP_COMPLETE)
      return false;
    state = bgi_unary_step(result, next, ev.success != 0);
  }
  return result->status_ok;
}

bg_status bgi_sync_run(bgi_cq_pool *pool, const bgi_unary_call *call, bgi_unary_result *result,
                       bg_error *err) {
  grpc_completion_queue *cq;
  bg_status st = bgi_sync_call_begin(pool, &cq, result, err);
  if (st != BG_OK)
    return st;
  void *tag = result; /* any unique address identifies this batch on the queue */
  st = bgi_unary_start(call, cq, tag, result, err);
  if (st == BG_OK) {
    /* The call's own deadline bounds each wait; the queue always delivers the tag. A cancel
     * token (bg_call_options_set_cancel_token) may cancel the call from another thread, a
     * cancel fd (bg_call_options_set_cancel_fd) from this one. */
    bgi_cancel_reg reg;
    bgi_cancel_attach(call->cancel, &reg, result->call);
    fd_watch w = {.spec = call->cancel_fd,
                  .fd = call->cancel_fd ? call->cancel_fd->fd : -1,
                  .call = result->call};
    if (!wait_call(cq, tag, result, &w))
      st = bgi_fail(err, BG_ERR_INTERNAL, 0, "gRPC completion queue failed");
    bgi_cancel_detach(call->cancel, &reg);
  }
  bgi_sync_call_end(pool, cq, result);
  return st;
}

bg_status bgi_sync_call_begin(bgi_cq_pool *pool, grpc_completion_queue **cq,
                              bgi_unary_result *result, bg_error *err) {
  bgi_fork_enter(); /* a fork waits until this call is over (transport/fork.h) */
  *cq = bgi_cq_pool_take(pool);
  if (!*cq) {
    bgi_fork_leave();
    bgi_unary_result_init(result);
    return BGI_FAIL_NOMEM(err);
  }
  return BG_OK;
}

void bgi_sync_call_end(bgi_cq_pool *pool, grpc_completion_queue *cq, bgi_unary_result *result) {
  /* The call is done (or never started): drop it before the queue goes back to the pool. */
  if (result->call)
    grpc_call_unref(result->call);
  result->call = NULL;
  bgi_cq_pool_give(pool, cq);
  bgi_fork_leave();
}
