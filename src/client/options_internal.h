/* Representation of bg_options and bg_call_options, read by the client modules. */
#ifndef BG_CLIENT_OPTIONS_INTERNAL_H
#define BG_CLIENT_OPTIONS_INTERNAL_H

#include <grpc/grpc.h>

#include "bentogrpc/options.h"

struct bg_options {
  char protocol_version[16]; /* "v1" or "v1alpha1" */
  int64_t discovery_timeout_ms;
  int64_t default_deadline_ms; /* 0: none */
  int64_t max_receive_bytes;   /* -1: unlimited */
};

struct bg_call_options {
  int64_t deadline_ms; /* 0: use the client's default */
  bool wait_for_ready;
  bool validate; /* client-side validation against the descriptor spec (default on) */
  grpc_metadata *metadata; /* slices owned here, ready to hand to gRPC without conversion */
  size_t n_metadata;
  size_t capacity;
};

/* The defaults documented in options.h. */
void bg_options_init_defaults(struct bg_options *options);

#endif
