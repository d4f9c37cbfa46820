/* bentoml.io.NumpyNdarray: spec {dtype, shape, enforce_dtype, enforce_shape}, field `ndarray`. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "descriptors/descriptor.h"
#include "descriptors/ndarray_spec.h"
#include "error_internal.h"
#include "value/value_internal.h"
#include "wire/ndarray_wire.h"

static bool read_bool(const json_t *args, const char *key) {
  return json_is_true(json_object_get(args, key));
}

static bg_status read_shape(const json_t *shape, bg_ndarray_spec *spec, bg_error *err) {
  if (!shape || json_is_null(shape))
    return BG_OK;
  if (!json_is_array(shape) || json_array_size(shape) > BG_NDARRAY_MAX_DIMS)
    return bg_fail(err, BG_ERR_PROTOCOL, 0,
                   "NumpyNdarray spec: 'shape' is not a list of at most "
                   "%d numbers",
                   BG_NDARRAY_MAX_DIMS);
  for (size_t i = 0; i < json_array_size(shape); i++) {
    json_t *dim = json_array_get(shape, i);
    double d = json_number_value(dim);
    /* Struct numbers are doubles: (2, 2) arrives as [2.0, 2.0]; -1 is the wildcard. */
    if (!json_is_number(dim) || d != floor(d) || d < -1 || d > INT32_MAX)
      return bg_fail(err, BG_ERR_PROTOCOL, 0,
                     "NumpyNdarray spec: shape entry %zu is not a whole number >= -1", i);
    spec->shape[i] = (int64_t)d;
  }
  spec->ndim = json_array_size(shape);
  spec->has_shape = true;
  return BG_OK;
}

static void *ndarray_parse_spec(const json_t *args, bg_error *err) {
  bg_ndarray_spec *spec = calloc(1, sizeof *spec);
  if (!spec) {
    BG_FAIL_NOMEM(err);
    return NULL;
  }
  const json_t *dtype = json_object_get(args, "dtype");
  if (json_is_string(dtype) && strcmp(json_string_value(dtype), "null") != 0) {
    snprintf(spec->dtype_name, sizeof spec->dtype_name, "%s", json_string_value(dtype));
    /* A numpy dtype without an NDArray field (float16, uint8, ...) keeps dtype 0. */
    if (bg_dtype_from_name(spec->dtype_name, &spec->dtype) != BG_OK)
      spec->dtype = 0;
  } else if (dtype && !json_is_null(dtype)) {
    bg_fail(err, BG_ERR_PROTOCOL, 0, "NumpyNdarray spec: 'dtype' is neither a string nor null");
    free(spec);
    return NULL;
  }
  if (read_shape(json_object_get(args, "shape"), spec, err) != BG_OK) {
    free(spec);
    return NULL;
  }
  spec->enforce_dtype = read_bool(args, "enforce_dtype");
  spec->enforce_shape = read_bool(args, "enforce_shape");
  return spec;
}

static bg_status ndarray_encode(const void *spec, const bg_value *input, bg_arena *arena,
                                bg_pb_request *request, bg_error *err) {
  (void)spec;
  if (!input || input->kind != BG_VALUE_NDARRAY)
    return bg_fail(err, BG_ERR_INVALID_ARGUMENT, 0,
                   "this API's input is a NumpyNdarray; build the input with bg_ndarray_borrow() "
                   "or bg_ndarray_copy()");
  bg_pb_ndarray *msg;
  bg_status st = bg_ndarray_to_proto(&input->as.ndarray, arena, &msg, err);
  if (st != BG_OK)
    return st;
  request->content_case = BENTOML__GRPC__V1__REQUEST__CONTENT_NDARRAY;
  request->ndarray = msg;
  return BG_OK;
}

static bg_status ndarray_decode(const void *spec, bg_pb_response *response, bg_value **out,
                                bg_error *err) {
  (void)spec;
  if (response->content_case != BENTOML__GRPC__V1__RESPONSE__CONTENT_NDARRAY)
    return bg_fail(err, BG_ERR_PROTOCOL, 0,
                   "the API's output is a NumpyNdarray but the server replied with %s",
                   bg_response_member_name(response->content_case));
  return bg_ndarray_from_proto(response->ndarray, out, err);
}

const bg_descriptor bg_ndarray_descriptor = {
    .id = "bentoml.io.NumpyNdarray",
    .label = "NumpyNdarray",
    .parse_spec = ndarray_parse_spec,
    .free_spec = free,
    .encode = ndarray_encode,
    .decode = ndarray_decode,
};
