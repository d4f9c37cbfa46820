/** @file async.h
 * The asynchronous client.
 *
 * A bg_async_client keeps many calls in flight on one gRPC channel. Every operation
 * (bg_async_call, bg_async_call_raw, bg_async_health, bg_async_wait_until_ready) returns at
 * once; its callback
 * runs exactly once later — on success, server error, deadline, cancellation and client
 * shutdown alike — on one of three paths chosen when the client is created:
 *
 *   - poll (default): callbacks run inside bg_async_client_poll() on the caller's thread;
 *   - fd (same mode): bg_async_client_fd() is an eventfd that is readable exactly while
 *     callbacks are ready; an event loop (epoll, libuv, libevent, ...) watches it and calls
 *     bg_async_client_dispatch() on its own thread;
 *   - thread (flag BG_ASYNC_CALLBACK_THREAD): a library-owned thread runs the callbacks.
 *
 * Inside, each async client has one completion queue. In poll mode the thread inside
 * bg_async_client_poll() drains it itself (no library thread, no hand-off per call; calls make
 * progress while someone polls); with BG_ASYNC_CALLBACK_THREAD the library's thread drains it
 * and runs the callbacks; the first bg_async_client_fd() starts one library thread that drains
 * it and signals the fd. Decoding happens on the thread that runs the callback.
 *
 * Operation handles: an operation (a call, a health check, a wait) is named by
 * `bg_async_op *`, a typedef of `struct bg_async_call` (the tag is kept so that code written
 * with `struct bg_async_call *` still compiles; bg_async_call is also the function that starts
 * a call, hence the typedef name). Asking for the handle (a non-NULL `call`
 * out-parameter) gives the caller a reference: the handle then stays valid — for
 * bg_async_op_cancel() from any thread, even after the callback ran or the client was
 * closed — until the caller drops it with bg_async_op_release(). Passing NULL asks for no
 * handle and nothing needs releasing.
 *
 * Thread-safety: starting operations, cancelling and releasing are safe from any thread and
 * from inside callbacks. poll/dispatch may be called from any thread (callbacks then run on
 * each polling thread, possibly concurrently), but not from inside a callback of the same
 * client. bg_async_client_close() must not race with other uses of the same client, except
 * by its own callbacks (which it runs). */
#ifndef BENTOGRPC_ASYNC_H
#define BENTOGRPC_ASYNC_H

#include "client.h"
#include "common.h"
#include "options.h"
#include "value.h"

#ifdef __cplusplus
extern "C" {
#endif

/** A client that keeps many calls in flight; free with bg_async_client_close(). */
typedef struct bg_async_client bg_async_client;
/** The handle of one operation; see "Operation handles" in the file description. */
typedef struct bg_async_call bg_async_op;

/** Creation flag: run callbacks on a library-owned thread instead of poll/dispatch. */
#define BG_ASYNC_CALLBACK_THREAD 0x1u

/**
 * Creation flag: large inputs go out without a copy. A float or double ndarray input of at
 * least 64 KiB is then sent from its own buffer instead of being copied into the request, and
 * THE CALLER PROMISES to keep that input — the bg_value and the buffer it borrows or owns —
 * alive and unchanged until the call's callback has started (it may free it inside the
 * callback, or after). Without this flag every input is copied while bg_async_call() runs and
 * may be freed as soon as it returns. Other inputs are copied either way.
 */
#define BG_ASYNC_BORROW_INPUTS 0x2u

/**
 * Callback of bg_async_call() and bg_async_call_raw(); runs exactly once per started call.
 *
 * `status` is BG_OK or the error (BG_ERR_CANCELLED after bg_async_op_cancel() or
 * bg_async_client_close(), BG_ERR_DEADLINE, BG_ERR_SERVER, ...; the same codes as
 * bg_client_call()). `err` is never NULL (err->code == status; the message is empty on
 * success) and is valid only during the callback — copy it to keep it.
 * `output`: on BG_OK, the decoded value, OWNED BY THE CALLBACK: free it with
 * bg_value_free() now or later, from any thread (its elements may borrow the call's output
 * buffer, bg_call_options_set_output_buffer(), which bg_value_free() leaves alone). NULL on
 * any error.
 * `call` is the operation's handle, borrowed for the duration of the callback.
 *
 * @param call      the operation's handle (borrowed during the callback).
 * @param status    BG_OK or the error.
 * @param output    on BG_OK the output, owned by the callback; NULL on any error.
 * @param err       the error details; never NULL, valid only during the callback.
 * @param user_data the pointer given to bg_async_call() or bg_async_call_raw().
 */
typedef void (*bg_async_call_cb)(bg_async_op *call, bg_status status, bg_value *output,
                                 const bg_error *err, void *user_data);

/**
 * Callback of bg_async_health() and bg_async_wait_until_ready(); runs exactly once.
 * On BG_OK, `health` is the reported serving status (always BG_HEALTH_SERVING for
 * wait-until-ready); otherwise BG_HEALTH_UNKNOWN. `err` as for bg_async_call_cb.
 *
 * @param call      the operation's handle (borrowed during the callback).
 * @param status    BG_OK or the error.
 * @param health    the reported serving status on BG_OK, BG_HEALTH_UNKNOWN otherwise.
 * @param err       the error details; never NULL, valid only during the callback.
 * @param user_data the pointer given when the operation was started.
 */
typedef void (*bg_async_health_cb)(bg_async_op *call, bg_status status, bg_health_status health,
                                   const bg_error *err, void *user_data);

/* ---- Clients ---- */

/**
 * Connects and discovers the APIs exactly like bg_client_from_url() (this blocks for the
 * discovery, bounded by the discovery timeout), then starts the async engine.
 * `flags`: 0, or BG_ASYNC_CALLBACK_THREAD and/or BG_ASYNC_BORROW_INPUTS. `options` may be
 * NULL; it is copied.
 * Returns the client (free with bg_async_client_close()) or NULL with `err` filled, with
 * the errors of bg_client_from_url() (plus BG_ERR_INTERNAL when a thread or the eventfd
 * cannot be created). Starts no library thread (one with BG_ASYNC_CALLBACK_THREAD; one more
 * when bg_async_client_fd() is first called). Thread-safe.
 *
 * @param url     the server address, as for bg_client_from_url() (copied).
 * @param options connection options (copied); may be NULL.
 * @param flags   0, or BG_ASYNC_CALLBACK_THREAD and/or BG_ASYNC_BORROW_INPUTS.
 * @param err     filled on failure; may be NULL.
 * @return the client, or NULL with `err` filled.
 */
BG_API bg_async_client *bg_async_client_from_url(const char *url, const bg_options *options,
                                                 unsigned flags, bg_error *err);

/**
 * An async client on the channel and API registry of `client` (one channel serves both).
 * `client` is BORROWED: it must stay open until bg_async_client_close() of the returned
 * client has returned. Sync calls on `client` may continue meanwhile, from any thread.
 * Several async clients may share one `client`. Thread-safe.
 *
 * @param client the sync client (BORROWED, see above).
 * @param flags  0 or BG_ASYNC_CALLBACK_THREAD.
 * @param err    filled on failure; may be NULL.
 * @return the client (free with bg_async_client_close()), or NULL with `err` filled
 *         (BG_ERR_INVALID_ARGUMENT, BG_ERR_NO_MEMORY, BG_ERR_INTERNAL).
 */
BG_API bg_async_client *bg_async_client_from_client(bg_client *client, unsigned flags,
                                                    bg_error *err);

/**
 * Opens a channel to `url` WITHOUT discovery and never blocks: for a server that may not be
 * up yet, or one that cannot be discovered (protocol v1alpha1, set with
 * bg_options_set_protocol_version()). Such a client offers bg_async_health(),
 * bg_async_wait_until_ready() and bg_async_call_raw() (it is the async twin of
 * bg_client_open()); bg_async_call() refuses with BG_ERR_UNSUPPORTED, as there are no
 * descriptors to call through. Create a discovered client with bg_async_client_from_url() once
 * the server is ready. Errors: BG_ERR_INVALID_ARGUMENT for
 * a bad URL, BG_ERR_INTERNAL. Thread-safe.
 *
 * @param url     the server address, as for bg_client_from_url() (copied).
 * @param options connection options (copied); may be NULL.
 * @param flags   0 or BG_ASYNC_CALLBACK_THREAD.
 * @param err     filled on failure; may be NULL.
 * @return the client (free with bg_async_client_close()), or NULL with `err` filled.
 */
BG_API bg_async_client *bg_async_client_connect(const char *url, const bg_options *options,
                                                unsigned flags, bg_error *err);

/**
 * Closes the client: refuses new operations (they fail with BG_ERR_CANCELLED), cancels every
 * operation in flight, runs every callback not yet run (on the calling thread, or on the
 * callback thread which is then joined), and frees the client (and the bg_client it opened
 * itself, if any). Handles the caller still holds stay valid until released. Accepts NULL.
 * Must not be called from inside a callback of this client (the library aborts with a
 * message, as it could only deadlock or free memory still in use).
 *
 * @param aclient the client (taken); NULL is accepted.
 */
BG_API void bg_async_client_close(bg_async_client *aclient);

/** The sync client underneath (borrowed; valid until bg_async_client_close()), for
 *  introspection (bg_client_api_find, ...) and sync calls on the same channel. NULL for a
 *  client made by bg_async_client_connect().
 *  @param aclient the async client.
 *  @return the sync client (borrowed), or NULL. */
BG_API bg_client *bg_async_client_sync(const bg_async_client *aclient);

/* ---- Operations ---- */

/**
 * Starts a call of API `api_name` and returns at once.
 *
 * `input` is validated and serialized before this returns, so it (and any buffer it borrows)
 * may be freed right away — unless the client was created with BG_ASYNC_BORROW_INPUTS, which
 * sends large float/double ndarrays from their buffer: keep those until the callback starts.
 * `call_options` (may be NULL) applies as in bg_client_call() (deadline, metadata, wait-for-ready,
 * compression, credentials, output buffer) and may be freed right away, with two exceptions: a
 * response-metadata sink set on it (bg_call_options_set_response_metadata()) is written just
 * before the callback runs, on that thread, so it must live until then and serve one call at a
 * time; and the memory of an output buffer (bg_call_options_set_output_buffer(), whose setting
 * is copied here) is written until the callback starts and borrowed by the output it gets.
 * `call` (may be NULL): receives a handle reference, see "Operation handles".
 *
 * Interceptors of the client's options run as for sync calls: `before` hooks (and a
 * credentials callback) here, on the calling thread; `after` hooks on the thread that runs
 * the callback, just before it, for every ending (cancelled and closed included) — or here,
 * when the call is refused after `before` ran.
 *
 * Returns BG_OK when the call started: `callback` (not NULL) will then run exactly once with
 * `user_data`. Any other return means nothing was started and the callback will never run:
 * BG_ERR_UNKNOWN_API, BG_ERR_UNSUPPORTED (the API's descriptors are not supported — call it
 * with bg_async_call_raw() — or the client was made by bg_async_client_connect()),
 * BG_ERR_INVALID_ARGUMENT (as bg_client_call(), including an interceptor's refusal),
 * BG_ERR_CANCELLED (the client is closing),
 * BG_ERR_NO_MEMORY, BG_ERR_INTERNAL; `*call` is then NULL. Thread-safe, also from inside
 * callbacks.
 *
 * As bg_client_call() does, a File input that the server refuses as `file` (BentoML >= 1.0.16,
 * which takes only serialized_bytes) is sent once more as serialized_bytes, and the client
 * sends that API's File inputs as serialized_bytes from then on. The resend is built from the
 * request serialized here, so the input is not needed for it; it carries the same metadata
 * and its deadline counts anew, as in bg_client_call(). The callback gets the outcome of the
 * second attempt. Unlike bg_client_call() (where each attempt passes the interceptors), the
 * resend is not a call of its own for interceptors, as with gRPC's own retries: `before` ran
 * once, here, and `after` runs once, on the final outcome. A cancel at any point, between the
 * two attempts included, ends the call as cancelled. Should the resend fail to start (out of
 * memory), the refusal is reported, saying to call again.
 *
 * @param aclient      the client.
 * @param api_name     the API's name (borrowed for the call).
 * @param input        the input (borrowed until this returns).
 * @param call_options per-call options (borrowed until this returns, see above); may be NULL.
 * @param callback     runs exactly once when BG_OK is returned; not NULL.
 * @param user_data    passed to `callback`.
 * @param call         receives a handle reference (release with bg_async_op_release());
 *                     may be NULL.
 * @param err          filled on failure; may be NULL.
 * @return BG_OK when the call started, else the codes listed above.
 */
#if defined(__cplusplus) && defined(__GNUC__) && !defined(__clang__)
/* In C++ this function hides the implicit constructor of the struct tag bg_async_call (kept for
 * compatibility, see "Operation handles"), which g++ -Wshadow reports in every C++ program that
 * includes this header: silenced for this one declaration. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wshadow"
#endif
BG_API bg_status bg_async_call(bg_async_client *aclient, const char *api_name,
                               const bg_value *input, const bg_call_options *call_options,
                               bg_async_call_cb callback, void *user_data, bg_async_op **call,
                               bg_error *err);
#if defined(__cplusplus) && defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

/**
 * Starts a call of API `api_name` without its descriptors and returns at once: the async twin
 * of bg_client_call_raw(), for APIs whose descriptors this library does not support
 * (bg_api_is_supported() is false: custom IO descriptors) and for servers that cannot be
 * discovered (v1alpha1).
 *
 * As bg_client_call_raw(): no registry lookup and no validation. The Request's content field
 * follows the input's kind (ndarray -> `ndarray`, series -> `series`, dataframe ->
 * `dataframe`, json -> `json`, text -> `text`, file -> `file` with the file's MIME type as
 * `kind`, multipart -> `multipart` with each part by its kind, bytes -> `serialized_bytes`);
 * the output is decoded from whichever member the server set. Works on v1 and v1alpha1
 * servers (for v1alpha1 the MIME type becomes the File.FileType enum; a MIME type without an
 * enum is refused here with BG_ERR_INVALID_ARGUMENT). A File input refused as `file` is not
 * retried as serialized_bytes (there is no descriptor saying it is a File API): send a bytes
 * value to set `serialized_bytes`.
 *
 * Any async client can make raw calls, also one made by bg_async_client_connect() (no
 * discovery):
 * @code{.c}
 *   bg_options *o = bg_options_new();
 *   bg_options_set_protocol_version(o, "v1alpha1", NULL);
 *   bg_async_client *ac = bg_async_client_connect("localhost:3000", o, 0, &err);
 *   bg_async_call_raw(ac, "predict", input, NULL, on_done, state, NULL, &err);
 *   bg_value_free(input); // copied: may go now (see BG_ASYNC_BORROW_INPUTS)
 * @endcode
 *
 * Everything else is as bg_async_call(): the input is serialized before this returns (with
 * BG_ASYNC_BORROW_INPUTS a large float/double ndarray is sent from its buffer instead, which
 * the caller then keeps until the callback starts); `call_options`, interceptors, the
 * callback, the handle and thread-safety follow the same rules. An API name the server does
 * not know is not refused here but reported to the callback: BG_ERR_UNKNOWN_API with the
 * server's grpc_status (INTERNAL or UNKNOWN) and message.
 *
 * @param aclient      the client.
 * @param api_name     the API's name (borrowed until this returns).
 * @param input        the input (borrowed until this returns, or until the callback starts with
 *                     BG_ASYNC_BORROW_INPUTS, see above).
 * @param call_options per-call options (borrowed until this returns, as for bg_async_call());
 *                     may be NULL.
 * @param callback     runs exactly once when BG_OK is returned; not NULL.
 * @param user_data    passed to `callback`.
 * @param call         receives a handle reference (release with bg_async_op_release());
 *                     may be NULL.
 * @param err          filled on failure; may be NULL.
 * @return BG_OK when the call started (the callback reports the outcome, with the codes of
 *         bg_client_call_raw()); otherwise nothing was started, `*call` is NULL and the
 *         callback never runs: BG_ERR_INVALID_ARGUMENT (NULL client, name, input or callback,
 *         an input that cannot be sent, an interceptor's refusal), BG_ERR_CANCELLED (the
 *         client is closing), BG_ERR_NO_MEMORY, BG_ERR_INTERNAL. Never BG_ERR_UNKNOWN_API or
 *         BG_ERR_UNSUPPORTED from the registry: there is no lookup.
 */
BG_API bg_status bg_async_call_raw(bg_async_client *aclient, const char *api_name,
                                   const bg_value *input, const bg_call_options *call_options,
                                   bg_async_call_cb callback, void *user_data, bg_async_op **call,
                                   bg_error *err);

/**
 * Starts one health check of `service` ("": the whole server; NULL: the server's
 * BentoService, whichever name it registers, asked in the order of bg_client_health()),
 * bounded by `timeout_ms` (> 0). `service` is copied. Same return, callback and handle rules
 * as bg_async_call(); a name the server does not know reports BG_ERR_SERVER with grpc_status
 * NOT_FOUND (5). bg_async_health_service() tells which name was checked.
 *
 * @param aclient    the client.
 * @param service    the service name (copied); NULL or "" as above.
 * @param timeout_ms bound of the check, > 0.
 * @param callback   runs exactly once when BG_OK is returned; not NULL.
 * @param user_data  passed to `callback`.
 * @param call       receives a handle reference; may be NULL.
 * @param err        filled on failure; may be NULL.
 * @return BG_OK when the check started, else as bg_async_call().
 */
BG_API bg_status bg_async_health(bg_async_client *aclient, const char *service, int64_t timeout_ms,
                                 bg_async_health_cb callback, void *user_data, bg_async_op **call,
                                 bg_error *err);

/**
 * Waits, without blocking anyone, until the client's BentoService reports SERVING (each
 * check asks the names of bg_async_health() with `service` NULL): checks health at once, then again
 * `interval_ms` after each check that did not see SERVING (timed by the library thread; no busy
 * loop), each check bounded by the time left. Before each re-check the channel's reconnect backoff
 * is reset, so a server that comes up is noticed within about one interval. The callback reports
 * BG_OK (SERVING) or BG_ERR_TIMEOUT after `timeout_ms`, with a message naming the address, the last
 * result and the number of checks. Both times must be > 0. Same return, callback and handle rules
 * as bg_async_call().
 *
 * @param aclient     the client.
 * @param timeout_ms  how long to wait in all, > 0.
 * @param interval_ms pause after a check that did not see SERVING, > 0.
 * @param callback    runs exactly once when BG_OK is returned; not NULL.
 * @param user_data   passed to `callback`.
 * @param call        receives a handle reference; may be NULL.
 * @param err         filled on failure; may be NULL.
 * @return BG_OK when the wait started, else as bg_async_call().
 */
BG_API bg_status bg_async_wait_until_ready(bg_async_client *aclient, int64_t timeout_ms,
                                           int64_t interval_ms, bg_async_health_cb callback,
                                           void *user_data, bg_async_op **call, bg_error *err);

/**
 * Callback of bg_async_health_watch() for each status the server reports (the current one
 * first, then each change); runs where the client's callbacks run (poll, dispatch or the
 * callback thread), in the order the statuses came, each before the watch's final callback.
 * With several threads polling one client, two of them may run at the same time.
 * @param call      the watch's handle (borrowed during the callback).
 * @param health    the status now (BG_HEALTH_SERVICE_UNKNOWN: the server does not know the
 *                  name).
 * @param user_data the pointer given to bg_async_health_watch().
 */
typedef void (*bg_async_health_change_cb)(bg_async_op *call, bg_health_status health,
                                          void *user_data);

/**
 * Starts watching `service`'s health with grpc.health.v1.Health/Watch (server-streaming):
 * `on_change` runs for the current status and for each change, `on_end` exactly once when
 * the watch is over — cancelled with bg_async_op_cancel() (BG_ERR_CANCELLED), the client
 * closed (BG_ERR_CANCELLED), `timeout_ms` passed (BG_ERR_TIMEOUT), the server ended the stream
 * (BG_OK) or failed (the codes of bg_client_health_watch(); BG_ERR_SERVER with grpc_status
 * UNIMPLEMENTED when the server has no Watch). `on_end`'s `health` is the last status seen
 * (BG_HEALTH_UNKNOWN when none came). The service name is the one given ("" for the whole
 * server), or with NULL the BentoService of the client's protocol version; no other name is
 * tried. Thread-safe; may be called from callbacks.
 * @param aclient    the async client.
 * @param service    the service name (copied); NULL as above.
 * @param timeout_ms how long to watch in all; 0 until cancelled; < 0 is refused.
 * @param on_change  called for each status; not NULL.
 * @param on_end     called once at the end; not NULL.
 * @param user_data  passed to both callbacks untouched.
 * @param call       receives a handle for bg_async_op_cancel() (release it with
 *                   bg_async_op_release()); may be NULL.
 * @param err        filled on failure; may be NULL.
 * @return BG_OK when the watch started (the callbacks will run); otherwise nothing runs:
 *         BG_ERR_INVALID_ARGUMENT, BG_ERR_CANCELLED (the client is closing), BG_ERR_FORKED,
 *         BG_ERR_NO_MEMORY.
 */
BG_API bg_status bg_async_health_watch(bg_async_client *aclient, const char *service,
                                       int64_t timeout_ms, bg_async_health_change_cb on_change,
                                       bg_async_health_cb on_end, void *user_data,
                                       bg_async_op **call, bg_error *err);

/**
 * The service name a health operation (bg_async_health(), bg_async_wait_until_ready()) checked:
 * in its callback and afterwards, the name asked last — for the default BentoService, the name
 * the server answered to ("bentoml.grpc.v1.BentoService", "bentoml.grpc.v1alpha1.BentoService"
 * or "" for the whole server). Read it in the callback or after it has run.
 * @param call a handle of a health operation, held by the caller.
 * @return the name (valid until the handle is released), or NULL for NULL or a handle of
 *         another kind of operation.
 */
BG_API const char *bg_async_health_service(const bg_async_op *call);

/**
 * Cancels an operation. Returns true when its callback has not started yet: it will then
 * report BG_ERR_CANCELLED (grpc_status CANCELLED), even if the server's answer had already
 * arrived (an arrived output is discarded). Returns false when the callback has already
 * started or run; nothing changes then. Safe from any thread and from inside callbacks
 * (including the operation's own, where it returns false), any number of times, as long as
 * the caller holds the handle. NULL returns false.
 *
 * @param call a handle the caller holds.
 * @return true when the callback will report BG_ERR_CANCELLED, false otherwise.
 */
BG_API bool bg_async_op_cancel(bg_async_op *call);

/** Drops the caller's handle reference (from the `call` out-parameter). The operation itself
 *  is not affected: its callback still runs. Accepts NULL. Any thread.
 *  @param call the handle (the caller's reference is taken); NULL is accepted. */
BG_API void bg_async_op_release(bg_async_op *call);

/** @deprecated Use bg_async_op_cancel(); the old name is kept for this minor version only.
 *  @param call as for bg_async_op_cancel().
 *  @return as bg_async_op_cancel(). */
BG_DEPRECATED("use bg_async_op_cancel") BG_API bool bg_async_call_cancel(bg_async_op *call);

/** @deprecated Use bg_async_op_release(); the old name is kept for this minor version only.
 *  @param call as for bg_async_op_release(). */
BG_DEPRECATED("use bg_async_op_release") BG_API void bg_async_call_release(bg_async_op *call);

/* ---- Receiving completions ---- */

/**
 * Runs the callbacks that are ready, on the calling thread. When none is ready, waits up to
 * `timeout_ms` (0: do not wait; -1: no limit) for one — but returns at once when no
 * operation is outstanding. `*n_run` (may be NULL) receives the number of callbacks run.
 * BG_ERR_INVALID_ARGUMENT when the client uses BG_ASYNC_CALLBACK_THREAD, or when called from
 * inside one of this client's callbacks. Any thread; concurrent pollers each run their own
 * share of the callbacks.
 *
 * @param aclient    the client.
 * @param timeout_ms 0: do not wait; -1: no limit; else milliseconds to wait for one.
 * @param n_run      receives the number of callbacks run; may be NULL.
 * @param err        filled on failure; may be NULL.
 * @return BG_OK (also when the wait ended with none ready), or BG_ERR_INVALID_ARGUMENT.
 */
BG_API bg_status bg_async_client_poll(bg_async_client *aclient, int64_t timeout_ms, size_t *n_run,
                                      bg_error *err);

/**
 * The client's eventfd: readable exactly while callbacks are ready to run. Watch it for
 * readability (level-triggered, or edge-triggered with a dispatch per wakeup) and call
 * bg_async_client_dispatch() when it is. Owned by the client — do not read or close it;
 * valid until bg_async_client_close(). The first call starts a library thread that drains the
 * client's completion queue (before it, bg_async_client_poll() does that on the caller's
 * thread).
 *
 * @param aclient the client.
 * @return the eventfd, or -1 for a BG_ASYNC_CALLBACK_THREAD client, or when that thread
 *         cannot start.
 */
BG_API int bg_async_client_fd(const bg_async_client *aclient);

/** Runs the callbacks that are ready, without waiting, and makes the fd unreadable until
 *  more are ready (it is bg_async_client_poll() with timeout 0; same rules).
 *  @param aclient the client.
 *  @param n_run   receives the number of callbacks run; may be NULL.
 *  @param err     filled on failure; may be NULL.
 *  @return BG_OK or BG_ERR_INVALID_ARGUMENT (as bg_async_client_poll()). */
BG_API bg_status bg_async_client_dispatch(bg_async_client *aclient, size_t *n_run, bg_error *err);

/** Operations started whose callbacks have not finished yet. Thread-safe.
 *  @param aclient the client.
 *  @return the number (0 for NULL). */
BG_API size_t bg_async_client_pending(const bg_async_client *aclient);

#ifdef __cplusplus
}
#endif
#endif
