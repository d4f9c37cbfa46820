/** @file options.h
 * Client options and per-call options.
 *
 * bg_options configures how a client connects; it is copied by bg_client_from_url(), so one
 * options object may be reused for many clients and freed right after. bg_call_options
 * configures one call and is read only during the call it is passed to.
 * Options objects are not synchronised: build them on one thread, then share them read-only.
 *
 * Every setter takes the options object (borrowed, not NULL) and an optional `err`, and
 * returns BG_OK, or BG_ERR_INVALID_ARGUMENT with a message naming the setting and the
 * accepted values (the options then stay as they were), or BG_ERR_NO_MEMORY. */
#ifndef BENTOGRPC_OPTIONS_H
#define BENTOGRPC_OPTIONS_H

#include <stdbool.h>

#include "common.h"
#include "interceptor.h"

#ifdef __cplusplus
extern "C" {
#endif

/** How a client connects (see the file description); caller-owned, copied by the client. */
typedef struct bg_options bg_options;
/** How one call is made; caller-owned, read only during the calls it is passed to. */
typedef struct bg_call_options bg_call_options;

/** New options with the defaults described at each setter.
 *  @return the options (free with bg_options_free()), or NULL when out of memory. */
BG_API bg_options *bg_options_new(void);
/** Frees options. Clients made with them keep their own copy.
 *  @param options the options (taken); NULL is accepted. */
BG_API void bg_options_free(bg_options *options);

/** Protocol version. bg_client_from_url() needs v1: v1alpha1 servers have no ServiceMetadata
 *  RPC.
 *  @param options the options.
 *  @param version "v1" (default) or "v1alpha1" (copied).
 *  @param err     filled on failure; may be NULL.
 *  @return BG_OK or BG_ERR_INVALID_ARGUMENT (another version). */
BG_API bg_status bg_options_set_protocol_version(bg_options *options, const char *version,
                                                 bg_error *err);

/** Deadline for connecting plus the ServiceMetadata call in bg_client_from_url().
 *  @param options    the options.
 *  @param timeout_ms milliseconds, > 0; default 10000.
 *  @param err        filled on failure; may be NULL.
 *  @return BG_OK or BG_ERR_INVALID_ARGUMENT. */
BG_API bg_status bg_options_set_discovery_timeout_ms(bg_options *options, int64_t timeout_ms,
                                                     bg_error *err);

/** Deadline for calls whose bg_call_options sets none.
 *  @param options     the options.
 *  @param deadline_ms milliseconds from the call's start, >= 0; default 0: no deadline.
 *  @param err         filled on failure; may be NULL.
 *  @return BG_OK or BG_ERR_INVALID_ARGUMENT. */
BG_API bg_status bg_options_set_default_deadline_ms(bg_options *options, int64_t deadline_ms,
                                                    bg_error *err);

/** A size limit of BG_NO_LIMIT lifts the limit (bg_options_set_max_receive_size(),
 *  bg_options_set_max_send_size()). */
#define BG_NO_LIMIT ((size_t)-1)

/** Largest response message the client accepts.
 *  @param options the options.
 *  @param bytes   1..INT32_MAX, or BG_NO_LIMIT (the default: no limit, as BentoML's server
 *                 has none; gRPC's own default of 4 MiB is too small for tensors).
 *  @param err     filled on failure; may be NULL.
 *  @return BG_OK or BG_ERR_INVALID_ARGUMENT. */
BG_API bg_status bg_options_set_max_receive_size(bg_options *options, size_t bytes, bg_error *err);

/** @deprecated Use bg_options_set_max_receive_size() (a `size_t`, BG_NO_LIMIT for no limit);
 *  the old name is kept for this minor version only.
 *  @param options   the options.
 *  @param max_bytes bytes, 1..INT32_MAX; -1 means no limit.
 *  @param err       filled on failure; may be NULL.
 *  @return BG_OK or BG_ERR_INVALID_ARGUMENT. */
BG_DEPRECATED("use bg_options_set_max_receive_size")
BG_API bg_status bg_options_set_max_receive_bytes(bg_options *options, int64_t max_bytes,
                                                  bg_error *err);

/** Largest reply metadata (headers, and trailers, each) the client accepts; gRPC's channel
 *  argument grpc.max_metadata_size. A reply over the limit fails with BG_ERR_SERVER,
 *  grpc_status RESOURCE_EXHAUSTED.
 *  @param options the options.
 *  @param bytes   1..INT32_MAX; default: gRPC's 8 KiB.
 *  @param err     filled on failure; may be NULL.
 *  @return BG_OK or BG_ERR_INVALID_ARGUMENT. */
BG_API bg_status bg_options_set_max_metadata_size(bg_options *options, size_t bytes, bg_error *err);

/* ---- TLS and mutual TLS ----
 * TLS is used for grpcs:// URLs, or when enabled here, or when any TLS material is set.
 * Files are read and PEM is checked when set, so a missing, unreadable or non-PEM input fails
 * here with a message naming it, not at the first call.
 * TLS is never switched off silently: bg_options_set_tls(false) on options that hold TLS
 * material, and TLS material set after bg_options_set_tls(false), fail with
 * BG_ERR_INVALID_ARGUMENT naming both settings (the options stay as they were); a grpcs://
 * URL with such options fails in bg_client_from_url() the same way. */

/** Turns TLS on or off for host:port URLs.
 *  @param options the options.
 *  @param enable  true: uses TLS even for host:port URLs (with the system's roots unless a CA
 *                 is set). false: plaintext; refused while CA certificates or a client
 *                 certificate are set (TLS is never switched off silently).
 *  @param err     filled on failure; may be NULL.
 *  @return BG_OK or BG_ERR_INVALID_ARGUMENT. */
BG_API bg_status bg_options_set_tls(bg_options *options, bool enable, bg_error *err);
/** CA certificates that verify the server, from a PEM file (read and checked now).
 *  @param options the options.
 *  @param path    the PEM file.
 *  @param err     filled on failure; may be NULL.
 *  @return BG_OK, or BG_ERR_INVALID_ARGUMENT naming the file (missing, unreadable, not PEM)
 *          or the conflict with bg_options_set_tls(false). */
BG_API bg_status bg_options_set_root_certs_file(bg_options *options, const char *path,
                                                bg_error *err);
/** CA certificates that verify the server, from PEM bytes.
 *  @param options the options.
 *  @param pem     the PEM text (copied).
 *  @param len     its length in bytes.
 *  @param err     filled on failure; may be NULL.
 *  @return BG_OK or BG_ERR_INVALID_ARGUMENT (not PEM, TLS switched off). */
BG_API bg_status bg_options_set_root_certs_pem(bg_options *options, const char *pem, size_t len,
                                               bg_error *err);
/** The client certificate chain and private key for mutual TLS, from files (read and checked
 *  now).
 *  @param options   the options.
 *  @param cert_path PEM file of the certificate chain.
 *  @param key_path  PEM file of the private key.
 *  @param err       filled on failure; may be NULL.
 *  @return BG_OK, or BG_ERR_INVALID_ARGUMENT naming the file or the conflict. */
BG_API bg_status bg_options_set_client_cert_file(bg_options *options, const char *cert_path,
                                                 const char *key_path, bg_error *err);
/** The client certificate chain and private key for mutual TLS, from PEM bytes.
 *  @param options  the options.
 *  @param cert_pem the certificate chain (copied).
 *  @param cert_len its length in bytes.
 *  @param key_pem  the private key (copied).
 *  @param key_len  its length in bytes.
 *  @param err      filled on failure; may be NULL.
 *  @return BG_OK or BG_ERR_INVALID_ARGUMENT (not PEM, TLS switched off). */
BG_API bg_status bg_options_set_client_cert_pem(bg_options *options, const char *cert_pem,
                                                size_t cert_len, const char *key_pem,
                                                size_t key_len, bg_error *err);
/** Overrides the :authority and the name the server certificate must carry (SNI), for
 *  certificates issued to another name than the URL's host.
 *  @param options   the options.
 *  @param authority the name (copied).
 *  @param err       filled on failure; may be NULL.
 *  @return BG_OK or BG_ERR_INVALID_ARGUMENT. */
BG_API bg_status bg_options_set_authority(bg_options *options, const char *authority,
                                          bg_error *err);

/** Per-call credentials (an `authorization` header from bg_call_options_set_bearer_token(),
 *  bg_call_options_add_metadata(), a credentials callback or an interceptor) are sent only
 *  over TLS: on a plaintext channel such a call fails with BG_ERR_INVALID_ARGUMENT before
 *  anything is sent, as gRPC's own call credentials do. This lifts that for loopback targets
 *  (localhost, 127.0.0.0/8, [::1]) and unix: sockets only, whose traffic never leaves the
 *  machine; other plaintext targets are still refused.
 *  @param options the options.
 *  @param allow   true to allow credentials over plaintext loopback/unix:; default false.
 *  @param err     filled on failure; may be NULL.
 *  @return BG_OK or BG_ERR_INVALID_ARGUMENT. */
BG_API bg_status bg_options_set_allow_insecure_credentials(bg_options *options, bool allow,
                                                           bg_error *err);

/** @deprecated Use bg_options_set_allow_insecure_credentials(); the old name is kept for this
 *  minor version only.
 *  @param options as for bg_options_set_allow_insecure_credentials().
 *  @param allow   as for bg_options_set_allow_insecure_credentials().
 *  @param err     filled on failure; may be NULL.
 *  @return as bg_options_set_allow_insecure_credentials(). */
BG_DEPRECATED("use bg_options_set_allow_insecure_credentials")
BG_API bg_status bg_options_allow_insecure_credentials(bg_options *options, bool allow,
                                                       bg_error *err);

/* ---- channel ---- */

/** Largest request the client sends.
 *  @param options the options.
 *  @param bytes   1..INT32_MAX, or BG_NO_LIMIT (the default).
 *  @param err     filled on failure; may be NULL.
 *  @return BG_OK or BG_ERR_INVALID_ARGUMENT. */
BG_API bg_status bg_options_set_max_send_size(bg_options *options, size_t bytes, bg_error *err);

/** @deprecated Use bg_options_set_max_send_size() (a `size_t`, BG_NO_LIMIT for no limit); the
 *  old name is kept for this minor version only.
 *  @param options   the options.
 *  @param max_bytes bytes, 1..INT32_MAX; -1 means no limit.
 *  @param err       filled on failure; may be NULL.
 *  @return BG_OK or BG_ERR_INVALID_ARGUMENT. */
BG_DEPRECATED("use bg_options_set_max_send_size")
BG_API bg_status bg_options_set_max_send_bytes(bg_options *options, int64_t max_bytes,
                                               bg_error *err);
/** HTTP/2 keepalive pings every `time_ms`, failing the connection when one is not answered
 *  within `timeout_ms`.
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
 *
 *  For a middlebox that cuts active connections sooner than 5 min, lower `time_ms` AND raise
 *  the server's permission (server arguments grpc.http2.min_recv_ping_interval_without_data_ms
 *  and, for `permit_without_calls`, grpc.keepalive_permit_without_calls). The idle timeout is
 *  changed with bg_options_set_channel_arg_int(o, "grpc.client_idle_timeout_ms", ms).
 *
 *  @param options              the options.
 *  @param time_ms              interval between pings, > 0.
 *  @param timeout_ms           how long to wait for the answer; 0: gRPC's 20 s.
 *  @param permit_without_calls pings even when no call is active.
 *  @param err                  filled on failure; may be NULL.
 *  @return BG_OK or BG_ERR_INVALID_ARGUMENT. */
BG_API bg_status bg_options_set_keepalive(bg_options *options, int64_t time_ms, int64_t timeout_ms,
                                          bool permit_without_calls, bg_error *err);
/** User agent prefix.
 *  @param options    the options.
 *  @param user_agent the prefix (copied); default `"bentogrpc-c/<version>"`.
 *  @param err        filled on failure; may be NULL.
 *  @return BG_OK or BG_ERR_INVALID_ARGUMENT. */
BG_API bg_status bg_options_set_user_agent(bg_options *options, const char *user_agent,
                                           bg_error *err);
/** Load-balancing policy across the addresses a name resolves to.
 *  @param options the options.
 *  @param policy  "pick_first" (gRPC's default) or "round_robin".
 *  @param err     filled on failure; may be NULL.
 *  @return BG_OK or BG_ERR_INVALID_ARGUMENT (another policy). */
BG_API bg_status bg_options_set_lb_policy(bg_options *options, const char *policy, bg_error *err);
/** gRPC service config JSON (retries, timeouts, LB).
 *  @param options the options.
 *  @param json    a JSON object (copied).
 *  @param err     filled on failure; may be NULL.
 *  @return BG_OK or BG_ERR_INVALID_ARGUMENT (not a JSON object). */
BG_API bg_status bg_options_set_service_config(bg_options *options, const char *json,
                                               bg_error *err);
/** Any other client-side gRPC channel argument with an integer value. Applied after the typed
 *  settings above, so it wins. At most 32 channel arguments.
 *  @param options the options.
 *  @param key     a grpc_types.h name, e.g. "grpc.http2.lookahead_bytes" (copied).
 *  @param value   the value.
 *  @param err     filled on failure; may be NULL.
 *  @return BG_OK, or BG_ERR_INVALID_ARGUMENT (unknown key, the key takes a string, more than
 *          32). */
BG_API bg_status bg_options_set_channel_arg_int(bg_options *options, const char *key, int value,
                                                bg_error *err);
/** Any other client-side gRPC channel argument with a string value; as
 *  bg_options_set_channel_arg_int().
 *  @param options the options.
 *  @param key     a grpc_types.h name (copied).
 *  @param value   the value (copied).
 *  @param err     filled on failure; may be NULL.
 *  @return BG_OK, or BG_ERR_INVALID_ARGUMENT (unknown key, the key takes an integer, more
 *          than 32). */
BG_API bg_status bg_options_set_channel_arg_string(bg_options *options, const char *key,
                                                   const char *value, bg_error *err);

/** Compression of requests (responses follow the server's choice). */
typedef enum bg_compression {
  BG_COMPRESSION_NONE = 0,    /**< no compression */
  BG_COMPRESSION_DEFLATE = 1, /**< deflate */
  BG_COMPRESSION_GZIP = 2     /**< gzip */
} bg_compression;
/** The channel's default request compression.
 *  @param options     the options.
 *  @param compression default BG_COMPRESSION_NONE.
 *  @param err         filled on failure; may be NULL.
 *  @return BG_OK or BG_ERR_INVALID_ARGUMENT. */
BG_API bg_status bg_options_set_compression(bg_options *options, bg_compression compression,
                                            bg_error *err);

/** Adds an interceptor to the chain (see interceptor.h). At most 16.
 *  @param options     the options.
 *  @param interceptor the interceptor; the options take their own reference, so the caller
 *                     still releases its own with bg_interceptor_release().
 *  @param err         filled on failure; may be NULL.
 *  @return BG_OK or BG_ERR_INVALID_ARGUMENT (NULL, more than 16). */
BG_API bg_status bg_options_add_interceptor(bg_options *options, bg_interceptor *interceptor,
                                            bg_error *err);

/** New per-call options: no deadline override, no metadata, wait-for-ready off.
 *  @return the options (free with bg_call_options_free()), or NULL when out of memory. */
BG_API bg_call_options *bg_call_options_new(void);
/** Frees per-call options; no call using them may still be running.
 *  @param call_options the options (taken); NULL is accepted. */
BG_API void bg_call_options_free(bg_call_options *call_options);

/** Deadline of the call. Overrides the client default.
 *  @param call_options the per-call options.
 *  @param deadline_ms  milliseconds from the call's start, > 0.
 *  @param err          filled on failure; may be NULL.
 *  @return BG_OK or BG_ERR_INVALID_ARGUMENT. */
BG_API bg_status bg_call_options_set_deadline_ms(bg_call_options *call_options, int64_t deadline_ms,
                                                 bg_error *err);

/** Adds one request metadata entry. Keys are lower-case ASCII letters, digits, '-', '_' and
 *  '.', and must not start with "grpc-". A key ending in "-bin" carries binary values; other
 *  values must be printable ASCII.
 *  @param call_options the per-call options.
 *  @param key          the key (copied).
 *  @param value        the value (copied); may be NULL when value_len is 0.
 *  @param value_len    length of `value` in bytes.
 *  @param err          filled on failure; may be NULL.
 *  @return BG_OK, BG_ERR_INVALID_ARGUMENT (bad key or value) or BG_ERR_NO_MEMORY. */
BG_API bg_status bg_call_options_add_metadata(bg_call_options *call_options, const char *key,
                                              const char *value, size_t value_len, bg_error *err);

/** Client-side validation (on by default): before anything is sent, the input is checked
 *  against the API's descriptor spec as the server would check it (enforced dtype and shape,
 *  dataframe orient/shape/column dtypes, MIME types, multipart part names), and a failure
 *  names the API, the field, what was expected and what was given. Turn it off to let the
 *  server judge the input itself.
 *  @param call_options the per-call options.
 *  @param validate     false to turn it off.
 *  @param err          filled on failure; may be NULL.
 *  @return BG_OK or BG_ERR_INVALID_ARGUMENT. */
BG_API bg_status bg_call_options_set_validate(bg_call_options *call_options, bool validate,
                                              bg_error *err);

/** With wait-for-ready the call waits (within its deadline) for the server to become
 *  reachable instead of failing at once with UNAVAILABLE.
 *  @param call_options   the per-call options.
 *  @param wait_for_ready true to wait; default false.
 *  @param err            filled on failure; may be NULL.
 *  @return BG_OK or BG_ERR_INVALID_ARGUMENT. */
BG_API bg_status bg_call_options_set_wait_for_ready(bg_call_options *call_options,
                                                    bool wait_for_ready, bg_error *err);

/** Compression of this call's request, overriding the channel default.
 *  @param call_options the per-call options.
 *  @param compression  the compression.
 *  @param err          filled on failure; may be NULL.
 *  @return BG_OK or BG_ERR_INVALID_ARGUMENT. */
BG_API bg_status bg_call_options_set_compression(bg_call_options *call_options,
                                                 bg_compression compression, bg_error *err);

/** Per-call credentials: sends "authorization: Bearer <token>". Replaces an earlier token.
 *  Sent over TLS only: on a plaintext channel the call is refused unless
 *  bg_options_set_allow_insecure_credentials() allows a loopback/unix: target.
 *  @param call_options the per-call options.
 *  @param token        the token (copied; printable ASCII).
 *  @param err          filled on failure; may be NULL.
 *  @return BG_OK, BG_ERR_INVALID_ARGUMENT or BG_ERR_NO_MEMORY. */
BG_API bg_status bg_call_options_set_bearer_token(bg_call_options *call_options, const char *token,
                                                  bg_error *err);

/** Per-call credentials through a callback that adds metadata to each call, after the
 *  interceptors' `before` hooks (see interceptor.h).
 *  @param call_options the per-call options.
 *  @param callback     the callback; NULL removes it.
 *  @param user_data    passed to `callback` (borrowed: must outlive the calls).
 *  @param err          filled on failure; may be NULL.
 *  @return BG_OK or BG_ERR_INVALID_ARGUMENT. */
BG_API bg_status bg_call_options_set_credentials(bg_call_options *call_options,
                                                 bg_credentials_fn callback, void *user_data,
                                                 bg_error *err);

/** Copies each call's reply metadata (initial and trailing) into a sink. A call options
 *  object with a sink must not be used by two calls at once.
 *  @param call_options the per-call options.
 *  @param sink         the sink (borrowed; must outlive the calls); NULL removes it.
 *  @param err          filled on failure; may be NULL.
 *  @return BG_OK or BG_ERR_INVALID_ARGUMENT. */
BG_API bg_status bg_call_options_set_response_metadata(bg_call_options *call_options,
                                                       bg_response_metadata *sink, bg_error *err);

/** Decodes a float or double ndarray reply into the caller's own memory, so that a caller
 *  making repeated calls reuses one buffer instead of getting fresh memory for every reply.
 *  Fresh memory costs a page fault and the kernel's zeroing of every new page, ~16 K pages for
 *  a 16 M-float (64 MiB) reply; a reused buffer is already mapped, which saved about 8 ms of
 *  ~52 ms client CPU per such call (README "Performance: large arrays").
 *
 *  When a call's reply is a float or double ndarray (BG_DTYPE_FLOAT or BG_DTYPE_DOUBLE)
 *  whose values fit in `capacity` bytes, they are written into `buffer` and the output value
 *  BORROWS it: bg_ndarray_data(output) == buffer, bg_value_free(output) does not free it, and
 *  bg_ndarray_data_mut(output) is NULL (the buffer is the caller's already). Any other reply —
 *  values larger than `capacity`, another dtype or kind, a compressed reply — is decoded as
 *  without this setting, into fresh memory the output owns: never an error, never truncated.
 *  Compare bg_ndarray_data(output) with `buffer` to tell which happened.
 *
 *  It applies to bg_client_call(), bg_client_call_raw(), bg_async_call() and
 *  bg_async_call_raw(). An async call copies the setting when it starts, so the options may
 *  be freed or changed right after bg_async_call() returns; the buffer itself is still used.
 *
 *  Ownership and lifetime: `buffer` stays the caller's and is BORROWED. The caller keeps it
 *  allocated and does not touch it while a call with these options runs (a sync call: until
 *  it returns; an async call: until its callback starts), and keeps it allocated and
 *  unchanged while an output that borrows it is in use (free or stop using that output before
 *  the buffer is given to the next call). The library may write into the buffer during any
 *  such call, so its contents are unspecified after a call whose output does not borrow it.
 *
 *  Thread-safety: one buffer must not serve two calls at once. Options with a buffer may be
 *  used by one call at a time; for N calls in flight give each its own buffer (one call
 *  options object per buffer).
 *  @param call_options the per-call options.
 *  @param buffer       the memory (BORROWED, see above), aligned for double (memory from
 *                      malloc() is); NULL turns the setting off (the default).
 *  @param capacity     its size in bytes; 0 turns the setting off.
 *  @param err          filled on failure; may be NULL.
 *  @return BG_OK, or BG_ERR_INVALID_ARGUMENT (NULL options, or `buffer` not aligned for
 *          double; the options then stay as they were). */
BG_API bg_status bg_call_options_set_output_buffer(bg_call_options *call_options, void *buffer,
                                                   size_t capacity, bg_error *err);

/* ---- Cancelling sync calls ----
 * bg_client_call() blocks its thread; a cancel token lets another thread (a binding's
 * Ctrl-C handler, a UI) end it. Async calls have bg_async_op_cancel() instead. */

/** Lets another thread cancel sync calls (see bg_call_options_set_cancel_token()). */
typedef struct bg_cancel_token bg_cancel_token;

/** A new, not-cancelled token.
 *  @return the token (free with bg_cancel_token_free() once no call using it is running), or
 *          NULL when out of memory. */
BG_API bg_cancel_token *bg_cancel_token_new(void);
/** Frees a token; no call using it may still be running.
 *  @param token the token (taken); NULL is accepted. */
BG_API void bg_cancel_token_free(bg_cancel_token *token);
/** Cancels every sync call running with this token and every later one until
 *  bg_cancel_token_reset(): they fail with BG_ERR_CANCELLED (grpc_status CANCELLED).
 *  Any thread (not from a signal handler: it takes a lock).
 *  @param token the token; NULL is accepted. */
BG_API void bg_cancel_token_cancel(bg_cancel_token *token);
/** Whether the token is cancelled. Any thread.
 *  @param token the token.
 *  @return true after bg_cancel_token_cancel() until bg_cancel_token_reset(); false for
 *          NULL. */
BG_API bool bg_cancel_token_is_cancelled(bg_cancel_token *token);
/** Makes the token usable again for new calls. Any thread.
 *  @param token the token; NULL is accepted. */
BG_API void bg_cancel_token_reset(bg_cancel_token *token);
/** Sync calls (bg_client_call(), bg_client_call_raw()) with these options can be cancelled
 *  through `token`. One token may serve many calls on many threads. bg_async_call() ignores
 *  it.
 *  @param call_options the per-call options.
 *  @param token        the token (borrowed: it must outlive those calls); NULL removes it.
 *  @param err          filled on failure; may be NULL.
 *  @return BG_OK or BG_ERR_INVALID_ARGUMENT. */
BG_API bg_status bg_call_options_set_cancel_token(bg_call_options *call_options,
                                                  bg_cancel_token *token, bg_error *err);
/** Sync calls (bg_client_call(), bg_client_call_raw()) with these options watch `fd` while
 *  they wait, on their own thread: no other thread is needed to cancel them. This is the
 *  self-pipe a signal handler writes to — Python's `signal.set_wakeup_fd()` writes each
 *  signal's number as one byte — so a call on the thread that takes Ctrl-C can end early.
 *
 *  About every 20 ms of waiting (never for a call that completes sooner) the call checks
 *  whether `fd` is readable; if so it reads what is there (the bytes are consumed). If one of
 *  the bytes read is in `cancel_bytes` (any byte when `count` is 0) the call is cancelled: it
 *  fails with BG_ERR_CANCELLED (grpc_status CANCELLED), within some 20 ms of the write plus the
 *  time gRPC takes to end the call. Other bytes are dropped and the call goes on waiting.
 *  When the other end is closed or `fd` is not valid, the call stops watching it and goes on.
 *  Make `fd` non-blocking when other readers share it (a read after the check could block).
 *  One fd may serve calls on several threads; each byte is seen by the one call that reads
 *  it. bg_async_call() ignores the setting.
 *  @param call_options the per-call options.
 *  @param fd           the file descriptor to watch (borrowed: it must stay open while such
 *                      calls run), or -1 to stop watching (the default).
 *  @param cancel_bytes the byte values that cancel (copied); may be NULL when `count` is 0.
 *  @param count        how many values `cancel_bytes` holds; 0: every byte cancels.
 *  @param err          filled on failure; may be NULL.
 *  @return BG_OK, or BG_ERR_INVALID_ARGUMENT (NULL options, `fd` below -1, or `cancel_bytes`
 *          NULL with a nonzero `count`; the options then stay as they were). */
BG_API bg_status bg_call_options_set_cancel_fd(bg_call_options *call_options, int fd,
                                               const unsigned char *cancel_bytes, size_t count,
                                               bg_error *err);

/* ---- many replicas (see README "Many replicas") ----
 * A target that resolves to several addresses (dns:///name:port, ipv4:a:p,b:p, ...) is one
 * channel with one connection per address; bg_options_set_lb_policy() chooses how calls are
 * spread. The retry policy and the health check below are written into the channel's gRPC
 * service config, merged with bg_options_set_service_config()'s JSON; where both say the
 * same thing, the typed setting wins. */

/** Retries by gRPC (service config `retryPolicy`) for every method of BentoService and
 *  grpc.health.v1.Health: a call that fails with one of `status_codes` is sent again, up to
 *  `max_attempts` attempts in all, after a randomised backoff. Only calls that have not
 *  received any reply are retried, within the call's deadline; gRPC buffers at most 256 KiB of
 *  a request for retrying (channel argument grpc.per_rpc_retry_buffer_size), larger requests
 *  are sent once. Retrying is safe for BentoService/Call only when the APIs are idempotent.
 *  Example (CLI --retries 3): bg_options_set_retry(o, 4, 100, 1000, 2.0, NULL, &err).
 *  @param options            the options.
 *  @param max_attempts       2..5 (gRPC caps it at 5); 0 or 1 turns retries off.
 *  @param initial_backoff_ms the first backoff, > 0.
 *  @param max_backoff_ms     the largest backoff, >= initial_backoff_ms.
 *  @param backoff_multiplier growth per attempt, > 0.
 *  @param status_codes       comma-separated gRPC status names, case-insensitive (copied);
 *                            NULL means "UNAVAILABLE".
 *  @param err                filled on failure; may be NULL.
 *  @return BG_OK or BG_ERR_INVALID_ARGUMENT. */
BG_API bg_status bg_options_set_retry(bg_options *options, int max_attempts,
                                      int64_t initial_backoff_ms, int64_t max_backoff_ms,
                                      double backoff_multiplier, const char *status_codes,
                                      bg_error *err);

/** gRPC client-side health checking (service config `healthCheckConfig`): the channel
 *  watches each replica's grpc.health.v1.Health/Watch and sends no new calls to a replica that
 *  answers other than SERVING, until it says SERVING again. A server without Watch
 *  (UNIMPLEMENTED) is treated as healthy. Takes effect with the "round_robin" policy; gRPC's
 *  pick_first ignores it.
 *  @param options      the options.
 *  @param enable       false turns it off.
 *  @param service_name the service to watch (copied); NULL or "": the server's overall health.
 *  @param err          filled on failure; may be NULL.
 *  @return BG_OK or BG_ERR_INVALID_ARGUMENT. */
BG_API bg_status bg_options_set_health_check(bg_options *options, bool enable,
                                             const char *service_name, bg_error *err);

#ifdef __cplusplus
}
#endif
#endif
