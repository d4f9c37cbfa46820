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
#include "interceptor.h"

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

/** Largest reply metadata (headers, and trailers, each) the client accepts, in bytes
 *  (1..INT32_MAX); gRPC's channel argument grpc.max_metadata_size. Default: gRPC's 8 KiB.
 *  A reply over the limit fails with BG_ERR_SERVER, grpc_status RESOURCE_EXHAUSTED. */
BG_API bg_status bg_options_set_max_metadata_size(bg_options *options, size_t bytes, bg_error *err);

/* ---- TLS and mutual TLS ----
 * TLS is used for grpcs:// URLs, or when enabled here, or when any TLS material is set.
 * Files are read and PEM is checked when set, so a missing, unreadable or non-PEM input fails
 * here with a message naming it, not at the first call.
 * TLS is never switched off silently: bg_options_set_tls(false) on options that hold TLS
 * material, and TLS material set after bg_options_set_tls(false), fail with
 * BG_ERR_INVALID_ARGUMENT naming both settings (the options stay as they were); a grpcs://
 * URL with such options fails in bg_client_from_url() the same way. */

/** `enable`: uses TLS even for host:port URLs (with the system's roots unless a CA is set).
 *  false: plaintext; refused (see above) while CA certificates or a client certificate are
 *  set. */
BG_API bg_status bg_options_set_tls(bg_options *options, bool enable, bg_error *err);
/** CA certificates that verify the server, from a PEM file or PEM bytes (copied). */
BG_API bg_status bg_options_set_root_certs_file(bg_options *options, const char *path,
                                                bg_error *err);
BG_API bg_status bg_options_set_root_certs_pem(bg_options *options, const char *pem, size_t len,
                                               bg_error *err);
/** The client certificate chain and private key for mutual TLS, from files or PEM bytes. */
BG_API bg_status bg_options_set_client_cert_file(bg_options *options, const char *cert_path,
                                                 const char *key_path, bg_error *err);
BG_API bg_status bg_options_set_client_cert_pem(bg_options *options, const char *cert_pem,
                                                size_t cert_len, const char *key_pem,
                                                size_t key_len, bg_error *err);
/** Overrides the :authority and the name the server certificate must carry (SNI), for
 *  certificates issued to another name than the URL's host. */
BG_API bg_status bg_options_set_authority(bg_options *options, const char *authority,
                                          bg_error *err);

/** Per-call credentials (an `authorization` header from bg_call_options_set_bearer_token(),
 *  bg_call_options_add_metadata(), a credentials callback or an interceptor) are sent only
 *  over TLS: on a plaintext channel such a call fails with BG_ERR_INVALID_ARGUMENT before
 *  anything is sent, as gRPC's own call credentials do. `allow` = true lifts that for
 *  loopback targets (localhost, 127.0.0.0/8, [::1]) and unix: sockets only, whose traffic
 *  never leaves the machine; other plaintext targets are still refused. Default false. */
BG_API bg_status bg_options_allow_insecure_credentials(bg_options *options, bool allow,
                                                       bg_error *err);

/* ---- channel ---- */

/** Largest request the client sends, in bytes; -1 (default) means no limit. */
BG_API bg_status bg_options_set_max_send_bytes(bg_options *options, int64_t max_bytes,
                                               bg_error *err);
/** HTTP/2 keepalive pings every `time_ms` (> 0), failing the connection when one is not
 *  answered within `timeout_ms` (0: gRPC's 20 s); `permit_without_calls` pings even when no
 *  call is active.
 *
 *  Defaults, for long-lived clients behind load balancers, NATs and firewalls that drop
 *  connections idle for some minutes without telling either end:
 *  - keepalive every 5 min (300000 ms) while calls are active, 20 s timeout, no pings without
 *    calls. 5 min is what gRPC servers accept by default: pinging more
 *    often, or at all without calls, makes them close the connection with GOAWAY
 *    "too_many_pings". So a slow call keeps its connection through middleboxes with idle
 *    timeouts above 5 min (AWS NLB 350 s, GCP 10 min), and a dead peer is noticed within
 *    5 min 20 s instead of TCP's ~15 min.
 *  - the channel goes idle after 3 min without calls (gRPC channel argument
 *    grpc.client_idle_timeout_ms, gRPC's own default is 30 min): it closes its connections
 *    before the common middlebox idle timeouts (Azure LB 4 min, AWS NLB 350 s) can silently
 *    drop them, so no call is sent into a dead connection; the next call reconnects.
 *  For a middlebox that cuts active connections sooner than 5 min, lower `time_ms` AND raise
 *  the server's permission (server arguments grpc.http2.min_recv_ping_interval_without_data_ms
 *  and, for `permit_without_calls`, grpc.keepalive_permit_without_calls). The idle timeout is
 *  changed with bg_options_set_channel_arg_int(o, "grpc.client_idle_timeout_ms", ms). */
BG_API bg_status bg_options_set_keepalive(bg_options *options, int64_t time_ms, int64_t timeout_ms,
                                          bool permit_without_calls, bg_error *err);
/** User agent prefix (copied); default "bentogrpc-c/<version>". */
BG_API bg_status bg_options_set_user_agent(bg_options *options, const char *user_agent,
                                           bg_error *err);
/** Load-balancing policy across the addresses a name resolves to: "pick_first" (gRPC's
 *  default) or "round_robin". */
BG_API bg_status bg_options_set_lb_policy(bg_options *options, const char *policy, bg_error *err);
/** gRPC service config JSON (retries, timeouts, LB); must be a JSON object. Copied. */
BG_API bg_status bg_options_set_service_config(bg_options *options, const char *json,
                                               bg_error *err);
/** Any other client-side gRPC channel argument (grpc_types.h names, e.g.
 *  "grpc.http2.lookahead_bytes"). Unknown keys and the wrong value type are errors.
 *  Applied after the typed settings above, so they win. At most 32. */
BG_API bg_status bg_options_set_channel_arg_int(bg_options *options, const char *key, int value,
                                                bg_error *err);
BG_API bg_status bg_options_set_channel_arg_string(bg_options *options, const char *key,
                                                   const char *value, bg_error *err);

/** Compression of requests (responses follow the server's choice). */
typedef enum bg_compression {
  BG_COMPRESSION_NONE = 0,
  BG_COMPRESSION_DEFLATE = 1,
  BG_COMPRESSION_GZIP = 2
} bg_compression;
/** The channel's default request compression (default none). */
BG_API bg_status bg_options_set_compression(bg_options *options, bg_compression compression,
                                            bg_error *err);

/** Adds `interceptor` to the chain (see interceptor.h); the options take their own reference.
 *  At most 16. */
BG_API bg_status bg_options_add_interceptor(bg_options *options, bg_interceptor *interceptor,
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

/** Compression of this call's request, overriding the channel default. */
BG_API bg_status bg_call_options_set_compression(bg_call_options *call_options,
                                                 bg_compression compression, bg_error *err);

/** Per-call credentials: sends "authorization: Bearer <token>" (token copied; printable
 *  ASCII). Replaces an earlier token. Sent over TLS only: on a plaintext channel the call is
 *  refused unless bg_options_allow_insecure_credentials() allows a loopback/unix: target. */
BG_API bg_status bg_call_options_set_bearer_token(bg_call_options *call_options, const char *token,
                                                  bg_error *err);

/** Per-call credentials through a callback that adds metadata to each call, after the
 *  interceptors' `before` hooks (see interceptor.h). NULL removes it. */
BG_API bg_status bg_call_options_set_credentials(bg_call_options *call_options,
                                                 bg_credentials_fn callback, void *user_data,
                                                 bg_error *err);

/** Copies each call's reply metadata (initial and trailing) into `sink` (borrowed; must
 *  outlive the calls). A call options object with a sink must not be used by two calls at
 *  once. NULL removes it. */
BG_API bg_status bg_call_options_set_response_metadata(bg_call_options *call_options,
                                                       bg_response_metadata *sink, bg_error *err);

/* ---- Cancelling sync calls ----
 * bg_client_call() blocks its thread; a cancel token lets another thread (a binding's
 * Ctrl-C handler, a UI) end it. Async calls have bg_async_call_cancel() instead. */

typedef struct bg_cancel_token bg_cancel_token;

/** A new, not-cancelled token, or NULL when out of memory. Free with bg_cancel_token_free()
 *  once no call using it is running. */
BG_API bg_cancel_token *bg_cancel_token_new(void);
BG_API void bg_cancel_token_free(bg_cancel_token *token);
/** Cancels every sync call running with this token and every later one until
 *  bg_cancel_token_reset(): they fail with BG_ERR_CANCELLED (grpc_status CANCELLED).
 *  Any thread (not from a signal handler: it takes a lock). Accepts NULL. */
BG_API void bg_cancel_token_cancel(bg_cancel_token *token);
BG_API bool bg_cancel_token_is_cancelled(bg_cancel_token *token);
/** Makes the token usable again for new calls. */
BG_API void bg_cancel_token_reset(bg_cancel_token *token);
/** Sync calls (bg_client_call, bg_client_call_raw) with these options can be cancelled
 *  through `token` (borrowed: it must outlive those calls; NULL removes it). One token
 *  may serve many calls on many threads. bg_async_call() ignores it. */
BG_API bg_status bg_call_options_set_cancel_token(bg_call_options *call_options,
                                                  bg_cancel_token *token, bg_error *err);

/* ---- many replicas (see README "Many replicas") ----
 * A target that resolves to several addresses (dns:///name:port, ipv4:a:p,b:p, ...) is one
 * channel with one connection per address; bg_options_set_lb_policy() chooses how calls are
 * spread. The retry policy and the health check below are written into the channel's gRPC
 * service config, merged with bg_options_set_service_config()'s JSON; where both say the
 * same thing, the typed setting wins. */

/** Retries by gRPC (service config `retryPolicy`) for every method of BentoService and
 *  grpc.health.v1.Health: a call that fails with one of `status_codes` (comma-separated gRPC
 *  status names, case-insensitive; NULL means "UNAVAILABLE") is sent again, up to
 *  `max_attempts` attempts in all (2..5: gRPC caps it at 5; 0 or 1 turns retries off), after a
 *  randomised backoff starting at `initial_backoff_ms` (> 0), growing by
 *  `backoff_multiplier` (> 0) up to `max_backoff_ms` (>= initial). Only calls that have not
 *  received any reply are retried, within the call's deadline; gRPC buffers at most 256 KiB of
 *  a request for retrying (channel argument grpc.per_rpc_retry_buffer_size), larger requests
 *  are sent once. Retrying is safe for BentoService/Call only when the APIs are idempotent.
 *  Example (CLI --retries 3): bg_options_set_retry(o, 4, 100, 1000, 2.0, NULL, &err). */
BG_API bg_status bg_options_set_retry(bg_options *options, int max_attempts,
                                      int64_t initial_backoff_ms, int64_t max_backoff_ms,
                                      double backoff_multiplier, const char *status_codes,
                                      bg_error *err);

/** gRPC client-side health checking (service config `healthCheckConfig`): the channel
 *  watches each replica's grpc.health.v1.Health/Watch for `service_name` (NULL or "": the
 *  server's overall health; copied) and sends no new calls to a replica that answers other
 *  than SERVING, until it says SERVING again. A server without Watch (UNIMPLEMENTED) is
 *  treated as healthy. Takes effect with the "round_robin" policy; gRPC's pick_first ignores
 *  it. `enable` false turns it off. */
BG_API bg_status bg_options_set_health_check(bg_options *options, bool enable,
                                             const char *service_name, bg_error *err);

#ifdef __cplusplus
}
#endif
#endif
