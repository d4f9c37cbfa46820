/* bentoml.io.NumpyNdarray: spec {dtype, shape, enforce_dtype, enforce_shape}, field `ndarray`. */
#include <stdio.h>
#include <stdlib.h>

#include "descriptors/array_spec.h"
#include "descriptors/descriptor.h"
#include "descriptors/rules.h"
#include "error_internal.h"
#include "wire/ndarray_wire.h"

/* Shared with the PandasSeries descriptor, whose spec has the same keys. */
void *bgi_array_spec_parse(const json_t *args, const char *label, bg_error *err) {
  bgi_array_spec *spec = calloc(1, sizeof *spec);
  if (!spec) {
    BGI_FAIL_NOMEM(err);
    return NULL;
  }
  const json_t *dtype = json_object_get(args, "dtype");
  if (dtype && !json_is_string(dtype) && !json_is_null(dtype) && !json_is_object(dtype)) {
    free(spec);
    bgi_fail(err, BG_ERR_PROTOCOL, 0, "%s spec: 'dtype' is neither a string nor null", label);
    return NULL;
  }
  bgi_spec_read_dtype(dtype, spec->dtype_name, sizeof spec->dtype_name, &spec->dtype);
  if (!bgi_spec_read_shape(json_object_get(args, "shape"), spec->shape, &spec->ndim,
                           &spec->has_shape)) {
    free(spec);
    bgi_fail(err, BG_ERR_PROTOCOL, 0, "%s spec: 'shape' is not a list of whole numbers >= -1",
             label);
    return NULL;
  }
  spec->enforce_dtype = json_is_true(json_object_get(args, "enforce_dtype"));
  spec->enforce_shape = json_is_true(json_object_get(args, "enforce_shape"));
  return spec;
}

bg_status bgi_array_spec_check(const bgi_array_spec *spec, const char *label, const char *what,
                               const bg_ndarray *nd, bg_error *err) {
  if (spec->enforce_dtype && spec->dtype && !bgi_dtype_can_cast(nd->dtype, spec->dtype))
    return bgi_fail(err, BG_ERR_INVALID_ARGUMENT, 0,
                    "%s: expected dtype %s (%s enforces it; the server only casts within a "
                    "kind, e.g. float64 to float32), but %s was given",
                    what, spec->dtype_name, label, bg_dtype_name(nd->dtype));
  /* The shape the server will check: a 0-d value goes out with an empty shape and one value,
   * which the server reads as 1-D (PROTOCOL.md §4.1 step 4), so it is checked as (1,). */
  static const int64_t one[] = {1};
  const int64_t *shape = nd->ndim ? nd->shape : one;
  size_t ndim = nd->ndim ? nd->ndim : 1;
  if (spec->enforce_shape && spec->has_shape &&
      !bgi_shape_matches(spec->shape, spec->ndim, shape, ndim)) {
    char want[160], got[160];
    bgi_shape_format(spec->shape, spec->ndim, want, sizeof want);
    bgi_shape_format(shape, ndim, got, sizeof got);
    return bgi_fail(err, BG_ERR_INVALID_ARGUMENT, 0,
                    "%s: expected shape %s (%s enforces it; -1 means any size), but %s was "
                    "given%s",
                    what, want, label, got,
                    nd->ndim ? ""
                             : " (a 0-d value reaches the server as 1-D: an empty shape on "
                               "the wire means all values in one dimension)");
  }
  return BG_OK;
}

static void *ndarray_parse_spec(const json_t *args, bg_error *err) {
  return bgi_array_spec_parse(args, "NumpyNdarray", err);
}

static bg_status ndarray_encode(const void *spec, const bg_value *input, const bgi_codec_ctx *ctx,
                                bgi_content *out, bg_error *err) {
  if (spec && ctx->validate) {
    bg_status st = bgi_array_spec_check(spec, "NumpyNdarray", "ndarray", &input->as.ndarray, err);
    if (st != BG_OK)
      return st;
  }
  out->member = BGI_MEMBER_NDARRAY;
  return bgi_ndarray_to_proto(&input->as.ndarray, ctx->arena, &out->as.ndarray, err);
}

static bg_status ndarray_decode(const void *spec, bgi_content *in, const bgi_codec_ctx *ctx,
                                bg_value **out, bg_error *err) {
  (void)spec;
  (void)ctx;
  return bgi_ndarray_from_proto(in->as.ndarray, out, err);
}

const bgi_descriptor bgi_ndarray_descriptor = {
    .id = "bentoml.io.NumpyNdarray",
    .label = "NumpyNdarray",
    .member = BGI_MEMBER_NDARRAY,
    .kind = BG_VALUE_NDARRAY,
    .accepts_bytes = true,
    .parse_spec = ndarray_parse_spec,
    .free_spec = free,
    .encode = ndarray_encode,
    .decode = ndarray_decode,
};
