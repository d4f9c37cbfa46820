/* The unary-call engine: one request message out, one response message back. */
#ifndef BG_TRANSPORT_UNARY_H
#define BG_TRANSPORT_UNARY_H

#include <grpc/grpc.h>
#include <stdbool.h>

#include "bentogrpc/common.h"
#include "transport/cq_pool.h"

typedef struct bg_unary_call {
  grpc_channel *channel;
  void *method;        /* from grpc_channel_register_call() */
  int64_t deadline_ms; /* 0: no deadline */
  const grpc_metadata *metadata;
  size_t n_metadata;
  bool wait_for_ready;
  grpc_byte_buffer *request;      /* borrowed */
  struct bg_cancel_token *cancel; /* bg_unary_run only: may cancel the call, or NULL */
} bg_unary_call;

typedef struct bg_unary_result {
  grpc_call *call; /* set by bg_unary_start; unref'd by bg_unary_result_destroy */
  grpc_status_code status;
  grpc_slice details;         /* status message */
  grpc_byte_buffer *response; /* NULL unless a message arrived */
  grpc_metadata_array initial_metadata;
  grpc_metadata_array trailing_metadata;
} bg_unary_result;

/* Starts the call as one batch on `cq`; `tag` completes on `cq` when the call has finished
 * (whatever its status). `result` receives everything and must stay put until then.
 * bg_unary_run() uses this with a pluck queue; an async engine with its own queue. */
bg_status bg_unary_start(const bg_unary_call *call, grpc_completion_queue *cq, void *tag,
                         bg_unary_result *result, bg_error *err);

/* Runs the call to completion on a pooled pluck queue. Returns BG_OK once the call has
 * finished, whatever its gRPC status (see result->status); fails only when the call could
 * not be started. Release the result with bg_unary_result_destroy() in both cases. */
bg_status bg_unary_run(bg_cq_pool *pool, const bg_unary_call *call, bg_unary_result *result,
                       bg_error *err);
void bg_unary_result_destroy(bg_unary_result *result);

/* Turns a finished call's non-OK status into our error: code mapping, the server's message,
 * and a hint that says what to do. `what` names the operation ("call 'predict'"), `address`
 * the server. Returns the bg_status it chose. */
bg_status bg_fail_from_grpc(bg_error *err, const bg_unary_result *result, const char *what,
                            const char *address, int64_t deadline_ms);

#endif
