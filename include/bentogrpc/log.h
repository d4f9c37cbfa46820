/** @file log.h
 * Seeing what the library does: one process-wide log handler that receives libbentogrpc's own
 * events (connecting, discovery, the File input's retry as serialized_bytes, TLS advice) and
 * gRPC Core's log lines, each with a level.
 *
 * Without code: set the environment variable `BG_LOG=debug|info|warn|error` and events at that
 * level and above go to stderr, one line each (`bentogrpc: info: connecting to ...`). gRPC Core's
 * own tracing (`GRPC_TRACE=tcp,http,...`, `GRPC_VERBOSITY=debug|info|error`) comes through the
 * same handler; note that some gRPC traces (e.g. `http`) print request headers, including
 * credentials — libbentogrpc's own events never contain metadata values, tokens or key
 * material. */
#ifndef BENTOGRPC_LOG_H
#define BENTOGRPC_LOG_H

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

/** How important a log event is; a handler receives events at the set level and above. */
typedef enum bg_log_level {
  BG_LOG_DEBUG = 0, /**< details for debugging (gRPC Core's debug lines, each call's steps) */
  BG_LOG_INFO = 1,  /**< what the library does: connecting, discovery, retries */
  BG_LOG_WARN = 2,  /**< something that will likely fail or surprise: advice on TLS set-up */
  BG_LOG_ERROR = 3, /**< failures gRPC Core reports (e.g. a failed TLS handshake) */
  BG_LOG_OFF = 4    /**< as a level: deliver nothing */
} bg_log_level;

/** Receives one log event. Called on whichever thread the event happened, possibly several at
 *  once and from gRPC's internal threads: it must be thread-safe, quick, and must not call back
 *  into libbentogrpc.
 *  @param level     the event's level.
 *  @param source    "bentogrpc" for the library's own events, "grpc" for gRPC Core's lines
 *                   (borrowed: valid only during the call).
 *  @param message   one line without a newline, UTF-8 (server text escaped as by
 *                   bg_text_escape()); borrowed: valid only during the call.
 *  @param user_data the pointer given to bg_log_set_handler(). */
typedef void (*bg_log_fn)(bg_log_level level, const char *source, const char *message,
                          void *user_data);

/** Sends every log event at the current level (bg_log_set_level()) and above to `fn`.
 *  Process-wide; thread-safe, but an event already being delivered on another thread may still
 *  reach the previous handler. Installing a handler routes gRPC Core's log lines through it
 *  from then on.
 *  @param fn        the handler; NULL goes back to the default: stderr when `BG_LOG` is set,
 *                   nothing otherwise.
 *  @param user_data passed to `fn` (borrowed: it must stay valid until the handler is
 *                   replaced); may be NULL. */
BG_API void bg_log_set_handler(bg_log_fn fn, void *user_data);

/** @deprecated Use bg_log_set_handler(); the old name is kept for this minor version only.
 *  @param fn        as for bg_log_set_handler().
 *  @param user_data as for bg_log_set_handler(). */
BG_DEPRECATED("use bg_log_set_handler")
BG_API void bg_set_log_handler(bg_log_fn fn, void *user_data);

/** Sets the lowest level delivered (to the handler, or to stderr under `BG_LOG`). Also asks
 *  gRPC Core for lines of that level unless `GRPC_VERBOSITY` is set. Process-wide, thread-safe.
 *  @param level the new lowest level; BG_LOG_OFF delivers nothing. Default: the level `BG_LOG`
 *               names, else BG_LOG_INFO. */
BG_API void bg_log_set_level(bg_log_level level);

/** @deprecated Use bg_log_set_level(); the old name is kept for this minor version only.
 *  @param level as for bg_log_set_level(). */
BG_DEPRECATED("use bg_log_set_level") BG_API void bg_set_log_level(bg_log_level level);

/** The level now in force (see bg_log_set_level()).
 *  @return the lowest level delivered. Thread-safe. */
BG_API bg_log_level bg_log_get_level(void);

/** @deprecated Use bg_log_get_level(); the old name is kept for this minor version only.
 *  @return as bg_log_get_level(). */
BG_DEPRECATED("use bg_log_get_level") BG_API bg_log_level bg_get_log_level(void);

/** The name of a level.
 *  @param level any value.
 *  @return "debug", "info", "warn", "error" or "off" (static storage; "unknown" for other
 *          values). */
BG_API const char *bg_log_level_name(bg_log_level level);

/** @deprecated Use bg_log_level_name(); the old name is kept for this minor version only.
 *  @param level as for bg_log_level_name().
 *  @return as bg_log_level_name(). */
BG_DEPRECATED("use bg_log_level_name") BG_API const char *bg_log_level_str(bg_log_level level);

#ifdef __cplusplus
}
#endif
#endif
