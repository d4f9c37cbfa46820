/** @file interceptor.h
 * Interceptors, per-call credentials and response metadata.
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

/** A reference-counted pair of hooks run around every call (see bg_interceptor_new()). */
typedef struct bg_interceptor bg_interceptor;
/** One call as interceptors see it; valid only during the hook it is passed to. */
typedef struct bg_call_context bg_call_context;
/** A caller-owned sink for a reply's initial and trailing metadata. */
typedef struct bg_response_metadata bg_response_metadata;

/** A `before` or `after` hook of an interceptor.
 *  @param state the interceptor's state (bg_interceptor_new()).
 *  @param ctx   the call (valid only during the hook).
 *  @param err   fill it (code and message) when failing the call; never NULL.
 *  @return BG_OK to go on, or an error (filled into `err`) to fail the call. */
typedef bg_status (*bg_call_hook_fn)(void *state, bg_call_context *ctx, bg_error *err);
/** A per-call credentials callback: adds metadata (e.g. a token) to the call with
 *  bg_call_context_add_metadata().
 *  @param user_data the pointer given to bg_call_options_set_credentials().
 *  @param ctx       the call (valid only during the callback).
 *  @param err       fill it when failing the call; never NULL.
 *  @return BG_OK to go on, or an error (filled into `err`) to fail the call. */
typedef bg_status (*bg_credentials_fn)(void *user_data, bg_call_context *ctx, bg_error *err);

/**
 * A new interceptor. The caller owns one reference: release it with
 * bg_interceptor_release() once it has been added to the options that use it.
 * @param name    shown in errors (copied); NULL gives "interceptor".
 * @param before  runs before the request is sent; may be NULL (but not both hooks).
 * @param after   runs once the call has finished; may be NULL (but not both hooks).
 * @param state   passed to both hooks (owned by the interceptor when `destroy` is set).
 * @param destroy frees `state` when the last reference goes; may be NULL.
 * @param err     filled on failure; may be NULL.
 * @return the interceptor, or NULL with `err` filled (BG_ERR_INVALID_ARGUMENT: no hook;
 *         BG_ERR_NO_MEMORY).
 */
BG_API bg_interceptor *bg_interceptor_new(const char *name, bg_call_hook_fn before,
                                          bg_call_hook_fn after, void *state,
                                          void (*destroy)(void *state), bg_error *err);
/** Drops one reference; the last one frees the interceptor (calling its `destroy`). Any
 *  thread.
 *  @param interceptor the interceptor; NULL is accepted. */
BG_API void bg_interceptor_release(bg_interceptor *interceptor);

/**
 * W3C Trace Context propagation: each call gets a `traceparent` header
 * "00-<32 hex trace id>-<16 hex span id>-01". When the call's metadata already carries a
 * `traceparent` (a parent span), its trace id and flags are kept and a new span id is made
 * for this call; otherwise a new trace id is drawn. A parent's `tracestate` passes unchanged.
 * @param err filled on failure; may be NULL.
 * @return a new interceptor (one reference, released with bg_interceptor_release()), or NULL
 *         with `err` filled (BG_ERR_NO_MEMORY).
 */
BG_API bg_interceptor *bg_interceptor_traceparent(bg_error *err);

/** Called once per finished call by the timing interceptor; all strings are valid during the
 *  call only.
 *  @param user_data   the pointer given to bg_interceptor_timing().
 *  @param api_name    the API called.
 *  @param status      the call's outcome.
 *  @param grpc_status the gRPC status (0 when none).
 *  @param elapsed_ms  time since the call began.
 *  @param message     the error message ("" on success). */
typedef void (*bg_call_log_fn)(void *user_data, const char *api_name, bg_status status,
                               int grpc_status, double elapsed_ms, const char *message);
/** Per-call timing and logging.
 *  @param log       called once per finished call (on the thread that finished it).
 *  @param user_data passed to `log` (borrowed: must outlive the interceptor).
 *  @param err       filled on failure; may be NULL.
 *  @return a new interceptor (one reference, released with bg_interceptor_release()), or NULL
 *          with `err` filled. */
BG_API bg_interceptor *bg_interceptor_timing(bg_call_log_fn log, void *user_data, bg_error *err);

/* ---- the call context ---- */

/** The API name of the call.
 *  @param ctx the call.
 *  @return the name (valid during the hook). */
BG_API const char *bg_call_context_api(const bg_call_context *ctx);
/** The method path of the call.
 *  @param ctx the call.
 *  @return e.g. "/bentoml.grpc.v1.BentoService/Call" (valid during the hook). */
BG_API const char *bg_call_context_method(const bg_call_context *ctx);
/** The server address given to the client.
 *  @param ctx the call.
 *  @return the address (valid during the hook). */
BG_API const char *bg_call_context_target(const bg_call_context *ctx);
/** Adds request metadata (rules of bg_call_options_add_metadata()). Only in `before` hooks and
 *  credentials callbacks.
 *  @param ctx       the call.
 *  @param key       the key (copied).
 *  @param value     the value (copied); may be NULL when value_len is 0.
 *  @param value_len length of `value` in bytes.
 *  @param err       filled on failure; may be NULL.
 *  @return BG_OK, BG_ERR_INVALID_ARGUMENT (bad key or value, or not in a `before` hook or
 *          credentials callback) or BG_ERR_NO_MEMORY. */
BG_API bg_status bg_call_context_add_metadata(bg_call_context *ctx, const char *key,
                                              const char *value, size_t value_len, bg_error *err);
/** Number of request metadata entries so far.
 *  @param ctx the call.
 *  @return the count. */
BG_API size_t bg_call_context_metadata_count(const bg_call_context *ctx);
/** Key of request metadata entry `index`.
 *  @param ctx   the call.
 *  @param index 0-based index.
 *  @return the key (valid during the hook), or NULL when out of range. */
BG_API const char *bg_call_context_metadata_key(const bg_call_context *ctx, size_t index);
/** Value of request metadata entry `index` (binary for "-bin" keys: use `len`).
 *  @param ctx   the call.
 *  @param index 0-based index.
 *  @param len   receives the value's length in bytes; may be NULL.
 *  @return the value (valid during the hook), or NULL when out of range. */
BG_API const char *bg_call_context_metadata_value(const bg_call_context *ctx, size_t index,
                                                  size_t *len);
/** The call's outcome so far.
 *  @param ctx the call.
 *  @return after the call, its status; BG_OK in `before` hooks. */
BG_API bg_status bg_call_context_status(const bg_call_context *ctx);
/** The call's gRPC status.
 *  @param ctx the call.
 *  @return the gRPC status code after the call (0 when none); 0 in `before` hooks. */
BG_API int bg_call_context_grpc_status(const bg_call_context *ctx);
/** The call's error message.
 *  @param ctx the call.
 *  @return the message after a failed call, "" on success and in `before` hooks (valid
 *          during the hook). */
BG_API const char *bg_call_context_message(const bg_call_context *ctx);
/** The reply's metadata.
 *  @param ctx the call.
 *  @return the reply's initial and trailing metadata (valid during the hook), or NULL when the
 *          call was never sent (and in `before` hooks). */
BG_API const bg_response_metadata *bg_call_context_response_metadata(const bg_call_context *ctx);
/** Time since the call began.
 *  @param ctx the call.
 *  @return milliseconds; in `before` hooks, the time spent so far. */
BG_API double bg_call_context_elapsed_ms(const bg_call_context *ctx);

/* ---- response metadata ---- */

/** Which part of a reply's metadata. */
typedef enum bg_metadata_kind {
  BG_METADATA_INITIAL = 0, /**< the initial metadata (headers) */
  BG_METADATA_TRAILING = 1 /**< the trailing metadata (trailers) */
} bg_metadata_kind;

/** An empty sink; pass it to bg_call_options_set_response_metadata(). Each call using it
 *  replaces its contents.
 *  @return the sink (free with bg_response_metadata_free()), or NULL when out of memory. */
BG_API bg_response_metadata *bg_response_metadata_new(void);
/** Frees a sink; no call writing to it may still be running.
 *  @param metadata the sink (taken); NULL is accepted. */
BG_API void bg_response_metadata_free(bg_response_metadata *metadata);
/** Number of entries.
 *  @param metadata the sink.
 *  @param kind     initial or trailing.
 *  @return the count (0 for NULL). */
BG_API size_t bg_response_metadata_count(const bg_response_metadata *metadata,
                                         bg_metadata_kind kind);
/** Key of entry `index`.
 *  @param metadata the sink.
 *  @param kind     initial or trailing.
 *  @param index    0-based index.
 *  @return the key (borrowed from the sink until its next call or free), or NULL when out of
 *          range. */
BG_API const char *bg_response_metadata_key(const bg_response_metadata *metadata,
                                            bg_metadata_kind kind, size_t index);
/** Value of entry `index` (binary for "-bin" keys: use `len`).
 *  @param metadata the sink.
 *  @param kind     initial or trailing.
 *  @param index    0-based index.
 *  @param len      receives the value's length in bytes; may be NULL.
 *  @return the value (borrowed from the sink), or NULL when out of range. */
BG_API const char *bg_response_metadata_value(const bg_response_metadata *metadata,
                                              bg_metadata_kind kind, size_t index, size_t *len);
/** The first value of `key`.
 *  @param metadata the sink.
 *  @param kind     initial or trailing.
 *  @param key      the exact key.
 *  @param len      receives the value's length in bytes; may be NULL.
 *  @return the value (borrowed from the sink), or NULL when there is none. */
BG_API const char *bg_response_metadata_find(const bg_response_metadata *metadata,
                                             bg_metadata_kind kind, const char *key, size_t *len);

#ifdef __cplusplus
}
#endif
#endif
