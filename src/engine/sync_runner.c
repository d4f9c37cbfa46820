/* The sync runner: one unary call run to completion on a pluck completion queue taken from the
 * client's pool, waited for on the calling thread (engine/sync_runner.h). */
#include <grpc/support/time.h>
#include <string.h>

#include "engine/sync_runner.h"
#include "error_internal.h"
#include "transport/cancel.h"
#include "transport/fork.h"

static grpc_event pluck(grpc_completion_queue *cq, void *tag, gpr_timespec deadline) {
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
static bool wait_call(grpc_completion_queue *cq, void *tag, bgi_unary_result *result) {
  void *status_tag = bgi_unary_status_tag(tag);
  bgi_unary_state state = BGI_UNARY_RUNNING;
  while (state != BGI_UNARY_DONE) {
    void *next = tag; /* the main batch or the probe */
    grpc_event ev;
    if (!result->main_done || result->probing) {
      ev = pluck(cq, tag, gpr_inf_future(GPR_CLOCK_MONOTONIC));
    } else {
      next = status_tag;
      bool probe_may_help = state == BGI_UNARY_PROBE;
      ev = pluck(cq, status_tag, probe_may_help ? grace() : gpr_inf_future(GPR_CLOCK_MONOTONIC));
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
  bgi_fork_enter(); /* a fork waits until this call is over (transport/fork.h) */
  grpc_completion_queue *cq = bgi_cq_pool_take(pool);
  if (!cq) {
    bgi_fork_leave();
    memset(result, 0, sizeof *result);
    result->details = grpc_empty_slice();
    grpc_metadata_array_init(&result->initial_metadata);
    grpc_metadata_array_init(&result->trailing_metadata);
    return BGI_FAIL_NOMEM(err);
  }
  void *tag = result; /* any unique address identifies this batch on the queue */
  bg_status st = bgi_unary_start(call, cq, tag, result, err);
  if (st == BG_OK) {
    /* The call's own deadline bounds each wait; the queue always delivers the tag. A cancel
     * token (bg_call_options_set_cancel_token) may cancel the call from another thread. */
    bgi_cancel_reg reg;
    bgi_cancel_attach(call->cancel, &reg, result->call);
    if (!wait_call(cq, tag, result))
      st = bgi_fail(err, BG_ERR_INTERNAL, 0, "gRPC completion queue failed");
    bgi_cancel_detach(call->cancel, &reg);
  }
  /* The call is done (or never started): drop it before the queue goes back to the pool. */
  if (result->call)
    grpc_call_unref(result->call);
  result->call = NULL;
  bgi_cq_pool_give(pool, cq);
  bgi_fork_leave();
  return st;
}
