/* The sync stream runner (engine/stream_runner.h). */
#include <grpc/support/time.h>
#include <string.h>

#include "engine/stream_runner.h"
#include "engine/sync_runner.h"
#include "error_internal.h"
#include "transport/cancel.h"
#include "transport/fork.h"
#include "transport/stream.h"

/* The longest a wait holds the fork gate: a fork waits at most this for a running stream. */
#define GATE_SLICE_MS 100

static gpr_timespec slice(void) {
  return gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC),
                      gpr_time_from_millis(GATE_SLICE_MS, GPR_TIMESPAN));
}

bg_status bgi_sync_stream_run(bgi_cq_pool *pool, const bgi_unary_call *call,
                              bgi_stream_message_fn on_message, void *ctx, bgi_unary_result *result,
                              bool *stopped, bg_error *err) {
  *stopped = false;
  /* begin takes the fork gate; it is let go only while on_message runs and at each timeout
   * turn below (a waiting fork goes through), and end gives it back */
  grpc_completion_queue *cq;
  bg_status st = bgi_sync_call_begin(pool, &cq, result, err);
  if (st != BG_OK)
    return st;
  void *tag = result, *status_tag = bgi_unary_status_tag(tag);
  st = bgi_stream_start(call, cq, tag, result, err);
  if (st == BG_OK) {
    bgi_cancel_reg reg;
    bgi_cancel_attach(call->cancel, &reg, result->call);
    bool reading = true;
    while (reading || !result->status_done) {
      void *want = reading ? tag : status_tag;
      grpc_event ev = grpc_completion_queue_pluck(cq, want, slice(), NULL);
      if (ev.type == GRPC_QUEUE_TIMEOUT) { /* let a waiting fork through, then wait on */
        bgi_fork_leave();
        bgi_fork_enter();
        continue;
      }
      if (ev.type != GRPC_OP_COMPLETE) { /* never expected: nothing more will come */
        st = bgi_fail(err, BG_ERR_INTERNAL, 0, "gRPC completion queue failed");
        break;
      }
      if (want == status_tag) {
        result->status_done = true;
        result->status_ok = ev.success != 0;
        continue;
      }
      grpc_byte_buffer *message = result->response;
      result->response = NULL;
      if (!ev.success || !message) { /* the stream ended; the status follows */
        if (message)
          grpc_byte_buffer_destroy(message);
        reading = false;
        continue;
      }
      bgi_fork_leave(); /* the caller's code runs outside the gate */
      bool keep = on_message(ctx, message);
      bgi_fork_enter();
      grpc_byte_buffer_destroy(message);
      if (!keep) {
        *stopped = true;
        grpc_call_cancel(result->call, NULL);
        reading = false;
      } else if (!bgi_stream_read(result, tag)) {
        reading = false;
      }
    }
    bgi_cancel_detach(call->cancel, &reg);
  }
  bgi_sync_call_end(pool, cq, result);
  return st;
}
