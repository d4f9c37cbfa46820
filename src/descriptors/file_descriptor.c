/* bentoml.io.File and bentoml.io.Image: bytes plus a MIME kind in the `file` field.
 *
 * File: spec {kind: "binaryio", mime_type: string|null}. Image: spec {pilmode, mime_type
 * (default image/jpeg), allowed_mime_types}. Both send `kind` equal to the descriptor's
 * mime_type, since BentoML compares it exactly (and treats an absent kind as ""). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "descriptors/descriptor.h"
#include "error_internal.h"

typedef struct file_spec {
  char *mime; /* owned; "" when the descriptor has none */
} file_spec;

static void free_spec(void *p) {
  file_spec *spec = p;
  if (spec)
    free(spec->mime);
  free(spec);
}

static void *parse(const json_t *args, const char *fallback_mime, bg_error *err) {
  file_spec *spec = calloc(1, sizeof *spec);
  const json_t *mime = json_object_get(args, "mime_type");
  if (spec) /* the server's text whole, however long: never cut */
    spec->mime = strdup(json_is_string(mime) ? json_string_value(mime) : fallback_mime);
  if (!spec || !spec->mime) {
    free_spec(spec);
    BGI_FAIL_NOMEM(err);
    return NULL;
  }
  return spec;
}

static void *file_parse_spec(const json_t *args, bg_error *err) { return parse(args, "", err); }

static void *image_parse_spec(const json_t *args, bg_error *err) {
  return parse(args, "image/jpeg", err); /* BentoML's Image default */
}

static bg_status encode(const char *label, const void *spec_p, const bg_value *input,
                        const bgi_codec_ctx *ctx, bgi_content *out, bg_error *err) {
  const file_spec *spec = spec_p;
  const bgi_blob *b = &input->as.blob;
  const char *want = spec && spec->mime[0] ? spec->mime : NULL;
  if (b->size == 0)
    return bgi_fail(err, BG_ERR_INVALID_ARGUMENT, 0,
                    "file: it is empty; BentoML refuses empty content ('Content is empty!')");
  if (want && b->mime && ctx->validate && strcmp(want, b->mime) != 0)
    return bgi_fail(err, BG_ERR_INVALID_ARGUMENT, 0,
                    "file: the API's %s expects MIME type %s, but the file is %s", label, want,
                    b->mime);
  if (ctx->file_as_bytes) {
    out->member = BGI_MEMBER_SERIALIZED_BYTES;
    out->as.raw = (ProtobufCBinaryData){b->size, (uint8_t *)b->data};
    return BG_OK;
  }
  out->member = BGI_MEMBER_FILE;
  out->as.file.data = (ProtobufCBinaryData){b->size, (uint8_t *)b->data}; /* read while packing */
  /* Validating, the descriptor's MIME (which the file's matched); without validation, the
   * caller's own, so the server's MIME check sees what was given. */
  out->as.file.kind = b->mime && !ctx->validate ? b->mime : want ? want : b->mime;
  return BG_OK;
}

static bg_status file_encode(const void *spec, const bg_value *input, const bgi_codec_ctx *ctx,
                             bgi_content *out, bg_error *err) {
  return encode("File", spec, input, ctx, out, err);
}

static bg_status image_encode(const void *spec, const bg_value *input, const bgi_codec_ctx *ctx,
                              bgi_content *out, bg_error *err) {
  return encode("Image", spec, input, ctx, out, err);
}

static bg_status file_decode(const void *spec, bgi_content *in, const bgi_codec_ctx *ctx,
                             bg_value **out, bg_error *err) {
  (void)spec;
  (void)ctx;
  ProtobufCBinaryData *bytes = in->as.file.bytes;
  void *data = bytes->data; /* taken from the decoded message, no copy */
  size_t size = bytes->len;
  bytes->data = NULL;
  bytes->len = 0;
  /* A server's kind may carry parameters ("text/plain; charset=utf-8"): keep type/subtype,
   * and drop a kind that is not even that rather than the whole reply. */
  const char *given = in->as.file.kind ? in->as.file.kind : "";
  char *kind = strndup(given, strcspn(given, "; \t")); /* any length: never cut */
  if (!kind) {
    free(data);
    return BGI_FAIL_NOMEM(err);
  }
  *out = bgi_blob_adopt(BG_VALUE_FILE, data, size, bgi_mime_valid(kind) ? kind : NULL, err);
  free(kind);
  if (!*out) {
    bgi_error_prefix(err, "the file in the server's reply");
    return bgi_as_protocol(err, err->code);
  }
  return BG_OK;
}

const bgi_descriptor bgi_file_descriptor = {
    .id = "bentoml.io.File",
    .label = "File",
    .member = BGI_MEMBER_FILE,
    .kind = BG_VALUE_FILE,
    .accepts_bytes = true,
    .parse_spec = file_parse_spec,
    .free_spec = free_spec,
    .encode = file_encode,
    .decode = file_decode,
};

const bgi_descriptor bgi_image_descriptor = {
    .id = "bentoml.io.Image",
    .label = "Image",
    .member = BGI_MEMBER_FILE,
    .kind = BG_VALUE_FILE,
    .accepts_bytes = true,
    .parse_spec = image_parse_spec,
    .free_spec = free_spec,
    .encode = image_encode,
    .decode = file_decode,
};
