/* The unary-call engine: one request message out, one response message back. */
#ifndef BGI_TRANSPORT_UNARY_H
#define BGI_TRANSPORT_UNARY_H

#include <grpc/grpc.h>
#include <stdbool.h>

#include "bentogrpc/common.h"
#include "transport/cq_pool.h"

typedef struct bgi_unary_call {
  grpc_channel *channel;
  void *method;        /* from grpc_channel_register_call() */
  int64_t deadline_ms; /* 0: no deadline */
  const grpc_metadata *metadata;
  size_t n_metadata;
  bool wait_for_ready;
  grpc_byte_buffer *request;      /* borrowed */
  struct bg_cancel_token *cancel; /* bgi_unary_run only: may cancel the call, or NULL */
} bgi_unary_call;

typedef struct bgi_unary_result {
  grpc_call *call; /* set by bgi_unary_start; unref'd by bgi_unary_result_fini */
  grpc_status_code status;
  grpc_slice details;         /* status message */
  grpc_byte_buffer *response; /* NULL unless a message arrived */
  grpc_metadata_array initial_metadata;
  grpc_metadata_array trailing_metadata;
  /* The server sent a second reply message: a protocol fault. The call was cancelled and
   * `status` is INTERNAL, so every caller takes its failure path; bgi_fail_from_grpc()
   * reports it as BG_ERR_PROTOCOL. */
  bool extra_message;
  int stage;               /* which batch is running (see bgi_unary_step) */
  grpc_byte_buffer *extra; /* where a second message would land */
} bgi_unary_result;

/* Starts the call's first batch on `cq` (send everything, receive the headers and the reply
 * message); `tag` completes on `cq` once per batch. After each completion call bgi_unary_step()
 * until it says the call has finished. `result` receives everything and must stay put until
 * then. bgi_unary_run() uses this with a pluck queue; an async engine with its own queue.
 *
 * Why several batches: gRPC delivers the status only after every message before it has been
 * read, so a server that streams more than one reply would leave a single batch (and a call
 * without a deadline) waiting for ever. The second batch reads one more message: if there is
 * one, the call is cancelled and marked `extra_message`; then the third receives the status. */
bg_status bgi_unary_start(const bgi_unary_call *call, grpc_completion_queue *cq, void *tag,
                          bgi_unary_result *result, bg_error *err);

/* `tag` of the call completed with the queue's success flag `ok`. Returns true when the call
 * has finished (`ok` then belongs to its last batch; result->status is final), false when it
 * started the call's next batch on the same tag. */
bool bgi_unary_step(bgi_unary_result *result, bool ok, void *tag);

/* Runs the call to completion on a pooled pluck queue. Returns BG_OK once the call has
 * finished, whatever its gRPC status (see result->status); fails only when the call could
 * not be started. Release the result with bgi_unary_result_fini() in both cases. */
bg_status bgi_unary_run(bgi_cq_pool *pool, const bgi_unary_call *call, bgi_unary_result *result,
                        bg_error *err);
void bgi_unary_result_fini(bgi_unary_result *result);

/* Turns a finished call's non-OK status into our error: code mapping, the server's message,
 * and a hint that says what to do. `what` names the operation ("call 'predict'"), `address`
 * the server. Returns the bg_status it chose. */
bg_status bgi_fail_from_grpc(bg_error *err, const bgi_unary_result *result, const char *what,
                             const char *address, int64_t deadline_ms);

#endif
