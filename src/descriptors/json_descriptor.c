/* bentoml.io.JSON: spec {has_pydantic_model, has_json_encoder}, field `json`
 * (google.protobuf.Value). */
#include "descriptors/descriptor.h"
#include "error_internal.h"
#include "wire/json_value.h"

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
  (void)ctx;
  (void)err;
  out->member = BGI_MEMBER_JSON;
  const uint8_t *bytes;
  size_t size;
  bgi_json_value_field(input, &bytes, &size); /* wire bytes already: copied once, packing */
  out->as.json_bytes = (ProtobufCBinaryData){size, (uint8_t *)bytes};
  return BG_OK;
}

static bg_status json_decode(const void *spec, bgi_content *in, const bgi_codec_ctx *ctx,
                             bg_value **out, bg_error *err) {
  (void)spec;
  (void)ctx;
  /* A Value with no member set is BentoML's None: null (PROTOCOL.md §4.4). Whole Call
   * replies of JSON are read before this, from their bytes (call.c, bgi_json_reply_decode). */
  *out = bgi_json_value_from_proto(in->as.json, err);
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
