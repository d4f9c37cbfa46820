/* Per-call metadata assembly and the interceptor chain around one call. */
#ifndef BGI_CLIENT_CALL_CHAIN_H
#define BGI_CLIENT_CALL_CHAIN_H

#include "client/client_internal.h"
#include "client/interceptor_internal.h"
#include "transport/unary.h"

typedef struct bgi_call_chain {
  grpc_metadata *metadata; /* this call's own list when one is needed, else NULL */
  size_t n_metadata, capacity;
  size_t n_before; /* interceptors whose `before` ran */
  int64_t start_ns;
  bg_response_metadata *sink; /* the caller's, from the call options, or NULL */
} bgi_call_chain;

/* Builds the call's metadata (call options, compression, interceptors' `before` hooks, the
 * credentials callback) into `unary`. On failure the `after` hooks of the interceptors that
 * ran have been run, and the error is returned. */
bg_status bgi_chain_before(const bg_client *client, const char *api_name,
                           const bg_call_options *call_options, bgi_call_chain *chain,
                           bgi_unary_call *unary, bg_error *err);

/* Copies reply metadata into the sink and runs the `after` hooks (last added first) on the
 * outcome `status`/`err`; returns the final status (a hook may turn it into an error). */
bg_status bgi_chain_after(const bg_client *client, const char *api_name, bgi_call_chain *chain,
                          const bgi_unary_result *result, bg_status status, bg_error *err);

void bgi_chain_fini(bgi_call_chain *chain);

#endif
