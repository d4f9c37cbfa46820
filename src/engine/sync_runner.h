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

#endif
