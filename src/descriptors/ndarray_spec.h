/* The parsed NumpyNdarray / PandasSeries spec (from ServiceMetadata attributes.args). */
#ifndef BG_DESCRIPTORS_NDARRAY_SPEC_H
#define BG_DESCRIPTORS_NDARRAY_SPEC_H

#include <stdbool.h>

#include "bentogrpc/value.h"

typedef struct bg_array_spec {
  char dtype_name[32]; /* numpy name as sent ("float32", "float16"), "" when unset */
  bg_dtype dtype;      /* 0 when unset or not representable on the wire */
  bool has_shape;
  size_t ndim;
  int64_t shape[BG_NDARRAY_MAX_DIMS]; /* -1 = any size */
  bool enforce_dtype;
  bool enforce_shape;
} bg_array_spec;

#endif
