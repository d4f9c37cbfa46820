/* The Health/Check RPC (grpc.health.v1) as an engine operation (engine/operation.h), run by
 * the sync health check and wait-until-ready (health.c) and by their async forms
 * (async_health.c), and the one policy both follow for which service name to ask. */
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
} bgi_health_op;

/* The Health/Check kind: prepare packs a HealthCheckRequest for `service` (again on every
 * prepare, so a re-check or the next name of the policy is packed afresh), complete reads the
 * status. */
extern const bgi_rpc bgi_health_rpc;

/* Sets up a check bounded by `timeout_ms` (op.call.deadline_ms, which a caller may lower
 * before each run) of `requested`, or, when it is NULL, of the policy's first name. */
void bgi_health_op_init(bgi_health_op *health, const bg_client *client, const char *requested,
                        int64_t timeout_ms);

/* The health policy, one place for every health check and wait, sync and async (README
 * "BentoML releases"). A name the caller gives ("" included) is the only one asked. By
 * default a check asks, each name only after the one before answered NOT_FOUND:
 *   1. the BentoService of the client's protocol version (bentoml.grpc.<v>.BentoService);
 *   2. with v1 (the default version) only: bentoml.grpc.v1alpha1.BentoService, the one
 *      BentoML 1.0.6 to 1.0.10 register;
 *   3. "" (the whole server).
 * Every check (every poll of a wait) starts again at 1. bgi_health_op_restart_to_first()
 * goes back to 1; bgi_health_op_next() moves to the next name after a check ended with
 * `grpc_status` (0: no status) and returns false when the check's result stands: it was not
 * NOT_FOUND, the caller named the service, or no name is left. The request is packed again by
 * the next prepare. */
void bgi_health_op_restart_to_first(bgi_health_op *health);
bool bgi_health_op_next(bgi_health_op *health, int grpc_status);

#endif
