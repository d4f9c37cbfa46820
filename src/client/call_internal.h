/* The two halves of a Call shared by the sync and async clients: preparing the request
 * (lookup, encode, pack, call settings) and completing it (status mapping, decode). */
#ifndef BG_CLIENT_CALL_INTERNAL_H
#define BG_CLIENT_CALL_INTERNAL_H

#include "client/client_internal.h"
#include "transport/unary.h"

typedef struct bg_prepared_call {
  const bg_api *api;
  grpc_byte_buffer *request; /* owned; released by bg_prepared_call_release */
  bg_unary_call unary;       /* ready for bg_unary_run / bg_unary_start */
} bg_prepared_call;

/* Finds the API, encodes `input` with its input descriptor and fills the call settings from
 * `call_options` (may be NULL) and the client's defaults. `call_options` must outlive the
 * call (its metadata is referenced, not copied). */
bg_status bg_call_prepare(bg_client *client, const char *api_name, const bg_value *input,
                          const bg_call_options *call_options, bg_prepared_call *out,
                          bg_error *err);
void bg_prepared_call_release(bg_prepared_call *prepared);

/* Turns a finished call into the decoded output or an error. */
bg_status bg_call_complete(const bg_client *client, const bg_prepared_call *prepared,
                           const bg_unary_result *result, bg_value **output, bg_error *err);

#endif
