/* Interceptors, the call context they see, and response metadata sinks. */
#ifndef BGI_CLIENT_INTERCEPTOR_INTERNAL_H
#define BGI_CLIENT_INTERCEPTOR_INTERNAL_H

#include <grpc/grpc.h>
#include <stdatomic.h>

#include "bentogrpc/interceptor.h"

struct bg_interceptor {
  atomic_int refs;
  char *name;
  bg_call_hook_fn before, after;
  void *state;
  void (*destroy)(void *state);
};

void bgi_interceptor_ref(bg_interceptor *interceptor);

typedef struct bgi_metadata_copy {
  size_t count;
  char **keys;
  char **values; /* NUL-terminated copies; binary values keep their length in lens */
  size_t *lens;
} bgi_metadata_copy;

struct bg_response_metadata {
  bgi_metadata_copy kinds[2]; /* BG_METADATA_INITIAL, BG_METADATA_TRAILING */
};

/* Replaces the sink's contents with copies of a finished call's metadata. */
bg_status bgi_response_metadata_fill(bg_response_metadata *sink, const grpc_metadata_array *initial,
                                     const grpc_metadata_array *trailing);
void bgi_response_metadata_clear(bg_response_metadata *sink);

struct bg_call_context {
  const char *api;
  const char *method;
  const char *target;
  grpc_metadata **metadata; /* the call's request metadata list, growable in `before` */
  size_t *n_metadata;
  size_t *capacity;
  bool sealed; /* after the request left: metadata can no longer be added */
  bg_status status;
  int grpc_status;
  const char *message;
  const bg_response_metadata *response;
  int64_t start_ns;
};

int64_t bgi_now_ns(void);

#endif
