#include <errno.h>
#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ndarray_json.h"

/* The most elements an input array may have: its bytes must fit in one gRPC message (2 GiB). */
#define MAX_ELEMENTS ((size_t)INT32_MAX)

static bg_status fail(bg_error *err, const char *what, const char *fmt, ...) {
  char reason[BG_ERROR_MESSAGE_SIZE];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(reason, sizeof reason, fmt, ap);
  va_end(ap);
  err->code = BG_ERR_INVALID_ARGUMENT;
  err->grpc_status = 0;
  snprintf(err->message, sizeof err->message, "%s: %s", what, reason);
  return BG_ERR_INVALID_ARGUMENT;
}

static bg_status no_memory(bg_error *err, const char *what) {
  fail(err, what, "out of memory");
  err->code = BG_ERR_NO_MEMORY;
  return BG_ERR_NO_MEMORY;
}

/* Walks the first element of each level to find the shape; the element count must neither
 * overflow nor exceed what a message can carry, nor what the text holds. */
static bg_status find_shape(const cj_node *node, size_t text_scalars, int64_t *shape, size_t *ndim,
                            size_t *count, const char *what, bg_error *err) {
  *ndim = 0;
  *count = 1;
  bool overflow = false;
  while (node->kind == CJ_ARRAY) {
    if (*ndim == BG_NDARRAY_MAX_DIMS)
      return fail(err, what, "more than %d dimensions", BG_NDARRAY_MAX_DIMS);
    size_t n = node->n_items;
    shape[(*ndim)++] = (int64_t)n;
    if (n && *count > MAX_ELEMENTS / n)
      overflow = true;
    else
      *count *= n;
    if (n == 0)
      break;
    node = node->items[0];
  }
  if (overflow || *count > MAX_ELEMENTS)
    return fail(err, what,
                "array too large: its shape has more than %zu elements (the nested lists are "
                "ragged, or the array would not fit in a gRPC message)",
                MAX_ELEMENTS);
  if (*count > text_scalars)
    return fail(err, what,
                "the nested lists are ragged: their first elements give %zu elements, but the "
                "text holds %zu values",
                *count, text_scalars);
  return BG_OK;
}

/* Collects the leaves in row-major order, checking the array is rectangular; never writes
 * more than `count` leaves. */
static bg_status collect(const cj_node *node, const int64_t *shape, size_t ndim, size_t depth,
                         const cj_node **leaves, size_t count, size_t *n, const char *what,
                         bg_error *err) {
  if (depth == ndim) {
    if (node->kind == CJ_ARRAY || node->kind == CJ_OBJECT || *n == count)
      return fail(err, what, "the nested lists are ragged (a list where a value was expected)");
    leaves[(*n)++] = node;
    return BG_OK;
  }
  if (node->kind != CJ_ARRAY || (int64_t)node->n_items != shape[depth])
    return fail(err, what, "the nested lists are ragged; every row must have the same length");
  for (size_t i = 0; i < node->n_items; i++)
    if (collect(node->items[i], shape, ndim, depth + 1, leaves, count, n, what, err) != BG_OK)
      return BG_ERR_INVALID_ARGUMENT;
  return BG_OK;
}

static bool is_integer_literal(const cj_node *leaf) {
  return leaf->kind == CJ_NUMBER && !memchr(leaf->text, '.', leaf->len) &&
         !memchr(leaf->text, 'e', leaf->len) && !memchr(leaf->text, 'E', leaf->len) &&
         !memchr(leaf->text, 'N', leaf->len) && !memchr(leaf->text, 'I', leaf->len);
}

/* An integer literal as int64 or uint64; false when it fits neither. */
static bool read_integer(const cj_node *leaf, bool *negative, int64_t *i, uint64_t *u) {
  char buf[64];
  if (leaf->len >= sizeof buf)
    return false;
  memcpy(buf, leaf->text, leaf->len);
  buf[leaf->len] = '\0';
  errno = 0;
  *negative = buf[0] == '-';
  if (*negative)
    *i = strtoll(buf, NULL, 10);
  else
    *u = strtoull(buf, NULL, 10);
  return errno == 0;
}

static bg_status infer_dtype(const cj_node **leaves, size_t n, bg_dtype *dtype, const char *what,
                             bg_error *err) {
  bool all_bool = n > 0, all_int = n > 0, any_string = false, any_negative = false,
       beyond_int64 = false;
  for (size_t i = 0; i < n; i++) {
    all_bool &= leaves[i]->kind == CJ_TRUE || leaves[i]->kind == CJ_FALSE;
    any_string |= leaves[i]->kind == CJ_STRING;
    bool integer = is_integer_literal(leaves[i]), negative = false;
    int64_t v;
    uint64_t u = 0;
    if (integer && !read_integer(leaves[i], &negative, &v, &u))
      return fail(err, what, "%.*s does not fit in int64 or uint64; give --dtype float64",
                  (int)leaves[i]->len, leaves[i]->text);
    all_int &= integer;
    any_negative |= negative;
    beyond_int64 |= !negative && u > INT64_MAX;
  }
  if (all_int && beyond_int64 && any_negative)
    return fail(err, what,
                "the integers need both int64 (negative values) and uint64 (values above "
                "INT64_MAX); give --dtype float64 to round them");
  *dtype = any_string ? BG_DTYPE_STRING
           : all_bool ? BG_DTYPE_BOOL
           : all_int  ? (beyond_int64 ? BG_DTYPE_UINT64 : BG_DTYPE_INT64)
                      : BG_DTYPE_DOUBLE;
  return BG_OK;
}

/* A number leaf into an integer dtype, exactly or not at all. */
static bg_status convert_integer(const cj_node *leaf, bg_dtype dtype, void *slot, const char *what,
                                 bg_error *err) {
  const char *name = bg_dtype_name(dtype);
  bool negative = false;
  int64_t i = 0;
  uint64_t u = 0;
  if (is_integer_literal(leaf)) {
    if (!read_integer(leaf, &negative, &i, &u))
      return fail(err, what, "%.*s is out of range for dtype %s", (int)leaf->len, leaf->text, name);
  } else {
    double d = strtod(leaf->text, NULL);
    if (!isfinite(d) || d != floor(d))
      return fail(err, what, "%.*s is not a whole number, as dtype %s needs", (int)leaf->len,
                  leaf->text, name);
    if (d < -9223372036854775808.0 || d >= 18446744073709551616.0)
      return fail(err, what, "%.*s is out of range for dtype %s", (int)leaf->len, leaf->text, name);
    negative = d < 0;
    if (negative)
      i = (int64_t)d;
    else
      u = (uint64_t)d;
  }
  bool fits;
  switch (dtype) {
  case BG_DTYPE_INT32: fits = negative ? i >= INT32_MIN : u <= INT32_MAX; break;
  case BG_DTYPE_INT64: fits = negative || u <= INT64_MAX; break;
  case BG_DTYPE_UINT32: fits = !negative && u <= UINT32_MAX; break;
  default: fits = !negative; break; /* uint64 */
  }
  if (!fits)
    return fail(err, what, "%.*s is out of range for dtype %s", (int)leaf->len, leaf->text, name);
  switch (dtype) {
  case BG_DTYPE_INT32: *(int32_t *)slot = (int32_t)(negative ? i : (int64_t)u); break;
  case BG_DTYPE_INT64: *(int64_t *)slot = negative ? i : (int64_t)u; break;
  case BG_DTYPE_UINT32: *(uint32_t *)slot = (uint32_t)u; break;
  default: *(uint64_t *)slot = u; break;
  }
  return BG_OK;
}

static bg_status convert_leaf(const cj_node *leaf, bg_dtype dtype, void *slot, const char *what,
                              bg_error *err) {
  const char *name = bg_dtype_name(dtype);
  if (dtype == BG_DTYPE_STRING) {
    if (leaf->kind != CJ_STRING)
      return fail(err, what, "dtype str needs every element to be a string");
    *(const char **)slot = leaf->str;
    return BG_OK;
  }
  if (dtype == BG_DTYPE_BOOL) {
    if (leaf->kind != CJ_TRUE && leaf->kind != CJ_FALSE)
      return fail(err, what, "dtype bool needs every element to be true or false");
    *(bool *)slot = leaf->kind == CJ_TRUE;
    return BG_OK;
  }
  if (leaf->kind != CJ_NUMBER)
    return fail(err, what, "every element must be a number for dtype %s", name);
  if (dtype != BG_DTYPE_FLOAT && dtype != BG_DTYPE_DOUBLE)
    return convert_integer(leaf, dtype, slot, what, err);
  /* strtod reads NaN and [-]Infinity too; the literal ends at a JSON delimiter */
  double d = strtod(leaf->text, NULL);
  bool written_infinite = memchr(leaf->text, 'I', leaf->len) != NULL;
  if ((isinf(d) || (dtype == BG_DTYPE_FLOAT && isinf((float)d))) && !written_infinite)
    return fail(err, what, "%.*s is out of range for dtype %s", (int)leaf->len, leaf->text, name);
  if (dtype == BG_DTYPE_FLOAT)
    *(float *)slot = (float)d;
  else
    *(double *)slot = d;
  return BG_OK;
}

bg_value *cli_ndarray_from_node(const cj_node *node, size_t text_scalars, const char *dtype_name,
                                const char *what, bg_error *err) {
  int64_t shape[BG_NDARRAY_MAX_DIMS];
  size_t ndim, count, n = 0;
  bg_value *value = NULL;
  const cj_node **leaves = NULL;
  void *data = NULL;
  bg_dtype dtype;
  if (find_shape(node, text_scalars, shape, &ndim, &count, what, err) != BG_OK)
    return NULL;
  leaves = calloc(count ? count : 1, sizeof *leaves);
  if (!leaves) {
    no_memory(err, what);
    return NULL;
  }
  if (collect(node, shape, ndim, 0, leaves, count, &n, what, err) != BG_OK ||
      infer_dtype(leaves, n, &dtype, what, err) != BG_OK)
    goto done;
  if (dtype_name && bg_dtype_from_name(dtype_name, &dtype) != BG_OK) {
    fail(err, what, "unknown --dtype %s", dtype_name);
    goto done;
  }
  size_t size = bg_dtype_size(dtype);
  data = calloc(count ? count : 1, size);
  if (!data) {
    no_memory(err, what);
    goto done;
  }
  for (size_t i = 0; i < n; i++)
    if (convert_leaf(leaves[i], dtype, (char *)data + i * size, what, err) != BG_OK)
      goto done;
  value = bg_ndarray_copy(dtype, shape, ndim, data, n, err); /* copies the strings */
done:
  free(data);
  free(leaves);
  return value;
}

bg_value *cli_ndarray_from_json(const char *text, const char *dtype_name, const char *what,
                                bg_error *err) {
  size_t scalars = 0;
  cj_node *root = cj_parse(text, what, &scalars, err);
  if (!root)
    return NULL;
  bg_value *value = cli_ndarray_from_node(root, scalars, dtype_name, what, err);
  cj_free(root);
  return value;
}

/* ---- printing ---- */

void cli_format_double(char *buf, size_t size, double d, int precision) {
  if (isnan(d)) {
    snprintf(buf, size, "NaN");
    return;
  }
  if (isinf(d)) {
    snprintf(buf, size, d < 0 ? "-Infinity" : "Infinity");
    return;
  }
  /* The fewest significant digits that read back as the same value of the element's type
   * (precision 9: float32, 17: float64), so 15.8f prints 15.8, not 15.8000002; laid out like
   * Python's repr: positional for exponents -4..15 (10.0, not 1e+01), else 1.5e+300. */
  char raw[48];
  int digits = 1;
  for (; digits < precision; digits++) {
    snprintf(raw, sizeof raw, "%.*e", digits - 1, d);
    if (precision <= 9 ? strtof(raw, NULL) == (float)d : strtod(raw, NULL) == d)
      break;
  }
  snprintf(raw, sizeof raw, "%.*e", digits - 1, d);
  int exponent = atoi(strchr(raw, 'e') + 1);
  if (exponent >= -4 && exponent < 16)
    snprintf(raw, sizeof raw, "%.*f", digits - 1 - exponent > 0 ? digits - 1 - exponent : 0, d);
  /* jansson's spelling: "1.0" not "1", "1e300" not "1e+300", "1e-5" not "1e-05" */
  char *e = strchr(raw, 'e'), *o = buf;
  size_t mantissa = e ? (size_t)(e - raw) : strlen(raw);
  snprintf(o, size, "%.*s%s", (int)mantissa, raw, memchr(raw, '.', mantissa) || e ? "" : ".0");
  if (e) {
    const char *x = e + 1;
    bool negative = *x == '-';
    if (*x == '+' || *x == '-')
      x++;
    while (*x == '0' && x[1])
      x++;
    size_t used = strlen(buf);
    snprintf(buf + used, size - used, "e%s%s", negative ? "-" : "", x);
  }
}

size_t cli_utf8_sequence(const unsigned char *p, size_t n) {
  size_t len = p[0] < 0x80             ? 1
               : (p[0] & 0xe0) == 0xc0 ? 2
               : (p[0] & 0xf0) == 0xe0 ? 3
               : (p[0] & 0xf8) == 0xf0 ? 4
                                       : 0;
  if (len == 0 || len > n)
    return 0;
  uint32_t cp = len == 1 ? p[0] : p[0] & (0x7f >> len);
  for (size_t i = 1; i < len; i++) {
    if ((p[i] & 0xc0) != 0x80)
      return 0;
    cp = cp << 6 | (p[i] & 0x3f);
  }
  static const uint32_t min[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < min[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
    return 0;
  return len;
}

/* A JSON string that is safe on a terminal: controls (C0, DEL, C1) as \uXXXX, bytes that are
 * not UTF-8 as \xHH (a JSON5 escape; unreachable for library values, whose strings are UTF-8
 * by construction and on the wire), everything else as is. */
static void put_string(FILE *out, const char *s) {
  const unsigned char *p = (const unsigned char *)s;
  size_t n = strlen(s);
  fputc('"', out);
  while (n) {
    size_t len = cli_utf8_sequence(p, n);
    uint32_t c1 = len == 2 ? (uint32_t)(p[0] & 0x1f) << 6 | (p[1] & 0x3f) : 0;
    if (len == 0)
      fprintf(out, "\\x%02x", p[0]);
    else if (len == 1 && (*p == '"' || *p == '\\'))
      fprintf(out, "\\%c", *p);
    else if (len == 1 && *p == '\n')
      fputs("\\n", out);
    else if (len == 1 && *p == '\t')
      fputs("\\t", out);
    else if (len == 1 && (*p < 0x20 || *p == 0x7f))
      fprintf(out, "\\u%04x", *p);
    else if (c1 >= 0x80 && c1 <= 0x9f)
      fprintf(out, "\\u%04x", (unsigned)c1);
    else
      fwrite(p, 1, len, out);
    len = len ? len : 1;
    p += len;
    n -= len;
  }
  fputc('"', out);
}

/* A float as cli_format_double spells it; `strict` (RFC 8259 JSON, which has no NaN or
 * Infinity): non-finite values as the strings "NaN", "Infinity", "-Infinity", as the proto3
 * JSON mapping (and grpcurl) spell them. */
static void put_float(FILE *out, double d, int precision, bool strict) {
  char buf[48];
  cli_format_double(buf, sizeof buf, d, precision);
  bool quote = strict && !isfinite(d);
  fprintf(out, quote ? "\"%s\"" : "%s", buf);
}

static void put_element(FILE *out, const bg_value *value, size_t i, bool strict) {
  const void *data = bg_ndarray_data(value);
  switch (bg_ndarray_dtype(value)) {
  case BG_DTYPE_FLOAT: put_float(out, ((const float *)data)[i], 9, strict); return;
  case BG_DTYPE_DOUBLE: put_float(out, ((const double *)data)[i], 17, strict); return;
  case BG_DTYPE_BOOL: fputs(((const bool *)data)[i] ? "true" : "false", out); return;
  case BG_DTYPE_INT32: fprintf(out, "%" PRId32, ((const int32_t *)data)[i]); return;
  case BG_DTYPE_INT64: fprintf(out, "%" PRId64, ((const int64_t *)data)[i]); return;
  case BG_DTYPE_UINT32: fprintf(out, "%" PRIu32, ((const uint32_t *)data)[i]); return;
  case BG_DTYPE_UINT64: fprintf(out, "%" PRIu64, ((const uint64_t *)data)[i]); return;
  case BG_DTYPE_STRING: put_string(out, ((const char *const *)data)[i]); return;
  }
  fputs("null", out);
}

static void put_nested(FILE *out, const bg_value *value, size_t depth, size_t *next, bool strict) {
  if (depth == bg_ndarray_ndim(value)) {
    put_element(out, value, (*next)++, strict);
    return;
  }
  fputc('[', out);
  for (int64_t i = 0; i < bg_ndarray_shape(value)[depth]; i++) {
    if (i)
      fputc(',', out);
    put_nested(out, value, depth + 1, next, strict);
  }
  fputc(']', out);
}

static int print_ndarray(FILE *out, const bg_value *value, bool strict) {
  fprintf(out, "{\"dtype\":\"%s\",\"shape\":[", bg_dtype_name(bg_ndarray_dtype(value)));
  for (size_t i = 0; i < bg_ndarray_ndim(value); i++)
    fprintf(out, "%s%" PRId64, i ? "," : "", bg_ndarray_shape(value)[i]);
  fputs("],\"data\":", out);
  size_t next = 0;
  put_nested(out, value, 0, &next, strict);
  fputs(strict ? "}" : "}\n", out);
  return ferror(out) ? -1 : 0;
}

int cli_print_ndarray(FILE *out, const bg_value *value) { return print_ndarray(out, value, false); }

int cli_print_ndarray_json(FILE *out, const bg_value *value) {
  return print_ndarray(out, value, true);
}
