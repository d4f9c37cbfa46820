#include <math.h>
#include <stdbool.h>
#include <string.h>

#include "error_internal.h"
#include "utf8.h"
#include "wire/byte_buffer.h"
#include "wire/struct_json.h"

static json_t *value_to_json(const Google__Protobuf__Value *v, int depth, bg_error *err);

/* Checked here rather than left to jansson, whose NULL means bad UTF-8 or no memory alike. */
static bool utf8_valid(const char *s, size_t n) {
  for (size_t i = 0, k; i < n; i += k)
    if (!(k = bgi_utf8_sequence((const unsigned char *)s + i, n - i)))
      return false;
  return true;
}

static json_t *struct_to_json(const Google__Protobuf__Struct *s, int depth, bg_error *err) {
  if (depth > BGI_JSON_MAX_DEPTH) {
    bgi_fail(err, BG_ERR_PROTOCOL, 0, "JSON value nested deeper than %d levels",
             BGI_JSON_MAX_DEPTH);
    return NULL;
  }
  json_t *obj = json_object();
  if (!obj) {
    BGI_FAIL_NOMEM(err);
    return NULL;
  }
  for (size_t i = 0; s && i < s->n_fields; i++) {
    const Google__Protobuf__Struct__FieldsEntry *entry = s->fields[i];
    if (entry->key && bgi_wire_string_length(entry->key) != strlen(entry->key)) {
      bgi_fail(err, BG_ERR_PROTOCOL, 0, "JSON object key contains a NUL byte");
      json_decref(obj);
      return NULL;
    }
    const char *key = entry->key ? entry->key : "";
    if (!utf8_valid(key, strlen(key))) {
      bgi_fail(err, BG_ERR_PROTOCOL, 0, "JSON object key is not valid UTF-8");
      json_decref(obj);
      return NULL;
    }
    json_t *member = value_to_json(entry->value, depth + 1, err);
    if (!member || json_object_set_new(obj, key, member) != 0) {
      if (member)
        BGI_FAIL_NOMEM(err); /* the key is valid: only memory can fail it */
      json_decref(obj);
      return NULL;
    }
  }
  return obj;
}

static json_t *list_to_json(const Google__Protobuf__ListValue *l, int depth, bg_error *err) {
  json_t *arr = json_array();
  if (!arr) {
    BGI_FAIL_NOMEM(err);
    return NULL;
  }
  for (size_t i = 0; l && i < l->n_values; i++) {
    json_t *item = value_to_json(l->values[i], depth + 1, err);
    if (!item) {
      json_decref(arr);
      return NULL;
    }
    json_array_append_new(arr, item);
  }
  return arr;
}

static json_t *value_to_json(const Google__Protobuf__Value *v, int depth, bg_error *err) {
  if (depth > BGI_JSON_MAX_DEPTH) {
    bgi_fail(err, BG_ERR_PROTOCOL, 0, "JSON value nested deeper than %d levels",
             BGI_JSON_MAX_DEPTH);
    return NULL;
  }
  json_t *out = NULL;
  switch (v ? v->kind_case : GOOGLE__PROTOBUF__VALUE__KIND__NOT_SET) {
  case GOOGLE__PROTOBUF__VALUE__KIND__NOT_SET:
  case GOOGLE__PROTOBUF__VALUE__KIND_NULL_VALUE: out = json_null(); break;
  case GOOGLE__PROTOBUF__VALUE__KIND_NUMBER_VALUE:
    if (!isfinite(v->number_value)) {
      bgi_fail(err, BG_ERR_PROTOCOL, 0, "JSON number is NaN or infinite, which JSON cannot hold");
      return NULL;
    }
    out = json_real(v->number_value);
    break;
  case GOOGLE__PROTOBUF__VALUE__KIND_STRING_VALUE: {
    /* NUL bytes inside are part of the server's string: keep its full length. */
    size_t n = bgi_wire_string_length(v->string_value);
    if (!utf8_valid(v->string_value, n)) {
      bgi_fail(err, BG_ERR_PROTOCOL, 0, "JSON string is not valid UTF-8");
      return NULL;
    }
    out = json_stringn(v->string_value, n);
    break;
  }
  case GOOGLE__PROTOBUF__VALUE__KIND_BOOL_VALUE: out = json_boolean(v->bool_value); break;
  case GOOGLE__PROTOBUF__VALUE__KIND_STRUCT_VALUE:
    return struct_to_json(v->struct_value, depth + 1, err);
  case GOOGLE__PROTOBUF__VALUE__KIND_LIST_VALUE: return list_to_json(v->list_value, depth + 1, err);
  default:
    bgi_fail(err, BG_ERR_PROTOCOL, 0, "unknown google.protobuf.Value kind %d", (int)v->kind_case);
    return NULL;
  }
  if (!out)
    BGI_FAIL_NOMEM(err);
  return out;
}

json_t *bgi_struct_to_json(const Google__Protobuf__Struct *s, bg_error *err) {
  return struct_to_json(s, 0, err);
}

json_t *bgi_proto_value_to_json(const Google__Protobuf__Value *v, bg_error *err) {
  return value_to_json(v, 0, err);
}
