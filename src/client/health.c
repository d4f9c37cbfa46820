/* Health checks (grpc.health.v1.Health/Check) and waiting until a server is ready. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "client/health_internal.h"
#include "error_internal.h"
#include "wire/byte_buffer.h"

BG_API const char *bg_health_status_name(bg_health_status status) {
  switch (status) {
  case BG_HEALTH_UNKNOWN: return "UNKNOWN";
  case BG_HEALTH_SERVING: return "SERVING";
  case BG_HEALTH_NOT_SERVING: return "NOT_SERVING";
  case BG_HEALTH_SERVICE_UNKNOWN: return "SERVICE_UNKNOWN";
  }
  return "UNKNOWN";
}

#define V1_SERVICE       "bentoml.grpc.v1.BentoService"
#define V1ALPHA1_SERVICE "bentoml.grpc.v1alpha1.BentoService"

/* ---- the health policy (health_internal.h): the one place that decides which name a check
 * asks ---- */

static const char *first_name(const bg_client *client) {
  return client->protocol == BGI_PROTOCOL_V1ALPHA1 ? V1ALPHA1_SERVICE : V1_SERVICE;
}

/* The default policy's name after `name`, or NULL after the last. */
static const char *name_after(const bg_client *client, const char *name) {
  if (strcmp(name, V1_SERVICE) == 0 && client->protocol == BGI_PROTOCOL_V1)
    return V1ALPHA1_SERVICE;
  return name[0] ? "" : NULL;
}

static void restart_to_first(bgi_health_op *h) {
  h->service = h->requested ? h->requested : first_name(h->client);
}

/* Moves to the policy's next name after a check that ended with `grpc_status`; false when the
 * check's result stands: it was not NOT_FOUND, the caller named the service, or no name is
 * left. */
static bool next_name(bgi_health_op *h, int grpc_status) {
  if (h->requested || grpc_status != GRPC_STATUS_NOT_FOUND)
    return false;
  const char *next = name_after(h->client, h->service);
  if (next)
    h->service = next;
  return next != NULL;
}

static int64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- the Health/Check kind ---- */

static bg_status health_prepare(bgi_operation *op, bg_error *err) {
  bgi_health_op *h = (bgi_health_op *)op;
  Grpc__Health__V1__HealthCheckRequest message = GRPC__HEALTH__V1__HEALTH_CHECK_REQUEST__INIT;
  message.service = (char *)h->service;
  op->call.channel = h->client->channel;
  op->call.method = h->client->health_method;
  if (op->request) /* a re-check: gRPC has taken the last request's bytes when it sent it */
    grpc_byte_buffer_destroy(op->request);
  op->request = NULL;
  return bgi_wire_pack(&message.base, &op->request, err);
}

/* One check's outcome: its status in h->status, or the error. */
static bg_status check_outcome(bgi_operation *op, bg_error *err) {
  bgi_health_op *h = (bgi_health_op *)op;
  const bgi_unary_result *result = &op->result;
  char what[300];
  if (h->what)
    snprintf(what, sizeof what, "%s", h->what);
  else
    snprintf(what, sizeof what, "health check of '%s'", h->service);
  if (result->status == GRPC_STATUS_NOT_FOUND && !h->requested &&
      !name_after(h->client, h->service) && !result->extra_message)
    return bgi_fail_reason(
        err, BG_ERR_SERVER, GRPC_STATUS_NOT_FOUND, BG_REASON_HEALTH_SERVICE_UNKNOWN,
        "health check at %s: NOT_FOUND: the server knows none of the names a "
        "default check asks (%s''), so it registers no BentoService for health "
        "checks; name the service to check (the `service` argument)",
        h->client->url_text,
        h->client->protocol == BGI_PROTOCOL_V1 ? "'" V1_SERVICE "', '" V1ALPHA1_SERVICE "', "
                                               : "'" V1ALPHA1_SERVICE "', ");
  if (result->status != GRPC_STATUS_OK)
    return bgi_client_fail(h->client, err, result, what, op->call.deadline_ms, op->probe_peer);
  if (!result->response)
    return bgi_fail(err, BG_ERR_PROTOCOL, 0, "%s at %s: OK without a message", what,
                    h->client->url_text);
  ProtobufCMessage *msg;
  bg_status st = bgi_wire_unpack(&grpc__health__v1__health_check_response__descriptor,
                                 result->response, "HealthCheckResponse", &msg, err);
  if (st == BG_OK) {
    h->status = (bg_health_status)((Grpc__Health__V1__HealthCheckResponse *)msg)->status;
    protobuf_c_message_free_unpacked(msg, NULL);
  }
  return st;
}

static bool waiting(const bgi_health_op *h) { return h->interval_ms > 0; }

/* Wait-until-ready: true when this check found the server SERVING; otherwise its status or
 * error becomes the wait's `last` result. */
static bool serving(bgi_health_op *h) {
  bg_error e;
  h->status = BG_HEALTH_UNKNOWN;
  if (check_outcome(&h->op, &e) != BG_OK) {
    snprintf(h->last, sizeof h->last, "%s", e.message);
    return false;
  }
  if (h->status == BG_HEALTH_SERVING)
    return true;
  snprintf(h->last, sizeof h->last, "status %s", bg_health_status_name(h->status));
  return false;
}

/* The two policies: the next name on NOT_FOUND (at once), and a wait's next check (after the
 * interval) until SERVING or out of time. */
static bgi_next health_next(bgi_operation *op, int64_t *after_ms) {
  bgi_health_op *h = (bgi_health_op *)op;
  int64_t left = h->timeout_ms - (now_ms() - h->started_ms);
  if (left <= 0)
    return BGI_NEXT_DONE;
  bg_error ignored;
  if (next_name(h, (int)op->result.status)) {
    op->call.deadline_ms = left;
    return health_prepare(op, &ignored) == BG_OK ? BGI_NEXT_AGAIN : BGI_NEXT_DONE;
  }
  if (!waiting(h) || serving(h))
    return BGI_NEXT_DONE;
  if (h->interval_ms >= left) { /* no time for another check: time out after the pause */
    *after_ms = left;
    if (op->request)
      grpc_byte_buffer_destroy(op->request);
    op->request = op->call.request = NULL;
    return BGI_NEXT_AFTER;
  }
  *after_ms = h->interval_ms;
  op->call.deadline_ms = left - h->interval_ms; /* what is left after the pause */
  restart_to_first(h);
  h->checks++;
  return health_prepare(op, &ignored) == BG_OK ? BGI_NEXT_AFTER : BGI_NEXT_DONE;
}

static bg_status health_complete(bgi_operation *op, bg_error *err) {
  bgi_health_op *h = (bgi_health_op *)op;
  if (!waiting(h))
    return check_outcome(op, err);
  if (serving(h))
    return BG_OK;
  return bgi_fail(err, BG_ERR_TIMEOUT, 0,
                  "server at %s was not ready after waiting %lld ms (%u health checks of '%s', "
                  "one every %lld ms); last result: %s",
                  h->client->url_text, (long long)(now_ms() - h->started_ms), h->checks, h->service,
                  (long long)h->interval_ms, h->last);
}

const bgi_rpc bgi_health_rpc = {.name = "Health/Check",
                                .prepare = health_prepare,
                                .next = health_next,
                                .complete = health_complete};

void bgi_health_op_init(bgi_health_op *h, const bg_client *client, const char *requested,
                        int64_t timeout_ms) {
  bgi_operation_init(&h->op, &bgi_health_rpc);
  h->client = client;
  h->requested = requested;
  restart_to_first(h);
  h->status = BG_HEALTH_UNKNOWN;
  h->op.call.deadline_ms = timeout_ms;
  h->started_ms = now_ms();
  h->timeout_ms = timeout_ms;
  h->interval_ms = 0;
  h->what = NULL;
  h->checks = 1;
  snprintf(h->last, sizeof h->last, "no check completed");
}

void bgi_health_op_init_wait(bgi_health_op *h, const bg_client *client, int64_t timeout_ms,
                             int64_t interval_ms) {
  bgi_health_op_init(h, client, NULL, timeout_ms);
  h->interval_ms = interval_ms;
}

/* The sync front end: the engine runs the kind's steps (the name policy) and waits. */
static bg_status health_check(bg_client *client, const char *service, int64_t timeout_ms,
                              bool probe_peer, bg_health_status *status, const char **checked,
                              bg_error *err) {
  bgi_health_op h;
  bgi_health_op_init(&h, client, service, timeout_ms);
  h.op.probe_peer = probe_peer;
  bg_status st = bgi_operation_run(&h.op, &client->cq_pool, err);
  if (checked)
    *checked = h.service;
  if (st == BG_OK)
    *status = h.status;
  bgi_operation_fini(&h.op);
  return st;
}

BG_API bg_status bg_client_health_service(bg_client *client, const char *service,
                                          int64_t timeout_ms, bg_health_status *status,
                                          const char **checked_service, bg_error *err) {
  BGI_ERROR_SINK(err);
  bgi_error_clear(err);
  if (checked_service)
    *checked_service = NULL;
  if (!client || !status)
    return bgi_fail(err, BG_ERR_INVALID_ARGUMENT, 0,
                    "bg_client_health: client and status must not be NULL");
  if (timeout_ms <= 0)
    return bgi_fail(err, BG_ERR_INVALID_ARGUMENT, 0,
                    "bg_client_health: timeout must be > 0 ms (got %lld)", (long long)timeout_ms);
  return health_check(client, service, timeout_ms, true, status, checked_service, err);
}

BG_API bg_status bg_client_health(bg_client *client, const char *service, int64_t timeout_ms,
                                  bg_health_status *status, bg_error *err) {
  BGI_ERROR_SINK(err);
  return bg_client_health_service(client, service, timeout_ms, status, NULL, err);
}

BG_API bg_status bg_health_check_url_service(const char *url, const char *service,
                                             int64_t timeout_ms, const bg_options *options,
                                             bg_health_status *status, const char **checked_service,
                                             bg_error *err) {
  BGI_ERROR_SINK(err);
  bgi_error_clear(err);
  if (checked_service)
    *checked_service = NULL;
  if (!status)
    return bgi_fail(err, BG_ERR_INVALID_ARGUMENT, 0, "bg_health_check_url: status is NULL");
  bg_client *client = bgi_client_connect(url, options, 0, err);
  if (!client)
    return err->code;
  bg_status st =
      bg_client_health_service(client, service, timeout_ms, status, checked_service, err);
  bg_client_close(client);
  return st;
}

BG_API bg_status bg_health_check_url(const char *url, const char *service, int64_t timeout_ms,
                                     const bg_options *options, bg_health_status *status,
                                     bg_error *err) {
  BGI_ERROR_SINK(err);
  return bg_health_check_url_service(url, service, timeout_ms, options, status, NULL, err);
}

BG_API bg_status bg_wait_until_server_ready_service(const char *url, int64_t timeout_ms,
                                                    int64_t interval_ms, const bg_options *options,
                                                    const char **checked_service, bg_error *err) {
  BGI_ERROR_SINK(err);
  bgi_error_clear(err);
  if (checked_service)
    *checked_service = NULL;
  if (timeout_ms <= 0 || interval_ms <= 0)
    return bgi_fail(err, BG_ERR_INVALID_ARGUMENT, 0,
                    "wait until ready: timeout and interval must be > 0 ms (got %lld and %lld)",
                    (long long)timeout_ms, (long long)interval_ms);
  bg_client *client = bgi_client_connect(url, options, interval_ms, err);
  if (!client)
    return err->code;

  /* The kind's steps: a check every interval_ms until SERVING (engine/operation.c sleeps). */
  bgi_health_op h;
  bgi_health_op_init_wait(&h, client, timeout_ms, interval_ms);
  bg_status result = bgi_operation_run(&h.op, &client->cq_pool, err);
  if (checked_service)
    *checked_service = h.service;
  bgi_operation_fini(&h.op);
  bg_client_close(client);
  return result;
}

BG_API bg_status bg_wait_until_server_ready(const char *url, int64_t timeout_ms,
                                            int64_t interval_ms, const bg_options *options,
                                            bg_error *err) {
  BGI_ERROR_SINK(err);
  return bg_wait_until_server_ready_service(url, timeout_ms, interval_ms, options, NULL, err);
}

/* Deprecated spellings (docs/INTERNALS.md "Public names"), kept for this minor version. */
BG_API const char *bg_health_status_str(bg_health_status status) {
  return bg_health_status_name(status);
}
