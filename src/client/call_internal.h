/* The two halves of a Call shared by the sync and async clients: preparing the request
 * (lookup, validate, encode, pack, call settings) and completing it (status mapping,
 * decode). */
#ifndef BGI_CLIENT_CALL_INTERNAL_H
#define BGI_CLIENT_CALL_INTERNAL_H

#include "client/call_chain.h"
#include "client/client_internal.h"
#include "transport/unary.h"
#include "wire/borrowed_send.h"

typedef struct bgi_prepared_call {
  const bg_api *api;         /* NULL for a raw call */
  const char *api_name;      /* borrowed from the caller for the call's duration */
  bool file_as_bytes;        /* this attempt sent a File input as serialized_bytes */
  grpc_byte_buffer *request; /* owned; released by bgi_prepared_call_fini */
  bgi_unary_call unary;      /* ready for bgi_unary_run / bgi_unary_start */
  bgi_call_chain chain;      /* this call's metadata and interceptor state */
  bool borrowed;             /* the request points at the caller's elements (sync only) */
  bgi_borrowed_send borrow;  /* tells when gRPC has let go of them */
} bgi_prepared_call;

/* Finds the API, validates and encodes `input` with its input descriptor, fills the call
 * settings from `call_options` (may be NULL) and the client's defaults, and runs the
 * interceptors' `before` hooks. `call_options` must outlive the call (its metadata is
 * referenced, not copied). */
bg_status bgi_call_prepare(bg_client *client, const char *api_name, const bg_value *input,
                           const bg_call_options *call_options, bgi_prepared_call *out,
                           bg_error *err);

/* The same without a descriptor: the content field follows the input's kind. */
bg_status bgi_call_prepare_raw(bg_client *client, const char *api_name, const bg_value *input,
                               const bg_call_options *call_options, bgi_prepared_call *out,
                               bg_error *err);
/* Releases the request; when it borrowed the caller's elements, waits until gRPC has
 * dropped them, so the input may be freed as soon as this returns. */
void bgi_prepared_call_fini(bgi_prepared_call *prepared);

/* Turns a finished call into the decoded output or an error, and runs the interceptors'
 * `after` hooks on the outcome (a hook may turn success into an error: the output is then
 * freed and *output is NULL). */
bg_status bgi_call_complete(const bg_client *client, bgi_prepared_call *prepared,
                            const bgi_unary_result *result, bg_value **output, bg_error *err);

/* true when the server refused a File input sent as `file` the way BentoML >= 1.0.16 does
 * (PROTOCOL.md §4.6); the API is then marked to send serialized_bytes from now on, and the
 * caller may retry. */
bool bgi_call_should_retry_file_as_bytes(const bgi_prepared_call *prepared,
                                         const bgi_unary_result *result);

#endif
