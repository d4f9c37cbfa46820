#include <math.h>
#include <stdio.h>
#include <string.h>

#include "descriptors/rules.h"

typedef enum { KIND_BOOL, KIND_UINT, KIND_INT, KIND_FLOAT, KIND_STRING } kind;

static kind kind_of(bg_dtype d) {
  switch (d) {
  case BG_DTYPE_BOOL: return KIND_BOOL;
  case BG_DTYPE_UINT32:
  case BG_DTYPE_UINT64: return KIND_UINT;
  case BG_DTYPE_INT32:
  case BG_DTYPE_INT64: return KIND_INT;
  case BG_DTYPE_FLOAT:
  case BG_DTYPE_DOUBLE: return KIND_FLOAT;
  default: return KIND_STRING;
  }
}

bool bgi_dtype_can_cast(bg_dtype from, bg_dtype to) {
  if (from == to)
    return true;
  kind f = kind_of(from), t = kind_of(to);
  if (f == KIND_STRING || t == KIND_STRING || t == KIND_BOOL)
    return false;
  if (f == KIND_BOOL || f == t || t == KIND_FLOAT)
    return true; /* up the kind ladder, or within a kind (e.g. float64 -> float32) */
  /* numpy's same_kind lets unsigned go to signed of any width (uint64 -> int64 included:
   * np.can_cast('u8', 'i8', 'same_kind') is True), never signed to unsigned */
  return f == KIND_UINT && t == KIND_INT;
}

bool bgi_shape_matches(const int64_t *expected, size_t expected_ndim, const int64_t *shape,
                       size_t ndim) {
  if (expected_ndim != ndim)
    return false;
  for (size_t i = 0; i < ndim; i++)
    if (expected[i] != -1 && expected[i] != shape[i])
      return false;
  return true;
}

void bgi_shape_format(const int64_t *shape, size_t ndim, char *buf, size_t size) {
  size_t used = (size_t)snprintf(buf, size, "(");
  for (size_t i = 0; i < ndim && used < size; i++)
    used += (size_t)snprintf(buf + used, size - used, "%s%lld", i ? ", " : "", (long long)shape[i]);
  if (used < size)
    snprintf(buf + used, size - used, ndim == 1 ? ",)" : ")");
}

bool bgi_spec_read_shape(const json_t *value, int64_t *shape, size_t *ndim, bool *has_shape) {
  *has_shape = false;
  *ndim = 0;
  if (!value || json_is_null(value))
    return true;
  if (!json_is_array(value) || json_array_size(value) > BG_NDARRAY_MAX_DIMS)
    return false;
  for (size_t i = 0; i < json_array_size(value); i++) {
    json_t *dim = json_array_get(value, i);
    double d = json_number_value(dim);
    /* Struct numbers are doubles: (2, 2) arrives as [2.0, 2.0]; -1 is the wildcard. */
    if (!json_is_number(dim) || d != floor(d) || d < -1 || d > INT32_MAX)
      return false;
    shape[i] = (int64_t)d;
  }
  *ndim = json_array_size(value);
  *has_shape = true;
  return true;
}

void bgi_spec_read_dtype(const json_t *value, char *name, size_t name_size, bg_dtype *dtype) {
  name[0] = '\0';
  *dtype = 0;
  if (!json_is_string(value) || strcmp(json_string_value(value), "null") == 0)
    return;
  snprintf(name, name_size, "%s", json_string_value(value));
  if (bg_dtype_from_name(name, dtype) != BG_OK)
    *dtype = 0;
}
