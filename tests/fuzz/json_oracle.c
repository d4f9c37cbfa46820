/* The tree-based JSON pipeline the library had before its JSON values became wire bytes,
 * kept as the oracle the transcoder is compared with (fuzz_json, unit_json_transcode):
 * text -> jansson -> protobuf-c Value tree -> bytes, and bytes -> protobuf-c tree -> jansson
 * (wire/struct_json.c, still the library's reader of unusual replies) -> text, printed by the
 * old printer with the old number formatting (snprintf + strtod). Not library code. */
#include <float.h>
#include <jansson.h>
#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <grpc/byte_buffer.h>
#include <grpc/slice.h>

#include "bentogrpc/value.h"
#include "error_internal.h"
#include "json_oracle.h"
#include "wire/arena.h"
#include "wire/byte_buffer.h"
#include "wire/struct_json.h"

#define MAX_SAFE_INTEGER 9007199254740992LL

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

typedef struct printer {
  char *buf;
  size_t len, cap;
  bool failed;
  int indent; /* spaces per level; 0: compact */
  int level;
} printer;

static void put(printer *o, const char *s, size_t n) {
  if (o->failed)
    return;
  if (o->len + n + 1 > o->cap) {
    size_t cap = o->cap ? o->cap : 64;
    while (cap < o->len + n + 1)
      cap *= 2;
    char *grown = realloc(o->buf, cap);
    if (!grown) {
      o->failed = true;
      return;
    }
    o->buf = grown;
    o->cap = cap;
  }
  memcpy(o->buf + o->len, s, n);
  o->len += n;
  o->buf[o->len] = '\0';
}

static void put_str(printer *o, const char *s) { put(o, s, strlen(s)); }

/* Line break and indentation before an element or a closing bracket (pretty form only). */
static void newline(printer *o) {
  if (!o->indent)
    return;
  put(o, "\n", 1);
  for (int i = 0; i < o->indent * o->level; i++)
    put(o, " ", 1);
}

/* The "C" locale for printing numbers: JSON wants '.', whatever locale the application set
 * (uselocale() changes only this thread, and only for the duration). */
static locale_t c_numeric;
static pthread_once_t c_numeric_once = PTHREAD_ONCE_INIT;
static void make_c_numeric(void) { c_numeric = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0); }

/* Writes d as the fewest significant digits that read back as the same double, laid out the
 * way a person (and Python's repr) writes it: plain digits for exponents -4..15 ("10.0",
 * "0.001", "1234567.0"), else scientific ("1e+16", "1.5e-05"). Integral values keep a ".0"
 * so they still read as numbers of the wire's double kind. */
static void old_format_real(char *buf, size_t cap, double d) {
  if (!isfinite(d)) { /* JSON values never hold these (check() refuses them) */
    snprintf(buf, cap, "%s", isnan(d) ? "NaN" : d > 0 ? "Infinity" : "-Infinity");
    return;
  }
  char sci[40];
  pthread_once(&c_numeric_once, make_c_numeric);
  locale_t previous = c_numeric ? uselocale(c_numeric) : (locale_t)0;
  /* The shortest digits that read back as d, in at most three tries instead of up to
   * seventeen: if any decimal of k <= 15 significant digits reads back as d, it is d rounded to
   * 15 digits (15-digit decimals lie over four doubles apart, so the one within half a double of
   * d is the nearest), i.e. what %.14e prints, shortest once its trailing zeros go (below).
   * Otherwise 16 digits, or 17, which always do. Subnormals have fewer bits, so doubles lie
   * further apart than 15-digit decimals there: they try every count. */
  for (int precision = fabs(d) < DBL_MIN ? 0 : 14; precision <= 16; precision++) {
    snprintf(sci, sizeof sci, "%.*e", precision, d);
    if (strtod(sci, NULL) == d)
      break;
  }
  if (previous)
    uselocale(previous);
  /* sci is "[-]D[.DDD]e(+|-)XX": split it into sign, digits and decimal exponent. */
  const char *p = sci;
  bool negative = *p == '-';
  if (negative)
    p++;
  char digits[24];
  int n = 0;
  for (; *p != 'e'; p++)
    if (*p != '.')
      digits[n++] = *p;
  int exponent = atoi(p + 1);
  while (n > 1 && digits[n - 1] == '0')
    n--;
  char text[64];
  int len = 0;
  if (negative)
    text[len++] = '-';
  if (exponent < -4 || exponent >= 16) {
    text[len++] = digits[0];
    if (n > 1) {
      text[len++] = '.';
      memcpy(text + len, digits + 1, (size_t)n - 1);
      len += n - 1;
    }
    len += snprintf(text + len, sizeof text - (size_t)len, "e%c%02d", exponent < 0 ? '-' : '+',
                    abs(exponent));
  } else if (exponent >= 0) {
    for (int i = 0; i <= exponent; i++)
      text[len++] = i < n ? digits[i] : '0';
    text[len++] = '.';
    if (n > exponent + 1) {
      memcpy(text + len, digits + exponent + 1, (size_t)(n - exponent - 1));
      len += n - exponent - 1;
    } else {
      text[len++] = '0';
    }
    text[len] = '\0';
  } else {
    text[len++] = '0';
    text[len++] = '.';
    for (int i = 0; i < -exponent - 1; i++)
      text[len++] = '0';
    memcpy(text + len, digits, (size_t)n);
    len += n;
    text[len] = '\0';
  }
  snprintf(buf, cap, "%s", text);
}

static void put_real(printer *o, double d) {
  char buf[40];
  old_format_real(buf, sizeof buf, d);
  put_str(o, buf);
}

static void put_string(printer *o, const char *s, size_t n) {
  put(o, "\"", 1);
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    char esc[8];
    switch (c) {
    case '"': put(o, "\\\"", 2); break;
    case '\\': put(o, "\\\\", 2); break;
    case '\n': put(o, "\\n", 2); break;
    case '\r': put(o, "\\r", 2); break;
    case '\t': put(o, "\\t", 2); break;
    case '\b': put(o, "\\b", 2); break;
    case '\f': put(o, "\\f", 2); break;
    default:
      if (c < 0x20) {
        snprintf(esc, sizeof esc, "\\u%04x", c);
        put_str(o, esc);
      } else {
        put(o, (const char *)&s[i], 1); /* UTF-8 passes through */
      }
    }
  }
  put(o, "\"", 1);
}

static void put_object(printer *o, const json_t *j);

static void put_json(printer *o, const json_t *j) {
  char num[32];
  switch (json_typeof(j)) {
  case JSON_NULL: put_str(o, "null"); break;
  case JSON_TRUE: put_str(o, "true"); break;
  case JSON_FALSE: put_str(o, "false"); break;
  case JSON_INTEGER:
    snprintf(num, sizeof num, "%lld", (long long)json_integer_value(j));
    put_str(o, num);
    break;
  case JSON_REAL: put_real(o, json_real_value(j)); break;
  case JSON_STRING: put_string(o, json_string_value(j), json_string_length(j)); break;
  case JSON_ARRAY:
    put(o, "[", 1);
    o->level++;
    for (size_t i = 0; i < json_array_size(j); i++) {
      if (i)
        put(o, ",", 1);
      newline(o);
      put_json(o, json_array_get(j, i));
    }
    o->level--;
    if (json_array_size(j))
      newline(o);
    put(o, "]", 1);
    break;
  case JSON_OBJECT: put_object(o, j); break;
  }
}

static int compare_keys(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Keys in sorted order: a Struct's keys have no order on the wire, so the text is made
 * deterministic instead of following whatever order a server happened to send. */
static void put_object(printer *o, const json_t *j) {
  size_t n = json_object_size(j), i = 0;
  const char **keys = malloc((n ? n : 1) * sizeof *keys);
  if (!keys) {
    o->failed = true;
    return;
  }
  const char *key;
  json_t *member;
  json_object_foreach((json_t *)j, key, member) keys[i++] = key;
  qsort(keys, n, sizeof *keys, compare_keys);
  put(o, "{", 1);
  o->level++;
  for (i = 0; i < n; i++) {
    if (i)
      put(o, ",", 1);
    newline(o);
    put_string(o, keys[i], strlen(keys[i]));
    put(o, o->indent ? ": " : ":", o->indent ? 2 : 1);
    put_json(o, json_object_get(j, keys[i]));
  }
  o->level--;
  if (n)
    newline(o);
  put(o, "}", 1);
  free(keys);
}

/* jansson JSON -> google.protobuf.Value tree (strings point into the jansson value): the
 * encoder the library had (wire/json_wire.c). */
static bg_status to_proto_value(const json_t *j, bgi_arena *arena, Google__Protobuf__Value **out,
                                bg_error *err) {
  Google__Protobuf__Value *v = bgi_arena_alloc(arena, sizeof *v);
  if (!v)
    return BGI_FAIL_NOMEM(err);
  google__protobuf__value__init(v);
  switch (json_typeof(j)) {
  case JSON_NULL:
    v->kind_case = GOOGLE__PROTOBUF__VALUE__KIND_NULL_VALUE;
    v->null_value = GOOGLE__PROTOBUF__NULL_VALUE__NULL_VALUE;
    break;
  case JSON_TRUE:
  case JSON_FALSE:
    v->kind_case = GOOGLE__PROTOBUF__VALUE__KIND_BOOL_VALUE;
    v->bool_value = json_is_true(j);
    break;
  case JSON_INTEGER:
  case JSON_REAL: /* range checked when the value was built */
    v->kind_case = GOOGLE__PROTOBUF__VALUE__KIND_NUMBER_VALUE;
    v->number_value = json_number_value(j);
    break;
  case JSON_STRING:
    v->kind_case = GOOGLE__PROTOBUF__VALUE__KIND_STRING_VALUE;
    v->string_value = (char *)json_string_value(j);
    break;
  case JSON_ARRAY: {
    Google__Protobuf__ListValue *l = bgi_arena_alloc(arena, sizeof *l);
    size_t n = json_array_size(j);
    Google__Protobuf__Value **items = bgi_arena_alloc(arena, n * sizeof *items);
    if (!l || !items)
      return BGI_FAIL_NOMEM(err);
    google__protobuf__list_value__init(l);
    for (size_t i = 0; i < n; i++)
      if (to_proto_value(json_array_get(j, i), arena, &items[i], err) != BG_OK)
        return err->code;
    l->n_values = n;
    l->values = items;
    v->kind_case = GOOGLE__PROTOBUF__VALUE__KIND_LIST_VALUE;
    v->list_value = l;
    break;
  }
  case JSON_OBJECT: {
    Google__Protobuf__Struct *s = bgi_arena_alloc(arena, sizeof *s);
    size_t n = json_object_size(j), i = 0;
    Google__Protobuf__Struct__FieldsEntry **entries = bgi_arena_alloc(arena, n * sizeof *entries);
    if (!s || !entries)
      return BGI_FAIL_NOMEM(err);
    google__protobuf__struct__init(s);
    const char *key;
    json_t *member;
    json_object_foreach((json_t *)j, key, member) {
      Google__Protobuf__Struct__FieldsEntry *e = bgi_arena_alloc(arena, sizeof *e);
      if (!e)
        return BGI_FAIL_NOMEM(err);
      google__protobuf__struct__fields_entry__init(e);
      e->key = (char *)key;
      if (to_proto_value(member, arena, &e->value, err) != BG_OK)
        return err->code;
      entries[i++] = e;
    }
    s->n_fields = i;
    s->fields = entries;
    v->kind_case = GOOGLE__PROTOBUF__VALUE__KIND_STRUCT_VALUE;
    v->struct_value = s;
    break;
  }
  }
  *out = v;
  return BG_OK;
}

static char *print(const json_t *json, int indent) {
  printer o = {.indent = indent};
  put_json(&o, json);
  if (o.failed) {
    free(o.buf);
    return NULL;
  }
  return o.buf;
}

void oracle_format_real(char *buf, size_t cap, double d) { old_format_real(buf, cap, d); }

bool oracle_parse(const char *text, size_t len, oracle_json *out, char *message, size_t cap) {
  memset(out, 0, sizeof *out);
  json_error_t jerr;
  json_t *json = json_loadb(text, len, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &jerr);
  bg_error err;
  if (!json) {
    bgi_fail(&err, BG_ERR_INVALID_ARGUMENT, 0, "invalid JSON at line %d, column %d: %s", jerr.line,
             jerr.column, jerr.text); /* as the library words (and escapes) it */
    snprintf(message, cap, "%s", err.message);
    return false;
  }
  if (check(json, 1, BG_JSON_MAX_NESTING, &err) != BG_OK) {
    snprintf(message, cap, "%s", err.message);
    json_decref(json);
    return false;
  }
  bgi_arena arena;
  bgi_arena_init(&arena);
  Google__Protobuf__Value *tree = NULL;
  if (to_proto_value(json, &arena, &tree, &err) != BG_OK)
    abort();
  out->size = protobuf_c_message_get_packed_size(&tree->base);
  out->bytes = malloc(out->size ? out->size : 1);
  if (!out->bytes)
    abort();
  protobuf_c_message_pack(&tree->base, out->bytes);
  bgi_arena_fini(&arena);
  out->compact = print(json, 0);
  out->pretty = print(json, 2);
  json_decref(json);
  if (!out->compact || !out->pretty)
    abort();
  return true;
}

bool oracle_read(const uint8_t *bytes, size_t size, oracle_json *out, char *message, size_t cap) {
  memset(out, 0, sizeof *out);
  grpc_slice slice = grpc_slice_from_copied_buffer((const char *)bytes, size);
  grpc_byte_buffer *bb = grpc_raw_byte_buffer_create(&slice, 1);
  grpc_slice_unref(slice);
  ProtobufCMessage *msg = NULL;
  bg_error err;
  bg_status st = bgi_wire_unpack(&google__protobuf__value__descriptor, bb, "Value", &msg, &err);
  grpc_byte_buffer_destroy(bb);
  if (st != BG_OK) {
    snprintf(message, cap, "%s", err.message);
    return false;
  }
  json_t *json = bgi_proto_value_to_json((Google__Protobuf__Value *)msg, &err);
  protobuf_c_message_free_unpacked(msg, NULL);
  if (!json || check(json, 1, BGI_JSON_MAX_DEPTH, &err) != BG_OK) {
    snprintf(message, cap, "%s", err.message);
    json_decref(json);
    return false;
  }
  out->compact = print(json, 0);
  out->pretty = print(json, 2);
  json_decref(json);
  if (!out->compact || !out->pretty)
    abort();
  return true;
}

void oracle_json_fini(oracle_json *j) {
  free(j->bytes);
  free(j->compact);
  free(j->pretty);
  memset(j, 0, sizeof *j);
}
