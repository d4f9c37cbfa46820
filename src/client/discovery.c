/* Discovery: ServiceMetadata -> the API registry. One bad API never spoils the others. */
#include <grpc/byte_buffer_reader.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/client_internal.h"
#include "engine/operation.h"
#include "error_internal.h"
#include "log_internal.h"
#include "wire/byte_buffer.h"
#include "wire/pb_raw.h"
#include "wire/proto.h"
#include "wire/struct_json.h"

static char *dup_or_null(const char *s) { return s ? strdup(s) : NULL; }

/* Fills one side of an API; returns a malloc'd reason when it is unusable, else NULL. */
static char *describe_io(const bgi_pb_descriptor *meta, const char *side, bgi_api_io *io) {
  char reason[BG_ERROR_MESSAGE_SIZE + 128];
  bg_error err;
  bgi_error_clear(&err);
  json_t *attrs = meta ? bgi_struct_to_json(meta->attributes, &err) : json_object();
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
  } else if (!(io->descriptor = bgi_descriptor_find(io->descriptor_id))) {
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

static bg_status add_api(bg_api *api, const bgi_pb_api *meta, bg_error *err) {
  api->name = strdup(meta->name ? meta->name : "");
  api->docs = meta->_docs_case ? dup_or_null(meta->docs) : NULL;
  char *in_reason = describe_io(meta->_input_case ? meta->input : NULL, "input", &api->input);
  char *out_reason = describe_io(meta->_output_case ? meta->output : NULL, "output", &api->output);
  api->unsupported_reason = in_reason ? in_reason : out_reason;
  if (in_reason)
    free(out_reason);
  if (!api->name || !api->input.attributes_json || !api->output.attributes_json)
    return BGI_FAIL_NOMEM(err);
  return BG_OK;
}

/* ---- names with NUL bytes: protobuf-c's char * ends at the first one, so the reply's bytes
 * are read again to find them ---- */

/* Moves past one field of wire type `type` whose key was read; false on bad bytes. */
static bool skip_field(const uint8_t **p, const uint8_t *end, unsigned type) {
  uint64_t n;
  if (type == BGI_PB_VARINT)
    return bgi_pb_read_varint(p, end, &n);
  if (type == BGI_PB_I64 || type == BGI_PB_I32)
    n = type == BGI_PB_I64 ? 8 : 4;
  else if (type != BGI_PB_LEN || !bgi_pb_read_varint(p, end, &n))
    return false;
  if (n > (uint64_t)(end - *p))
    return false;
  *p += n;
  return true;
}

/* The i-th InferenceAPI record (field 2) sets nul[i] when its name (field 1; the last one
 * wins, as in protobuf-c) holds a NUL byte. Stops at bytes it cannot read (protobuf-c has
 * already accepted them, so this does not happen). */
static void find_nul_names(const uint8_t *p, const uint8_t *end, bool *nul, size_t n_apis) {
  for (size_t i = 0; p < end && i < n_apis;) {
    uint64_t key, len;
    if (!bgi_pb_read_varint(&p, end, &key))
      return;
    if (key != BGI_PB_TAG(BGI_PB_METADATA_APIS, BGI_PB_LEN)) {
      if (!skip_field(&p, end, key & 7))
        return;
      continue;
    }
    if (!bgi_pb_read_varint(&p, end, &len) || len > (uint64_t)(end - p))
      return;
    const uint8_t *q = p, *record_end = p + len;
    p = record_end;
    while (q < record_end) {
      if (!bgi_pb_read_varint(&q, record_end, &key))
        break;
      if (key != BGI_PB_TAG(BGI_PB_API_NAME, BGI_PB_LEN)) {
        if (!skip_field(&q, record_end, key & 7))
          break;
        continue;
      }
      if (!bgi_pb_read_varint(&q, record_end, &len) || len > (uint64_t)(record_end - q))
        break;
      nul[i] = memchr(q, 0, len) != NULL;
      q += len;
    }
    i++;
  }
}

/* nul[i] for each of the reply's `n_apis` APIs; NULL when out of memory. */
static bool *nul_flags(grpc_byte_buffer *reply, size_t n_apis) {
  bool *nul = calloc(n_apis ? n_apis : 1, sizeof *nul);
  grpc_byte_buffer_reader reader;
  if (!nul || !grpc_byte_buffer_reader_init(&reader, reply))
    return nul;
  grpc_slice all = grpc_byte_buffer_reader_readall(&reader);
  grpc_byte_buffer_reader_destroy(&reader);
  const uint8_t *start = GRPC_SLICE_START_PTR(all);
  find_nul_names(start, start + GRPC_SLICE_LENGTH(all), nul, n_apis);
  grpc_slice_unref(all);
  return nul;
}

static bg_status fill_registry(bg_client *client, const bgi_pb_metadata *meta,
                               grpc_byte_buffer *reply, bg_error *err) {
  client->service_name = strdup(meta->name ? meta->name : "");
  client->service_docs = strdup(meta->docs ? meta->docs : "");
  client->apis = calloc(meta->n_apis ? meta->n_apis : 1, sizeof *client->apis);
  client->nul_names = calloc(meta->n_apis ? meta->n_apis : 1, sizeof *client->nul_names);
  bool *nul = nul_flags(reply, meta->n_apis);
  bg_status st = BG_OK;
  if (!client->service_name || !client->service_docs || !client->apis || !client->nul_names || !nul)
    st = BGI_FAIL_NOMEM(err);
  for (size_t i = 0; st == BG_OK && i < meta->n_apis; i++) {
    if (nul[i]) { /* left out, but remembered to say why a call of it fails */
      const char *name = meta->apis[i]->name ? meta->apis[i]->name : "";
      if (!(client->nul_names[client->n_nul_names++] = strdup(name)))
        st = BGI_FAIL_NOMEM(err);
      continue;
    }
    client->n_apis++; /* so close() frees a partly filled entry too */
    st = add_api(&client->apis[client->n_apis - 1], meta->apis[i], err);
  }
  free(nul);
  return st;
}

/* ---- the ServiceMetadata RPC as an engine operation ---- */

typedef struct metadata_op {
  bgi_operation op; /* first */
  bg_client *client;
} metadata_op;

static bg_status metadata_prepare(bgi_operation *op, bg_error *err) {
  bg_client *client = ((metadata_op *)op)->client;
  Bentoml__Grpc__V1__ServiceMetadataRequest request =
      BENTOML__GRPC__V1__SERVICE_METADATA_REQUEST__INIT;
  op->call.channel = client->channel;
  op->call.method = client->metadata_method;
  op->call.deadline_ms = client->options.discovery_timeout_ms;
  return bgi_wire_pack(&request.base, &op->request, err);
}

static bg_status metadata_complete(bgi_operation *op, bg_error *err) {
  bg_client *client = ((metadata_op *)op)->client;
  const bgi_unary_result *result = &op->result;
  if (result->status != GRPC_STATUS_OK)
    return bgi_client_fail(client, err, result, "discovering the APIs (ServiceMetadata)",
                           client->options.discovery_timeout_ms, op->probe_peer);
  if (!result->response)
    return bgi_fail(err, BG_ERR_PROTOCOL, 0, "ServiceMetadata at %s returned OK without a message",
                    client->url_text);
  ProtobufCMessage *msg;
  bg_status st = bgi_wire_unpack(&bentoml__grpc__v1__service_metadata_response__descriptor,
                                 result->response, "ServiceMetadata reply", &msg, err);
  if (st == BG_OK) {
    st = fill_registry(client, (const bgi_pb_metadata *)msg, result->response, err);
    protobuf_c_message_free_unpacked(msg, NULL);
  }
  return st;
}

static const bgi_rpc metadata_rpc = {
    .name = "ServiceMetadata", .prepare = metadata_prepare, .complete = metadata_complete};

/* ---- servers without ServiceMetadata: which BentoService they serve ----
 *
 * BentoML added ServiceMetadata in 1.0.12. 1.0.11 serves bentoml.grpc.v1.BentoService with
 * Call only; 1.0.6 to 1.0.10 serve only bentoml.grpc.v1alpha1.BentoService (so do later
 * releases started with --protocol-version v1alpha1). When ServiceMetadata is UNIMPLEMENTED,
 * one Call with an empty Request (api_name "": every BentoML release answers it with an
 * error, not UNIMPLEMENTED) tells the cases apart, so the error can say what to do. This
 * runs only on that failure path. */

typedef struct probe_op {
  bgi_operation op; /* first */
  grpc_channel *channel;
  void *method;
  int64_t deadline_ms;
} probe_op;

static bg_status probe_prepare(bgi_operation *op, bg_error *err) {
  probe_op *p = (probe_op *)op;
  bgi_pb_request request = BENTOML__GRPC__V1__REQUEST__INIT; /* empty: also a v1alpha1 one */
  op->call.channel = p->channel;
  op->call.method = p->method;
  op->call.deadline_ms = p->deadline_ms;
  return bgi_wire_pack(&request.base, &op->request, err);
}

static bg_status probe_complete(bgi_operation *op, bg_error *err) {
  (void)op; /* the caller reads op->result.status */
  (void)err;
  return BG_OK;
}

static const bgi_rpc probe_rpc = {
    .name = "Call probe", .prepare = probe_prepare, .complete = probe_complete};

typedef enum probe_answer { PROBE_SERVED, PROBE_UNIMPLEMENTED, PROBE_UNKNOWN } probe_answer;

/* One empty Call to `method`: served (any answer of the service), UNIMPLEMENTED, or unknown
 * (no answer: unreachable, deadline). */
static probe_answer probe_call(bg_client *client, void *method) {
  probe_op p = {.channel = client->channel,
                .method = method,
                .deadline_ms = client->options.discovery_timeout_ms};
  bg_error err;
  bgi_operation_init(&p.op, &probe_rpc);
  probe_answer answer = PROBE_UNKNOWN;
  if (bgi_operation_run(&p.op, &client->cq_pool, &err) == BG_OK) {
    grpc_status_code status = p.op.result.status;
    answer = status == GRPC_STATUS_UNIMPLEMENTED ? PROBE_UNIMPLEMENTED
             : status == GRPC_STATUS_UNAVAILABLE || status == GRPC_STATUS_DEADLINE_EXCEEDED ||
                     status == GRPC_STATUS_CANCELLED
                 ? PROBE_UNKNOWN
                 : PROBE_SERVED;
  }
  bgi_operation_fini(&p.op);
  return answer;
}

/* ServiceMetadata was UNIMPLEMENTED: replaces `err`'s message by what the server serves and
 * what to call instead (README "BentoML releases"). The code and gRPC status stay
 * (BG_ERR_SERVER, UNIMPLEMENTED). The CLI and the bindings tell the cases apart by the reason
 * (BG_REASON_NO_DISCOVERY_*), never by these sentences. */
static void explain_no_metadata(bg_client *client, bg_error *err) {
  const char *url = client->url_text;
  probe_answer v1 = probe_call(client, client->call_method), v1alpha1 = PROBE_UNKNOWN;
  if (v1 == PROBE_UNIMPLEMENTED) {
    void *alpha = grpc_channel_register_call(
        client->channel, "/bentoml.grpc.v1alpha1.BentoService/Call", NULL, NULL);
    v1alpha1 = probe_call(client, alpha);
  }
  bgi_log(BG_LOG_INFO, "discovery at %s: ServiceMetadata UNIMPLEMENTED; v1 Call %d, v1alpha1 %d",
          url, (int)v1, (int)v1alpha1);
  if (v1 == PROBE_SERVED)
    bgi_fail_reason(
        err, BG_ERR_SERVER, GRPC_STATUS_UNIMPLEMENTED, BG_REASON_NO_DISCOVERY_V1,
        "cannot discover the APIs of %s: it serves bentoml.grpc.v1.BentoService without the "
        "ServiceMetadata RPC (UNIMPLEMENTED), as BentoML 1.0.11 does (discovery came in "
        "1.0.12). Call its APIs without discovery, naming the API yourself; the input is "
        "sent as it is, without checks: bg_client_open() + bg_client_call_raw() (async: "
        "bg_async_client_connect() + bg_async_call_raw()). Health checks work as usual. "
        "See README.md, \"BentoML releases\"",
        url);
  else if (v1 == PROBE_UNIMPLEMENTED && v1alpha1 == PROBE_SERVED)
    bgi_fail_reason(
        err, BG_ERR_SERVER, GRPC_STATUS_UNIMPLEMENTED, BG_REASON_NO_DISCOVERY_V1ALPHA1_ONLY,
        "cannot discover the APIs of %s: it has no bentoml.grpc.v1.BentoService (even v1 "
        "Call is UNIMPLEMENTED) and serves only bentoml.grpc.v1alpha1.BentoService, as "
        "BentoML 1.0.6 to 1.0.10 do (and later releases serving protocol version v1alpha1 "
        "only); v1alpha1 has no discovery. Call it as v1alpha1 without discovery, "
        "naming the API yourself: bg_options_set_protocol_version(options, \"v1alpha1\") "
        "+ bg_client_open() + bg_client_call_raw() (async: bg_async_client_connect() + "
        "bg_async_call_raw()). See README.md, \"BentoML releases\"",
        url);
  else if (v1 == PROBE_UNIMPLEMENTED && v1alpha1 == PROBE_UNIMPLEMENTED)
    bgi_fail(err, BG_ERR_SERVER, GRPC_STATUS_UNIMPLEMENTED,
             "cannot discover the APIs of %s: it implements neither bentoml.grpc.v1.BentoService "
             "nor bentoml.grpc.v1alpha1.BentoService (ServiceMetadata and both Calls are "
             "UNIMPLEMENTED) — is it a BentoML gRPC server (bentoml serve-grpc), and does the "
             "address reach it rather than another gRPC service?",
             url);
  else /* a check did not answer: say both */
    bgi_fail_reason(
        err, BG_ERR_SERVER, GRPC_STATUS_UNIMPLEMENTED, BG_REASON_NO_DISCOVERY_UNKNOWN,
        "cannot discover the APIs of %s: ServiceMetadata is UNIMPLEMENTED there; BentoML "
        "releases before 1.0.12 have no ServiceMetadata. 1.0.11 serves v1 without it: call "
        "without discovery, naming the API: bg_client_open() + bg_client_call_raw() "
        "(async: bg_async_client_connect() + bg_async_call_raw()); 1.0.6 to 1.0.10 serve "
        "only v1alpha1: also set bg_options_set_protocol_version(options, \"v1alpha1\"). "
        "(A Call to tell which did not answer.) See README.md, \"BentoML releases\"",
        url);
}

bg_status bgi_client_discover(bg_client *client, bg_error *err) {
  metadata_op m = {.client = client};
  bgi_operation_init(&m.op, &metadata_rpc);
  m.op.probe_peer = true; /* discovery is sync: the caller waits for the client */
  bg_status st = bgi_operation_run(&m.op, &client->cq_pool, err);
  bool unimplemented = st == BG_ERR_SERVER && m.op.result_live &&
                       m.op.result.status == GRPC_STATUS_UNIMPLEMENTED &&
                       !m.op.result.extra_message && !bgi_peer_is_http_status(&m.op.result);
  bgi_operation_fini(&m.op);
  if (unimplemented)
    explain_no_metadata(client, err);
  bgi_log(st == BG_OK ? BG_LOG_INFO : BG_LOG_WARN, "discovery at %s: %s, %zu APIs",
          client->url_text, bg_status_name(st), client->n_apis);
  return st;
}
