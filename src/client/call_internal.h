/* The Call RPC as an engine operation (engine/operation.h): preparing the request (lookup,
 * validate, encode, pack, call settings, interceptors' `before`) and completing it (status
 * mapping, decode, interceptors' `after`). The sync call (call.c) runs it and waits; the async
 * one (async_call.c) starts it and completes it where the callback runs. */
#ifndef BGI_CLIENT_CALL_INTERNAL_H
#define BGI_CLIENT_CALL_INTERNAL_H

#include "client/call_chain.h"
#include "client/client_internal.h"
#include "engine/operation.h"
#include "wire/ndarray_request.h"
#include "wire/ndarray_stream.h"

typedef struct bgi_call_op {
  bgi_operation op; /* first: the engine's part (request, settings, result) */
  bg_client *client;
  const char *api_name;  /* the caller's, then the API's own name once it is found */
  const bg_value *input; /* borrowed until prepare returns (or longer with `borrow`) */
  const bg_call_options *call_options; /* may be NULL; an async caller may free them once
                                        * prepare returned: what is needed later is copied
                                        * (metadata, `chain`, `output_buffer`) */
  bgi_out_buffer output_buffer;        /* the options' output buffer, copied at init */
  bool raw;                            /* no descriptors: the content follows the input's kind */
  bool may_borrow;    /* the caller keeps the input until the call ends: large float/double
                       * ndarrays go out from its buffer */
  const bg_api *api;  /* NULL for a raw call */
  bool file_as_bytes; /* this attempt sent a File input as serialized_bytes */
  /* While a File input may be refused as `file` (PROTOCOL.md §4.6): a second reference to the
   * packed Request's slices (no copy), because gRPC empties the buffer it sends and the input
   * may be gone (an async caller frees it once bg_async_call() returns); `next` builds the
   * serialized_bytes Request from it. Dropped when the first call finishes. */
  grpc_byte_buffer *resend_from;
  bool borrowed;         /* the request points at the caller's elements */
  bgi_send_guard borrow; /* tells when gRPC has let go of them */
  bgi_call_chain chain;  /* this call's metadata and interceptor state */
  bg_value *output;      /* complete's decoded reply; the taker sets it to NULL */
} bgi_call_op;

/* The Call kind: prepare, next (a File input refused as `file` by BentoML >= 1.0.16 goes once
 * more as serialized_bytes, and the API is marked to send it so from then on; interceptors see
 * one call), complete (fills `output`), abort (interceptors see the end), fini (waits until
 * gRPC has dropped a borrowed input). */
extern const bgi_rpc bgi_call_rpc;

/* Sets up a call of `api_name` with `input`; nothing is sent before the engine runs it. */
void bgi_call_op_init(bgi_call_op *call, bg_client *client, const char *api_name,
                      const bg_value *input, const bg_call_options *call_options, bool raw);

#endif
