/* NumpyNdarray values: construction (borrowed or copied), dtype names and accessors. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "error_internal.h"
#include "value/value_internal.h"

static const struct {
  bg_dtype dtype;
  const char *name;
  size_t size;
} dtype_table[] = {
    {BG_DTYPE_FLOAT, "float32", sizeof(float)},    {BG_DTYPE_DOUBLE, "float64", sizeof(double)},
    {BG_DTYPE_BOOL, "bool", sizeof(bool)},         {BG_DTYPE_INT32, "int32", sizeof(int32_t)},
    {BG_DTYPE_INT64, "int64", sizeof(int64_t)},    {BG_DTYPE_UINT32, "uint32", sizeof(uint32_t)},
    {BG_DTYPE_UINT64, "uint64", sizeof(uint64_t)}, {BG_DTYPE_STRING, "str", sizeof(char *)},
};

/* Other names numpy 1.24's np.dtype() accepts for the same dtypes (case matters, as in numpy),
 * plus pandas' "string". */
static const struct {
  const char *alias;
  bg_dtype dtype;
} dtype_aliases[] = {
    {"single", BG_DTYPE_FLOAT},  {"float", BG_DTYPE_DOUBLE},   {"double", BG_DTYPE_DOUBLE},
    {"float_", BG_DTYPE_DOUBLE}, {"bool_", BG_DTYPE_BOOL},     {"bool8", BG_DTYPE_BOOL},
    {"intc", BG_DTYPE_INT32},    {"int", BG_DTYPE_INT64},      {"int_", BG_DTYPE_INT64},
    {"long", BG_DTYPE_INT64},    {"longlong", BG_DTYPE_INT64}, {"uintc", BG_DTYPE_UINT32},
    {"uint", BG_DTYPE_UINT64},   {"uint0", BG_DTYPE_UINT64},   {"ulonglong", BG_DTYPE_UINT64},
    {"str_", BG_DTYPE_STRING},   {"unicode", BG_DTYPE_STRING}, {"unicode_", BG_DTYPE_STRING},
    {"string", BG_DTYPE_STRING},
};

/* numpy's type codes, which may follow a byte-order character (<, >, = or |). */
static const struct {
  const char *code;
  bg_dtype dtype;
} dtype_codes[] = {
    {"f", BG_DTYPE_FLOAT},   {"f4", BG_DTYPE_FLOAT}, {"d", BG_DTYPE_DOUBLE},
    {"f8", BG_DTYPE_DOUBLE}, {"?", BG_DTYPE_BOOL},   {"b1", BG_DTYPE_BOOL},
    {"i", BG_DTYPE_INT32},   {"i4", BG_DTYPE_INT32}, {"l", BG_DTYPE_INT64},
    {"q", BG_DTYPE_INT64},   {"i8", BG_DTYPE_INT64}, {"I", BG_DTYPE_UINT32},
    {"u4", BG_DTYPE_UINT32}, {"L", BG_DTYPE_UINT64}, {"Q", BG_DTYPE_UINT64},
    {"u8", BG_DTYPE_UINT64},
};

/* numpy's unicode code: "U" with an optional decimal length ("U", "U5"). */
static bool is_unicode_code(const char *code) {
  if (code[0] != 'U')
    return false;
  for (const char *p = code + 1; *p; p++)
    if (*p < '0' || *p > '9')
      return false;
  return true;
}

BG_API const char *bg_dtype_name(bg_dtype dtype) {
  for (size_t i = 0; i < sizeof dtype_table / sizeof dtype_table[0]; i++)
    if (dtype_table[i].dtype == dtype)
      return dtype_table[i].name;
  return NULL;
}

BG_API size_t bg_dtype_size(bg_dtype dtype) {
  for (size_t i = 0; i < sizeof dtype_table / sizeof dtype_table[0]; i++)
    if (dtype_table[i].dtype == dtype)
      return dtype_table[i].size;
  return 0;
}

BG_API bg_status bg_dtype_from_name(const char *name, bg_dtype *dtype) {
  if (!name || !dtype)
    return BG_ERR_INVALID_ARGUMENT;
  for (size_t i = 0; i < sizeof dtype_table / sizeof dtype_table[0]; i++)
    if (strcmp(dtype_table[i].name, name) == 0) {
      *dtype = dtype_table[i].dtype;
      return BG_OK;
    }
  for (size_t i = 0; i < sizeof dtype_aliases / sizeof dtype_aliases[0]; i++)
    if (strcmp(dtype_aliases[i].alias, name) == 0) {
      *dtype = dtype_aliases[i].dtype;
      return BG_OK;
    }
  const char *code = strchr("<>=|", name[0]) && name[0] ? name + 1 : name;
  for (size_t i = 0; i < sizeof dtype_codes / sizeof dtype_codes[0]; i++)
    if (strcmp(dtype_codes[i].code, code) == 0) {
      *dtype = dtype_codes[i].dtype;
      return BG_OK;
    }
  if (is_unicode_code(code)) {
    *dtype = BG_DTYPE_STRING;
    return BG_OK;
  }
  return BG_ERR_INVALID_ARGUMENT;
}

bg_status bgi_ndarray_check(bg_dtype dtype, const int64_t *shape, size_t ndim, const void *data,
                            size_t count, bg_error *err) {
  return bgi_ndarray_check_lengths(dtype, shape, ndim, data, count, NULL, NULL, NULL, err);
}

bg_status bgi_ndarray_check_lengths(bg_dtype dtype, const int64_t *shape, size_t ndim,
                                    const void *data, size_t count, size_t *lengths, size_t *total,
                                    size_t *longest, bg_error *err) {
  if (bg_dtype_size(dtype) == 0)
    return bgi_fail(err, BG_ERR_INVALID_ARGUMENT, 0,
                    "ndarray: unknown dtype %d; use one of the BG_DTYPE_* values", (int)dtype);
  if (ndim > BG_NDARRAY_MAX_DIMS)
    return bgi_fail(err, BG_ERR_INVALID_ARGUMENT, 0,
                    "ndarray: %zu dimensions given, at most %d are supported", ndim,
                    BG_NDARRAY_MAX_DIMS);
  if (ndim > 0 && !shape)
    return bgi_fail(err, BG_ERR_INVALID_ARGUMENT, 0, "ndarray: shape is NULL but ndim is %zu",
                    ndim);
  size_t expected = 1;
  for (size_t i = 0; i < ndim; i++) {
    if (shape[i] < 0 || shape[i] > INT32_MAX)
      return bgi_fail(err, BG_ERR_INVALID_ARGUMENT, 0,
                      "ndarray: dimension %zu is %lld; each dimension must be in 0..%d "
                      "(the protocol carries int32 dimensions)",
                      i, (long long)shape[i], INT32_MAX);
    if (shape[i] != 0 && expected > SIZE_MAX / (size_t)shape[i])
      return bgi_fail(err, BG_ERR_INVALID_ARGUMENT, 0,
                      "ndarray: the shape's element count overflows");
    expected *= (size_t)shape[i];
  }
  if (count > SIZE_MAX / bg_dtype_size(dtype))
    return bgi_fail(err, BG_ERR_INVALID_ARGUMENT, 0, "ndarray: %zu elements do not fit in memory",
                    count);
  if (expected != count)
    return bgi_fail(err, BG_ERR_INVALID_ARGUMENT, 0,
                    "ndarray: the shape holds %zu element%s but %zu %s given; pass a count "
                    "equal to the product of the shape (1 for ndim 0, a scalar)",
                    expected, expected == 1 ? "" : "s", count, count == 1 ? "was" : "were");
  if (count > 0 && !data)
    return bgi_fail(err, BG_ERR_INVALID_ARGUMENT, 0, "ndarray: data is NULL but count is %zu",
                    count);
  if (dtype == BG_DTYPE_STRING) {
    const char *const *strings = data;
    /* NULs found, bytes checked at once */
    size_t i = bgi_utf8_cstrings(strings, count, lengths, total, longest);
    if (i < count && !strings[i])
      return bgi_fail(err, BG_ERR_INVALID_ARGUMENT, 0,
                      "ndarray: string element %zu is NULL; every element must be a "
                      "NUL-terminated string",
                      i);
    if (i < count)
      return bgi_fail(err, BG_ERR_INVALID_ARGUMENT, 0,
                      "ndarray: string element %zu is not valid UTF-8; string arrays carry "
                      "UTF-8 text only (send other bytes as File or bytes)",
                      i);
  }
  return BG_OK;
}

static bg_value *new_array_value(bg_value_kind kind, bg_dtype dtype, const int64_t *shape,
                                 size_t ndim, size_t count, bg_error *err) {
  bg_value *v = bgi_value_alloc(kind, err);
  if (!v)
    return NULL;
  v->as.ndarray.dtype = dtype;
  v->as.ndarray.ndim = ndim;
  v->as.ndarray.count = count;
  if (ndim)
    memcpy(v->as.ndarray.shape, shape, ndim * sizeof shape[0]);
  return v;
}

/* A series of strings keeps each string's length, found by the check: its encoder then
 * neither looks for the NULs again nor re-checks the bytes (the strings are unchanged while
 * the value lives, as borrowing requires). NULL when not kept, with no error. */
static size_t *new_lengths(bg_value_kind kind, bg_dtype dtype, size_t count, bg_error *err,
                           bool *nomem) {
  *nomem = false;
  if (kind != BG_VALUE_SERIES || dtype != BG_DTYPE_STRING || count == 0)
    return NULL;
  size_t *lengths = count <= SIZE_MAX / sizeof *lengths ? malloc(count * sizeof *lengths) : NULL;
  if (!lengths) {
    BGI_FAIL_NOMEM(err);
    *nomem = true;
  }
  return lengths;
}

bg_value *bgi_array_borrow(bg_value_kind kind, bg_dtype dtype, const int64_t *shape, size_t ndim,
                           const void *data, size_t count, bg_error *err) {
  bool nomem;
  size_t *lengths = NULL;
  if (dtype == BG_DTYPE_STRING && count > 0 && data) {
    lengths = new_lengths(kind, dtype, count, err, &nomem);
    if (nomem)
      return NULL;
  }
  size_t total = 0, longest = 0;
  if (bgi_ndarray_check_lengths(dtype, shape, ndim, data, count, lengths, &total, &longest, err) !=
      BG_OK) {
    free(lengths);
    return NULL;
  }
  bg_value *v = new_array_value(kind, dtype, shape, ndim, count, err);
  if (!v) {
    free(lengths);
    return NULL;
  }
  v->as.ndarray.data = data;
  v->as.ndarray.string_lengths = lengths;
  v->as.ndarray.string_lengths_total = total;
  v->as.ndarray.string_longest = longest;
  return v;
}

static void free_strings(char **strings, size_t n) {
  for (size_t i = 0; i < n; i++)
    free(strings[i]);
  free(strings);
}

bg_value *bgi_array_copy(bg_value_kind kind, bg_dtype dtype, const int64_t *shape, size_t ndim,
                         const void *data, size_t count, bg_error *err) {
  if (bgi_ndarray_check(dtype, shape, ndim, data, count, err) != BG_OK)
    return NULL;
  size_t bytes = count * bg_dtype_size(dtype);
  void *buffer = malloc(bytes ? bytes : 1);
  if (!buffer) {
    BGI_FAIL_NOMEM(err);
    return NULL;
  }
  if (dtype == BG_DTYPE_STRING) {
    const char *const *src = data;
    char **dst = buffer;
    for (size_t i = 0; i < count; i++) {
      dst[i] = strdup(src[i]);
      if (!dst[i]) {
        free_strings(dst, i);
        BGI_FAIL_NOMEM(err);
        return NULL;
      }
    }
  } else if (bytes) {
    memcpy(buffer, data, bytes);
  }
  return bgi_array_adopt(kind, dtype, shape, ndim, buffer, count, true, err);
}

bg_value *bgi_array_adopt(bg_value_kind kind, bg_dtype dtype, const int64_t *shape, size_t ndim,
                          void *buffer, size_t count, bool owns_strings, bg_error *err) {
  bg_value *v = new_array_value(kind, dtype, shape, ndim, count, err);
  if (!v) {
    if (dtype == BG_DTYPE_STRING && owns_strings)
      free_strings(buffer, count);
    else
      free(buffer);
    return NULL;
  }
  v->as.ndarray.data = buffer;
  v->as.ndarray.owned = buffer;
  v->as.ndarray.owns_strings = owns_strings;
  return v;
}

BG_API bg_value *bg_ndarray_borrow(bg_dtype dtype, const int64_t *shape, size_t ndim,
                                   const void *data, size_t count, bg_error *err) {
  BGI_ERROR_SINK(err);
  return bgi_array_borrow(BG_VALUE_NDARRAY, dtype, shape, ndim, data, count, err);
}

BG_API bg_value *bg_ndarray_copy(bg_dtype dtype, const int64_t *shape, size_t ndim,
                                 const void *data, size_t count, bg_error *err) {
  BGI_ERROR_SINK(err);
  return bgi_array_copy(BG_VALUE_NDARRAY, dtype, shape, ndim, data, count, err);
}

bg_value *bgi_ndarray_adopt(bg_dtype dtype, const int64_t *shape, size_t ndim, void *buffer,
                            size_t count, bool owns_strings, bg_error *err) {
  return bgi_array_adopt(BG_VALUE_NDARRAY, dtype, shape, ndim, buffer, count, owns_strings, err);
}

static const bg_ndarray *as_ndarray(const bg_value *value) {
  return value && value->kind == BG_VALUE_NDARRAY ? &value->as.ndarray : NULL;
}

BG_API bg_dtype bg_ndarray_dtype(const bg_value *value) {
  const bg_ndarray *nd = as_ndarray(value);
  return nd ? nd->dtype : 0;
}

BG_API size_t bg_ndarray_ndim(const bg_value *value) {
  const bg_ndarray *nd = as_ndarray(value);
  return nd ? nd->ndim : 0;
}

BG_API const int64_t *bg_ndarray_shape(const bg_value *value) {
  const bg_ndarray *nd = as_ndarray(value);
  return nd ? nd->shape : NULL;
}

BG_API size_t bg_ndarray_count(const bg_value *value) {
  const bg_ndarray *nd = as_ndarray(value);
  return nd ? nd->count : 0;
}

BG_API const void *bg_ndarray_data(const bg_value *value) {
  const bg_ndarray *nd = as_ndarray(value);
  return nd ? nd->data : NULL;
}
