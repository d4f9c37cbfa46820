/* bg_client_call: validate and encode with the input descriptor, unary Call, decode with the
 * output one. Raw calls skip the descriptors. */
#include <stdio.h>
#include <string.h>

#include "bentoml/grpc/v1alpha1/service.pb-c.h"
#include "client/call_internal.h"
#include "error_internal.h"
#include "transport/unary.h"
#include "wire/byte_buffer.h"
#include "wire/ndarray_stream.h"

static bg_status fail_unknown_api(const bg_client *client, const char *api_name, bg_error *err) {
  char names[600] = "";
  size_t used = 0;
  for (size_t i = 0; i < client->n_apis && used + 4 < sizeof names; i++) {
    int n =
        snprintf(names + used, sizeof names - used, "%s%s", i ? ", " : "", client->apis[i].name);
    used += n > 0 ? (size_t)n : 0;
  }
  if (used >= sizeof names)
    strcpy(names + sizeof names - 5, "...");
  for (size_t i = 0; i < client->n_nul_names; i++)
    if (strcmp(client->nul_names[i], api_name) == 0)
      return bgi_fail(err, BG_ERR_UNKNOWN_API, 0,
                      "service '%s' at %s lists an API named '%s\\x00...', whose name contains "
                      "a NUL byte: names with NUL bytes are unsupported (a C string ends at the "
                      "first), so it was left out at discovery and cannot be called. Its APIs "
                      "are: %s",
                      client->service_name, client->url_text, api_name, names);
  return bgi_fail(err, BG_ERR_UNKNOWN_API, 0,
                  "service '%s' at %s has no API named '%s'; its APIs are: %s",
                  client->service_name, client->url_text, api_name, names);
}

static bool details_contain(const bgi_unary_result *result, const char *needle) {
  size_t n = GRPC_SLICE_LENGTH(result->details), m = strlen(needle);
  const char *details = (const char *)GRPC_SLICE_START_PTR(result->details);
  for (size_t i = 0; n >= m && i <= n - m; i++)
    if (memcmp(details + i, needle, m) == 0)
      return true;
  return false;
}

/* BentoML answers an unknown api_name with INTERNAL or UNKNOWN (PROTOCOL.md §5.2). */
static bool is_unknown_api_reply(const bgi_unary_result *result) {
  return (result->status == GRPC_STATUS_INTERNAL || result->status == GRPC_STATUS_UNKNOWN) &&
         details_contain(result, "is not defined in");
}

static bool is_v1alpha1(const bg_client *client) {
  return strcmp(client->options.protocol_version, "v1alpha1") == 0;
}

/* Encodes with `d` (or by the input's kind when NULL) and packs the Request. With `guard`
 * (sync calls only: they outlive the send), a large float/double ndarray goes out from the
 * caller's buffer itself and *borrowed is set. */
static bg_status encode_request(const bg_client *client, const char *api_name,
                                const bgi_descriptor *d, const void *spec, const bg_value *input,
                                bool validate, bool file_as_bytes, bgi_borrowed_send *guard,
                                bool *borrowed, grpc_byte_buffer **out, bg_error *err) {
  bgi_arena arena;
  bgi_arena_init(&arena);
  bgi_codec_ctx ctx = {.arena = &arena,
                       .v1alpha1 = is_v1alpha1(client),
                       .validate = validate,
                       .file_as_bytes = file_as_bytes};
  bgi_pb_request request = BENTOML__GRPC__V1__REQUEST__INIT;
  request.api_name = (char *)api_name;
  bgi_content content;
  bg_status st = d ? bgi_descriptor_encode(d, spec, input, &ctx, &content, err)
                   : bgi_descriptor_encode(bgi_descriptor_for_kind(input->kind), NULL, input, &ctx,
                                           &content, err);
  if (st == BG_OK)
    st = bgi_content_to_request(&content, ctx.v1alpha1, &arena, &request, err);
  *borrowed = st == BG_OK && guard && content.member == BGI_MEMBER_NDARRAY &&
              bgi_borrowed_send_possible(content.as.ndarray);
  if (*borrowed)
    st = bgi_borrowed_send_pack(api_name, content.as.ndarray, guard, out, err); /* no copy */
  else if (st == BG_OK)
    st = bgi_wire_pack(&request.base, out, err); /* the one copy of the payload */
  bgi_arena_fini(&arena);
  return st;
}

static bg_status decode_response(const bg_client *client, const bg_api *api,
                                 grpc_byte_buffer *bytes, bg_value **output, bg_error *err) {
  if (!bytes)
    return bgi_fail(err, BG_ERR_PROTOCOL, 0, "the server returned OK without a response message");
  if (!api || api->output.descriptor == &bgi_ndarray_descriptor) {
    bg_status fast = bgi_ndarray_stream_decode(bytes, output, err); /* one copy, no join */
    if (fast != BG_ERR_UNSUPPORTED)
      return fast;
  }
  bgi_codec_ctx ctx = {.v1alpha1 = is_v1alpha1(client)};
  const ProtobufCMessageDescriptor *type = ctx.v1alpha1
                                               ? &bentoml__grpc__v1alpha1__response__descriptor
                                               : &bentoml__grpc__v1__response__descriptor;
  ProtobufCMessage *msg;
  bg_status st = bgi_wire_unpack(type, bytes, "Call reply", &msg, err);
  if (st != BG_OK)
    return st;
  bgi_content content;
  st = bgi_content_from_response(msg, ctx.v1alpha1, &content, err);
  if (st == BG_OK)
    st = api ? bgi_descriptor_decode(api->output.descriptor, api->output.spec, &content, &ctx,
                                     output, err)
             : bgi_content_decode_any(&content, &ctx, output, err);
  protobuf_c_message_free_unpacked(msg, NULL);
  return st;
}

static bg_status fill_settings(bg_client *client, const bg_call_options *co, bgi_prepared_call *out,
                               bg_error *err) {
  out->unary = (bgi_unary_call){
      .channel = client->channel,
      .method = client->call_method,
      .deadline_ms = co && co->deadline_ms ? co->deadline_ms : client->options.default_deadline_ms,
      .metadata = co ? co->metadata : NULL,
      .n_metadata = co ? co->n_metadata : 0,
      .wait_for_ready = co && co->wait_for_ready,
      .request = out->request};
  bg_status st = bgi_chain_before(client, out->api_name, co, &out->chain, &out->unary, err);
  if (st != BG_OK)
    bgi_prepared_call_fini(out);
  return st;
}

static bg_status prepare(bg_client *client, const char *api_name, const bg_value *input,
                         const bg_call_options *call_options, bool borrow, bgi_prepared_call *out,
                         bg_error *err) {
  memset(out, 0, sizeof *out);
  if (!client || !api_name || !input)
    return bgi_fail(err, BG_ERR_INVALID_ARGUMENT, 0, "client, api_name and input must not be NULL");
  if (!client->discovered)
    return bgi_fail(err, BG_ERR_UNSUPPORTED, 0,
                    "this client was opened without discovering the server's APIs "
                    "(bg_client_open), so '%s' has no descriptors to call it through; use "
                    "bg_client_call_raw(), or bg_client_from_url() on a v1 server",
                    api_name);
  const bg_api *api = bg_client_api_find(client, api_name);
  if (!api)
    return fail_unknown_api(client, api_name, err);
  if (api->unsupported_reason)
    return bgi_fail(err, BG_ERR_UNSUPPORTED, 0,
                    "API '%s' cannot be called through its descriptors: %s; bg_client_call_raw() "
                    "can still reach it",
                    api_name, api->unsupported_reason);
  out->api = api;
  out->api_name = api->name;
  out->file_as_bytes = atomic_load(&((bg_api *)api)->file_as_bytes);
  bool validate = !call_options || call_options->validate;
  bg_status st = encode_request(client, api->name, api->input.descriptor, api->input.spec, input,
                                validate, out->file_as_bytes, borrow ? &out->borrow : NULL,
                                &out->borrowed, &out->request, err);
  if (st != BG_OK) {
    bgi_error_prefix(err, "API '%s' input", api_name);
    return st;
  }
  return fill_settings(client, call_options, out, err);
}

bg_status bgi_call_prepare(bg_client *client, const char *api_name, const bg_value *input,
                           const bg_call_options *call_options, bgi_prepared_call *out,
                           bg_error *err) {
  return prepare(client, api_name, input, call_options, false, out, err);
}

static bg_status prepare_raw(bg_client *client, const char *api_name, const bg_value *input,
                             const bg_call_options *call_options, bool borrow,
                             bgi_prepared_call *out, bg_error *err) {
  memset(out, 0, sizeof *out);
  if (!client || !api_name || !input)
    return bgi_fail(err, BG_ERR_INVALID_ARGUMENT, 0, "client, api_name and input must not be NULL");
  out->api_name = api_name;
  bg_status st = encode_request(client, api_name, NULL, NULL, input, false, false,
                                borrow ? &out->borrow : NULL, &out->borrowed, &out->request, err);
  if (st != BG_OK) {
    bgi_error_prefix(err, "raw call '%s' input", api_name);
    return st;
  }
  return fill_settings(client, call_options, out, err);
}

bg_status bgi_call_prepare_raw(bg_client *client, const char *api_name, const bg_value *input,
                               const bg_call_options *call_options, bgi_prepared_call *out,
                               bg_error *err) {
  return prepare_raw(client, api_name, input, call_options, false, out, err);
}

void bgi_prepared_call_fini(bgi_prepared_call *prepared) {
  if (prepared->request)
    grpc_byte_buffer_destroy(prepared->request);
  prepared->request = NULL;
  if (prepared->borrowed)
    bgi_borrowed_send_wait(&prepared->borrow);
  prepared->borrowed = false;
  bgi_chain_fini(&prepared->chain);
}

bool bgi_call_should_retry_file_as_bytes(const bgi_prepared_call *prepared,
                                         const bgi_unary_result *result) {
  if (!prepared->api || prepared->file_as_bytes ||
      prepared->api->input.descriptor != &bgi_file_descriptor ||
      result->status != GRPC_STATUS_INVALID_ARGUMENT ||
      !details_contain(result, "got 'file' instead"))
    return false;
  atomic_store(&((bg_api *)prepared->api)->file_as_bytes, true);
  return true;
}

static bg_status outcome(const bg_client *client, const bgi_prepared_call *prepared,
                         const bgi_unary_result *result, bg_value **output, bg_error *err) {
  const char *api_name = prepared->api_name;
  if (result->status != GRPC_STATUS_OK) {
    char what[300];
    snprintf(what, sizeof what, "call '%s'", api_name);
    bg_status st = bgi_client_fail(client, err, result, what, prepared->unary.deadline_ms);
    if (is_unknown_api_reply(result)) {
      st = BG_ERR_UNKNOWN_API;
      err->code = st;
    }
    return st;
  }
  bg_status st = decode_response(client, prepared->api, result->response, output, err);
  if (st == BG_ERR_INVALID_ARGUMENT) { /* only the server's bytes and spec are decoded here */
    st = BG_ERR_PROTOCOL;
    err->code = st;
  }
  if (st != BG_OK)
    bgi_error_prefix(err, "API '%s' at %s: output", api_name, client->url_text);
  return st;
}

bg_status bgi_call_complete(const bg_client *client, bgi_prepared_call *prepared,
                            const bgi_unary_result *result, bg_value **output, bg_error *err) {
  bg_status st = outcome(client, prepared, result, output, err);
  st = bgi_chain_after(client, prepared->api_name, &prepared->chain, result, st, err);
  if (st != BG_OK && output && *output) { /* an interceptor failed a successful call */
    bg_value_free(*output);
    *output = NULL;
  }
  return st;
}

/* One sync call; a File input refused as `file` is sent again as serialized_bytes. */
static bg_status run(bg_client *client, const char *api_name, const bg_value *input,
                     bg_value **output, const bg_call_options *co, bool raw, bg_error *err) {
  bgi_error_clear(err);
  if (output)
    *output = NULL;
  if (!output)
    return bgi_fail(err, BG_ERR_INVALID_ARGUMENT, 0, "output must not be NULL");
  for (int attempt = 0;; attempt++) {
    bgi_prepared_call prepared;
    /* A sync call lasts until gRPC has let go of the request: it may borrow the input. */
    bg_status st = raw ? prepare_raw(client, api_name, input, co, true, &prepared, err)
                       : prepare(client, api_name, input, co, true, &prepared, err);
    if (st != BG_OK)
      return st;
    bgi_unary_result result;
    st = bgi_unary_run(&client->cq_pool, &prepared.unary, &result, err);
    bool retry =
        st == BG_OK && attempt == 0 && bgi_call_should_retry_file_as_bytes(&prepared, &result);
    if (retry) { /* the refused attempt ends for the interceptors before the second begins */
      bg_error ignored;
      bg_value *none = NULL;
      bgi_call_complete(client, &prepared, &result, &none, &ignored);
      bg_value_free(none);
    } else if (st == BG_OK) {
      st = bgi_call_complete(client, &prepared, &result, output, err);
    } else if (st != BG_OK) /* gRPC could not run the call: interceptors still see it end */
      st = bgi_chain_after(client, prepared.api_name, &prepared.chain, NULL, st, err);
    bgi_unary_result_fini(&result);
    bgi_prepared_call_fini(&prepared);
    if (!retry)
      return st;
  }
}

BG_API bg_status bg_client_call(bg_client *client, const char *api_name, const bg_value *input,
                                bg_value **output, const bg_call_options *call_options,
                                bg_error *err) {
  BGI_ERROR_SINK(err);
  return run(client, api_name, input, output, call_options, false, err);
}

BG_API bg_status bg_client_call_raw(bg_client *client, const char *api_name, const bg_value *input,
                                    bg_value **output, const bg_call_options *call_options,
                                    bg_error *err) {
  BGI_ERROR_SINK(err);
  return run(client, api_name, input, output, call_options, true, err);
}
