/* The tree-based decoders: Series and DataFrame messages protobuf-c unpacked (multipart parts,
 * and replies tabular_reply.c leaves to protobuf-c). */
#include <stdlib.h>
#include <string.h>

#include "error_internal.h"
#include "wire/byte_buffer.h"
#include "wire/tabular_wire.h"

typedef struct {
  size_t *count;
  void **values;
} series_field;

/* The decoded message's members for `dtype`'s values field; NULLs for a dtype no field carries. */
static series_field field_of(Bentoml__Grpc__V1__Series *m, bg_dtype dtype) {
  switch (dtype) {
#define MEMBERS_OF(d, field, member)                                                               \
  case d: return (series_field){&m->n_##member, (void **)&m->member};
    BGI_SERIES_VALUES_FIELDS(MEMBERS_OF)
#undef MEMBERS_OF
  default: return (series_field){NULL, NULL};
  }
}

#define DTYPE_OF(dtype, field, member) dtype,
static const bg_dtype series_dtypes[] = {BGI_SERIES_VALUES_FIELDS(DTYPE_OF)};
#undef DTYPE_OF

bg_status bgi_series_mixed_error(size_t non_empty, bg_error *err) {
  return bgi_fail(err, BG_ERR_PROTOCOL, 0,
                  "a Series in the reply has %zu non-empty values fields (mixed types); the "
                  "protocol allows one",
                  non_empty);
}

bg_status bgi_frame_names_error(size_t names, size_t columns, bg_error *err) {
  return bgi_fail(err, BG_ERR_PROTOCOL, 0,
                  "a DataFrame in the reply has %zu column names for %zu columns", names, columns);
}

bg_status bgi_frame_name_nul_error(size_t index, bg_error *err) {
  return bgi_fail(err, BG_ERR_PROTOCOL, 0,
                  "a DataFrame in the reply has a column name (%zu) with a NUL byte", index);
}

bg_status bgi_series_from_proto(Bentoml__Grpc__V1__Series *m, bg_dtype empty_dtype, bg_value **out,
                                bg_error *err) {
  *out = NULL;
  bg_dtype dtype = empty_dtype;
  size_t non_empty = 0;
  for (size_t i = 0; i < sizeof series_dtypes / sizeof series_dtypes[0]; i++)
    if (*field_of(m, series_dtypes[i]).count > 0) {
      dtype = series_dtypes[i];
      non_empty++;
    }
  if (non_empty > 1)
    return bgi_series_mixed_error(non_empty, err);
  series_field f = field_of(m, dtype);
  size_t count = f.count ? *f.count : 0;
  if (dtype == BG_DTYPE_STRING) { /* strings must be UTF-8, as value.h promises */
    int64_t shape[1] = {(int64_t)count};
    bg_status st = bgi_ndarray_check(dtype, shape, 1, *f.values, count, err);
    if (st == BG_OK)
      st = bgi_wire_strings_check(m->string_values, count, err);
    if (st != BG_OK) {
      bgi_error_prefix(err, "a Series in the reply");
      return bgi_as_protocol(err, st);
    }
  }
  void *buffer;
  if (dtype == BG_DTYPE_BOOL) {
    bool *b = malloc(count ? count : 1);
    if (!b)
      return BGI_FAIL_NOMEM(err);
    for (size_t i = 0; i < count; i++)
      b[i] = m->bool_values[i] != 0;
    buffer = b;
  } else {
    buffer = f.values ? *f.values : NULL; /* take the decoded array, no copy */
    if (f.values) {
      *f.values = NULL;
      *f.count = 0;
    }
  }
  *out = bgi_series_adopt(dtype, buffer, count, true, err);
  return *out ? BG_OK : BG_ERR_NO_MEMORY; /* adopting fails only for memory */
}

bg_status bgi_dataframe_from_proto(Bentoml__Grpc__V1__DataFrame *m, bg_value **out, bg_error *err) {
  *out = NULL;
  if (m->n_column_names != m->n_columns)
    return bgi_frame_names_error(m->n_column_names, m->n_columns, err);
  for (size_t i = 0; i < m->n_column_names; i++)
    if (bgi_wire_string_length(m->column_names[i]) != strlen(m->column_names[i]))
      return bgi_frame_name_nul_error(i, err);
  bg_value *df = bg_dataframe_new(err);
  if (!df)
    return BG_ERR_NO_MEMORY;
  for (size_t i = 0; i < m->n_columns; i++) {
    bg_value *column;
    bg_status st = bgi_series_from_proto(m->columns[i], BG_DTYPE_DOUBLE, &column, err);
    if (st == BG_OK)
      st = bg_dataframe_add_column(df, m->column_names[i], column, err);
    if (st != BG_OK) {
      bg_value_free(df);
      bgi_error_prefix(err, "DataFrame column %zu ('%s') in the reply", i, m->column_names[i]);
      return bgi_as_protocol(err, st);
    }
  }
  *out = df;
  return BG_OK;
}
