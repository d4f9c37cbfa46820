/* libbentogrpc — client options and per-call options.
 *
 * bg_options configures how a client connects; it is copied by bg_client_from_url(), so one
 * options object may be reused for many clients and freed right after. bg_call_options
 * configures one call and is read only during the call it is passed to.
 * Options objects are not synchronised: build them on one thread, then share them read-only. */
#ifndef BENTOGRPC_OPTIONS_H
#define BENTOGRPC_OPTIONS_H

#include <stdbool.h>

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct bg_options bg_options;
typedef struct bg_call_options bg_call_options;

/** New options with the defaults below, or NULL when out of memory. Free with bg_options_free(). */
BG_API bg_options *bg_options_new(void);
/** Accepts NULL. */
BG_API void bg_options_free(bg_options *options);

/** Protocol version: "v1" (default) or "v1alpha1". `version` is copied.
 *  bg_client_from_url() needs v1: v1alpha1 servers have no ServiceMetadata RPC. */
BG_API bg_status bg_options_set_protocol_version(bg_options *options, const char *version,
                                                 bg_error *err);

/** Deadline for connecting plus the ServiceMetadata call in bg_client_from_url().
 *  Default 10000 ms; must be > 0. */
BG_API bg_status bg_options_set_discovery_timeout_ms(bg_options *options, int64_t timeout_ms,
                                                     bg_error *err);

/** Deadline for calls whose bg_call_options sets none. Default 0: no deadline.
 *  Must be >= 0. */
BG_API bg_status bg_options_set_default_deadline_ms(bg_options *options, int64_t deadline_ms,
                                                    bg_error *err);

/** Largest response message the client accepts, in bytes; -1 (the default) means no limit,
 *  as BentoML's server has none (gRPC's own default of 4 MiB is too small for tensors). */
BG_API bg_status bg_options_set_max_receive_bytes(bg_options *options, int64_t max_bytes,
                                                  bg_error *err);

/** New per-call options: no deadline override, no metadata, wait-for-ready off.
 *  NULL when out of memory. Free with bg_call_options_free(). */
BG_API bg_call_options *bg_call_options_new(void);
/** Accepts NULL. */
BG_API void bg_call_options_free(bg_call_options *call_options);

/** Deadline of the call in milliseconds from its start (> 0). Overrides the client default. */
BG_API bg_status bg_call_options_set_deadline_ms(bg_call_options *call_options, int64_t deadline_ms,
                                                 bg_error *err);

/** Adds one request metadata entry; `key` and `value` are copied. Keys are lower-case ASCII
 *  letters, digits, '-', '_' and '.', and must not start with "grpc-". A key ending in
 *  "-bin" carries binary values of `value_len` bytes; other values must be printable ASCII. */
BG_API bg_status bg_call_options_add_metadata(bg_call_options *call_options, const char *key,
                                              const char *value, size_t value_len, bg_error *err);

/** Client-side validation (on by default): before anything is sent, the input is checked
 *  against the API's descriptor spec as the server would check it (enforced dtype and shape,
 *  dataframe orient/shape/column dtypes, MIME types, multipart part names), and a failure
 *  names the API, the field, what was expected and what was given. Turn it off to let the
 *  server judge the input itself. */
BG_API bg_status bg_call_options_set_validate(bg_call_options *call_options, bool validate,
                                              bg_error *err);

/** With wait-for-ready the call waits (within its deadline) for the server to become
 *  reachable instead of failing at once with UNAVAILABLE. */
BG_API bg_status bg_call_options_set_wait_for_ready(bg_call_options *call_options,
                                                    bool wait_for_ready, bg_error *err);

#ifdef __cplusplus
}
#endif
#endif
