/* The sync stream runner: a server-streaming call (transport/stream.h) run to its status on a
 * pooled pluck queue, each message handed to the caller on the calling thread. */
#ifndef BGI_ENGINE_STREAM_RUNNER_H
#define BGI_ENGINE_STREAM_RUNNER_H

#include <stdbool.h>

#include "bentogrpc/common.h"
#include "engine/cq_pool.h"
#include "transport/unary.h"

/* One streamed message (borrowed: valid during the call only). Return false to end the stream:
 * the call is cancelled and no further message is handed over. Runs on the calling thread,
 * outside the fork gate. */
typedef bool (*bgi_stream_message_fn)(void *ctx, grpc_byte_buffer *message);

/* Starts `call` (fork generation checked by the caller) as a stream on a queue from `pool`,
 * hands each message to `on_message` and returns once the status is in (`result->status`; a
 * stream `on_message` ended is CANCELLED, `*stopped` says so). `call->cancel` may cancel it
 * from another thread and `call->deadline_ms` (0: none) bounds it. Returns BG_OK once the
 * stream has finished, whatever its status; fails only when it could not start or the queue
 * failed. Release the result with bgi_unary_result_fini() in every case. The fork gate is
 * held only while waiting (in slices of at most 100 ms) and starting, so a fork may happen
 * while a stream runs. */
bg_status bgi_sync_stream_run(bgi_cq_pool *pool, const bgi_unary_call *call,
                              bgi_stream_message_fn on_message, void *ctx, bgi_unary_result *result,
                              bool *stopped, bg_error *err);

#endif
