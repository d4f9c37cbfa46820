/* The array spec shared by NumpyNdarray and PandasSeries (ServiceMetadata attributes.args:
 * dtype, shape, enforce_dtype, enforce_shape): parsing and checking. */
#ifndef BGI_DESCRIPTORS_ARRAY_SPEC_H
#define BGI_DESCRIPTORS_ARRAY_SPEC_H

#include <jansson.h>

#include <stdbool.h>

#include "bentogrpc/value.h"
#include "value/value_internal.h"

typedef struct bgi_array_spec {
  char dtype_name[32]; /* numpy name as sent ("float32", "float16"), "" when unset */
  bg_dtype dtype;      /* 0 when unset or not representable on the wire */
  bool has_shape;
  size_t ndim;
  int64_t shape[BG_NDARRAY_MAX_DIMS]; /* -1 = any size */
  bool enforce_dtype;
  bool enforce_shape;
} bgi_array_spec;

void *bgi_array_spec_parse(const json_t *args, const char *label, bg_error *err);

/* Enforced dtype and shape, as the server would check them; `what` names the field. */
bg_status bgi_array_spec_check(const bgi_array_spec *spec, const char *label, const char *what,
                               const bg_ndarray *nd, bg_error *err);

#endif
