#include <grpc/grpc_security.h>
#include <stdlib.h>

#include "transport/channel.h"
#include "transport/fork_sockets.h"

#define MAX_ARGS 64

static void add_int(grpc_arg *args, size_t *n, const char *key, int64_t value) {
  if (*n == MAX_ARGS)
    return;
  int v = value > INT32_MAX ? INT32_MAX : value < INT32_MIN ? INT32_MIN : (int)value;
  args[(*n)++] = (grpc_arg){.type = GRPC_ARG_INTEGER, .key = (char *)key, .value.integer = v};
}

static void add_str(grpc_arg *args, size_t *n, const char *key, const char *value) {
  if (*n == MAX_ARGS)
    return;
  args[(*n)++] =
      (grpc_arg){.type = GRPC_ARG_STRING, .key = (char *)key, .value.string = (char *)value};
}

static grpc_channel_credentials *credentials(const bgi_url *url, const bgi_channel_config *c) {
  if (!url->tls && !c->tls)
    return grpc_insecure_credentials_create();
  grpc_ssl_pem_key_cert_pair pair = {.private_key = c->key_pem, .cert_chain = c->cert_pem};
  /* NULL roots: gRPC's default roots (the system's bundle). */
  return grpc_ssl_credentials_create(c->root_pem, c->cert_pem ? &pair : NULL, NULL, NULL);
}

grpc_channel *bgi_channel_create(const bgi_url *url, const bgi_channel_config *c) {
  grpc_arg args[MAX_ARGS];
  size_t n = 0;
  /* Each client its own connections: gRPC's global pool would hand a client made in a forked
   * child the parent's connection (transport/fork.h). */
  add_int(args, &n, GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  /* ... and a record of its connection sockets, which a forked child must not keep open. */
  if (bgi_fork_sockets_arg(&args[n]))
    n++;
  add_int(args, &n, GRPC_ARG_MAX_RECEIVE_MESSAGE_LENGTH, c->max_receive_bytes);
  add_int(args, &n, GRPC_ARG_MAX_SEND_MESSAGE_LENGTH, c->max_send_bytes);
  if (c->max_metadata_size > 0)
    add_int(args, &n, GRPC_ARG_MAX_METADATA_SIZE, c->max_metadata_size);
  add_str(args, &n, GRPC_ARG_PRIMARY_USER_AGENT_STRING,
          c->user_agent ? c->user_agent : "bentogrpc-c/" BG_VERSION_STRING);
  if (c->reconnect_backoff_ms > 0) {
    add_int(args, &n, GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, c->reconnect_backoff_ms);
    add_int(args, &n, GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, c->reconnect_backoff_ms);
  }
  if (c->keepalive_time_ms > 0) {
    add_int(args, &n, GRPC_ARG_KEEPALIVE_TIME_MS, c->keepalive_time_ms);
    if (c->keepalive_timeout_ms > 0)
      add_int(args, &n, GRPC_ARG_KEEPALIVE_TIMEOUT_MS, c->keepalive_timeout_ms);
    add_int(args, &n, GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, c->keepalive_permit_without_calls);
  }
  if (c->idle_timeout_ms > 0)
    add_int(args, &n, GRPC_ARG_CLIENT_IDLE_TIMEOUT_MS, c->idle_timeout_ms);
  if (c->compression)
    add_int(args, &n, GRPC_COMPRESSION_CHANNEL_DEFAULT_ALGORITHM, c->compression);
  if (c->lb_policy)
    add_str(args, &n, GRPC_ARG_LB_POLICY_NAME, c->lb_policy);
  bool nomem;
  char *service_config = bgi_channel_service_config(c, &nomem);
  if (nomem)
    return grpc_lame_client_channel_create(url->target, GRPC_STATUS_RESOURCE_EXHAUSTED,
                                           "out of memory building the service config");
  if (service_config)
    add_str(args, &n, GRPC_ARG_SERVICE_CONFIG, service_config);
  if (c->authority) {
    add_str(args, &n, GRPC_ARG_DEFAULT_AUTHORITY, c->authority);
    if (url->tls || c->tls)
      add_str(args, &n, GRPC_SSL_TARGET_NAME_OVERRIDE_ARG, c->authority);
  }
  for (size_t i = 0; i < c->n_extra; i++) {
    if (c->extra[i].is_string)
      add_str(args, &n, c->extra[i].key, c->extra[i].string);
    else
      add_int(args, &n, c->extra[i].key, c->extra[i].integer);
  }
  grpc_channel_args channel_args = {.num_args = n, .args = args};
  grpc_channel_credentials *creds = credentials(url, c);
  grpc_channel *channel = grpc_channel_create(url->target, creds, &channel_args);
  grpc_channel_credentials_release(creds);
  free(service_config); /* gRPC copied the arguments */
  return channel;
}
