#include <string.h>

#include "descriptors/descriptor.h"
#include "error_internal.h"

static const bgi_descriptor *const registry[] = {
    &bgi_ndarray_descriptor, &bgi_series_descriptor,    &bgi_dataframe_descriptor,
    &bgi_json_descriptor,    &bgi_text_descriptor,      &bgi_file_descriptor,
    &bgi_image_descriptor,   &bgi_multipart_descriptor,
};

const bgi_descriptor *bgi_descriptor_find(const char *id) {
  if (!id)
    return NULL;
  for (size_t i = 0; i < sizeof registry / sizeof registry[0]; i++)
    if (strcmp(registry[i]->id, id) == 0)
      return registry[i];
  return NULL;
}

const bgi_descriptor *bgi_descriptor_for_member(bgi_member member) {
  switch (member) {
  case BGI_MEMBER_SERIALIZED_BYTES: return &bgi_bytes_descriptor;
  case BGI_MEMBER_NDARRAY: return &bgi_ndarray_descriptor;
  case BGI_MEMBER_DATAFRAME: return &bgi_dataframe_descriptor;
  case BGI_MEMBER_SERIES: return &bgi_series_descriptor;
  case BGI_MEMBER_FILE: return &bgi_file_descriptor;
  case BGI_MEMBER_TEXT: return &bgi_text_descriptor;
  case BGI_MEMBER_JSON: return &bgi_json_descriptor;
  case BGI_MEMBER_MULTIPART: return &bgi_multipart_descriptor;
  case BGI_MEMBER_NONE: break;
  }
  return NULL;
}

const bgi_descriptor *bgi_descriptor_for_kind(bg_value_kind kind) {
  switch (kind) {
  case BG_VALUE_NDARRAY: return &bgi_ndarray_descriptor;
  case BG_VALUE_SERIES: return &bgi_series_descriptor;
  case BG_VALUE_DATAFRAME: return &bgi_dataframe_descriptor;
  case BG_VALUE_JSON: return &bgi_json_descriptor;
  case BG_VALUE_TEXT: return &bgi_text_descriptor;
  case BG_VALUE_FILE: return &bgi_file_descriptor;
  case BG_VALUE_MULTIPART: return &bgi_multipart_descriptor;
  case BG_VALUE_BYTES: return &bgi_bytes_descriptor;
  }
  return NULL;
}

bg_status bgi_descriptor_encode(const bgi_descriptor *d, const void *spec, const bg_value *input,
                                const bgi_codec_ctx *ctx, bgi_content *out, bg_error *err) {
  memset(out, 0, sizeof *out);
  if (!input)
    return bgi_fail(err, BG_ERR_INVALID_ARGUMENT, 0, "the input value is NULL");
  if (input->kind == BG_VALUE_BYTES) {
    if (!d->accepts_bytes)
      return bgi_fail(err, BG_ERR_INVALID_ARGUMENT, 0,
                      "%s does not accept raw serialized_bytes; build a %s value", d->label,
                      bg_value_kind_name(d->kind));
    return bgi_bytes_descriptor.encode(NULL, input, ctx, out, err);
  }
  if (input->kind != d->kind)
    return bgi_fail(err, BG_ERR_INVALID_ARGUMENT, 0,
                    "%s expects a %s value (or raw bytes), but a %s value was given", d->label,
                    bg_value_kind_name(d->kind), bg_value_kind_name(input->kind));
  return d->encode(spec, input, ctx, out, err);
}

bg_status bgi_descriptor_decode(const bgi_descriptor *d, const void *spec, bgi_content *in,
                                const bgi_codec_ctx *ctx, bg_value **out, bg_error *err) {
  *out = NULL;
  if (in->member != d->member)
    return bgi_fail(err, BG_ERR_PROTOCOL, 0,
                    "the output is %s (field '%s') but the server replied with '%s'", d->label,
                    bgi_member_name(d->member), bgi_member_name(in->member));
  return d->decode(spec, in, ctx, out, err);
}

bg_status bgi_content_decode_any(bgi_content *in, const bgi_codec_ctx *ctx, bg_value **out,
                                 bg_error *err) {
  const bgi_descriptor *d = bgi_descriptor_for_member(in->member);
  if (!d)
    return bgi_fail(err, BG_ERR_PROTOCOL, 0, "the reply has no content");
  return d->decode(NULL, in, ctx, out, err);
}
