#include <string.h>

#include "descriptors/descriptor.h"
#include "error_internal.h"

static const bg_descriptor *const registry[] = {
    &bg_ndarray_descriptor, &bg_series_descriptor,    &bg_dataframe_descriptor,
    &bg_json_descriptor,    &bg_text_descriptor,      &bg_file_descriptor,
    &bg_image_descriptor,   &bg_multipart_descriptor,
};

const bg_descriptor *bg_descriptor_find(const char *id) {
  if (!id)
    return NULL;
  for (size_t i = 0; i < sizeof registry / sizeof registry[0]; i++)
    if (strcmp(registry[i]->id, id) == 0)
      return registry[i];
  return NULL;
}

const bg_descriptor *bg_descriptor_for_member(bg_member member) {
  switch (member) {
  case BG_MEMBER_SERIALIZED_BYTES: return &bg_bytes_descriptor;
  case BG_MEMBER_NDARRAY: return &bg_ndarray_descriptor;
  case BG_MEMBER_DATAFRAME: return &bg_dataframe_descriptor;
  case BG_MEMBER_SERIES: return &bg_series_descriptor;
  case BG_MEMBER_FILE: return &bg_file_descriptor;
  case BG_MEMBER_TEXT: return &bg_text_descriptor;
  case BG_MEMBER_JSON: return &bg_json_descriptor;
  case BG_MEMBER_MULTIPART: return &bg_multipart_descriptor;
  case BG_MEMBER_NONE: break;
  }
  return NULL;
}

const bg_descriptor *bg_descriptor_for_kind(bg_value_kind kind) {
  switch (kind) {
  case BG_VALUE_NDARRAY: return &bg_ndarray_descriptor;
  case BG_VALUE_SERIES: return &bg_series_descriptor;
  case BG_VALUE_DATAFRAME: return &bg_dataframe_descriptor;
  case BG_VALUE_JSON: return &bg_json_descriptor;
  case BG_VALUE_TEXT: return &bg_text_descriptor;
  case BG_VALUE_FILE: return &bg_file_descriptor;
  case BG_VALUE_MULTIPART: return &bg_multipart_descriptor;
  case BG_VALUE_BYTES: return &bg_bytes_descriptor;
  }
  return NULL;
}

bg_status bg_descriptor_encode(const bg_descriptor *d, const void *spec, const bg_value *input,
                               const bg_codec_ctx *ctx, bg_content *out, bg_error *err) {
  memset(out, 0, sizeof *out);
  if (!input)
    return bg_fail(err, BG_ERR_INVALID_ARGUMENT, 0, "the input value is NULL");
  if (input->kind == BG_VALUE_BYTES) {
    if (!d->accepts_bytes)
      return bg_fail(err, BG_ERR_INVALID_ARGUMENT, 0,
                     "%s does not accept raw serialized_bytes; build a %s value", d->label,
                     bg_value_kind_name(d->kind));
    return bg_bytes_descriptor.encode(NULL, input, ctx, out, err);
  }
  if (input->kind != d->kind)
    return bg_fail(err, BG_ERR_INVALID_ARGUMENT, 0,
                   "%s expects a %s value (or raw bytes), but a %s value was given", d->label,
                   bg_value_kind_name(d->kind), bg_value_kind_name(input->kind));
  return d->encode(spec, input, ctx, out, err);
}

bg_status bg_descriptor_decode(const bg_descriptor *d, const void *spec, bg_content *in,
                               const bg_codec_ctx *ctx, bg_value **out, bg_error *err) {
  *out = NULL;
  if (in->member != d->member)
    return bg_fail(err, BG_ERR_PROTOCOL, 0,
                   "the output is %s (field '%s') but the server replied with '%s'", d->label,
                   bg_member_name(d->member), bg_member_name(in->member));
  return d->decode(spec, in, ctx, out, err);
}

bg_status bg_content_decode_any(bg_content *in, const bg_codec_ctx *ctx, bg_value **out,
                                bg_error *err) {
  const bg_descriptor *d = bg_descriptor_for_member(in->member);
  if (!d)
    return bg_fail(err, BG_ERR_PROTOCOL, 0, "the reply has no content");
  return d->decode(NULL, in, ctx, out, err);
}
