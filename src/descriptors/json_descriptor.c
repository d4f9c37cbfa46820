/* bentoml.io.JSON: spec {has_pydantic_model, has_json_encoder}, field `json`
 * (google.protobuf.Value). */
#include "descriptors/descriptor.h"
#include "error_internal.h"
#include "wire/json_wire.h"
#include "wire/struct_json.h"

static void *json_parse_spec(const json_t *args, bg_error *err) {
  (void)args; /* nothing in it changes what the client sends */
  (void)err;
  static const char no_spec;
  return (void *)&no_spec;
}

static void json_free_spec(void *spec) { (void)spec; }

static bg_status json_encode(const void *spec, const bg_value *input, const bgi_codec_ctx *ctx,
                             bgi_content *out, bg_error *err) {
  (void)spec;
  out->member = BGI_MEMBER_JSON;
  return bgi_json_to_proto_value(input->as.json.json, ctx->arena, &out->as.json, err);
}

static bg_status json_decode(const void *spec, bgi_content *in, const bgi_codec_ctx *ctx,
                             bg_value **out, bg_error *err) {
  (void)spec;
  (void)ctx;
  /* A Value with no member set is BentoML's None: null (PROTOCOL.md §4.4). */
  json_t *json = bgi_proto_value_to_json(in->as.json, err);
  if (!json)
    return bgi_as_protocol(err, err->code);
  *out = bgi_json_adopt(json, BGI_JSON_MAX_DEPTH, err);
  return *out ? BG_OK : bgi_as_protocol(err, err->code);
}

const bgi_descriptor bgi_json_descriptor = {
    .id = "bentoml.io.JSON",
    .label = "JSON",
    .member = BGI_MEMBER_JSON,
    .kind = BG_VALUE_JSON,
    .accepts_bytes = true,
    .parse_spec = json_parse_spec,
    .free_spec = json_free_spec,
    .encode = json_encode,
    .decode = json_decode,
};
