/* bg_client_call: validate and encode with the input descriptor, unary Call, decode with the
 * output one. Raw calls skip the descriptors. */
#include <stdio.h>
#include <string.h>

#include "bentoml/grpc/v1alpha1/service.pb-c.h"
#include "client/call_internal.h"
#include "error_internal.h"
#include "log_internal.h"
#include "wire/byte_buffer.h"
#include "wire/file_as_bytes.h"
#include "wire/json_value.h"
#include "wire/ndarray_stream.h"
#include "wire/pb_raw.h"
#include "wire/tabular_wire.h"

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

/* Encodes with `d` (or by the input's kind when NULL) and packs the Request. A float/double
 * ndarray is packed by hand (wire/ndarray_request.h); with `guard` (sync calls and async ones
 * with BG_ASYNC_BORROW_INPUTS: the caller keeps the input until the call ends) a large one goes
 * out from the caller's buffer itself and *borrowed is set. */
static bg_status encode_request(const bg_client *client, const char *api_name,
                                const bgi_descriptor *d, const void *spec, const bg_value *input,
                                bool validate, bool file_as_bytes, bgi_send_guard *guard,
                                bool *borrowed, grpc_byte_buffer **out, bg_error *err) {
  bgi_arena arena;
  bgi_arena_init(&arena);
  bgi_codec_ctx ctx = {.arena = &arena,
                       .protocol = client->protocol,
                       .validate = validate,
                       .file_as_bytes = file_as_bytes};
  bgi_pb_request request = BENTOML__GRPC__V1__REQUEST__INIT;
  request.api_name = (char *)api_name;
  bgi_content content;
  bg_status st = d ? bgi_descriptor_encode(d, spec, input, &ctx, &content, err)
                   : bgi_descriptor_encode(bgi_descriptor_for_kind(input->kind), NULL, input, &ctx,
                                           &content, err);
  bool frame = st == BG_OK &&
               (content.member == BGI_MEMBER_DATAFRAME || content.member == BGI_MEMBER_SERIES);
  if (frame) { /* written straight into the slice (wire/tabular_wire.h) */
    st = bgi_frame_request_pack(api_name,
                                content.member == BGI_MEMBER_DATAFRAME ? BGI_PB_REQUEST_DATAFRAME
                                                                       : BGI_PB_REQUEST_SERIES,
                                &content.as.frame, out, err);
    *borrowed = false;
    bgi_arena_fini(&arena);
    return st;
  }
  if (st == BG_OK)
    st = bgi_content_to_request(&content, ctx.protocol, &arena, &request, err);
  bool by_hand = st == BG_OK && content.member == BGI_MEMBER_NDARRAY &&
                 bgi_ndarray_request_possible(content.as.ndarray);
  *borrowed = by_hand && guard && bgi_ndarray_request_borrowable(content.as.ndarray);
  if (by_hand) /* borrowed: no copy of the elements; else the one copy */
    st = bgi_ndarray_request_pack(api_name, content.as.ndarray, *borrowed ? guard : NULL, out, err);
  else if (st == BG_OK)
    st = bgi_wire_pack(&request.base, out, err); /* the one copy of the payload */
  bgi_arena_fini(&arena);
  return st;
}

/* `into`: the caller's buffer for a float/double ndarray (bg_call_options_set_output_buffer);
 * used by the stream decoder when the values fit, otherwise the output gets fresh memory. */
static bg_status decode_response(const bg_client *client, const bg_api *api,
                                 grpc_byte_buffer *bytes, const bgi_out_buffer *into,
                                 bg_value **output, bg_error *err) {
  if (!bytes)
    return bgi_fail(err, BG_ERR_PROTOCOL, 0, "the server returned OK without a response message");
  if (!api || api->output.descriptor == &bgi_ndarray_descriptor) {
    bg_status fast = bgi_ndarray_stream_decode(bytes, into, output, err); /* one copy, no join */
    if (fast != BG_ERR_UNSUPPORTED)
      return fast;
  }
  bgi_codec_ctx ctx = {.protocol = client->protocol};
  const ProtobufCMessageDescriptor *type = ctx.protocol == BGI_PROTOCOL_V1ALPHA1
                                               ? &bentoml__grpc__v1alpha1__response__descriptor
                                               : &bentoml__grpc__v1__response__descriptor;
  if (!api || api->output.descriptor == &bgi_json_descriptor) {
    bg_status fast = bgi_json_reply_decode(type, bytes, output, err); /* no tree */
    if (fast != BG_ERR_UNSUPPORTED)
      return fast;
  }
  /* one block per column, no tree (wire/tabular_wire.h) */
  if (!api || api->output.descriptor == &bgi_dataframe_descriptor) {
    bg_status fast =
        bgi_tabular_reply_decode(bytes, BGI_MEMBER_DATAFRAME, BG_DTYPE_DOUBLE, output, err);
    if (fast != BG_ERR_UNSUPPORTED)
      return fast;
  }
  if (!api || api->output.descriptor == &bgi_series_descriptor) {
    bg_status fast = bgi_tabular_reply_decode(bytes, BGI_MEMBER_SERIES,
                                              bgi_series_empty_dtype(api ? api->output.spec : NULL),
                                              output, err);
    if (fast != BG_ERR_UNSUPPORTED)
      return fast;
  }
  ProtobufCMessage *msg;
  bg_status st = bgi_wire_unpack(type, bytes, "Call reply", &msg, err);
  if (st != BG_OK)
    return st;
  bgi_content content;
  st = bgi_content_from_response(msg, ctx.protocol, &content, err);
  if (st == BG_OK)
    st = api ? bgi_descriptor_decode(api->output.descriptor, api->output.spec, &content, &ctx,
                                     output, err)
             : bgi_content_decode_any(&content, &ctx, output, err);
  protobuf_c_message_free_unpacked(msg, NULL);
  return st;
}

/* ---- prepare ---- */

static bg_status fill_settings(bgi_call_op *c, bg_error *err) {
  const bg_call_options *co = c->call_options;
  c->op.call = (bgi_unary_call){.channel = c->client->channel,
                                .method = c->client->call_method,
                                .deadline_ms = co && co->deadline_ms
                                                   ? co->deadline_ms
                                                   : c->client->options.default_deadline_ms,
                                .metadata = co ? co->metadata : NULL,
                                .n_metadata = co ? co->n_metadata : 0,
                                .wait_for_ready = co && co->wait_for_ready,
                                .cancel = co ? co->cancel : NULL,
                                .cancel_fd = co && co->cancel_fd.fd >= 0 ? &co->cancel_fd : NULL};
  return bgi_chain_before(c->client, c->api_name, co, &c->chain, &c->op.call, err);
}

static bg_status find_api(bgi_call_op *c, bg_error *err) {
  const bg_client *client = c->client;
  if (!client->discovered)
    return bgi_fail(err, BG_ERR_UNSUPPORTED, 0,
                    "this client was opened without discovering the server's APIs "
                    "(bg_client_open), so '%s' has no descriptors to call it through; use "
                    "bg_client_call_raw() (bg_async_call_raw() on an async client), or "
                    "bg_client_from_url() on a v1 server",
                    c->api_name);
  const bg_api *api = bg_client_api_find(client, c->api_name);
  if (!api)
    return fail_unknown_api(client, c->api_name, err);
  if (api->unsupported_reason)
    return bgi_fail(err, BG_ERR_UNSUPPORTED, 0,
                    "API '%s' cannot be called through its descriptors: %s; bg_client_call_raw() "
                    "(bg_async_call_raw() on an async client) can still reach it",
                    c->api_name, api->unsupported_reason);
  c->api = api;
  c->api_name = api->name;
  c->file_as_bytes = atomic_load(&((bg_api *)api)->file_as_bytes);
  return BG_OK;
}

/* true when the prepared call sends a File input as `file`, which BentoML >= 1.0.16 refuses. */
static bool file_may_be_refused(const bgi_call_op *c) {
  return c->api && !c->file_as_bytes && c->api->input.descriptor == &bgi_file_descriptor;
}

static bg_status call_prepare(bgi_operation *op, bg_error *err) {
  bgi_call_op *c = (bgi_call_op *)op;
  if (!c->client || !c->api_name || !c->input)
    return bgi_fail(err, BG_ERR_INVALID_ARGUMENT, 0, "client, api_name and input must not be NULL");
  bg_status st = c->raw ? BG_OK : find_api(c, err);
  if (st != BG_OK)
    return st;
  const bgi_descriptor *d = c->api ? c->api->input.descriptor : NULL;
  const void *spec = c->api ? c->api->input.spec : NULL;
  bool validate = !c->raw && (!c->call_options || c->call_options->validate);
  st = encode_request(c->client, c->api_name, d, spec, c->input, validate, c->file_as_bytes,
                      c->may_borrow ? &c->borrow : NULL, &c->borrowed, &op->request, err);
  if (st != BG_OK) {
    if (c->raw)
      bgi_error_prefix(err, "raw call '%s' input", c->api_name);
    else
      bgi_error_prefix(err, "API '%s' input", c->api_name);
    return st;
  }
  if (file_may_be_refused(c) && !(c->resend_from = grpc_byte_buffer_copy(op->request)))
    return BGI_FAIL_NOMEM(err); /* the copy shares the slices */
  return fill_settings(c, err);
}

/* ---- next: the File input resent as serialized_bytes ---- */

/* BentoML >= 1.0.16 refuses a File input sent as `file` with INVALID_ARGUMENT and no reply
 * message (PROTOCOL.md §4.6). */
static bool is_file_refusal(const bgi_call_op *c) {
  const bgi_unary_result *result = &c->op.result;
  return c->api && c->api->input.descriptor == &bgi_file_descriptor && !result->response &&
         result->status == GRPC_STATUS_INVALID_ARGUMENT &&
         details_contain(result, "got 'file' instead");
}

static bgi_next call_next(bgi_operation *op, int64_t *after_ms) {
  (void)after_ms;
  bgi_call_op *c = (bgi_call_op *)op;
  grpc_byte_buffer *kept = c->resend_from;
  if (!kept)
    return BGI_NEXT_DONE;
  c->resend_from = NULL; /* one resend at most */
  bool refused = is_file_refusal(c);
  grpc_byte_buffer *again = NULL;
  bg_error err;
  bg_status st =
      refused ? bgi_wire_request_file_as_bytes(kept, c->client->protocol, &again, &err) : BG_OK;
  grpc_byte_buffer_destroy(kept);
  if (!refused)
    return BGI_NEXT_DONE;
  atomic_store(&((bg_api *)c->api)->file_as_bytes, true); /* later calls go as bytes */
  if (st != BG_OK) {
    bgi_log(BG_LOG_WARN, "%s at %s refused the File input as file, and it cannot be sent again: %s",
            c->api_name, c->client->url_text, err.message);
    return BGI_NEXT_DONE;
  }
  bgi_log(BG_LOG_INFO,
          "%s at %s refused the File input as file; sending it again as serialized_bytes "
          "(PROTOCOL.md §4.6)",
          c->api_name, c->client->url_text);
  if (op->request) /* emptied by gRPC when it was sent */
    grpc_byte_buffer_destroy(op->request);
  op->request = again;
  c->file_as_bytes = true; /* the outcome of this attempt is the call's */
  return BGI_NEXT_AGAIN;
}

/* ---- complete ---- */

static bg_status outcome(bgi_call_op *c, bg_error *err) {
  const bgi_unary_result *result = &c->op.result;
  const char *api_name = c->api_name;
  if (result->status != GRPC_STATUS_OK) {
    char what[300];
    snprintf(what, sizeof what, "call '%s'", api_name);
    bg_status st =
        bgi_client_fail(c->client, err, result, what, c->op.call.deadline_ms, c->op.probe_peer);
    if (is_unknown_api_reply(result)) {
      st = BG_ERR_UNKNOWN_API;
      err->code = st;
    }
    return st;
  }
  bg_status st =
      decode_response(c->client, c->api, result->response, &c->output_buffer, &c->output, err);
  if (st == BG_ERR_INVALID_ARGUMENT) { /* only the server's bytes and spec are decoded here */
    st = BG_ERR_PROTOCOL;
    err->code = st;
  }
  if (st != BG_OK)
    bgi_error_prefix(err, "API '%s' at %s: output", api_name, c->client->url_text);
  return st;
}

/* Decodes the reply and runs the interceptors' `after` hooks on the outcome (a hook may turn
 * success into an error: the output is then freed). */
static bg_status finish(bgi_call_op *c, bg_error *err) {
  bg_status st = outcome(c, err);
  st = bgi_chain_after(c->client, c->api_name, &c->chain, &c->op.result, st, err);
  if (st != BG_OK && c->output) { /* an interceptor failed a successful call */
    bg_value_free(c->output);
    c->output = NULL;
  }
  return st;
}

static bg_status call_complete(bgi_operation *op, bg_error *err) {
  bgi_call_op *c = (bgi_call_op *)op;
  bool refused = is_file_refusal(c);
  bg_status st = finish(c, err);
  /* The resend could not be built or started (call_next): only later calls go the new way. */
  if (refused && st != BG_OK)
    bgi_error_prefix(err,
                     "the server takes File inputs as serialized_bytes only; later calls of "
                     "'%s' are sent so, call again",
                     c->api_name);
  return st;
}

/* ---- abort, fini ---- */

static bg_status call_abort(bgi_operation *op, bg_status st, bg_error *err) {
  bgi_call_op *c = (bgi_call_op *)op;
  /* interceptors see every call end (they may only worsen it) */
  bg_status hooked = bgi_chain_after(c->client, c->api_name, &c->chain, NULL, st, err);
  return hooked != BG_OK ? hooked : st;
}

static void call_fini(bgi_operation *op) {
  bgi_call_op *c = (bgi_call_op *)op;
  if (c->borrowed) /* the request is destroyed by now: wait until gRPC let go of the input */
    bgi_send_guard_wait(&c->borrow);
  c->borrowed = false;
  if (c->resend_from)
    grpc_byte_buffer_destroy(c->resend_from);
  c->resend_from = NULL;
  bgi_chain_fini(&c->chain);
  bg_value_free(c->output);
  c->output = NULL;
}

const bgi_rpc bgi_call_rpc = {.name = "Call",
                              .prepare = call_prepare,
                              .next = call_next,
                              .complete = call_complete,
                              .abort = call_abort,
                              .fini = call_fini};

void bgi_call_op_init(bgi_call_op *c, bg_client *client, const char *api_name,
                      const bg_value *input, const bg_call_options *call_options, bool raw) {
  memset(c, 0, sizeof *c);
  bgi_operation_init(&c->op, &bgi_call_rpc);
  c->client = client;
  c->api_name = api_name;
  c->input = input;
  c->call_options = call_options;
  if (call_options) /* copied: an async call outlives its options */
    c->output_buffer = (bgi_out_buffer){call_options->output_buffer, call_options->output_capacity};
  c->raw = raw;
}

/* ---- the sync front end: start, wait ---- */

/* One sync call (the engine follows the kind's steps: a File input refused as `file` is sent
 * again as serialized_bytes). */
static bg_status run(bg_client *client, const char *api_name, const bg_value *input,
                     bg_value **output, const bg_call_options *co, bool raw, bg_error *err) {
  bgi_error_clear(err);
  if (output)
    *output = NULL;
  if (!output)
    return bgi_fail(err, BG_ERR_INVALID_ARGUMENT, 0, "output must not be NULL");
  bgi_call_op c;
  bgi_call_op_init(&c, client, api_name, input, co, raw);
  c.may_borrow = true; /* a sync call lasts until gRPC has let go of the request */
  c.op.probe_peer = true;
  bg_status st = bgi_operation_run(&c.op, client ? &client->cq_pool : NULL, err);
  *output = c.output;
  c.output = NULL;
  bgi_operation_fini(&c.op);
  return st;
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
