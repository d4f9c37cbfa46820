/* The IO-descriptor interface: one implementation per BentoML descriptor id.
 *
 * Each descriptor parses its spec from the `args` of the ServiceMetadata attributes, checks
 * a value against the spec before anything is sent, encodes it into a bgi_content (the
 * Request's or a Part's content) and decodes a bgi_content back into a value. Adding a
 * descriptor means one new file and one line in registry.c; nothing else changes.
 * A NULL spec means "no spec": the raw call path uses descriptors that way. */
#ifndef BGI_DESCRIPTORS_DESCRIPTOR_H
#define BGI_DESCRIPTORS_DESCRIPTOR_H

#include <jansson.h>

#include "bentogrpc/value.h"
#include "value/value_internal.h"
#include "wire/arena.h"
#include "wire/content.h"

typedef struct bgi_codec_ctx {
  bgi_arena *arena;      /* encode: everything the request points at lives here */
  bgi_protocol protocol; /* version of the messages */
  bool validate;         /* check the value against the spec before sending */
  bool file_as_bytes;    /* send File inputs as serialized_bytes (servers that reject `file`) */
} bgi_codec_ctx;

typedef struct bgi_descriptor {
  const char *id;     /* e.g. "bentoml.io.NumpyNdarray" */
  const char *label;  /* e.g. "NumpyNdarray", used in messages */
  bgi_member member;  /* the proto field BentoML uses for it */
  bg_value_kind kind; /* the value kind it encodes and decodes */
  bool accepts_bytes; /* whether the server takes serialized_bytes for it */
  /* Parses `args` (NULL when absent) into a new spec; NULL with err when malformed. */
  void *(*parse_spec)(const json_t *args, bg_error *err);
  void (*free_spec)(void *spec);
  bg_status (*encode)(const void *spec, const bg_value *input, const bgi_codec_ctx *ctx,
                      bgi_content *out, bg_error *err);
  /* May take buffers out of the decoded message `in` points into. */
  bg_status (*decode)(const void *spec, bgi_content *in, const bgi_codec_ctx *ctx, bg_value **out,
                      bg_error *err);
} bgi_descriptor;

/* The descriptor registered under `id`, or NULL when this library does not know it. */
const bgi_descriptor *bgi_descriptor_find(const char *id);

/* The spec-less descriptor for a content member / a value kind (raw calls, parts). */
const bgi_descriptor *bgi_descriptor_for_member(bgi_member member);
const bgi_descriptor *bgi_descriptor_for_kind(bg_value_kind kind);

/* Encodes `input` for `d`: a BG_VALUE_BYTES input goes out as serialized_bytes where the
 * descriptor accepts them; anything else through d->encode. */
bg_status bgi_descriptor_encode(const bgi_descriptor *d, const void *spec, const bg_value *input,
                                const bgi_codec_ctx *ctx, bgi_content *out, bg_error *err);

/* Decodes `in` for `d`, refusing a member other than the descriptor's. */
bg_status bgi_descriptor_decode(const bgi_descriptor *d, const void *spec, bgi_content *in,
                                const bgi_codec_ctx *ctx, bg_value **out, bg_error *err);

/* Decodes any content by its member (raw calls, parts of unknown name). */
bg_status bgi_content_decode_any(bgi_content *in, const bgi_codec_ctx *ctx, bg_value **out,
                                 bg_error *err);

/* The dtype of an all-empty Series in a reply to a PandasSeries of spec `spec` (may be NULL). */
bg_dtype bgi_series_empty_dtype(const void *spec);

extern const bgi_descriptor bgi_ndarray_descriptor, bgi_series_descriptor, bgi_dataframe_descriptor,
    bgi_json_descriptor, bgi_text_descriptor, bgi_file_descriptor, bgi_image_descriptor,
    bgi_multipart_descriptor, bgi_bytes_descriptor;

#endif
