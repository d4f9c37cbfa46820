/* Representation of bg_options and bg_call_options, read by the client modules. */
#ifndef BGI_CLIENT_OPTIONS_INTERNAL_H
#define BGI_CLIENT_OPTIONS_INTERNAL_H

#include <grpc/grpc.h>

#include "bentogrpc/interceptor.h"
#include "bentogrpc/options.h"
#include "transport/cancel.h"
#include "transport/channel.h"

#define BGI_MAX_EXTRA_CHANNEL_ARGS 32
#define BGI_MAX_INTERCEPTORS       16

/* Connection defaults for long-lived clients; options.h (bg_options_set_keepalive) says why. */
#define BGI_DEFAULT_KEEPALIVE_TIME_MS    300000 /* = gRPC servers' minimum ping interval */
#define BGI_DEFAULT_KEEPALIVE_TIMEOUT_MS 20000
#define BGI_DEFAULT_IDLE_TIMEOUT_MS      180000 /* below common load balancers' idle timeouts */

struct bg_options {
  char protocol_version[16]; /* "v1" or "v1alpha1" */
  int64_t discovery_timeout_ms;
  int64_t default_deadline_ms;                        /* 0: none */
  bgi_channel_config channel;                         /* strings and extra args owned */
  bg_interceptor *interceptors[BGI_MAX_INTERCEPTORS]; /* one reference each */
  size_t n_interceptors;
  bool allow_insecure_credentials; /* credentials over plaintext to loopback/unix: targets */
};

struct bg_call_options {
  int64_t deadline_ms; /* 0: use the client's default */
  bool wait_for_ready;
  bool validate;           /* client-side validation against the descriptor spec (default on) */
  int compression;         /* -1: the channel's default; else grpc_compression_algorithm */
  grpc_metadata *metadata; /* slices owned here, ready to hand to gRPC without conversion */
  size_t n_metadata;
  size_t capacity;
  bg_credentials_fn credentials; /* per-call credentials callback, or NULL */
  void *credentials_data;
  bg_response_metadata *response_metadata; /* where to copy reply metadata, or NULL */
  bg_cancel_token *cancel;                 /* borrowed; cancels sync calls, or NULL */
  bgi_cancel_fd cancel_fd;                 /* fd -1: none */
  void *output_buffer;    /* the caller's memory for float/double ndarray replies, or NULL */
  size_t output_capacity; /* its size in bytes; 0 when output_buffer is NULL */
};

/* The defaults documented in options.h. */
void bgi_options_init_defaults(struct bg_options *options);

/* Deep copy of `from` into `to` (strings duplicated, interceptors referenced). */
bg_status bgi_options_copy(struct bg_options *to, const struct bg_options *from, bg_error *err);

/* Frees what bgi_options_copy / the setters allocated inside `options`. */
void bgi_options_fini(struct bg_options *options);

/* Appends one metadata entry to a grpc_metadata array (copies key and value), checking the
 * key and value as bg_call_options_add_metadata() documents. */
bg_status bgi_metadata_append(grpc_metadata **md, size_t *n, size_t *capacity, const char *key,
                              const char *value, size_t value_len, bool allow_reserved,
                              bg_error *err);
void bgi_metadata_free(grpc_metadata *md, size_t n);

#endif
