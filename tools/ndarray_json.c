#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ndarray_json.h"

static bg_status fail(bg_error *err, const char *message, const char *detail) {
  err->code = BG_ERR_INVALID_ARGUMENT;
  err->grpc_status = 0;
  snprintf(err->message, sizeof err->message, "--ndarray: %s%s", message, detail ? detail : "");
  return BG_ERR_INVALID_ARGUMENT;
}

/* Walks the first element of each level to find the shape. */
static bg_status find_shape(const json_t *json, int64_t *shape, size_t *ndim, bg_error *err) {
  *ndim = 0;
  while (json_is_array(json)) {
    if (*ndim == BG_NDARRAY_MAX_DIMS)
      return fail(err, "too many dimensions", NULL);
    shape[(*ndim)++] = (int64_t)json_array_size(json);
    if (json_array_size(json) == 0)
      break;
    json = json_array_get(json, 0);
  }
  return BG_OK;
}

/* Collects the leaves in row-major order, checking the array is rectangular. */
static bg_status collect(const json_t *json, const int64_t *shape, size_t ndim, size_t depth,
                         const json_t **leaves, size_t *n, bg_error *err) {
  if (depth == ndim) {
    if (json_is_array(json))
      return fail(err, "the nested lists are ragged (a list where a number was expected)", NULL);
    leaves[(*n)++] = json;
    return BG_OK;
  }
  if (!json_is_array(json) || (int64_t)json_array_size(json) != shape[depth])
    return fail(err, "the nested lists are ragged; every row must have the same length", NULL);
  for (size_t i = 0; i < json_array_size(json); i++)
    if (collect(json_array_get(json, i), shape, ndim, depth + 1, leaves, n, err) != BG_OK)
      return BG_ERR_INVALID_ARGUMENT;
  return BG_OK;
}

static bg_dtype infer_dtype(const json_t **leaves, size_t n) {
  bool all_bool = n > 0, all_int = n > 0, any_string = false;
  for (size_t i = 0; i < n; i++) {
    all_bool &= json_is_boolean(leaves[i]);
    all_int &= json_is_integer(leaves[i]);
    any_string |= json_is_string(leaves[i]);
  }
  return any_string ? BG_DTYPE_STRING
         : all_bool ? BG_DTYPE_BOOL
         : all_int  ? BG_DTYPE_INT64
                    : BG_DTYPE_DOUBLE;
}

static bg_status convert_leaf(const json_t *leaf, bg_dtype dtype, void *slot, bg_error *err) {
  if (dtype == BG_DTYPE_STRING) {
    if (!json_is_string(leaf))
      return fail(err, "dtype str needs every element to be a string", NULL);
    *(const char **)slot = json_string_value(leaf);
    return BG_OK;
  }
  if (dtype == BG_DTYPE_BOOL) {
    if (!json_is_boolean(leaf))
      return fail(err, "dtype bool needs every element to be true or false", NULL);
    *(bool *)slot = json_is_true(leaf);
    return BG_OK;
  }
  if (!json_is_number(leaf))
    return fail(err, "every element must be a number for dtype ", bg_dtype_name(dtype));
  double d = json_number_value(leaf);
  bool integral = json_is_integer(leaf) || d == floor(d);
  json_int_t i = json_is_integer(leaf) ? json_integer_value(leaf) : (json_int_t)d;
  switch (dtype) {
  case BG_DTYPE_FLOAT: *(float *)slot = (float)d; return BG_OK;
  case BG_DTYPE_DOUBLE: *(double *)slot = d; return BG_OK;
  case BG_DTYPE_INT32:
    if (!integral || i < INT32_MIN || i > INT32_MAX)
      return fail(err, "element is not a whole number in int32 range", NULL);
    *(int32_t *)slot = (int32_t)i;
    return BG_OK;
  case BG_DTYPE_INT64:
    if (!integral)
      return fail(err, "element is not a whole number", NULL);
    *(int64_t *)slot = i;
    return BG_OK;
  case BG_DTYPE_UINT32:
    if (!integral || i < 0 || i > (json_int_t)UINT32_MAX)
      return fail(err, "element is not a whole number in uint32 range", NULL);
    *(uint32_t *)slot = (uint32_t)i;
    return BG_OK;
  case BG_DTYPE_UINT64:
    if (!integral || i < 0)
      return fail(err, "element is not a non-negative whole number", NULL);
    *(uint64_t *)slot = (uint64_t)i;
    return BG_OK;
  default: return fail(err, "unsupported dtype", NULL);
  }
}

bg_value *bg_cli_ndarray_from_json(const char *text, const char *dtype_name, bg_error *err) {
  json_error_t jerr;
  json_t *json = json_loads(text, JSON_DECODE_ANY, &jerr);
  if (!json) {
    fail(err, "not valid JSON: ", jerr.text);
    return NULL;
  }
  int64_t shape[BG_NDARRAY_MAX_DIMS];
  size_t ndim, count = 1, n = 0;
  bg_value *value = NULL;
  const json_t **leaves = NULL;
  void *data = NULL;
  if (find_shape(json, shape, &ndim, err) != BG_OK)
    goto done;
  for (size_t i = 0; i < ndim; i++)
    count *= (size_t)shape[i];
  leaves = calloc(count ? count : 1, sizeof *leaves);
  if (!leaves || collect(json, shape, ndim, 0, leaves, &n, err) != BG_OK)
    goto done;
  bg_dtype dtype = infer_dtype(leaves, n);
  if (dtype_name && bg_dtype_from_name(dtype_name, &dtype) != BG_OK) {
    fail(err, "unknown --dtype ", dtype_name);
    goto done;
  }
  size_t size = bg_dtype_size(dtype);
  data = calloc(count ? count : 1, size);
  for (size_t i = 0; data && i < n; i++)
    if (convert_leaf(leaves[i], dtype, (char *)data + i * size, err) != BG_OK)
      goto done;
  value = bg_ndarray_copy(dtype, shape, ndim, data, n, err); /* copies strings out of json */
done:
  free(data);
  free(leaves);
  json_decref(json);
  return value;
}

static json_t *element_json(const bg_value *value, size_t i) {
  const void *data = bg_ndarray_data(value);
  switch (bg_ndarray_dtype(value)) {
  case BG_DTYPE_FLOAT: return json_real(((const float *)data)[i]);
  case BG_DTYPE_DOUBLE: return json_real(((const double *)data)[i]);
  case BG_DTYPE_BOOL: return json_boolean(((const bool *)data)[i]);
  case BG_DTYPE_INT32: return json_integer(((const int32_t *)data)[i]);
  case BG_DTYPE_INT64: return json_integer(((const int64_t *)data)[i]);
  case BG_DTYPE_UINT32: return json_integer(((const uint32_t *)data)[i]);
  case BG_DTYPE_UINT64: {
    uint64_t u = ((const uint64_t *)data)[i];
    return u > INT64_MAX ? json_real((double)u) : json_integer((json_int_t)u);
  }
  case BG_DTYPE_STRING: return json_string(((const char *const *)data)[i]);
  }
  return json_null();
}

static json_t *nested(const bg_value *value, size_t depth, size_t *next) {
  if (depth == bg_ndarray_ndim(value))
    return element_json(value, (*next)++);
  json_t *list = json_array();
  for (int64_t i = 0; i < bg_ndarray_shape(value)[depth]; i++)
    json_array_append_new(list, nested(value, depth + 1, next));
  return list;
}

int bg_cli_print_ndarray(FILE *out, const bg_value *value) {
  json_t *shape = json_array();
  for (size_t i = 0; i < bg_ndarray_ndim(value); i++)
    json_array_append_new(shape, json_integer(bg_ndarray_shape(value)[i]));
  size_t next = 0;
  json_t *obj = json_pack("{s:s, s:o, s:o}", "dtype", bg_dtype_name(bg_ndarray_dtype(value)),
                          "shape", shape, "data", nested(value, 0, &next));
  /* float32 needs 9 significant digits to round-trip, float64 17. */
  int precision = bg_ndarray_dtype(value) == BG_DTYPE_FLOAT ? 9 : 17;
  int rc = obj ? json_dumpf(obj, out, JSON_COMPACT | JSON_REAL_PRECISION(precision)) : -1;
  fputc('\n', out);
  json_decref(obj);
  return rc;
}
