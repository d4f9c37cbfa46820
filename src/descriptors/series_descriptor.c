/* bentoml.io.PandasSeries: spec {orient, dtype, shape, enforce_*}, field `series`. */
#include <stdlib.h>
#include <string.h>

#include "descriptors/array_spec.h"
#include "descriptors/descriptor.h"
#include "descriptors/rules.h"
#include "error_internal.h"
#include "wire/tabular_wire.h"

static void *series_parse_spec(const json_t *args, bg_error *err) {
  return bgi_array_spec_parse(args, "PandasSeries", err);
}

/* The server reads only the values field of the descriptor's dtype (PROTOCOL.md §4.3), so a
 * series of another dtype would arrive empty: widen it when that is a same-kind cast,
 * refuse it otherwise. Returns the series to send (maybe a converted copy in the arena). */
static bg_status match_spec_dtype(const bgi_array_spec *spec, const bg_ndarray *s, bgi_arena *arena,
                                  bg_ndarray *converted, const bg_ndarray **send, bg_error *err) {
  *send = s;
  if (!spec->dtype || spec->dtype == s->dtype)
    return BG_OK;
  if (!bgi_dtype_can_cast(s->dtype, spec->dtype) || bg_dtype_size(spec->dtype) == 0)
    return bgi_fail(err, BG_ERR_INVALID_ARGUMENT, 0,
                    "series: the API's PandasSeries reads only %s values, but a %s series was "
                    "given and cannot be cast to it",
                    spec->dtype_name, bg_dtype_name(s->dtype));
  *converted = *s;
  converted->dtype = spec->dtype;
  void *buf = bgi_arena_alloc(arena, s->count * bg_dtype_size(spec->dtype));
  if (!buf)
    return BGI_FAIL_NOMEM(err);
  for (size_t i = 0; i < s->count; i++) {
    double v; /* every same-kind cast into a Series dtype goes through double exactly enough */
    int64_t iv = 0;
    switch (s->dtype) {
    case BG_DTYPE_BOOL:
      iv = ((const bool *)s->data)[i];
      v = (double)iv;
      break;
    case BG_DTYPE_INT32:
      iv = ((const int32_t *)s->data)[i];
      v = (double)iv;
      break;
    case BG_DTYPE_INT64:
      iv = ((const int64_t *)s->data)[i];
      v = (double)iv;
      break;
    case BG_DTYPE_FLOAT: v = ((const float *)s->data)[i]; break;
    default: v = ((const double *)s->data)[i]; break;
    }
    switch (spec->dtype) {
    case BG_DTYPE_INT32:
      if (iv < INT32_MIN || iv > INT32_MAX) /* numpy would wrap it; we refuse */
        return bgi_fail(err, BG_ERR_INVALID_ARGUMENT, 0,
                        "series: element %zu (%lld) does not fit the API's int32 dtype", i,
                        (long long)iv);
      ((int32_t *)buf)[i] = (int32_t)iv;
      break;
    case BG_DTYPE_INT64: ((int64_t *)buf)[i] = iv; break;
    case BG_DTYPE_FLOAT: ((float *)buf)[i] = (float)v; break;
    case BG_DTYPE_DOUBLE: ((double *)buf)[i] = v; break;
    default: break;
    }
  }
  converted->data = buf;
  converted->owned = NULL;
  *send = converted;
  return BG_OK;
}

static bg_status series_encode(const void *spec_p, const bg_value *input, const bgi_codec_ctx *ctx,
                               bgi_content *out, bg_error *err) {
  const bgi_array_spec *spec = spec_p;
  const bg_ndarray *s = &input->as.ndarray;
  bg_ndarray converted;
  if (spec && ctx->validate) {
    bg_status st = bgi_array_spec_check(spec, "PandasSeries", "series", s, err);
    if (st == BG_OK)
      st = match_spec_dtype(spec, s, ctx->arena, &converted, &s, err);
    /* Some BentoML servers fail on an empty Series (pandas 1.5 reads it): a check, not a
     * rule, so it goes with validation and raw calls send it. */
    if (st == BG_OK && s->count == 0)
      st = bgi_fail_reason(err, BG_ERR_INVALID_ARGUMENT, 0, BG_REASON_VALIDATION,
                           "series: it is empty, which some BentoML servers cannot read; turn "
                           "validation off (bg_call_options_set_validate(false)) to send it "
                           "anyway");
    if (st != BG_OK)
      return st;
  }
  /* the input's elements, or the converted copy in the arena; the array's header is copied
   * too (`converted` lives on this stack) */
  const bg_ndarray **column = bgi_arena_alloc(ctx->arena, sizeof *column);
  bg_ndarray *header = bgi_arena_alloc(ctx->arena, sizeof *header);
  if (!column || !header)
    return BGI_FAIL_NOMEM(err);
  *header = *s;
  *column = header;
  out->member = BGI_MEMBER_SERIES;
  out->as.frame = (bgi_frame_content){.count = 1, .columns = column};
  return bgi_frame_measure(&out->as.frame, ctx->arena, err);
}

bg_dtype bgi_series_empty_dtype(const void *spec_p) {
  const bgi_array_spec *spec = spec_p;
  return spec && spec->dtype ? spec->dtype : BG_DTYPE_DOUBLE;
}

static bg_status series_decode(const void *spec_p, bgi_content *in, const bgi_codec_ctx *ctx,
                               bg_value **out, bg_error *err) {
  (void)ctx;
  return bgi_series_from_proto(in->as.series, bgi_series_empty_dtype(spec_p), out, err);
}

const bgi_descriptor bgi_series_descriptor = {
    .id = "bentoml.io.PandasSeries",
    .label = "PandasSeries",
    .member = BGI_MEMBER_SERIES,
    .kind = BG_VALUE_SERIES,
    .accepts_bytes = false, /* the server fails serialized_bytes with INTERNAL (PROTOCOL.md §4.3) */
    .parse_spec = series_parse_spec,
    .free_spec = free,
    .encode = series_encode,
    .decode = series_decode,
};
