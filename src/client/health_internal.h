/* The Health/Check RPC (grpc.health.v1) as an engine operation (engine/operation.h), run by
 * the sync health check and wait-until-ready (health.c) and by their async forms
 * (async_health.c). */
#ifndef BGI_CLIENT_HEALTH_INTERNAL_H
#define BGI_CLIENT_HEALTH_INTERNAL_H

#include "client/client_internal.h"
#include "engine/operation.h"

typedef struct bgi_health_op {
  bgi_operation op; /* first: the engine's part */
  const bg_client *client;
  const char *service;     /* borrowed for the operation's life */
  bg_health_status status; /* complete's result */
} bgi_health_op;

/* The Health/Check kind: prepare packs a HealthCheckRequest, complete reads the status. */
extern const bgi_rpc bgi_health_rpc;

/* Sets up a check of `service` bounded by `timeout_ms` (op.call.deadline_ms, which a caller
 * may lower before each run). */
void bgi_health_op_init(bgi_health_op *health, const bg_client *client, const char *service,
                        int64_t timeout_ms);

#endif
