/* The IO-descriptor interface: one implementation per BentoML descriptor id.
 *
 * Each descriptor parses its spec from the `args` of the ServiceMetadata attributes, checks
 * a value against the spec before anything is sent, encodes it into a bg_content (the
 * Request's or a Part's content) and decodes a bg_content back into a value. Adding a
 * descriptor means one new file and one line in registry.c; nothing else changes.
 * A NULL spec means "no spec": the raw call path uses descriptors that way. */
#ifndef BG_DESCRIPTORS_DESCRIPTOR_H
#define BG_DESCRIPTORS_DESCRIPTOR_H

#include <jansson.h>

#include "bentogrpc/value.h"
#include "value/value_internal.h"
#include "wire/arena.h"
#include "wire/content.h"

typedef struct bg_codec_ctx {
  bg_arena *arena;      /* encode: everything the request points at lives here */
  bg_v1alpha1 v1alpha1; /* protocol version of the messages */
  bool validate;        /* check the value against the spec before sending */
  bool file_as_bytes;   /* send File inputs as serialized_bytes (servers that reject `file`) */
} bg_codec_ctx;

typedef struct bg_descriptor {
  const char *id;     /* e.g. "bentoml.io.NumpyNdarray" */
  const char *label;  /* e.g. "NumpyNdarray", used in messages */
  bg_member member;   /* the proto field BentoML uses for it */
  bg_value_kind kind; /* the value kind it encodes and decodes */
  bool accepts_bytes; /* whether the server takes serialized_bytes for it */
  /* Parses `args` (NULL when absent) into a new spec; NULL with err when malformed. */
  void *(*parse_spec)(const json_t *args, bg_error *err);
  void (*free_spec)(void *spec);
  bg_status (*encode)(const void *spec, const bg_value *input, const bg_codec_ctx *ctx,
                      bg_content *out, bg_error *err);
  /* May take buffers out of the decoded message `in` points into. */
  bg_status (*decode)(const void *spec, bg_content *in, const bg_codec_ctx *ctx, bg_value **out,
                      bg_error *err);
} bg_descriptor;

/* The descriptor registered under `id`, or NULL when this library does not know it. */
const bg_descriptor *bg_descriptor_find(const char *id);

/* The spec-less descriptor for a content member / a value kind (raw calls, parts). */
const bg_descriptor *bg_descriptor_for_member(bg_member member);
const bg_descriptor *bg_descriptor_for_kind(bg_value_kind kind);

/* Encodes `input` for `d`: a BG_VALUE_BYTES input goes out as serialized_bytes where the
 * descriptor accepts them; anything else through d->encode. */
bg_status bg_descriptor_encode(const bg_descriptor *d, const void *spec, const bg_value *input,
                               const bg_codec_ctx *ctx, bg_content *out, bg_error *err);

/* Decodes `in` for `d`, refusing a member other than the descriptor's. */
bg_status bg_descriptor_decode(const bg_descriptor *d, const void *spec, bg_content *in,
                               const bg_codec_ctx *ctx, bg_value **out, bg_error *err);

/* Decodes any content by its member (raw calls, parts of unknown name). */
bg_status bg_content_decode_any(bg_content *in, const bg_codec_ctx *ctx, bg_value **out,
                                bg_error *err);

extern const bg_descriptor bg_ndarray_descriptor, bg_series_descriptor, bg_dataframe_descriptor,
    bg_json_descriptor, bg_text_descriptor, bg_file_descriptor, bg_image_descriptor,
    bg_multipart_descriptor, bg_bytes_descriptor;

#endif
