/* The two halves of a Health/Check shared by the sync and async clients: building the
 * request and turning the finished call into a serving status or an error. */
#ifndef BGI_CLIENT_HEALTH_INTERNAL_H
#define BGI_CLIENT_HEALTH_INTERNAL_H

#include "client/client_internal.h"
#include "transport/unary.h"

/* Packs a HealthCheckRequest for `service` into `*request` (the caller destroys it) and
 * fills `*call` to send it on the client's channel within `timeout_ms`. */
bg_status bgi_health_prepare(const bg_client *client, const char *service, int64_t timeout_ms,
                             grpc_byte_buffer **request, bgi_unary_call *call, bg_error *err);

/* Reads a finished check: BG_OK with `*status`, or the error it reports. */
bg_status bgi_health_complete(const bg_client *client, const char *service, int64_t timeout_ms,
                              const bgi_unary_result *result, bg_health_status *status,
                              bg_error *err);

#endif
