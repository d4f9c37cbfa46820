/* The workload's input built with libbentogrpc's public API, and the reply read back. */
#include "ours_values.h"

#include <string.h>

static const bg_dtype column_dtype[] = {
    [BENCH_COL_F64] = BG_DTYPE_DOUBLE,
    [BENCH_COL_I64] = BG_DTYPE_INT64,
    [BENCH_COL_BOOL] = BG_DTYPE_BOOL,
    [BENCH_COL_STR] = BG_DTYPE_STRING,
};

static bg_value *make_dataframe(const bench_workload *w, bg_error *err) {
  bg_value *df = bg_dataframe_new(err);
  for (size_t i = 0; df && i < w->n_columns; i++) {
    const bench_column *c = &w->columns[i];
    bg_value *series = bg_series_borrow(column_dtype[c->type], c->data, w->rows, err);
    if (!series || bg_dataframe_add_column(df, c->name, series, err) != BG_OK) {
      bg_value_free(df);
      return NULL;
    }
  }
  return df;
}

bg_value *bench_ours_input(const bench_workload *w, bg_error *err) {
  switch (w->kind) {
  case BENCH_JSON: return bg_json_parse(w->json, (size_t)-1, err);
  case BENCH_TEXT: return bg_text_new(w->text, w->payload_bytes, err);
  case BENCH_DATAFRAME: return make_dataframe(w, err);
  case BENCH_NDARRAY: break;
  }
  return bg_ndarray_borrow(BG_DTYPE_FLOAT, w->shape, 2, w->data, w->count, err);
}

int bench_ours_check(const bench_workload *w, const bg_value *out) {
  switch (w->kind) {
  case BENCH_JSON: return bg_json_text(out) && bg_json_text(out)[0] ? 0 : -1;
  case BENCH_TEXT:
    return bg_text_length(out) == w->payload_bytes &&
                   !memcmp(bg_text_data(out), w->text, w->payload_bytes)
               ? 0
               : -1;
  case BENCH_DATAFRAME:
    if (bg_dataframe_column_count(out) != w->n_columns)
      return -1;
    for (size_t i = 0; i < w->n_columns; i++) {
      const char *name = bg_dataframe_column_name_at(out, i);
      const bg_value *s = bg_dataframe_column_at(out, i);
      if (!name || strcmp(name, w->columns[i].name) != 0 ||
          bg_series_dtype(s) != column_dtype[w->columns[i].type] ||
          bench_check_column(w, i, bg_series_data(s), bg_series_count(s)) != 0)
        return -1;
    }
    return 0;
  case BENCH_NDARRAY: break;
  }
  return bench_check_echo(w, bg_ndarray_data(out), bg_ndarray_count(out));
}
