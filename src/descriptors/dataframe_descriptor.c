/* bentoml.io.PandasDataFrame: spec {orient, columns, dtype, shape, enforce_*}, field
 * `dataframe` (one Series per column, "columns" orientation only). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "descriptors/descriptor.h"
#include "descriptors/rules.h"
#include "error_internal.h"
#include "wire/tabular_wire.h"

typedef struct dataframe_spec {
  char orient[16];
  size_t n_columns; /* descriptor column names, 0 when none */
  char **columns;
  bool has_shape;
  size_t ndim;
  int64_t shape[BG_NDARRAY_MAX_DIMS];
  bool enforce_shape;
} dataframe_spec;

static void dataframe_free_spec(void *p) {
  dataframe_spec *spec = p;
  if (!spec)
    return;
  for (size_t i = 0; i < spec->n_columns; i++)
    free(spec->columns[i]);
  free(spec->columns);
  free(spec);
}

static void *dataframe_parse_spec(const json_t *args, bg_error *err) {
  dataframe_spec *spec = calloc(1, sizeof *spec);
  if (!spec) {
    BGI_FAIL_NOMEM(err);
    return NULL;
  }
  const json_t *orient = json_object_get(args, "orient");
  snprintf(spec->orient, sizeof spec->orient, "%s",
           json_is_string(orient) ? json_string_value(orient) : "records");
  const json_t *columns = json_object_get(args, "columns");
  bool ok = !columns || json_is_null(columns) || json_is_array(columns), nomem = false;
  if (ok && json_is_array(columns) && json_array_size(columns) > 0) {
    spec->columns = calloc(json_array_size(columns), sizeof *spec->columns);
    ok = !(nomem = spec->columns == NULL);
    for (size_t i = 0; ok && i < json_array_size(columns); i++) {
      const json_t *name = json_array_get(columns, i);
      ok = json_is_string(name) && !(nomem = !(spec->columns[i] = strdup(json_string_value(name))));
      spec->n_columns = i + 1;
    }
  }
  /* `dtype`/`enforce_dtype` are not read: BentoML's server never checks a DataFrame's dtypes
   * (PROTOCOL.md §4.2 step 4), so refusing a column here would reject what it accepts. */
  ok = ok && bgi_spec_read_shape(json_object_get(args, "shape"), spec->shape, &spec->ndim,
                                 &spec->has_shape);
  spec->enforce_shape = json_is_true(json_object_get(args, "enforce_shape"));
  if (nomem) {
    dataframe_free_spec(spec);
    BGI_FAIL_NOMEM(err);
    return NULL;
  }
  if (!ok) {
    dataframe_free_spec(spec);
    bgi_fail(err, BG_ERR_PROTOCOL, 0,
             "PandasDataFrame spec: 'columns' or 'shape' is not of the expected form");
    return NULL;
  }
  return spec;
}

static bg_status check(const dataframe_spec *spec, const bg_value *df, bg_error *err) {
  const bgi_children *c = &df->as.children;
  if (strcmp(spec->orient, "columns") != 0)
    return bgi_fail(err, BG_ERR_INVALID_ARGUMENT, 0,
                    "dataframe: the API's PandasDataFrame has orient='%s', and BentoML's gRPC "
                    "server only accepts orient='columns'; the server must be changed",
                    spec->orient);
  if (spec->enforce_shape && spec->has_shape) {
    int64_t shape[2] = {(int64_t)bg_dataframe_row_count(df), (int64_t)c->count};
    if (!bgi_shape_matches(spec->shape, spec->ndim, shape, 2)) {
      char want[160], got[64];
      bgi_shape_format(spec->shape, spec->ndim, want, sizeof want);
      bgi_shape_format(shape, 2, got, sizeof got);
      return bgi_fail(err, BG_ERR_INVALID_ARGUMENT, 0,
                      "dataframe: expected shape %s (rows, columns; enforced), but %s was given",
                      want, got);
    }
  }
  return BG_OK;
}

/* Column names to send: the value's own, else the descriptor's, else "0", "1", ... */
static bg_status resolve_names(const dataframe_spec *spec, const bg_value *df, bgi_arena *arena,
                               const char ***out, bg_error *err) {
  const bgi_children *c = &df->as.children;
  const char **names = bgi_arena_alloc(arena, c->count * sizeof *names);
  if (!names)
    return BGI_FAIL_NOMEM(err);
  for (size_t i = 0; i < c->count; i++) {
    if (c->names[i]) {
      names[i] = c->names[i];
    } else if (spec && spec->n_columns == c->count) {
      names[i] = spec->columns[i];
    } else {
      char *label = bgi_arena_alloc(arena, 24);
      if (!label)
        return BGI_FAIL_NOMEM(err);
      snprintf(label, 24, "%zu", i);
      names[i] = label;
    }
  }
  *out = names;
  return BG_OK;
}

static bg_status dataframe_encode(const void *spec_p, const bg_value *input,
                                  const bgi_codec_ctx *ctx, bgi_content *out, bg_error *err) {
  const dataframe_spec *spec = spec_p;
  const char **names = NULL;
  bg_status st = resolve_names(spec, input, ctx->arena, &names, err);
  if (st == BG_OK && spec && ctx->validate)
    st = check(spec, input, err);
  /* The server refuses an empty column (PROTOCOL.md §4.2 step 2); without validation it is
   * sent anyway, so the server's own answer is what the caller sees. */
  for (size_t i = 0; st == BG_OK && ctx->validate && i < input->as.children.count; i++)
    if (input->as.children.values[i]->as.ndarray.count == 0)
      st = bgi_fail(err, BG_ERR_INVALID_ARGUMENT, 0,
                    "dataframe column '%s' is empty; BentoML's server cannot read an empty column",
                    names[i]);
  if (st != BG_OK)
    return st;
  /* the columns as they are (wire/tabular_request.c writes them; no message tree) */
  const bgi_children *c = &input->as.children;
  const bg_ndarray **columns = bgi_arena_alloc(ctx->arena, (c->count + 1) * sizeof *columns);
  if (!columns)
    return BGI_FAIL_NOMEM(err);
  for (size_t i = 0; i < c->count; i++)
    columns[i] = &c->values[i]->as.ndarray;
  out->member = BGI_MEMBER_DATAFRAME;
  out->as.frame = (bgi_frame_content){.count = c->count, .names = names, .columns = columns};
  return bgi_frame_measure(&out->as.frame, ctx->arena, err);
}

static bg_status dataframe_decode(const void *spec, bgi_content *in, const bgi_codec_ctx *ctx,
                                  bg_value **out, bg_error *err) {
  (void)spec;
  (void)ctx;
  return bgi_dataframe_from_proto(in->as.dataframe, out, err);
}

const bgi_descriptor bgi_dataframe_descriptor = {
    .id = "bentoml.io.PandasDataFrame",
    .label = "PandasDataFrame",
    .member = BGI_MEMBER_DATAFRAME,
    .kind = BG_VALUE_DATAFRAME,
    .accepts_bytes = false, /* the server fails serialized_bytes with INTERNAL (PROTOCOL.md §4.2) */
    .parse_spec = dataframe_parse_spec,
    .free_spec = dataframe_free_spec,
    .encode = dataframe_encode,
    .decode = dataframe_decode,
};
