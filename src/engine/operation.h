/* The one operation type every RPC runs as (Call, ServiceMetadata, Health/Check, and any later
 * one): a kind is a table {name, prepare(request), complete(reply)}, a run is an operation.
 * The sync entry points start an operation and wait for it on a pooled pluck queue
 * (bgi_operation_run); the async ones start it on an async engine and complete it where the
 * callback runs (async_engine.h, bgi_async_op_start_operation). Adding an RPC: one file with
 * its state struct (embedding bgi_operation first) and its bgi_rpc — docs/INTERNALS.md. */
#ifndef BGI_ENGINE_OPERATION_H
#define BGI_ENGINE_OPERATION_H

#include <grpc/grpc.h>
#include <stdbool.h>

#include "bentogrpc/common.h"
#include "engine/cq_pool.h"
#include "engine/sync_runner.h"
#include "transport/unary.h"

typedef struct bgi_operation bgi_operation;

/* What an operation does once a call of it has finished (bgi_rpc.next). */
typedef enum bgi_next {
  BGI_NEXT_DONE,  /* the operation is over: complete it */
  BGI_NEXT_AGAIN, /* the kind has packed another request (op->request) and set op->call: start
                   * that call now */
  BGI_NEXT_AFTER  /* the same, after a pause of *after_ms; without a request (op->request NULL)
                   * a last pause: complete after it (a wait whose last interval outlasts it) */
} bgi_next;

/* One kind of RPC. Every function gets the operation (the kind's state embeds it first). */
typedef struct bgi_rpc {
  const char *name; /* "Call", "ServiceMetadata", "Health/Check": for messages and tests */
  /* Builds the request: sets op->request (owned by the operation from then on, also on
   * failure) and op->call (channel, method, deadline, metadata; call.request is set for it). */
  bg_status (*prepare)(bgi_operation *op, bg_error *err);
  /* A call of the operation ran to a status (op->result): does the operation go on? The
   * multi-step policies live here — the File input resent as serialized_bytes, the health
   * policy's next service name, wait-until-ready's next check — so the sync runner
   * (bgi_operation_run) and the async engine (bgi_async_op_next) follow the same steps and
   * interceptors see the same attempts. Not asked for a cancelled or failed call. On AGAIN or
   * AFTER the runner drops the finished result and starts the next call (after resetting the
   * channel's reconnect backoff, for AFTER: the caller wants that check now); if it cannot
   * start, the finished result is kept and completed. Runs where the call finished: the waiting
   * thread (sync) or the queue drainer (async). NULL: always DONE. */
  bgi_next (*next)(bgi_operation *op, int64_t *after_ms);
  /* The call finished (op->result: status, reply, metadata): reads the reply into the kind's
   * output, or fills `err`. Runs on the thread that waits (sync) or runs the callback (async). */
  bg_status (*complete)(bgi_operation *op, bg_error *err);
  /* The call ended without a reply to read (it could not start, was cancelled, or the queue
   * failed), `st`/`err` say how: lets the kind see the ending (interceptors do) and returns the
   * final status. NULL: `st` stands. */
  bg_status (*abort)(bgi_operation *op, bg_status st, bg_error *err);
  /* Releases the kind's state besides the request and result (which the engine releases);
   * may run more than once. NULL: nothing to release. */
  void (*fini)(bgi_operation *op);
} bgi_rpc;

struct bgi_operation {
  const bgi_rpc *rpc;
  bgi_unary_call call;       /* settings of the call, from prepare */
  grpc_byte_buffer *request; /* owned; destroyed by bgi_operation_fini */
  bgi_unary_result result;   /* valid while result_live */
  bool result_live;
  /* complete may take up to BGI_PEER_PROBE_BUDGET_MS more on a failed connection to look at
   * what answers there (client/peer_advice.c): set by the sync front ends, whose caller waits
   * anyway; never by async operations (it would stall their engine's thread) or wait-until-ready
   * polling (each poll would look) */
  bool probe_peer;
};

/* Sets up `op` to run as `rpc`; the rest of the kind's state is the caller's to fill. */
void bgi_operation_init(bgi_operation *op, const bgi_rpc *rpc);

/* rpc->prepare, with call.request pointed at the packed request. */
bg_status bgi_operation_prepare(bgi_operation *op, bg_error *err);

/* The call finished: rpc->complete when it ran to a status (`ok`: the queue said so), else
 * the queue failure through rpc->abort. */
bg_status bgi_operation_complete(bgi_operation *op, bool ok, bg_error *err);

/* The call ended without running (`st`/`err` say why): rpc->abort, if any. */
bg_status bgi_operation_abort(bgi_operation *op, bg_status st, bg_error *err);

/* Sync: prepare, start on a queue from `pool`, wait for the call to finish, follow rpc->next
 * (sleeping through AFTER), complete. The operation still needs bgi_operation_fini(). */
bg_status bgi_operation_run(bgi_operation *op, bgi_cq_pool *pool, bg_error *err);

/* rpc->next for a call that ran to a status (DONE when the kind has none). */
bgi_next bgi_operation_next(bgi_operation *op, int64_t *after_ms);

/* AGAIN/AFTER: sets aside the finished result (`*kept`) and points call.request at the newly
 * packed request; bgi_operation_restart_failed() puts the result back, bgi_operation_restarted()
 * drops it. */
void bgi_operation_restart(bgi_operation *op, bgi_unary_result *kept);
void bgi_operation_restarted(bgi_operation *op, bgi_unary_result *kept);
void bgi_operation_restart_failed(bgi_operation *op, bgi_unary_result *kept);

/* Releases the request, the result and (rpc->fini) the kind's state; safe to repeat. */
void bgi_operation_fini(bgi_operation *op);

#endif
