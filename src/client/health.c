/* Health checks (grpc.health.v1.Health/Check) and waiting until a server is ready. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "client/health_internal.h"
#include "error_internal.h"
#include "wire/byte_buffer.h"

BG_API const char *bg_health_status_str(bg_health_status status) {
  switch (status) {
  case BG_HEALTH_UNKNOWN: return "UNKNOWN";
  case BG_HEALTH_SERVING: return "SERVING";
  case BG_HEALTH_NOT_SERVING: return "NOT_SERVING";
  case BG_HEALTH_SERVICE_UNKNOWN: return "SERVICE_UNKNOWN";
  }
  return "UNKNOWN";
}

static bg_status health_prepare(bgi_operation *op, bg_error *err) {
  bgi_health_op *h = (bgi_health_op *)op;
  Grpc__Health__V1__HealthCheckRequest message = GRPC__HEALTH__V1__HEALTH_CHECK_REQUEST__INIT;
  message.service = (char *)h->service;
  op->call.channel = h->client->channel;
  op->call.method = h->client->health_method;
  return bgi_wire_pack(&message.base, &op->request, err);
}

static bg_status health_complete(bgi_operation *op, bg_error *err) {
  bgi_health_op *h = (bgi_health_op *)op;
  const bgi_unary_result *result = &op->result;
  char what[300];
  snprintf(what, sizeof what, "health check of '%s'", h->service);
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

const bgi_rpc bgi_health_rpc = {
    .name = "Health/Check", .prepare = health_prepare, .complete = health_complete};

void bgi_health_op_init(bgi_health_op *h, const bg_client *client, const char *service,
                        int64_t timeout_ms) {
  bgi_operation_init(&h->op, &bgi_health_rpc);
  h->client = client;
  h->service = service;
  h->status = BG_HEALTH_UNKNOWN;
  h->op.call.deadline_ms = timeout_ms;
}

/* The sync front end: start, wait. */
static bg_status health_check(bg_client *client, const char *service, int64_t timeout_ms,
                              bool probe_peer, bg_health_status *status, bg_error *err) {
  bgi_health_op h;
  bgi_health_op_init(&h, client, service, timeout_ms);
  h.op.probe_peer = probe_peer;
  bg_status st = bgi_operation_run(&h.op, &client->cq_pool, err);
  if (st == BG_OK)
    *status = h.status;
  bgi_operation_fini(&h.op);
  return st;
}

BG_API bg_status bg_client_health(bg_client *client, const char *service, int64_t timeout_ms,
                                  bg_health_status *status, bg_error *err) {
  BGI_ERROR_SINK(err);
  bgi_error_clear(err);
  if (!client || !status)
    return bgi_fail(err, BG_ERR_INVALID_ARGUMENT, 0,
                    "bg_client_health: client and status must not be NULL");
  if (timeout_ms <= 0)
    return bgi_fail(err, BG_ERR_INVALID_ARGUMENT, 0,
                    "bg_client_health: timeout must be > 0 ms (got %lld)", (long long)timeout_ms);
  return health_check(client, service ? service : client->bento_service, timeout_ms, true, status,
                      err);
}

BG_API bg_status bg_health_check_url(const char *url, const char *service, int64_t timeout_ms,
                                     const bg_options *options, bg_health_status *status,
                                     bg_error *err) {
  BGI_ERROR_SINK(err);
  bgi_error_clear(err);
  if (!status)
    return bgi_fail(err, BG_ERR_INVALID_ARGUMENT, 0, "bg_health_check_url: status is NULL");
  bg_client *client = bgi_client_connect(url, options, 0, err);
  if (!client)
    return err->code;
  bg_status st = bg_client_health(client, service, timeout_ms, status, err);
  bg_client_close(client);
  return st;
}

static int64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(int64_t ms) {
  struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}

BG_API bg_status bg_wait_until_server_ready(const char *url, int64_t timeout_ms,
                                            int64_t interval_ms, const bg_options *options,
                                            bg_error *err) {
  BGI_ERROR_SINK(err);
  bgi_error_clear(err);
  if (timeout_ms <= 0 || interval_ms <= 0)
    return bgi_fail(err, BG_ERR_INVALID_ARGUMENT, 0,
                    "wait until ready: timeout and interval must be > 0 ms (got %lld and %lld)",
                    (long long)timeout_ms, (long long)interval_ms);
  bg_client *client = bgi_client_connect(url, options, interval_ms, err);
  if (!client)
    return err->code;

  const int64_t start = now_ms();
  char last[BG_ERROR_MESSAGE_SIZE] = "no check completed";
  unsigned checks = 0;
  bg_status result = BG_ERR_TIMEOUT;
  for (;;) {
    int64_t left = timeout_ms - (now_ms() - start);
    if (left <= 0)
      break;
    bg_health_status status = BG_HEALTH_UNKNOWN;
    bg_error probe;
    checks++;
    if (health_check(client, client->bento_service, left, false, &status, &probe) == BG_OK) {
      if (status == BG_HEALTH_SERVING) {
        result = BG_OK;
        break;
      }
      snprintf(last, sizeof last, "status %s", bg_health_status_str(status));
    } else {
      snprintf(last, sizeof last, "%s", probe.message);
    }
    left = timeout_ms - (now_ms() - start);
    if (left <= 0)
      break;
    sleep_ms(interval_ms < left ? interval_ms : left);
  }
  if (result != BG_OK)
    bgi_fail(err, BG_ERR_TIMEOUT, 0,
             "server at %s was not ready after waiting %lld ms (%u health checks of '%s', one "
             "every %lld ms); last result: %s",
             url, (long long)(now_ms() - start), checks, client->bento_service,
             (long long)interval_ms, last);
  bg_client_close(client);
  return result;
}
