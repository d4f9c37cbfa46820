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

static bg_status text_encode(const void *spec, const bg_value *input, const bg_codec_ctx *ctx,
                             bg_content *out, bg_error *err) {
  (void)spec;
  Google__Protobuf__StringValue *sv = bg_arena_alloc(ctx->arena, sizeof *sv);
  if (!sv)
    return BG_FAIL_NOMEM(err);
  google__protobuf__string_value__init(sv);
  sv->value = input->as.text.utf8; /* borrowed while packing */
  out->member = BG_MEMBER_TEXT;
  out->as.text = sv;
  return BG_OK;
}

static bg_status text_decode(const void *spec, bg_content *in, const bg_codec_ctx *ctx,
                             bg_value **out, bg_error *err) {
  (void)spec;
  (void)ctx;
  /* An empty StringValue is BentoML's None or "" (indistinguishable): "". */
  char *s = in->as.text->value;
  size_t n = bg_wire_string_length(s); /* NUL bytes inside are the server's text too */
  /* Take the string out of the message unless it is protobuf-c's shared empty string. */
  char *owned;
  if (s != protobuf_c_empty_string && n > 0) {
    owned = s;
    in->as.text->value = (char *)protobuf_c_empty_string;
  } else {
    owned = strdup("");
    if (!owned)
      return BG_FAIL_NOMEM(err);
  }
  bg_error local;
  bg_error *e = err ? err : &local;
  *out = bg_text_adopt_reply(owned, n, e);
  if (!*out) {
    bg_error_prefix(e, "the server's text reply");
    return bg_as_protocol(err, e->code);
  }
  return BG_OK;
}

const bg_descriptor bg_text_descriptor = {
    .id = "bentoml.io.Text",
    .label = "Text",
    .member = BG_MEMBER_TEXT,
    .kind = BG_VALUE_TEXT,
    .accepts_bytes = true,
    .parse_spec = text_parse_spec,
    .free_spec = text_free_spec,
    .encode = text_encode,
    .decode = text_decode,
};
