/* Opening the client's one gRPC channel from typed settings. */
#ifndef BGI_TRANSPORT_CHANNEL_H
#define BGI_TRANSPORT_CHANNEL_H

#include <grpc/grpc.h>
#include <stdbool.h>

#include "bentogrpc/common.h"
#include "transport/url.h"

/* One raw gRPC channel argument (validated against channel_args.c's table). */
typedef struct bgi_channel_arg {
  char *key;
  bool is_string;
  char *string;
  int integer;
} bgi_channel_arg;

typedef struct bgi_channel_config {
  int64_t max_receive_bytes;    /* -1: unlimited */
  int64_t max_send_bytes;       /* -1: unlimited */
  int64_t max_metadata_size;    /* 0: gRPC's default (8 KiB) */
  int64_t reconnect_backoff_ms; /* > 0: cap on reconnect backoff; 0: gRPC's default */
  int64_t keepalive_time_ms;    /* 0: keepalive off (the default is on: options.h) */
  int64_t keepalive_timeout_ms; /* 0: gRPC's default */
  bool keepalive_permit_without_calls;
  int64_t idle_timeout_ms;  /* > 0: grpc.client_idle_timeout_ms; 0: gRPC's (30 min) */
  int compression;          /* grpc_compression_algorithm for requests; 0 none */
  char *user_agent;         /* NULL: "bentogrpc-c/<version>" */
  char *lb_policy;          /* NULL: gRPC's (pick_first) */
  char *service_config;     /* JSON, NULL: none */
  char *authority;          /* :authority and TLS name override, NULL: from the URL */
  bool tls;                 /* TLS even without grpcs:// */
  bool tls_off;             /* bg_options_set_tls(false): refuse TLS material and grpcs:// */
  char *root_pem;           /* CA bundle; NULL: the system's roots */
  char *cert_pem, *key_pem; /* client certificate for mutual TLS; NULL: none */
  bgi_channel_arg *extra;   /* raw arguments, applied last */
  size_t n_extra;
  char *retry_policy;   /* JSON retryPolicy object for our services, NULL: no retries */
  bool health_check;    /* client-side health checking (healthCheckConfig) */
  char *health_service; /* its serviceName; "" or NULL: the server's overall health */
} bgi_channel_config;

/* The service config the channel is given: the user's JSON (or {}) with the typed retry
 * policy and health check merged in; NULL when there is nothing to give, or on out of memory
 * (`*nomem` set). Caller frees. */
char *bgi_channel_service_config(const bgi_channel_config *config, bool *nomem);

/* A channel for `url`; never NULL (gRPC reports bad targets at the first call; out of memory
 * gives a lame channel whose calls fail with RESOURCE_EXHAUSTED). */
grpc_channel *bgi_channel_create(const bgi_url *url, const bgi_channel_config *config);

/* Checks a raw channel argument against the table of client-side gRPC arguments: unknown
 * keys and values of the wrong type are errors, never ignored. */
bg_status bgi_channel_arg_check(const char *key, bool is_string, bg_error *err);

#endif
