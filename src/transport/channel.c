#include <grpc/grpc_security.h>

#include "bentogrpc/common.h"
#include "transport/channel.h"

grpc_channel *bg_channel_create(const bg_url *url, const bg_channel_config *config) {
  int max_receive = config->max_receive_bytes < 0 || config->max_receive_bytes > INT32_MAX
                        ? -1
                        : (int)config->max_receive_bytes;
  grpc_arg args[4] = {
      {.type = GRPC_ARG_INTEGER,
       .key = (char *)GRPC_ARG_MAX_RECEIVE_MESSAGE_LENGTH,
       .value.integer = max_receive},
      {.type = GRPC_ARG_STRING,
       .key = (char *)GRPC_ARG_PRIMARY_USER_AGENT_STRING,
       .value.string = (char *)"bentogrpc-c/" BG_VERSION_STRING},
  };
  size_t n_args = 2;
  if (config->reconnect_backoff_ms > 0) {
    int backoff =
        config->reconnect_backoff_ms > INT32_MAX ? INT32_MAX : (int)config->reconnect_backoff_ms;
    args[n_args++] = (grpc_arg){.type = GRPC_ARG_INTEGER,
                                .key = (char *)GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS,
                                .value.integer = backoff};
    args[n_args++] = (grpc_arg){.type = GRPC_ARG_INTEGER,
                                .key = (char *)GRPC_ARG_MAX_RECONNECT_BACKOFF_MS,
                                .value.integer = backoff};
  }
  grpc_channel_args channel_args = {.num_args = n_args, .args = args};
  grpc_channel_credentials *creds = url->tls ? grpc_ssl_credentials_create(NULL, NULL, NULL, NULL)
                                             : grpc_insecure_credentials_create();
  grpc_channel *channel = grpc_channel_create(url->target, creds, &channel_args);
  grpc_channel_credentials_release(creds);
  return channel;
}
