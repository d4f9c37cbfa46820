/* libbentogrpc — interceptors, per-call credentials and response metadata.
 *
 * An interceptor sees every call of the clients whose options it was added to: `before`
 * runs before the request is sent (it can read and add request metadata, or fail the call
 * with its own error), `after` runs once the call has finished (it can read the outcome,
 * the reply's metadata and the elapsed time, or turn the outcome into an error).
 *
 * Order: `before` hooks run in the order the interceptors were added, then the call's own
 * credentials callback; `after` hooks run in reverse order (the first added sees the final
 * outcome), like nested middleware. A failing `before` stops the chain: the call is not
 * sent, and the `after` hooks of the interceptors whose `before` already ran still run.
 * The sync and async clients run the same chain.
 *
 * Threads: hooks run on the thread that makes the call (sync) or completes it (async), and
 * may run concurrently for concurrent calls; an interceptor's state must allow that. */
#ifndef BENTOGRPC_INTERCEPTOR_H
#define BENTOGRPC_INTERCEPTOR_H

#include <stdbool.h>

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct bg_interceptor bg_interceptor;
/** One call as interceptors see it; valid only during the hook it is passed to. */
typedef struct bg_call_context bg_call_context;
/** A caller-owned sink for a reply's initial and trailing metadata. */
typedef struct bg_response_metadata bg_response_metadata;

/** Hooks return BG_OK to go on, or an error (filled into `err`) to fail the call. */
typedef bg_status (*bg_call_hook_fn)(void *state, bg_call_context *ctx, bg_error *err);
/** A per-call credentials callback: adds metadata (e.g. a token) to the call. */
typedef bg_status (*bg_credentials_fn)(void *user_data, bg_call_context *ctx, bg_error *err);

/**
 * A new interceptor named `name` (copied; shown in errors) with optional `before`/`after`
 * hooks (at least one). `state` is passed to both; `destroy` (may be NULL) frees it when the
 * last reference goes. The caller owns one reference: release it with
 * bg_interceptor_release() once it has been added to the options that use it.
 */
BG_API bg_interceptor *bg_interceptor_new(const char *name, bg_call_hook_fn before,
                                          bg_call_hook_fn after, void *state,
                                          void (*destroy)(void *state), bg_error *err);
/** Drops one reference. Accepts NULL. */
BG_API void bg_interceptor_release(bg_interceptor *interceptor);

/**
 * W3C Trace Context propagation: each call gets a `traceparent` header
 * "00-<32 hex trace id>-<16 hex span id>-01". When the call's metadata already carries a
 * `traceparent` (a parent span), its trace id and flags are kept and a new span id is made
 * for this call; otherwise a new trace id is drawn. A parent's `tracestate` passes unchanged.
 */
BG_API bg_interceptor *bg_interceptor_traceparent(bg_error *err);

/** Called once per finished call by the timing interceptor. `message` is the error message
 *  ("" on success); all strings are valid during the call only. */
typedef void (*bg_call_log_fn)(void *user_data, const char *api_name, bg_status status,
                               int grpc_status, double elapsed_ms, const char *message);
/** Per-call timing and logging through `log` (user_data passed through). */
BG_API bg_interceptor *bg_interceptor_timing(bg_call_log_fn log, void *user_data, bg_error *err);

/* ---- the call context ---- */

/** The API name, the method path ("/bentoml.grpc.v1.BentoService/Call") and the server
 *  address given to the client. */
BG_API const char *bg_call_context_api(const bg_call_context *ctx);
BG_API const char *bg_call_context_method(const bg_call_context *ctx);
BG_API const char *bg_call_context_target(const bg_call_context *ctx);
/** Adds request metadata (rules of bg_call_options_add_metadata). Only in `before` hooks and
 *  credentials callbacks. */
BG_API bg_status bg_call_context_add_metadata(bg_call_context *ctx, const char *key,
                                              const char *value, size_t value_len, bg_error *err);
/** The request metadata so far: count, and the key / value (with its length) of entry i. */
BG_API size_t bg_call_context_metadata_count(const bg_call_context *ctx);
BG_API const char *bg_call_context_metadata_key(const bg_call_context *ctx, size_t index);
BG_API const char *bg_call_context_metadata_value(const bg_call_context *ctx, size_t index,
                                                  size_t *len);
/** After the call: our status, the gRPC status, the error message ("" on success), the
 *  reply's metadata (NULL when the call was never sent) and the time since the call began.
 *  In `before` hooks the status is BG_OK and the elapsed time is the time spent so far. */
BG_API bg_status bg_call_context_status(const bg_call_context *ctx);
BG_API int bg_call_context_grpc_status(const bg_call_context *ctx);
BG_API const char *bg_call_context_message(const bg_call_context *ctx);
BG_API const bg_response_metadata *bg_call_context_response_metadata(const bg_call_context *ctx);
BG_API double bg_call_context_elapsed_ms(const bg_call_context *ctx);

/* ---- response metadata ---- */

typedef enum bg_metadata_kind {
  BG_METADATA_INITIAL = 0,
  BG_METADATA_TRAILING = 1
} bg_metadata_kind;

/** An empty sink (NULL when out of memory); pass it to bg_call_options_set_response_metadata.
 *  Each call using it replaces its contents. Free with bg_response_metadata_free(). */
BG_API bg_response_metadata *bg_response_metadata_new(void);
BG_API void bg_response_metadata_free(bg_response_metadata *metadata);
BG_API size_t bg_response_metadata_count(const bg_response_metadata *metadata,
                                         bg_metadata_kind kind);
/** Key and value of entry `index` (values may be binary for "-bin" keys: use `len`). */
BG_API const char *bg_response_metadata_key(const bg_response_metadata *metadata,
                                            bg_metadata_kind kind, size_t index);
BG_API const char *bg_response_metadata_value(const bg_response_metadata *metadata,
                                              bg_metadata_kind kind, size_t index, size_t *len);
/** The first value of `key`, or NULL. */
BG_API const char *bg_response_metadata_find(const bg_response_metadata *metadata,
                                             bg_metadata_kind kind, const char *key, size_t *len);

#ifdef __cplusplus
}
#endif
#endif
