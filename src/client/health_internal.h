/* The Health/Check RPC (grpc.health.v1) as an engine operation (engine/operation.h), run by
 * the sync health check and wait-until-ready (health.c) and by their async forms
 * (async_health.c). Its `next` step holds both multi-step policies — which service name to ask,
 * and waiting until the server is ready — so the sync runner and the async engine follow the
 * same steps. */
#ifndef BGI_CLIENT_HEALTH_INTERNAL_H
#define BGI_CLIENT_HEALTH_INTERNAL_H

#include "client/client_internal.h"
#include "engine/operation.h"

typedef struct bgi_health_op {
  bgi_operation op; /* first: the engine's part */
  const bg_client *client;
  const char *requested;   /* the caller's name (borrowed), or NULL: the default policy */
  const char *service;     /* the name asked now: `requested` or static storage */
  bg_health_status status; /* complete's result */
  int64_t started_ms;      /* monotonic, at init */
  int64_t timeout_ms;      /* the whole check (every name) or the whole wait */
  /* wait-until-ready only (interval_ms > 0): a check every interval_ms until SERVING */
  int64_t interval_ms;
  unsigned checks;
  char last[BG_ERROR_MESSAGE_SIZE]; /* the last check's status or error */
  const char *what; /* how a failure names the check; NULL: "health check of '<service>'" */
} bgi_health_op;

/* The Health/Check kind: prepare packs a HealthCheckRequest for `service`; next follows the
 * name policy below (AGAIN with the next name on NOT_FOUND) and, for a wait, checks again
 * after each interval (AFTER) until SERVING or out of time; complete reads the status (a wait:
 * BG_OK once SERVING, else BG_ERR_TIMEOUT naming the last result). */
extern const bgi_rpc bgi_health_rpc;

/* Sets up a check of `requested` (or, when NULL, of the policy's names) bounded by
 * `timeout_ms` in all. */
void bgi_health_op_init(bgi_health_op *health, const bg_client *client, const char *requested,
                        int64_t timeout_ms);
/* Sets up wait-until-ready: default-policy checks every `interval_ms` within `timeout_ms`. */
void bgi_health_op_init_wait(bgi_health_op *health, const bg_client *client, int64_t timeout_ms,
                             int64_t interval_ms);

/* The health policy, one place for every health check and wait, sync and async (README
 * "BentoML releases"). A name the caller gives ("" included) is the only one asked. By
 * default a check asks, each name only after the one before answered NOT_FOUND:
 *   1. the BentoService of the client's protocol version (bentoml.grpc.<v>.BentoService);
 *   2. with v1 (the default version) only: bentoml.grpc.v1alpha1.BentoService, the one
 *      BentoML 1.0.6 to 1.0.10 register;
 *   3. "" (the whole server).
 * Every check (every poll of a wait) starts again at 1. The policy is the kind's `next` step
 * (health.c, `next_name`); nothing else picks a name. */

/* Health/Watch (health_watch.c): the name a watch of `requested` asks (the protocol's
 * BentoService for NULL; no other name is tried). */
const char *bgi_health_watch_name(const bg_client *client, const char *requested);
/* Packs the watch's request for `name`. */
bg_status bgi_health_watch_request(const char *name, grpc_byte_buffer **request, bg_error *err);
/* Reads one streamed HealthCheckResponse into *status; BG_ERR_PROTOCOL when it is none. */
bg_status bgi_health_watch_decode(grpc_byte_buffer *message, bg_health_status *status,
                                  bg_error *err);
/* How a finished watch of `name` ended (result: its status), for sync and async alike:
 * `stopped` (the caller's callback ended it) or the server's OK is BG_OK; `decode` a message
 * that could not be read (BG_ERR_PROTOCOL, with `decode_err`); the timeout BG_ERR_TIMEOUT;
 * `cancelled` (the caller's cancel) BG_ERR_CANCELLED; anything else the server's failure. */
bg_status bgi_health_watch_outcome(const bg_client *client, const char *name, int64_t timeout_ms,
                                   const bgi_unary_result *result, bool stopped, bool cancelled,
                                   bg_status decode, const bg_error *decode_err, bg_error *err);

#endif
