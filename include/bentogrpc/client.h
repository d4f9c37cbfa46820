/** @file client.h
 * The synchronous client.
 *
 * A bg_client holds one gRPC channel to one BentoML server and the registry of that
 * server's APIs, discovered once through the ServiceMetadata RPC.
 *
 * Thread-safety: a bg_client is safe to share between threads. Any number of threads may
 * call bg_client_call(), bg_client_health() and the introspection functions at once.
 * Only bg_client_close() must not race with other uses of the same client. */
#ifndef BENTOGRPC_CLIENT_H
#define BENTOGRPC_CLIENT_H

#include "common.h"
#include "options.h"
#include "value.h"

#ifdef __cplusplus
extern "C" {
#endif

/** A connection to one BentoML server and its API registry; free with bg_client_close(). */
typedef struct bg_client bg_client;
/** One API of the server. Borrowed from its client; valid until bg_client_close(). */
typedef struct bg_api bg_api;

/**
 * Connects to a BentoML gRPC server and discovers its APIs.
 *
 * `url` forms: "host:port", "grpc://host:port", "[::1]:port", "unix:/path/to.sock"
 * ("grpcs://host:port" uses TLS with the system's root certificates), and gRPC's own target
 * syntax, handed to gRPC unchanged: "dns:///name:port" (every address the name has; with
 * bg_options_set_lb_policy(o, "round_robin") calls are spread over them),
 * "dns://DNS_SERVER/name:port" (asks that name server), "ipv4:a:p,b:p,...",
 * "ipv6:[a]:p,[b]:p,...", "unix-abstract:name" and "xds:///name" (needs the environment
 * variable GRPC_XDS_BOOTSTRAP or GRPC_XDS_BOOTSTRAP_CONFIG; see README "Many replicas").
 * Use bg_options_set_tls() for TLS with these. bg_client_url() and error messages show `url`
 * as given. Unix sockets:
 * "unix:/abs/path" and "unix:///abs/path" name the absolute path /abs/path, "unix:rel/path"
 * a path relative to the working directory; "unix://name" is refused (BG_ERR_INVALID_ARGUMENT).
 * The path is used byte for byte ('#', '?' and '%' are part of it, not URI syntax) and may
 * be at most 107 bytes long (the size of sun_path); longer is BG_ERR_INVALID_ARGUMENT. A host
 * name such as
 * "localhost" is resolved by gRPC to every address it has (IPv6 and IPv4), so it works
 * whichever family the server listens on. Credentials in the address
 * ("grpc://user:password@host:port", "user@host:port") are refused with
 * BG_ERR_INVALID_ARGUMENT, and not shown in the message: send them as call metadata
 * (bg_call_options_set_bearer_token()).
 *
 * Calls ServiceMetadata within the discovery timeout (bg_options_set_discovery_timeout_ms).
 * When it fails because no gRPC server answered, the message says what did: an HTTP/1.x
 * server (BentoML's HTTP port is told apart by a look at it of at most 1 s: GET /livez,
 * /readyz, /docs.json), an HTTP/2 web server or proxy's HTTP status, or a host name that
 * does not resolve (README "When no gRPC server answers").
 * APIs whose descriptors this library cannot handle are still listed, marked unsupported.
 * `options` may be NULL for defaults; it is copied. The channel opened here is used by every
 * later call of the client.
 *
 * @param url     the server address in one of the forms above (copied).
 * @param options connection options (copied); NULL for defaults.
 * @param err     filled on failure; may be NULL.
 * @return the client (free with bg_client_close()), or NULL with `err` filled:
 *         BG_ERR_INVALID_ARGUMENT (bad URL), BG_ERR_UNAVAILABLE (nothing answers there),
 *         BG_ERR_DEADLINE, BG_ERR_UNSUPPORTED (protocol version without ServiceMetadata),
 *         BG_ERR_SERVER or BG_ERR_PROTOCOL (the server's answer is unusable). Thread-safe.
 */
BG_API bg_client *bg_client_from_url(const char *url, const bg_options *options, bg_error *err);

/**
 * Connects to `url` WITHOUT discovering the APIs: no RPC is made, the API registry is empty.
 * For servers without ServiceMetadata (protocol v1alpha1) and for calls that bypass the
 * descriptors: use bg_client_call_raw() and the health functions with it.
 * @param url     the server address, as for bg_client_from_url() (copied).
 * @param options connection options (copied); NULL for defaults.
 * @param err     filled on failure; may be NULL.
 * @return the client (free with bg_client_close()), or NULL with `err` filled
 *         (BG_ERR_INVALID_ARGUMENT: bad URL). Thread-safe.
 */
BG_API bg_client *bg_client_open(const char *url, const bg_options *options, bg_error *err);

/** Closes the channel and frees the client and its API registry. No call on this client may
 *  be running or start afterwards, and every bg_api of it becomes invalid.
 *  @param client the client (taken); NULL is accepted. */
BG_API void bg_client_close(bg_client *client);

/** The service name the server reported.
 *  @param client the client.
 *  @return the name (borrowed from the client; never NULL). */
BG_API const char *bg_client_service_name(const bg_client *client);
/** The service documentation the server reported.
 *  @param client the client.
 *  @return the documentation (borrowed from the client; never NULL, "" when none). */
BG_API const char *bg_client_service_docs(const bg_client *client);
/** The address given to bg_client_from_url() or bg_client_open(), as given.
 *  @param client the client.
 *  @return the URL (borrowed from the client). */
BG_API const char *bg_client_url(const bg_client *client);

/* ---- API introspection: every returned pointer is borrowed from the client. ---- */

/** Number of APIs the server reported.
 *  @param client the client.
 *  @return the count (0 for a client made by bg_client_open()). */
BG_API size_t bg_client_api_count(const bg_client *client);
/** The index-th API in server order.
 *  @param client the client.
 *  @param index  0-based index.
 *  @return the API (borrowed from the client), or NULL when out of range. */
BG_API const bg_api *bg_client_api_at(const bg_client *client, size_t index);
/** The API named `name`.
 *  @param client the client.
 *  @param name   exact, case-sensitive name.
 *  @return the API (borrowed from the client), or NULL when there is none. */
BG_API const bg_api *bg_client_api_find(const bg_client *client, const char *name);

/** The API's name.
 *  @param api the API.
 *  @return the name (borrowed from the client). */
BG_API const char *bg_api_name(const bg_api *api);
/** The API's documentation.
 *  @param api the API.
 *  @return the documentation (borrowed from the client), or NULL when the server sent none. */
BG_API const char *bg_api_docs(const bg_api *api);
/** The input descriptor id.
 *  @param api the API.
 *  @return an id such as "bentoml.io.NumpyNdarray" (borrowed from the client), or NULL when
 *          the server sent none. */
BG_API const char *bg_api_input_descriptor(const bg_api *api);
/** The output descriptor id.
 *  @param api the API.
 *  @return an id such as "bentoml.io.JSON" (borrowed from the client), or NULL when the
 *          server sent none. */
BG_API const char *bg_api_output_descriptor(const bg_api *api);
/** The input descriptor's attributes as compact JSON text. Numbers are written as the server
 *  sent them: doubles, e.g. a shape (2, 2) is [2.0, 2.0].
 *  @param api the API.
 *  @return a JSON object (borrowed from the client; "{}" when empty). */
BG_API const char *bg_api_input_attributes_json(const bg_api *api);
/** The output descriptor's attributes as compact JSON text, as
 *  bg_api_input_attributes_json().
 *  @param api the API.
 *  @return a JSON object (borrowed from the client; "{}" when empty). */
BG_API const char *bg_api_output_attributes_json(const bg_api *api);
/** Whether bg_client_call() can encode this API's input and decode its output.
 *  @param api the API.
 *  @return true when supported; otherwise see bg_api_unsupported_reason(). */
BG_API bool bg_api_is_supported(const bg_api *api);
/** Why the API is unsupported.
 *  @param api the API.
 *  @return the reason, e.g. an unknown descriptor id (borrowed from the client), or NULL when
 *          supported. */
BG_API const char *bg_api_unsupported_reason(const bg_api *api);

/* ---- Calls ---- */

/**
 * Calls API `api_name`: checks `input` against the API's input descriptor (unless
 * bg_call_options_set_validate() turned that off), encodes it, runs the interceptors' `before`
 * hooks, sends it to `/bentoml.grpc.<version>.BentoService/Call` and decodes the reply with the
 * output descriptor.
 *
 * `input` is borrowed for the duration of the call. A large float or double ndarray is sent
 * straight from its buffer (no copy of the elements); the call returns only after gRPC has let
 * go of that buffer, so it may be freed as soon as bg_client_call() returns. On success
 * `*output` receives a new value owned by the caller (free it with bg_value_free()); on failure
 * `*output` is set to NULL. A float or double ndarray output may be decoded into a buffer of
 * the caller's instead of fresh memory (bg_call_options_set_output_buffer()): the value then
 * borrows it. `call_options` may be NULL (the client's default deadline, no metadata).
 *
 * @param client       the client.
 * @param api_name     the API's name (borrowed for the call).
 * @param input        the input value (borrowed for the call).
 * @param output       receives the output on BG_OK, NULL otherwise.
 * @param call_options per-call options (borrowed for the call); may be NULL.
 * @param err          filled on failure; may be NULL.
 * @return BG_OK, or: BG_ERR_UNKNOWN_API (no such API; the message lists the ones there are),
 * BG_ERR_UNSUPPORTED (the API's descriptors are not supported: use bg_client_call_raw()),
 * BG_ERR_INVALID_ARGUMENT (the input does not fit the descriptor, or credentials would go
 * over a plaintext channel, see bg_options_set_allow_insecure_credentials(); nothing was sent),
 * BG_ERR_SERVER with bg_error::grpc_status and the server's own message (e.g.
 * INVALID_ARGUMENT from BentoML's validation), BG_ERR_DEADLINE, BG_ERR_UNAVAILABLE,
 * BG_ERR_CANCELLED (bg_cancel_token_cancel()), BG_ERR_PROTOCOL (the reply cannot be read, or
 * the server sent more than one reply message; the call is then cancelled at once). An API
 * whose name the server sent with a NUL byte is not listed: calling it is BG_ERR_UNKNOWN_API,
 * with the reason. Thread-safe.
 */
BG_API bg_status bg_client_call(bg_client *client, const char *api_name, const bg_value *input,
                                bg_value **output, const bg_call_options *call_options,
                                bg_error *err);

/**
 * Calls API `api_name` without its descriptors: no lookup, no validation. The Request's
 * content field follows the input's kind (ndarray -> `ndarray`, series -> `series`,
 * dataframe -> `dataframe`, json -> `json`, text -> `text`, file -> `file` with the file's
 * MIME type as `kind`, multipart -> `multipart` with each part by its kind, bytes ->
 * `serialized_bytes`); the reply is decoded from whichever member the server set.
 * Works on v1 and v1alpha1 servers (for v1alpha1 the MIME type becomes the File.FileType
 * enum). Ownership, threads and errors as bg_client_call().
 * @code{.c}
 *   bg_options *o = bg_options_new();
 *   bg_options_set_protocol_version(o, "v1alpha1", NULL);
 *   bg_client *c = bg_client_open("localhost:3000", o, &err);
 *   bg_client_call_raw(c, "predict", input, &output, NULL, &err);
 * @endcode
 *
 * @param client       the client.
 * @param api_name     the API's name (borrowed for the call).
 * @param input        the input value (borrowed for the call).
 * @param output       receives the output on BG_OK, NULL otherwise.
 * @param call_options per-call options (borrowed for the call); may be NULL.
 * @param err          filled on failure; may be NULL.
 * @return BG_OK or the errors of bg_client_call() (but never BG_ERR_UNKNOWN_API or
 *         BG_ERR_UNSUPPORTED from the registry: there is no lookup).
 */
BG_API bg_status bg_client_call_raw(bg_client *client, const char *api_name, const bg_value *input,
                                    bg_value **output, const bg_call_options *call_options,
                                    bg_error *err);

/* ---- Health ---- */

/** Serving status of the standard gRPC health protocol (grpc.health.v1). */
typedef enum bg_health_status {
  BG_HEALTH_UNKNOWN = 0,        /**< the server reported UNKNOWN, or there is no answer */
  BG_HEALTH_SERVING = 1,        /**< ready for calls */
  BG_HEALTH_NOT_SERVING = 2,    /**< up, but not taking calls */
  BG_HEALTH_SERVICE_UNKNOWN = 3 /**< the server does not know the service (Watch only) */
} bg_health_status;

/** Name of a health status.
 *  @param status any value.
 *  @return "SERVING", ... (static storage, never NULL). */
BG_API const char *bg_health_status_name(bg_health_status status);

/** @deprecated Use bg_health_status_name(); the old name is kept for this minor version only.
 *  @param status as for bg_health_status_name().
 *  @return as bg_health_status_name(). */
BG_DEPRECATED("use bg_health_status_name")
BG_API const char *bg_health_status_str(bg_health_status status);

/**
 * One grpc.health.v1.Health/Check for `service`; "" asks for the whole server. NULL (the
 * usual choice) asks for the server's BentoService, whichever name it registers: first
 * "bentoml.grpc.<version>.BentoService" of the client's protocol version; with v1 (the
 * default), if the server answers NOT_FOUND, then "bentoml.grpc.v1alpha1.BentoService"
 * (BentoML 1.0.6 to 1.0.10 serve only v1alpha1); if that is NOT_FOUND too (and for v1alpha1
 * after its own name), "" (the whole server). A name the caller gives is the only one asked.
 * bg_client_health_service() also says which name answered. `timeout_ms` > 0 bounds the
 * check, every name asked included. On BG_OK, *status holds the reported status.
 * Thread-safe.
 * @param client     the client.
 * @param service    the service name (borrowed for the call); NULL or "" as above.
 * @param timeout_ms bound of the check, > 0.
 * @param status     receives the reported status on BG_OK.
 * @param err        filled on failure; may be NULL.
 * @return BG_OK; BG_ERR_SERVER with grpc_status NOT_FOUND (5) for a name the server does not
 *         know (with NULL: none of the names above); BG_ERR_INVALID_ARGUMENT,
 *         BG_ERR_DEADLINE, BG_ERR_UNAVAILABLE.
 */
BG_API bg_status bg_client_health(bg_client *client, const char *service, int64_t timeout_ms,
                                  bg_health_status *status, bg_error *err);

/**
 * bg_client_health(), also reporting which service name was checked: with `service` NULL,
 * the name of the server's BentoService that answered (or the last one asked).
 * @param client          the client.
 * @param service         the service name (borrowed for the call); NULL or "" as for
 *                        bg_client_health().
 * @param timeout_ms      bound of the check, > 0.
 * @param status          receives the reported status on BG_OK.
 * @param checked_service receives the name asked last ("" for the whole server): `service`
 *                        itself when given, else a string in static storage; NULL when no
 *                        check was made (bad arguments). May be NULL.
 * @param err             filled on failure; may be NULL.
 * @return as bg_client_health().
 */
BG_API bg_status bg_client_health_service(bg_client *client, const char *service,
                                          int64_t timeout_ms, bg_health_status *status,
                                          const char **checked_service, bg_error *err);

/**
 * One health check of `service` at `url` without discovering the APIs first (a server that
 * is still starting answers health checks before it serves ServiceMetadata, and servers
 * before BentoML 1.0.12 have no ServiceMetadata at all). Opens and closes its own channel;
 * same `service` rules (NULL: the BentoService, whichever name the server registers),
 * results and errors as bg_client_health().
 * @param url        the server address, as for bg_client_from_url().
 * @param service    the service name; NULL or "" as for bg_client_health().
 * @param timeout_ms bound of the check, > 0.
 * @param options    connection options (copied); may be NULL.
 * @param status     receives the reported status on BG_OK.
 * @param err        filled on failure; may be NULL.
 * @return as bg_client_health(), plus BG_ERR_INVALID_ARGUMENT for a bad URL.
 */
BG_API bg_status bg_health_check_url(const char *url, const char *service, int64_t timeout_ms,
                                     const bg_options *options, bg_health_status *status,
                                     bg_error *err);

/**
 * bg_health_check_url(), also reporting which service name was checked (as
 * bg_client_health_service()).
 * @param url             the server address, as for bg_client_from_url().
 * @param service         the service name; NULL or "" as for bg_client_health().
 * @param timeout_ms      bound of the check, > 0.
 * @param options         connection options (copied); may be NULL.
 * @param status          receives the reported status on BG_OK.
 * @param checked_service receives the name asked last: `service` itself when given, else a
 *                        string in static storage; NULL when no check was made. May be NULL.
 * @param err             filled on failure; may be NULL.
 * @return as bg_health_check_url().
 */
BG_API bg_status bg_health_check_url_service(const char *url, const char *service,
                                             int64_t timeout_ms, const bg_options *options,
                                             bg_health_status *status, const char **checked_service,
                                             bg_error *err);

/**
 * Polls health at `url` until the server's BentoService reports SERVING, sleeping
 * `interval_ms` between polls (no busy loop); each poll is bounded by the time left. Each poll
 * asks the names of bg_client_health() with `service` NULL, in the same order:
 * "bentoml.grpc.<version>.BentoService", then (v1 only) "bentoml.grpc.v1alpha1.BentoService",
 * then "", each only after the one before answered NOT_FOUND.
 * @param url         the server address, as for bg_client_from_url().
 * @param timeout_ms  how long to wait in all, > 0.
 * @param interval_ms pause between polls, > 0.
 * @param options     connection options (copied); may be NULL.
 * @param err         filled on failure; may be NULL.
 * @return BG_OK as soon as the server is SERVING; BG_ERR_TIMEOUT after `timeout_ms` with a
 *         message naming the address, the service name asked last, the last status or error
 *         and the time waited; BG_ERR_INVALID_ARGUMENT for a bad URL or non-positive times.
 */
BG_API bg_status bg_wait_until_server_ready(const char *url, int64_t timeout_ms,
                                            int64_t interval_ms, const bg_options *options,
                                            bg_error *err);

/**
 * bg_wait_until_server_ready(), also reporting which service name was checked: on BG_OK the
 * one that reported SERVING, else the name asked last.
 * @param url             the server address, as for bg_client_from_url().
 * @param timeout_ms      how long to wait in all, > 0.
 * @param interval_ms     pause between polls, > 0.
 * @param options         connection options (copied); may be NULL.
 * @param checked_service receives the name (a string in static storage; "" for the whole
 *                        server), or NULL when no check completed. May be NULL.
 * @param err             filled on failure; may be NULL.
 * @return as bg_wait_until_server_ready().
 */
BG_API bg_status bg_wait_until_server_ready_service(const char *url, int64_t timeout_ms,
                                                    int64_t interval_ms, const bg_options *options,
                                                    const char **checked_service, bg_error *err);

/** Called by bg_client_health_watch() with the status the server reports: first the current
 *  one, then each change.
 *  @param status    the status now (BG_HEALTH_SERVICE_UNKNOWN: the server does not know the
 *                   name, which a Watch reports as a status, not as an error).
 *  @param user_data the pointer given to bg_client_health_watch().
 *  @return true to keep watching, false to end the watch (bg_client_health_watch() then
 *          returns BG_OK). */
typedef bool (*bg_health_watch_fn)(bg_health_status status, void *user_data);

/**
 * Watches `service`'s health with grpc.health.v1.Health/Watch (a server-streaming RPC): calls
 * `on_status` on the calling thread with the current status, then once per change, until
 * `on_status` returns false, `timeout_ms` passes, a cancel token cancels it or the server
 * ends the stream. The service name: the one given ("" for the whole server), or with NULL
 * the BentoService of the client's protocol version ("bentoml.grpc.<version>.BentoService");
 * unlike bg_client_health() there is no fallback to other names (a Watch of an unknown name
 * reports BG_HEALTH_SERVICE_UNKNOWN and goes on). Thread-safe: several watches and calls may
 * run on one client at once; the client must outlive the watch. A fork() may happen while a
 * watch runs (the watch holds the library's fork gate only briefly).
 * @param client       the client.
 * @param service      the service name (borrowed for the call); NULL as above.
 * @param timeout_ms   how long to watch in all; 0 watches until ended otherwise; < 0 is
 *                     refused.
 * @param on_status    called for each status (see bg_health_watch_fn); not NULL.
 * @param user_data    passed to `on_status` untouched.
 * @param call_options may be NULL; only its cancel token (bg_call_options_set_cancel_token())
 *                     and wait-for-ready setting are used: bg_cancel_token_cancel() from
 *                     another thread ends the watch promptly. Borrowed for the call.
 * @param err          filled on failure; may be NULL.
 * @return BG_OK when `on_status` ended the watch or the server ended the stream with OK;
 *         BG_ERR_TIMEOUT when `timeout_ms` passed (the watch's normal end when bounded);
 *         BG_ERR_CANCELLED when the token cancelled it; BG_ERR_SERVER with grpc_status
 *         UNIMPLEMENTED (12) when the server has no Watch (poll bg_client_health() instead), or
 *         NOT_FOUND (5); BG_ERR_UNAVAILABLE, BG_ERR_PROTOCOL (a message that is no
 *         HealthCheckResponse), BG_ERR_INVALID_ARGUMENT.
 */
BG_API bg_status bg_client_health_watch(bg_client *client, const char *service, int64_t timeout_ms,
                                        bg_health_watch_fn on_status, void *user_data,
                                        const bg_call_options *call_options, bg_error *err);

/** The connectivity state of a client's channel (gRPC's, one for all its connections). */
typedef enum bg_channel_state {
  BG_CHANNEL_IDLE,              /**< no connection and none being made (yet, or after idling) */
  BG_CHANNEL_CONNECTING,        /**< connecting, or resolving the name */
  BG_CHANNEL_READY,             /**< at least one connection can take calls */
  BG_CHANNEL_TRANSIENT_FAILURE, /**< no address can be reached now; gRPC retries with backoff */
  BG_CHANNEL_SHUTDOWN           /**< closed (also returned for a NULL client) */
} bg_channel_state;

/** The channel's state now. Unless the channel is IDLE (and not asked to connect) or SHUTDOWN, this
 * lets gRPC work on the connections for up to 10 ms, so that a caller who only watches sees them
 *  progress. For watching: poll it, e.g. once a second; calls do not need it, as they wait or
 *  fail by themselves. Thread-safe.
 *  @param client         the client; NULL gives BG_CHANNEL_SHUTDOWN.
 *  @param try_to_connect starts connecting when the channel is IDLE (a new client opened with
 *                        bg_client_open() is IDLE until its first call, or until asked here).
 *  @return the state. */
BG_API bg_channel_state bg_client_channel_state(bg_client *client, bool try_to_connect);

/** Waits until the client's channel is connected (READY), for a client opened without
 *  discovery (bg_client_open()) that should fail before its first call when nothing answers.
 *  When the channel fails to connect, one health check of the whole server on it says why, in
 *  the same words as a failed call (what answered instead of a gRPC server, if anything); a
 *  server that answers that check in any way (even UNIMPLEMENTED) counts as reachable.
 *  Thread-safe.
 *  @param client     the client.
 *  @param timeout_ms how long to wait, > 0.
 *  @param err        filled on failure; may be NULL.
 *  @return BG_OK when connected or the server answered; BG_ERR_UNAVAILABLE with gRPC's reason
 *          ("connecting to the server at ADDRESS failed: ..."); BG_ERR_DEADLINE when not connected
 * in time; BG_ERR_INVALID_ARGUMENT; BG_ERR_FORKED for a client of a parent process. */
BG_API bg_status bg_client_wait_connected(bg_client *client, int64_t timeout_ms, bg_error *err);

#ifdef __cplusplus
}
#endif
#endif
