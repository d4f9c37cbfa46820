/* The sync runner: what a sync entry point waits on (bgi_operation_run, engine/operation.c). */
#ifndef BGI_ENGINE_SYNC_RUNNER_H
#define BGI_ENGINE_SYNC_RUNNER_H

#include "bentogrpc/common.h"
#include "engine/cq_pool.h"
#include "transport/unary.h"

/* Runs the call to completion on a pooled pluck queue. Returns BG_OK once the call has
 * finished, whatever its gRPC status (see result->status); fails only when the call could
 * not be started. Release the result with bgi_unary_result_fini() in both cases. */
bg_status bgi_sync_run(bgi_cq_pool *pool, const bgi_unary_call *call, bgi_unary_result *result,
                       bg_error *err);

/* The frame every sync call (unary or stream) runs in. Begin enters the fork gate (a fork waits
 * until the call is over, transport/fork.h) and takes a queue from `pool` into *cq; when out of
 * memory it leaves the gate, initialises `result` and fails. End drops result->call (if any),
 * gives the queue back and leaves the gate: call it once after a successful begin. */
bg_status bgi_sync_call_begin(bgi_cq_pool *pool, grpc_completion_queue **cq,
                              bgi_unary_result *result, bg_error *err);
void bgi_sync_call_end(bgi_cq_pool *pool, grpc_completion_queue *cq, bgi_unary_result *result);

#endif
