/* Server-streaming calls: one request message out, any number of reply messages back, then the
 * status (grpc.health.v1.Health/Watch). The unary path (unary.h) is separate and untouched. */
#ifndef BGI_TRANSPORT_STREAM_H
#define BGI_TRANSPORT_STREAM_H

#include <grpc/grpc.h>
#include <stdbool.h>

#include "bentogrpc/common.h"
#include "transport/unary.h"

/* Starts the stream on `cq`, with the settings of a unary call (`call`: channel, method,
 * deadline — 0: none —, metadata, request) and its result record (`result`: the grpc call,
 * the status, the details, the metadata; `result->response` holds the message just read).
 * Two batches go out: the *read* batch (send the initial metadata, the request and the close,
 * receive the initial metadata and the first message) under `tag`, and the status batch under
 * bgi_unary_status_tag(tag) (`tag` at least 2-byte aligned). Each completion of `tag` is one
 * read: `result->response` is the message, or NULL when the stream has ended (the status
 * follows); take the message (set `response` NULL) and call bgi_stream_read() for the next.
 * `result` must stay put until the status batch completes. */
bg_status bgi_stream_start(const bgi_unary_call *call, grpc_completion_queue *cq, void *tag,
                           bgi_unary_result *result, bg_error *err);

/* Starts the next read (one receive-message batch under `tag`). false when gRPC refused it
 * (never expected); the call is then cancelled, so the status batch still completes. */
bool bgi_stream_read(bgi_unary_result *result, void *tag);

/* Where a stream stands after bgi_stream_step(). */
typedef enum bgi_stream_state {
  BGI_STREAM_RUNNING, /* batches are out; wait for their completions */
  BGI_STREAM_MESSAGE, /* a message came (*message, the caller's now): start the next read
                       * (bgi_stream_read) or stop (bgi_stream_stop) */
  BGI_STREAM_DONE     /* finished: result->status is final, result->status_ok the queue flag */
} bgi_stream_state;

/* A batch of the stream completed (`event_tag`: the event's tag, `ok` the queue's flag); for
 * a queue drainer that takes every event (the async engine). */
bgi_stream_state bgi_stream_step(bgi_unary_result *result, void *event_tag, bool ok,
                                 grpc_byte_buffer **message);

/* Reads no more after a message: cancels the call; DONE when its status is in already. */
bgi_stream_state bgi_stream_stop(bgi_unary_result *result);

#endif
