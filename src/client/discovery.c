/* Discovery: ServiceMetadata -> the API registry. One bad API never spoils the others. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/client_internal.h"
#include "error_internal.h"
#include "transport/unary.h"
#include "wire/byte_buffer.h"
#include "wire/struct_json.h"

static char *dup_or_null(const char *s) { return s ? strdup(s) : NULL; }

/* Fills one side of an API; returns a malloc'd reason when it is unusable, else NULL. */
static char *describe_io(const bg_pb_descriptor *meta, const char *side, bg_api_io *io) {
  char reason[BG_ERROR_MESSAGE_SIZE + 128];
  bg_error err;
  bg_error_clear(&err);
  json_t *attrs = meta ? bg_struct_to_json(meta->attributes, &err) : json_object();
  if (!attrs) {
    io->attributes_json = strdup("{}");
    snprintf(reason, sizeof reason, "the %s descriptor's attributes are unreadable: %s", side,
             err.message);
    return strdup(reason);
  }
  io->attributes_json = json_dumps(attrs, JSON_COMPACT | JSON_SORT_KEYS);
  bool has_id =
      meta &&
      meta->_descriptor_id_case ==
          BENTOML__GRPC__V1__SERVICE_METADATA_RESPONSE__DESCRIPTOR_METADATA___DESCRIPTOR_ID_DESCRIPTOR_ID;
  io->descriptor_id = has_id ? strdup(meta->descriptor_id) : NULL;
  char *result = NULL;
  if (!has_id) {
    snprintf(reason, sizeof reason,
             "the server sent no %s descriptor (a descriptor without a spec); the API cannot "
             "be called through its descriptor",
             side);
    result = strdup(reason);
  } else if (!(io->descriptor = bg_descriptor_find(io->descriptor_id))) {
    snprintf(reason, sizeof reason, "%s descriptor '%s' is not supported by libbentogrpc %s", side,
             io->descriptor_id, BG_VERSION_STRING);
    result = strdup(reason);
  } else {
    io->spec = io->descriptor->parse_spec(json_object_get(attrs, "args"), &err);
    if (!io->spec) {
      snprintf(reason, sizeof reason, "%s descriptor '%s' has a spec this library cannot read: %s",
               side, io->descriptor_id, err.message);
      io->descriptor = NULL;
      result = strdup(reason);
    }
  }
  json_decref(attrs);
  return result;
}

static bg_status add_api(bg_api *api, const bg_pb_api *meta, bg_error *err) {
  api->name = strdup(meta->name ? meta->name : "");
  api->docs = meta->_docs_case ? dup_or_null(meta->docs) : NULL;
  char *in_reason = describe_io(meta->_input_case ? meta->input : NULL, "input", &api->input);
  char *out_reason = describe_io(meta->_output_case ? meta->output : NULL, "output", &api->output);
  api->unsupported_reason = in_reason ? in_reason : out_reason;
  if (in_reason)
    free(out_reason);
  if (!api->name || !api->input.attributes_json || !api->output.attributes_json)
    return BG_FAIL_NOMEM(err);
  return BG_OK;
}

static bg_status fill_registry(bg_client *client, const bg_pb_metadata *meta, bg_error *err) {
  client->service_name = strdup(meta->name ? meta->name : "");
  client->service_docs = strdup(meta->docs ? meta->docs : "");
  client->apis = calloc(meta->n_apis ? meta->n_apis : 1, sizeof *client->apis);
  if (!client->service_name || !client->service_docs || !client->apis)
    return BG_FAIL_NOMEM(err);
  for (size_t i = 0; i < meta->n_apis; i++) {
    client->n_apis = i + 1; /* so close() frees a partly filled entry too */
    bg_status st = add_api(&client->apis[i], meta->apis[i], err);
    if (st != BG_OK)
      return st;
  }
  return BG_OK;
}

bg_status bg_client_discover(bg_client *client, bg_error *err) {
  Bentoml__Grpc__V1__ServiceMetadataRequest request =
      BENTOML__GRPC__V1__SERVICE_METADATA_REQUEST__INIT;
  grpc_byte_buffer *request_bytes;
  bg_status st = bg_wire_pack(&request.base, &request_bytes, err);
  if (st != BG_OK)
    return st;
  bg_unary_call call = {.channel = client->channel,
                        .method = client->metadata_method,
                        .deadline_ms = client->options.discovery_timeout_ms,
                        .request = request_bytes};
  bg_unary_result result;
  st = bg_unary_run(&client->cq_pool, &call, &result, err);
  grpc_byte_buffer_destroy(request_bytes);
  if (st == BG_OK && result.status != GRPC_STATUS_OK) {
    st = bg_client_fail(client, err, &result, "discovering the APIs (ServiceMetadata)",
                        client->options.discovery_timeout_ms);
  } else if (st == BG_OK && !result.response) {
    st = bg_fail(err, BG_ERR_PROTOCOL, 0, "ServiceMetadata at %s returned OK without a message",
                 client->url_text);
  } else if (st == BG_OK) {
    ProtobufCMessage *msg;
    st = bg_wire_unpack(&bentoml__grpc__v1__service_metadata_response__descriptor, result.response,
                        "ServiceMetadata reply", &msg, err);
    if (st == BG_OK) {
      st = fill_registry(client, (const bg_pb_metadata *)msg, err);
      protobuf_c_message_free_unpacked(msg, NULL);
    }
  }
  bg_unary_result_destroy(&result);
  return st;
}
