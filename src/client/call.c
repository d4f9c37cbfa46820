/* bg_client_call: encode with the input descriptor, unary Call, decode with the output one. */
#include <stdio.h>
#include <string.h>

#include "client/call_internal.h"
#include "error_internal.h"
#include "transport/unary.h"
#include "wire/byte_buffer.h"

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
  return bg_fail(err, BG_ERR_UNKNOWN_API, 0,
                 "service '%s' at %s has no API named '%s'; its APIs are: %s", client->service_name,
                 client->url_text, api_name, names);
}

/* BentoML answers an unknown api_name with INTERNAL or UNKNOWN (PROTOCOL.md §5.2). */
static bool is_unknown_api_reply(const bg_unary_result *result) {
  if (result->status != GRPC_STATUS_INTERNAL && result->status != GRPC_STATUS_UNKNOWN)
    return false;
  size_t n = GRPC_SLICE_LENGTH(result->details);
  const char *details = (const char *)GRPC_SLICE_START_PTR(result->details);
  static const char needle[] = "is not defined in";
  for (size_t i = 0; n >= sizeof needle - 1 && i <= n - (sizeof needle - 1); i++)
    if (memcmp(details + i, needle, sizeof needle - 1) == 0)
      return true;
  return false;
}

static bg_status encode_request(const bg_api *api, const bg_value *input, bg_arena *arena,
                                grpc_byte_buffer **out, bg_error *err) {
  bg_pb_request request = BENTOML__GRPC__V1__REQUEST__INIT;
  request.api_name = api->name;
  bg_status st = api->input.descriptor->encode(api->input.spec, input, arena, &request, err);
  if (st == BG_OK)
    st = bg_wire_pack(&request.base, out, err);
  return st;
}

static bg_status decode_response(const bg_api *api, grpc_byte_buffer *bytes, bg_value **output,
                                 bg_error *err) {
  if (!bytes)
    return bg_fail(err, BG_ERR_PROTOCOL, 0, "the server returned OK without a response message");
  ProtobufCMessage *msg;
  bg_status st =
      bg_wire_unpack(&bentoml__grpc__v1__response__descriptor, bytes, "Call reply", &msg, err);
  if (st != BG_OK)
    return st;
  st = api->output.descriptor->decode(api->output.spec, (bg_pb_response *)msg, output, err);
  protobuf_c_message_free_unpacked(msg, NULL);
  return st;
}

bg_status bg_call_prepare(bg_client *client, const char *api_name, const bg_value *input,
                          const bg_call_options *call_options, bg_prepared_call *out,
                          bg_error *err) {
  memset(out, 0, sizeof *out);
  if (!client || !api_name || !input)
    return bg_fail(err, BG_ERR_INVALID_ARGUMENT, 0, "client, api_name and input must not be NULL");
  const bg_api *api = bg_client_api_find(client, api_name);
  if (!api)
    return fail_unknown_api(client, api_name, err);
  if (api->unsupported_reason)
    return bg_fail(err, BG_ERR_UNSUPPORTED, 0, "API '%s' cannot be called: %s", api_name,
                   api->unsupported_reason);

  bg_arena arena;
  bg_arena_init(&arena);
  bg_status st = encode_request(api, input, &arena, &out->request, err);
  bg_arena_release(&arena);
  if (st != BG_OK) {
    bg_error_prefix(err, "API '%s'", api_name);
    return st;
  }
  out->api = api;
  out->unary = (bg_unary_call){.channel = client->channel,
                               .method = client->call_method,
                               .deadline_ms = call_options && call_options->deadline_ms
                                                  ? call_options->deadline_ms
                                                  : client->options.default_deadline_ms,
                               .metadata = call_options ? call_options->metadata : NULL,
                               .n_metadata = call_options ? call_options->n_metadata : 0,
                               .wait_for_ready = call_options && call_options->wait_for_ready,
                               .request = out->request};
  return BG_OK;
}

void bg_prepared_call_release(bg_prepared_call *prepared) {
  if (prepared->request)
    grpc_byte_buffer_destroy(prepared->request);
  prepared->request = NULL;
}

bg_status bg_call_complete(const bg_client *client, const bg_prepared_call *prepared,
                           const bg_unary_result *result, bg_value **output, bg_error *err) {
  const char *api_name = prepared->api->name;
  if (result->status != GRPC_STATUS_OK) {
    char what[300];
    snprintf(what, sizeof what, "call '%s'", api_name);
    bg_status st =
        bg_fail_from_grpc(err, result, what, client->url_text, prepared->unary.deadline_ms);
    if (is_unknown_api_reply(result)) {
      st = BG_ERR_UNKNOWN_API;
      if (err)
        err->code = st;
    }
    return st;
  }
  bg_status st = decode_response(prepared->api, result->response, output, err);
  if (st != BG_OK)
    bg_error_prefix(err, "API '%s' at %s", api_name, client->url_text);
  return st;
}

BG_API bg_status bg_client_call(bg_client *client, const char *api_name, const bg_value *input,
                                bg_value **output, const bg_call_options *call_options,
                                bg_error *err) {
  bg_error_clear(err);
  if (output)
    *output = NULL;
  if (!output)
    return bg_fail(err, BG_ERR_INVALID_ARGUMENT, 0, "bg_client_call: output must not be NULL");
  bg_prepared_call prepared;
  bg_status st = bg_call_prepare(client, api_name, input, call_options, &prepared, err);
  if (st != BG_OK)
    return st;
  bg_unary_result result;
  st = bg_unary_run(&client->cq_pool, &prepared.unary, &result, err);
  if (st == BG_OK)
    st = bg_call_complete(client, &prepared, &result, output, err);
  bg_unary_result_destroy(&result);
  bg_prepared_call_release(&prepared);
  return st;
}
