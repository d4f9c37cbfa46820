/* The value model's representation, shared by the value module and the codecs. */
#ifndef BG_VALUE_INTERNAL_H
#define BG_VALUE_INTERNAL_H

#include "bentogrpc/value.h"

typedef struct bg_ndarray {
  bg_dtype dtype;
  size_t ndim;
  int64_t shape[BG_NDARRAY_MAX_DIMS];
  size_t count;
  const void *data;  /* count elements; borrowed or == owned */
  void *owned;       /* element buffer to free(), NULL when borrowed */
  bool owns_strings; /* BG_DTYPE_STRING: each element was malloc'd and is ours to free */
} bg_ndarray;

struct bg_value {
  bg_value_kind kind;
  union {
    bg_ndarray ndarray;
  } as;
};

/* Checks dtype, shape and count and returns the element count the shape implies. */
bg_status bg_ndarray_check(bg_dtype dtype, const int64_t *shape, size_t ndim, const void *data,
                           size_t count, bg_error *err);

/* Takes ownership of `buffer` (malloc'd, `count` elements; for strings also each element
 * when `owns_strings`) and wraps it in a new value. On failure the buffer is freed too. */
bg_value *bg_ndarray_adopt(bg_dtype dtype, const int64_t *shape, size_t ndim, void *buffer,
                           size_t count, bool owns_strings, bg_error *err);

#endif
