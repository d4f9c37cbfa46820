/* Server-streaming calls (stream.h): the start batch, one receive batch per message, the
 * status batch. */
#include <string.h>

#include "transport/stream.h"

/* A server stream starts exactly as a unary call does (transport/unary.c): the main batch
 * sends the metadata, the request and the close and receives the headers and the first
 * message, the status batch waits beside it. Only what follows differs: each further message
 * is one more read. */
bg_status bgi_stream_start(const bgi_unary_call *call, grpc_completion_queue *cq, void *tag,
                           bgi_unary_result *result, bg_error *err) {
  return bgi_unary_start(call, cq, tag, result, err);
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
