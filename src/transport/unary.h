/* The unary-call engine: one request message out, one response message back. */
#ifndef BGI_TRANSPORT_UNARY_H
#define BGI_TRANSPORT_UNARY_H

#include <grpc/grpc.h>
#include <stdbool.h>
#include <stdint.h>

#include "bentogrpc/common.h"

typedef struct bgi_unary_call {
  grpc_channel *channel;
  void *method;        /* from grpc_channel_register_call() */
  int64_t deadline_ms; /* 0: no deadline */
  const grpc_metadata *metadata;
  size_t n_metadata;
  bool wait_for_ready;
  grpc_byte_buffer *request;             /* borrowed */
  struct bg_cancel_token *cancel;        /* bgi_sync_run only: may cancel the call, or NULL */
  const struct bgi_cancel_fd *cancel_fd; /* bgi_sync_run only: watched while waiting, or NULL */
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
  /* Which batches have finished (see bgi_unary_start). */
  bool main_done, status_done, probing, probed;
  bool status_ok;          /* the queue's success flag of the status batch */
  grpc_byte_buffer *extra; /* where a second message would land */
} bgi_unary_result;

/* Starts the call on `cq`: the main batch (send everything, receive the headers and the reply
 * message) under `tag`, and at the same time the status batch under bgi_unary_status_tag(tag).
 * `tag` must be at least 2-byte aligned (its low bit marks the status batch). Pass every
 * completion of either tag to bgi_unary_step() until it says the call has finished. `result`
 * receives everything and must stay put until then. bgi_sync_run() (engine/sync_runner.h) uses this
 * with a pluck queue; an async engine with its own queue.
 *
 * Why two batches, and sometimes a third: gRPC delivers the status only after every message
 * before it has been read, so one batch that also waits for the status would wait for ever (on a
 * call without a deadline) if a server streamed a second reply message. The status batch
 * finishing proves that no second message came: the common path is two batches, completing
 * together. If the main batch brought a message and the status has not been seen yet, a probe
 * batch (under `tag`, see bgi_unary_probe) reads one more message: if there is one, the call is
 * cancelled and marked `extra_message`, which lets the status batch finish. */
bg_status bgi_unary_start(const bgi_unary_call *call, grpc_completion_queue *cq, void *tag,
                          bgi_unary_result *result, bg_error *err);

/* The tag of the status batch of the call started under `tag`. */
static inline void *bgi_unary_status_tag(void *tag) { return (void *)((uintptr_t)tag | 1u); }
/* The tag the call was started under, from an event's tag of either batch. */
static inline void *bgi_unary_call_tag(void *event_tag) {
  return (void *)((uintptr_t)event_tag & ~(uintptr_t)1u);
}

/* Where a call stands after bgi_unary_step(). */
typedef enum bgi_unary_state {
  BGI_UNARY_RUNNING, /* batches are out; wait for their completions */
  BGI_UNARY_PROBE,   /* the reply is in, the status not yet: call bgi_unary_probe() now, or
                      * once the status has had its chance to arrive (it usually completes
                      * right behind the reply); until then more steps may finish the call */
  BGI_UNARY_DONE     /* finished: result->status is final, result->status_ok is the queue
                      * flag to report */
} bgi_unary_state;

/* A batch of the call completed: `event_tag` is the event's tag, `ok` the queue's success
 * flag. */
bgi_unary_state bgi_unary_step(bgi_unary_result *result, void *event_tag, bool ok);

/* Starts the probe batch (under `tag`, the call's tag) if the call still needs it. */
void bgi_unary_probe(bgi_unary_result *result, void *tag);

/* An empty result (no call, empty details and metadata), safe to pass to
 * bgi_unary_result_fini(): what bgi_unary_start() begins with, and what a runner that fails
 * before it starts a call hands back. */
void bgi_unary_result_init(bgi_unary_result *result);

void bgi_unary_result_fini(bgi_unary_result *result);

/* Turns a finished call's non-OK status into our error: code mapping, the server's message,
 * and a hint that says what to do. `what` names the operation ("call 'predict'"), `address`
 * the server. Returns the bg_status it chose. */
bg_status bgi_fail_from_grpc(bg_error *err, const bgi_unary_result *result, const char *what,
                             const char *address, int64_t deadline_ms);

#endif
