/* PandasSeries values: a 1-D typed column in the dtypes the wire's Series can carry. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "error_internal.h"
#include "value/value_internal.h"

static bg_status check_series_dtype(bg_dtype dtype, bg_error *err) {
  switch (dtype) {
  case BG_DTYPE_BOOL:
  case BG_DTYPE_FLOAT:
  case BG_DTYPE_DOUBLE:
  case BG_DTYPE_INT32:
  case BG_DTYPE_INT64:
  case BG_DTYPE_STRING: return BG_OK;
  default:
    return bgi_fail(err, BG_ERR_INVALID_ARGUMENT, 0,
                    "series: dtype %s cannot be sent; a Series carries bool, float32, float64, "
                    "int32, int64 or str",
                    bg_dtype_name(dtype) ? bg_dtype_name(dtype) : "(unknown)");
  }
}

BG_API bg_value *bg_series_borrow(bg_dtype dtype, const void *data, size_t count, bg_error *err) {
  BGI_ERROR_SINK(err);
  int64_t shape[1] = {(int64_t)count};
  if (check_series_dtype(dtype, err) != BG_OK)
    return NULL;
  return bgi_array_borrow(BG_VALUE_SERIES, dtype, shape, 1, data, count, err);
}

/* The strings of a block (its last byte a NUL) into `strings` (when not NULL); returns their
 * count. The NULs are found 8 bytes at a time (exact zero-byte mask, no borrow between bytes)
 * on little-endian hosts, where the mask's lowest set bit is the first NUL. */
static size_t block_strings(const char *block, size_t size, const char **strings) {
  size_t count = 0, start = 0, i = 0;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  const uint64_t low7 = 0x7f7f7f7f7f7f7f7fu;
  for (; size - i >= 8; i += 8) {
    uint64_t w;
    memcpy(&w, block + i, 8);
    for (uint64_t zero = ~(((w & low7) + low7) | w | low7); zero; zero &= zero - 1) {
      if (strings)
        strings[count] = block + start;
      count++;
      start = i + (size_t)__builtin_ctzll(zero) / 8 + 1;
    }
  }
#endif
  for (; i < size; i++)
    if (block[i] == '\0') {
      if (strings)
        strings[count] = block + start;
      count++;
      start = i + 1;
    }
  return count;
}

BG_API bg_value *bg_series_borrow_strings(const char *block, size_t size, bg_error *err) {
  BGI_ERROR_SINK(err);
  if (size > 0 && (!block || block[size - 1] != '\0')) {
    bgi_fail(err, BG_ERR_INVALID_ARGUMENT, 0,
             "series: %s; a string block holds NUL-terminated strings back to back, its last "
             "byte a NUL",
             block ? "the block does not end with a NUL" : "the block is NULL");
    return NULL;
  }
  size_t count = block_strings(block, size, NULL);
  const char **strings = malloc(count ? count * sizeof *strings : 1);
  if (!strings) {
    BGI_FAIL_NOMEM(err);
    return NULL;
  }
  block_strings(block, size, strings);
  if (!bgi_utf8_valid_strings(block, size, count)) { /* which one, for the message */
    size_t bad = 0;
    while (bad < count && bgi_utf8_valid(strings[bad], strlen(strings[bad])))
      bad++;
    free(strings);
    bgi_fail(err, BG_ERR_INVALID_ARGUMENT, 0,
             "series: string element %zu is not valid UTF-8; string series carry UTF-8 text "
             "only",
             bad);
    return NULL;
  }
  bg_value *v = bgi_series_adopt(BG_DTYPE_STRING, strings, count, false, err);
  if (v) /* it owns the pointers only */
    v->as.ndarray.string_block = size;
  return v;
}

BG_API bg_value *bg_series_copy(bg_dtype dtype, const void *data, size_t count, bg_error *err) {
  BGI_ERROR_SINK(err);
  int64_t shape[1] = {(int64_t)count};
  if (check_series_dtype(dtype, err) != BG_OK)
    return NULL;
  return bgi_array_copy(BG_VALUE_SERIES, dtype, shape, 1, data, count, err);
}

bg_value *bgi_series_adopt(bg_dtype dtype, void *buffer, size_t count, bool owns_strings,
                           bg_error *err) {
  int64_t shape[1] = {(int64_t)count};
  return bgi_array_adopt(BG_VALUE_SERIES, dtype, shape, 1, buffer, count, owns_strings, err);
}

static const bg_ndarray *as_series(const bg_value *value) {
  return value && value->kind == BG_VALUE_SERIES ? &value->as.ndarray : NULL;
}

BG_API bg_dtype bg_series_dtype(const bg_value *value) {
  const bg_ndarray *s = as_series(value);
  return s ? s->dtype : (bg_dtype)0;
}

BG_API size_t bg_series_count(const bg_value *value) {
  const bg_ndarray *s = as_series(value);
  return s ? s->count : 0;
}

BG_API const void *bg_series_data(const bg_value *value) {
  const bg_ndarray *s = as_series(value);
  return s ? s->data : NULL;
}

BG_API const char *bg_series_string_block(const bg_value *value, size_t *size) {
  const bg_ndarray *s = as_series(value);
  bool block = s && s->dtype == BG_DTYPE_STRING && s->count > 0 && s->string_block > 0;
  if (size)
    *size = block ? s->string_block : 0;
  return block ? ((const char *const *)s->data)[0] : NULL;
}
