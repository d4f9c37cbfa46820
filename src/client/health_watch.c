/* grpc.health.v1.Health/Watch, the first server-streaming RPC: the request, the message and
 * the outcome (shared with async_health_watch.c) and the sync front end
 * (bg_client_health_watch) over the sync stream runner (engine/stream_runner.h). */
#include <stdio.h>
#include <string.h>

#include "client/health_internal.h"
#include "engine/stream_runner.h"
#include "error_internal.h"
#include "transport/fork.h"
#include "wire/byte_buffer.h"
#include "wire/proto.h"

const char *bgi_health_watch_name(const bg_client *client, const char *requested) {
  return requested ? requested : client->bento_service;
}

bg_status bgi_health_watch_request(const char *name, grpc_byte_buffer **request, bg_error *err) {
  Grpc__Health__V1__HealthCheckRequest message = GRPC__HEALTH__V1__HEALTH_CHECK_REQUEST__INIT;
  message.service = (char *)name;
  *request = NULL;
  return bgi_wire_pack(&message.base, request, err);
}

bg_status bgi_health_watch_decode(grpc_byte_buffer *message, bg_health_status *status,
                                  bg_error *err) {
  ProtobufCMessage *msg;
  bg_status st = bgi_wire_unpack(&grpc__health__v1__health_check_response__descriptor, message,
                                 "HealthCheckResponse", &msg, err);
  if (st != BG_OK)
    return st;
  int raw = ((Grpc__Health__V1__HealthCheckResponse *)msg)->status;
  protobuf_c_message_free_unpacked(msg, NULL);
  *status = raw >= BG_HEALTH_UNKNOWN && raw <= BG_HEALTH_SERVICE_UNKNOWN ? (bg_health_status)raw
                                                                         : BG_HEALTH_UNKNOWN;
  return BG_OK;
}

bg_status bgi_health_watch_outcome(const bg_client *client, const char *name, int64_t timeout_ms,
                                   const bgi_unary_result *result, bool stopped, bool cancelled,
                                   bg_status decode, const bg_error *decode_err, bg_error *err) {
  if (decode != BG_OK)
    return bgi_fail(err, BG_ERR_PROTOCOL, 0, "health watch of '%s' at %s: %s", name,
                    client->url_text, decode_err->message);
  if (stopped || result->status == GRPC_STATUS_OK)
    return BG_OK;
  if (result->status == GRPC_STATUS_DEADLINE_EXCEEDED && timeout_ms > 0)
    return bgi_fail(err, BG_ERR_TIMEOUT, GRPC_STATUS_DEADLINE_EXCEEDED,
                    "health watch of '%s' at %s ended after its %lld ms timeout", name,
                    client->url_text, (long long)timeout_ms);
  if (result->status == GRPC_STATUS_CANCELLED && cancelled)
    return bgi_fail(err, BG_ERR_CANCELLED, GRPC_STATUS_CANCELLED,
                    "health watch of '%s' at %s was cancelled", name, client->url_text);
  char what[300];
  snprintf(what, sizeof what, "health watch of '%s'", name);
  return bgi_client_fail(client, err, result, what, timeout_ms, false);
}

/* ---- the sync front end ---- */

typedef struct watch_state {
  bg_health_watch_fn on_status;
  void *user_data;
  bg_status decode_status; /* BG_OK, or why a message could not be read */
  bg_error decode_err;
} watch_state;

/* One streamed message: hand its status to the caller. A message that cannot be read ends
 * the watch (the server broke the protocol). */
static bool watch_message(void *ctx, grpc_byte_buffer *message) {
  watch_state *w = ctx;
  bg_health_status status;
  w->decode_status = bgi_health_watch_decode(message, &status, &w->decode_err);
  return w->decode_status == BG_OK && w->on_status(status, w->user_data);
}

BG_API bg_status bg_client_health_watch(bg_client *client, const char *service, int64_t timeout_ms,
                                        bg_health_watch_fn on_status, void *user_data,
                                        const bg_call_options *call_options, bg_error *err) {
  BGI_ERROR_SINK(err);
  bgi_error_clear(err);
  if (!client || !on_status)
    return bgi_fail(err, BG_ERR_INVALID_ARGUMENT, 0,
                    "bg_client_health_watch: client and on_status must not be NULL");
  if (timeout_ms < 0)
    return bgi_fail(err, BG_ERR_INVALID_ARGUMENT, 0,
                    "bg_client_health_watch: timeout must be >= 0 ms (0: no bound; got %lld)",
                    (long long)timeout_ms);
  if (bgi_fork_check(client->cq_pool.fork_generation, "client", err) != BG_OK)
    return err->code;
  const char *name = bgi_health_watch_name(client, service);
  grpc_byte_buffer *request;
  bg_status st = bgi_health_watch_request(name, &request, err);
  if (st != BG_OK)
    return st;
  bgi_unary_call call = {.channel = client->channel,
                         .method = client->watch_method,
                         .deadline_ms = timeout_ms,
                         .wait_for_ready = call_options && call_options->wait_for_ready,
                         .request = request,
                         .cancel = call_options ? call_options->cancel : NULL};
  watch_state w = {.on_status = on_status, .user_data = user_data, .decode_status = BG_OK};
  bgi_unary_result result;
  bool stopped = false;
  st = bgi_sync_stream_run(&client->cq_pool, &call, watch_message, &w, &result, &stopped, err);
  grpc_byte_buffer_destroy(request);
  if (st == BG_OK) {
    bool cancelled = call.cancel && bg_cancel_token_is_cancelled(call.cancel);
    st = bgi_health_watch_outcome(client, name, timeout_ms, &result, stopped && !cancelled,
                                  cancelled, w.decode_status, &w.decode_err, err);
  }
  bgi_unary_result_fini(&result);
  return st;
}
