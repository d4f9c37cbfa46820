/* Server-streaming calls (stream.h): the start batch, one receive batch per message, the
 * status batch. */
#include <assert.h>
#include <string.h>

#include <grpc/support/time.h>

#include "error_internal.h"
#include "transport/stream.h"

static gpr_timespec deadline_from_ms(int64_t ms) {
  if (ms <= 0)
    return gpr_inf_future(GPR_CLOCK_MONOTONIC);
  return gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC), gpr_time_from_millis(ms, GPR_TIMESPAN));
}

bg_status bgi_stream_start(const bgi_unary_call *call, grpc_completion_queue *cq, void *tag,
                           bgi_unary_result *result, bg_error *err) {
  assert(((uintptr_t)tag & 1u) == 0); /* the low bit marks the status batch */
  memset(result, 0, sizeof *result);
  result->details = grpc_empty_slice();
  grpc_metadata_array_init(&result->initial_metadata);
  grpc_metadata_array_init(&result->trailing_metadata);
  result->call =
      grpc_channel_create_registered_call(call->channel, NULL, GRPC_PROPAGATE_DEFAULTS, cq,
                                          call->method, deadline_from_ms(call->deadline_ms), NULL);
  if (!result->call)
    return bgi_fail(err, BG_ERR_INTERNAL, 0, "gRPC could not create the streaming call");

  grpc_op ops[5];
  memset(ops, 0, sizeof ops);
  ops[0].op = GRPC_OP_SEND_INITIAL_METADATA;
  ops[0].data.send_initial_metadata.count = call->n_metadata;
  ops[0].data.send_initial_metadata.metadata = (grpc_metadata *)call->metadata;
  if (call->wait_for_ready)
    ops[0].flags =
        GRPC_INITIAL_METADATA_WAIT_FOR_READY | GRPC_INITIAL_METADATA_WAIT_FOR_READY_EXPLICITLY_SET;
  ops[1].op = GRPC_OP_SEND_MESSAGE;
  ops[1].data.send_message.send_message = call->request;
  ops[2].op = GRPC_OP_SEND_CLOSE_FROM_CLIENT;
  ops[3].op = GRPC_OP_RECV_INITIAL_METADATA;
  ops[3].data.recv_initial_metadata.recv_initial_metadata = &result->initial_metadata;
  ops[4].op = GRPC_OP_RECV_MESSAGE;
  ops[4].data.recv_message.recv_message = &result->response;
  grpc_call_error started = grpc_call_start_batch(result->call, ops, 5, tag, NULL);
  if (started != GRPC_CALL_OK)
    return bgi_fail(err, BG_ERR_INTERNAL, 0,
                    "gRPC refused to start the streaming call (grpc_call_error %d)", (int)started);
  result->main_done = false;

  grpc_op status;
  memset(&status, 0, sizeof status);
  status.op = GRPC_OP_RECV_STATUS_ON_CLIENT;
  status.data.recv_status_on_client.trailing_metadata = &result->trailing_metadata;
  status.data.recv_status_on_client.status = &result->status;
  status.data.recv_status_on_client.status_details = &result->details;
  if (grpc_call_start_batch(result->call, &status, 1, bgi_unary_status_tag(tag), NULL) !=
      GRPC_CALL_OK) {
    /* Never expected (each op is started once): end the call; the read batch still completes
     * and the status stands as INTERNAL. */
    grpc_call_cancel(result->call, NULL);
    result->status = GRPC_STATUS_INTERNAL;
    result->details = grpc_slice_from_static_string("gRPC refused the stream's status batch");
    result->status_done = true;
    result->status_ok = true;
  }
  return BG_OK;
}

bool bgi_stream_read(bgi_unary_result *result, void *tag) {
  grpc_op op;
  memset(&op, 0, sizeof op);
  op.op = GRPC_OP_RECV_MESSAGE;
  op.data.recv_message.recv_message = &result->response;
  if (grpc_call_start_batch(result->call, &op, 1, tag, NULL) == GRPC_CALL_OK)
    return true;
  grpc_call_cancel_with_status(result->call, GRPC_STATUS_INTERNAL,
                               "gRPC refused to read the stream's next message", NULL);
  return false;
}

void bgi_stream_cancel(bgi_unary_result *result) {
  if (result->call)
    grpc_call_cancel(result->call, NULL);
}

static bgi_stream_state where(const bgi_unary_result *result) {
  return result->main_done && result->status_done ? BGI_STREAM_DONE : BGI_STREAM_RUNNING;
}

bgi_stream_state bgi_stream_step(bgi_unary_result *result, void *event_tag, bool ok,
                                 grpc_byte_buffer **message) {
  *message = NULL;
  if (event_tag != bgi_unary_call_tag(event_tag)) {
    result->status_done = true;
    result->status_ok = ok;
    return where(result);
  }
  grpc_byte_buffer *got = result->response;
  result->response = NULL;
  if (ok && got) {
    *message = got;
    return BGI_STREAM_MESSAGE;
  }
  if (got)
    grpc_byte_buffer_destroy(got);
  result->main_done = true; /* the stream ended; the status follows */
  return where(result);
}

bgi_stream_state bgi_stream_stop(bgi_unary_result *result) {
  grpc_call_cancel(result->call, NULL);
  result->main_done = true;
  return where(result);
}
