/* Opening the client's one gRPC channel. */
#ifndef BG_TRANSPORT_CHANNEL_H
#define BG_TRANSPORT_CHANNEL_H

#include <grpc/grpc.h>

#include "transport/url.h"

typedef struct bg_channel_config {
  int64_t max_receive_bytes;    /* -1: unlimited */
  int64_t reconnect_backoff_ms; /* > 0: cap on reconnect backoff; 0: gRPC's default */
} bg_channel_config;

/* A channel for `url`; never NULL (gRPC reports bad targets at the first call). */
grpc_channel *bg_channel_create(const bg_url *url, const bg_channel_config *config);

#endif
