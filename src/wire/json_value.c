/* JSON values (BG_VALUE_JSON): held as google.protobuf.Value bytes, made from text or from a
 * server's reply without a tree (json_transcode.c), rendered as text when asked for.
 *
 * jansson stays where it earns its place, off the common path: when the encoder refuses text,
 * jansson parses it again to say what is wrong (line, column, reason, as bg_json_parse always
 * said), and a reply the fast reader does not take (unusual or malformed bytes) goes through
 * protobuf-c and the tree-based reader (struct_json.c), which decide exactly as before. */
#include <grpc/byte_buffer.h>
#include <grpc/slice.h>
#include <jansson.h>
#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "error_internal.h"
#include "value/value_internal.h"
#include "wire/json_transcode.h"
#include "wire/json_value.h"
#include "wire/pb_raw.h"
#include "wire/struct_json.h"

bg_value *bgi_json_value_adopt(const bgi_json_wire *wire, bg_error *err) {
  bg_value *v = bgi_value_alloc(BG_VALUE_JSON, err);
  if (!v) {
    free(wire->block);
    return NULL;
  }
  v->as.json.block = wire->block;
  v->as.json.bytes = wire->bytes;
  v->as.json.size = wire->size;
  v->as.json.prefix = wire->prefix;
  v->as.json.ints = wire->ints;
  v->as.json.n_ints = wire->n_ints;
  atomic_init(&v->as.json.text, NULL);
  return v;
}

static bgi_json_wire wire_of(const bg_value *v) {
  return (bgi_json_wire){.block = v->as.json.block,
                         .bytes = v->as.json.bytes,
                         .size = v->as.json.size,
                         .prefix = v->as.json.prefix,
                         .ints = v->as.json.ints,
                         .n_ints = v->as.json.n_ints};
}

void bgi_json_value_field(const bg_value *value, const uint8_t **bytes, size_t *size) {
  *bytes = value->as.json.bytes - value->as.json.prefix;
  *size = value->as.json.prefix + value->as.json.size;
}

/* ---- the tree-based checks (jansson), for what the fast paths do not take ---- */

#define MAX_SAFE_INTEGER 9007199254740992LL /* 2^53: beyond it a double skips integers */

/* What google.protobuf.Value cannot carry unchanged is refused, never altered. */
/* `depth` counts the containers around and including `j`. */
static bg_status check(const json_t *j, int depth, int max_nesting, bg_error *err) {
  if ((json_is_array(j) || json_is_object(j)) && depth > max_nesting)
    return bgi_fail(err, BG_ERR_INVALID_ARGUMENT, 0,
                    "JSON is nested deeper than %d levels, more than BentoML's server accepts",
                    max_nesting);
  switch (json_typeof(j)) {
  case JSON_INTEGER: {
    json_int_t v = json_integer_value(j);
    if (v > MAX_SAFE_INTEGER || v < -MAX_SAFE_INTEGER)
      return bgi_fail(err, BG_ERR_INVALID_ARGUMENT, 0,
                      "JSON integer %lld is beyond +-2^53; the protocol sends numbers as doubles, "
                      "so it would arrive changed (send it as a string)",
                      (long long)v);
    return BG_OK;
  }
  case JSON_REAL:
    if (!isfinite(json_real_value(j)))
      return bgi_fail(err, BG_ERR_INVALID_ARGUMENT, 0, "JSON cannot carry NaN or Infinity");
    return BG_OK;
  case JSON_ARRAY:
    for (size_t i = 0; i < json_array_size(j); i++)
      if (check(json_array_get(j, i), depth + 1, max_nesting, err) != BG_OK)
        return BG_ERR_INVALID_ARGUMENT;
    return BG_OK;
  case JSON_OBJECT: {
    const char *key;
    json_t *member;
    json_object_foreach((json_t *)j, key, member) {
      if (check(member, depth + 1, max_nesting, err) != BG_OK)
        return BG_ERR_INVALID_ARGUMENT;
    }
    return BG_OK;
  }
  default: return BG_OK;
  }
}

/* A jansson tree the tree-based path accepted, as a value: checked to `check_depth`, rendered
 * compact by jansson (reals with 17 digits, read back exactly; a NUL inside a string as
 * \u0000), then encoded from that text. Takes `json`. `refused` is the internal error's
 * message should the encoder refuse what jansson wrote. */
static bg_value *value_from_tree(json_t *json, int check_depth, int text_nesting, bool allow_nul,
                                 const char *refused, bg_error *err) {
  if (check(json, 1, check_depth, err) != BG_OK) {
    json_decref(json);
    return NULL;
  }
  char *text = json_dumps(json, JSON_COMPACT | JSON_ENCODE_ANY);
  json_decref(json);
  if (!text) {
    BGI_FAIL_NOMEM(err);
    return NULL;
  }
  bgi_json_wire wire;
  bgi_json_result r = bgi_json_encode_text(text, strlen(text), text_nesting, allow_nul, &wire);
  free(text);
  if (r == BGI_JSON_DONE)
    return bgi_json_value_adopt(&wire, err);
  if (r == BGI_JSON_NO_MEMORY)
    BGI_FAIL_NOMEM(err);
  else
    bgi_fail(err, BG_ERR_INTERNAL, 0, "%s", refused);
  return NULL;
}

/* Text the encoder refused: jansson says why, as bg_json_parse always has. Should jansson and
 * check() take it after all, the encoder gets jansson's own compact rendering of it. */
static bg_value *parse_refused(const char *text, size_t len, bg_error *err) {
  json_error_t jerr;
  json_t *json = json_loadb(text, len, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &jerr);
  if (!json) {
    bgi_fail(err, BG_ERR_INVALID_ARGUMENT, 0, "invalid JSON at line %d, column %d: %s", jerr.line,
             jerr.column, jerr.text);
    return NULL;
  }
  return value_from_tree(json, BG_JSON_MAX_NESTING, BG_JSON_MAX_NESTING, false,
                         "JSON text jansson accepts was refused by the encoder; please report it",
                         err);
}

/* A server's Value in protobuf-c's tree (multipart parts, replies the fast reader left): read
 * and checked by the tree-based reader, then encoded again from its result. */
bg_value *bgi_json_value_from_proto(const Google__Protobuf__Value *value, bg_error *err) {
  json_t *json = bgi_proto_value_to_json(value, err);
  if (!json)
    return NULL;
  return value_from_tree(
      json, BGI_JSON_MAX_DEPTH, BGI_JSON_TEXT_MAX_NESTING, true,
      "a JSON value read from the server could not be encoded again; please report it", err);
}

/* ---- a reply's bytes, straight ---- */

bg_status bgi_json_reply_decode(const ProtobufCMessageDescriptor *response_type,
                                grpc_byte_buffer *buffer, bg_value **out, bg_error *err) {
  const ProtobufCFieldDescriptor *field =
      protobuf_c_message_descriptor_get_field_by_name(response_type, "json");
  if (!field || field->id > 15 || buffer->type != GRPC_BB_RAW ||
      buffer->data.raw.compression != GRPC_COMPRESS_NONE ||
      buffer->data.raw.slice_buffer.count == 0)
    return BG_ERR_UNSUPPORTED;
  const grpc_slice_buffer *sb = &buffer->data.raw.slice_buffer;
  /* Response{json = 1 field, LEN} and nothing else; the header is in the first slice */
  const uint8_t *start = GRPC_SLICE_START_PTR(sb->slices[0]);
  const uint8_t *end = start + GRPC_SLICE_LENGTH(sb->slices[0]), *p = start;
  uint64_t n;
  if (p == end || *p++ != BGI_PB_TAG(field->id, BGI_PB_LEN) || !bgi_pb_read_varint(&p, end, &n) ||
      p - start > 6)
    return BG_ERR_UNSUPPORTED;
  size_t head = (size_t)(p - start);
  if (n > UINT32_MAX || head + n != sb->length)
    return BG_ERR_UNSUPPORTED;
  /* the one copy of the bytes, from the length prefix on (kept: bgi_json_wire.prefix) */
  size_t prefix = head - 1;
  uint8_t *block = malloc(prefix + (size_t)n);
  if (!block)
    return BGI_FAIL_NOMEM(err);
  size_t at = 0, skip = 1;
  for (size_t i = 0; i < sb->count; i++) {
    size_t len = GRPC_SLICE_LENGTH(sb->slices[i]);
    const uint8_t *s = GRPC_SLICE_START_PTR(sb->slices[i]);
    size_t from = skip < len ? skip : len;
    skip -= from;
    memcpy(block + at, s + from, len - from);
    at += len - from;
  }
  if (!bgi_json_wire_valid(block + prefix, (size_t)n)) {
    free(block); /* the tree-based reader decides, with its own words */
    return BG_ERR_UNSUPPORTED;
  }
  bgi_json_wire wire = {
      .block = block, .bytes = block + prefix, .size = (size_t)n, .prefix = prefix};
  *out = bgi_json_value_adopt(&wire, err);
  return *out ? BG_OK : err->code;
}

/* ---- public ---- */

BG_API bg_value *bg_json_parse(const char *text, size_t len, bg_error *err) {
  BGI_ERROR_SINK(err);
  if (!text) {
    bgi_fail(err, BG_ERR_INVALID_ARGUMENT, 0, "JSON text is NULL");
    return NULL;
  }
  if (len == (size_t)-1)
    len = strlen(text);
  bgi_json_wire wire;
  switch (bgi_json_encode_text(text, len, BG_JSON_MAX_NESTING, false, &wire)) {
  case BGI_JSON_DONE: return bgi_json_value_adopt(&wire, err);
  case BGI_JSON_NO_MEMORY: BGI_FAIL_NOMEM(err); return NULL;
  case BGI_JSON_REFUSED: break;
  }
  return parse_refused(text, len, err);
}

/* Rendered on first use (most calls never read the input's text); concurrent first reads
 * race to publish one rendering and the losers free theirs, so reads stay thread-safe. */
BG_API const char *bg_json_text(const bg_value *value) {
  if (!value || value->kind != BG_VALUE_JSON)
    return NULL;
  bg_value *v = (bg_value *)value;
  char *text = atomic_load(&v->as.json.text);
  if (text)
    return text;
  char *fresh = bg_json_format(value, 0);
  if (!fresh)
    return NULL;
  if (atomic_compare_exchange_strong(&v->as.json.text, &text, fresh))
    return fresh;
  free(fresh);
  return text;
}

BG_API char *bg_json_format(const bg_value *value, int indent) {
  if (!value || value->kind != BG_VALUE_JSON || indent < 0 || indent > 16)
    return NULL;
  bgi_json_wire wire = wire_of(value);
  return bgi_json_render(&wire, indent);
}
