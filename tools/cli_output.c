#include <errno.h>
#include <string.h>

#include "cli_output.h"
#include "ndarray_json.h"

static void print_cell(FILE *out, const bg_value *series, size_t row, int width) {
  const void *d = bg_series_data(series);
  switch (bg_series_dtype(series)) {
  case BG_DTYPE_FLOAT: fprintf(out, "%*.9g", width, ((const float *)d)[row]); break;
  case BG_DTYPE_DOUBLE: fprintf(out, "%*.17g", width, ((const double *)d)[row]); break;
  case BG_DTYPE_BOOL: fprintf(out, "%*s", width, ((const bool *)d)[row] ? "True" : "False"); break;
  case BG_DTYPE_INT32: fprintf(out, "%*d", width, ((const int32_t *)d)[row]); break;
  case BG_DTYPE_INT64: fprintf(out, "%*lld", width, (long long)((const int64_t *)d)[row]); break;
  case BG_DTYPE_STRING: fprintf(out, "%*s", width, ((const char *const *)d)[row]); break;
  default: fprintf(out, "%*s", width, "?"); break;
  }
}

/* pandas-like: a header of column names, then one line per row, columns 14 wide. */
static void print_dataframe(FILE *out, const bg_value *df) {
  size_t cols = bg_dataframe_column_count(df), rows = bg_dataframe_row_count(df);
  fprintf(out, "dataframe %zu rows x %zu columns\n%6s", rows, cols, "");
  for (size_t c = 0; c < cols; c++)
    fprintf(out, " %14s", bg_dataframe_column_name(df, c));
  fputc('\n', out);
  for (size_t r = 0; r < rows; r++) {
    fprintf(out, "%6zu", r);
    for (size_t c = 0; c < cols; c++) {
      fputc(' ', out);
      print_cell(out, bg_dataframe_column(df, c), r, 14);
    }
    fputc('\n', out);
  }
}

static void print_series(FILE *out, const bg_value *s) {
  fprintf(out, "series %s, %zu values\n", bg_dtype_name(bg_series_dtype(s)), bg_series_count(s));
  for (size_t r = 0; r < bg_series_count(s); r++) {
    fprintf(out, "%6zu ", r);
    print_cell(out, s, r, 14);
    fputc('\n', out);
  }
}

static int write_file(const char *path, const void *data, size_t size) {
  FILE *f = fopen(path, "wb");
  if (!f || fwrite(data, 1, size, f) != size || fclose(f) != 0) {
    fprintf(stderr, "bentogrpc: cannot write '%s': %s\n", path, strerror(errno));
    if (f)
      fclose(f);
    return -1;
  }
  return 0;
}

static int print_blob(FILE *out, const char *what, const char *mime, const void *data, size_t size,
                      const char *path) {
  if (path) {
    if (write_file(path, data, size) != 0)
      return -1;
    fprintf(out, "%s %s, %zu bytes written to %s\n", what, mime ? mime : "(no type)", size, path);
  } else {
    fprintf(out, "%s %s, %zu bytes (use -o PATH to save it)\n", what, mime ? mime : "(no type)",
            size);
  }
  return 0;
}

int cli_print_value(FILE *out, const bg_value *v, const char *file_path) {
  switch (bg_value_get_kind(v)) {
  case BG_VALUE_NDARRAY: return bg_cli_print_ndarray(out, v) < 0 ? -1 : 0;
  case BG_VALUE_SERIES: print_series(out, v); return 0;
  case BG_VALUE_DATAFRAME: print_dataframe(out, v); return 0;
  case BG_VALUE_JSON: {
    char *pretty = bg_json_format(v, 2);
    fprintf(out, "%s\n", pretty ? pretty : bg_json_text(v));
    bg_string_free(pretty);
    return 0;
  }
  case BG_VALUE_TEXT: fprintf(out, "%s\n", bg_text_data(v)); return 0;
  case BG_VALUE_FILE:
    return print_blob(out, "file", bg_file_mime(v), bg_file_data(v), bg_file_size(v), file_path);
  case BG_VALUE_BYTES:
    return print_blob(out, "bytes", NULL, bg_bytes_data(v), bg_bytes_size(v), file_path);
  case BG_VALUE_MULTIPART: {
    int rc = 0;
    for (size_t i = 0; i < bg_multipart_count(v); i++) {
      char path[4096];
      const char *name = bg_multipart_name_at(v, i);
      snprintf(path, sizeof path, "%s.%s", file_path ? file_path : "", name);
      for (char *p = path + strlen(file_path ? file_path : ""); *p; p++)
        if (*p == '/') /* a part name from the server never picks the directory */
          *p = '_';
      fprintf(out, "--- part %s\n", name);
      rc |= cli_print_value(out, bg_multipart_part_at(v, i), file_path ? path : NULL);
    }
    return rc;
  }
  }
  fprintf(out, "(value of unknown kind)\n");
  return 0;
}
