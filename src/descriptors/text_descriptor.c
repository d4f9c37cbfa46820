/* bentoml.io.Text: no spec, field `text` (google.protobuf.StringValue). */
#include <string.h>

#include "descriptors/descriptor.h"
#include "error_internal.h"
#include "wire/byte_buffer.h"

static void *text_parse_spec(const json_t *args, bg_error *err) {
  (void)args;
  (void)err;
  static const char no_spec;
  return (void *)&no_spec;
}

static void text_free_spec(void *spec) { (void)spec; }

static bg_status text_encode(const void *spec, const bg_value *input, const bgi_codec_ctx *ctx,
                             bgi_content *out, bg_error *err) {
  (void)spec;
  Google__Protobuf__StringValue *sv = bgi_arena_alloc(ctx->arena, sizeof *sv);
  if (!sv)
    return BGI_FAIL_NOMEM(err);
  google__protobuf__string_value__init(sv);
  sv->value = input->as.text.utf8; /* borrowed while packing */
  out->member = BGI_MEMBER_TEXT;
  out->as.text = sv;
  return BG_OK;
}

static bg_status text_decode(const void *spec, bgi_content *in, const bgi_codec_ctx *ctx,
                             bg_value **out, bg_error *err) {
  (void)spec;
  (void)ctx;
  /* An empty StringValue is BentoML's None or "" (indistinguishable): "". */
  char *s = in->as.text->value;
  size_t n = bgi_wire_string_length(s); /* NUL bytes inside are the server's text too */
  /* Take the string out of the message unless it is protobuf-c's shared empty string. */
  char *owned;
  if (s != protobuf_c_empty_string && n > 0) {
    owned = s;
    in->as.text->value = (char *)protobuf_c_empty_string;
  } else {
    owned = strdup("");
    if (!owned)
      return BGI_FAIL_NOMEM(err);
  }
  *out = bgi_text_adopt_reply(owned, n, err);
  if (!*out) {
    bgi_error_prefix(err, "the server's text reply");
    return bgi_as_protocol(err, err->code);
  }
  return BG_OK;
}

const bgi_descriptor bgi_text_descriptor = {
    .id = "bentoml.io.Text",
    .label = "Text",
    .member = BGI_MEMBER_TEXT,
    .kind = BG_VALUE_TEXT,
    .accepts_bytes = true,
    .parse_spec = text_parse_spec,
    .free_spec = text_free_spec,
    .encode = text_encode,
    .decode = text_decode,
};
