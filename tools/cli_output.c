#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli_output.h"
#include "ndarray_json.h"

void cli_put_text(FILE *out, const char *text, size_t len) {
  if (len == (size_t)-1)
    len = strlen(text);
  if (!isatty(fileno(out))) {
    fwrite(text, 1, len, out);
    return;
  }
  char *safe = bg_text_escape(text, len);
  fputs(safe ? safe : "(out of memory)", out);
  bg_string_free(safe);
}

/* Right-aligns `text` in `width` columns (escaped on a terminal). */
static void put_padded(FILE *out, const char *text, int width) {
  int len = (int)strlen(text);
  fprintf(out, "%*s", len < width ? width - len : 0, "");
  cli_put_text(out, text, (size_t)-1);
}

static void print_cell(FILE *out, const bg_value *series, size_t row, int width) {
  const void *d = bg_series_data(series);
  char buf[48];
  switch (bg_series_dtype(series)) {
  case BG_DTYPE_FLOAT: cli_format_double(buf, sizeof buf, ((const float *)d)[row], 9); break;
  case BG_DTYPE_DOUBLE: cli_format_double(buf, sizeof buf, ((const double *)d)[row], 17); break;
  case BG_DTYPE_BOOL:
    snprintf(buf, sizeof buf, "%s", ((const bool *)d)[row] ? "True" : "False");
    break;
  case BG_DTYPE_INT32: snprintf(buf, sizeof buf, "%" PRId32, ((const int32_t *)d)[row]); break;
  case BG_DTYPE_INT64: snprintf(buf, sizeof buf, "%" PRId64, ((const int64_t *)d)[row]); break;
  case BG_DTYPE_UINT32: snprintf(buf, sizeof buf, "%" PRIu32, ((const uint32_t *)d)[row]); break;
  case BG_DTYPE_UINT64: snprintf(buf, sizeof buf, "%" PRIu64, ((const uint64_t *)d)[row]); break;
  case BG_DTYPE_STRING: put_padded(out, ((const char *const *)d)[row], width); return;
  default: snprintf(buf, sizeof buf, "?"); break;
  }
  fprintf(out, "%*s", width, buf);
}

/* pandas-like: a header of column names, then one line per row, columns 14 wide. */
static void print_dataframe(FILE *out, const bg_value *df) {
  size_t cols = bg_dataframe_column_count(df), rows = bg_dataframe_row_count(df);
  fprintf(out, "dataframe %zu rows x %zu columns\n%6s", rows, cols, "");
  for (size_t c = 0; c < cols; c++) {
    fputc(' ', out);
    put_padded(out, bg_dataframe_column_name_at(df, c), 14);
  }
  fputc('\n', out);
  for (size_t r = 0; r < rows; r++) {
    fprintf(out, "%6zu", r);
    for (size_t c = 0; c < cols; c++) {
      fputc(' ', out);
      print_cell(out, bg_dataframe_column_at(df, c), r, 14);
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

int cli_write_file(const char *path, const void *data, size_t size) {
  FILE *f = fopen(path, "wb");
  bool ok = f && fwrite(data, 1, size, f) == size;
  int saved = errno;
  if (f && fclose(f) != 0 && ok) { /* closed exactly once, whatever failed */
    ok = false;
    saved = errno;
  }
  if (!ok) {
    fprintf(stderr, "bentogrpc: cannot write '%s': %s\n", path, strerror(saved));
    return -1;
  }
  return 0;
}

static int print_blob(FILE *out, const char *what, const char *mime, const void *data, size_t size,
                      const char *path) {
  if (path) {
    if (cli_write_file(path, data, size) != 0)
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
  case BG_VALUE_NDARRAY: return cli_print_ndarray(out, v) < 0 ? -1 : 0;
  case BG_VALUE_SERIES: print_series(out, v); return 0;
  case BG_VALUE_DATAFRAME: print_dataframe(out, v); return 0;
  case BG_VALUE_JSON: {
    if (file_path)
      return print_blob(out, "json", NULL, bg_json_text(v), strlen(bg_json_text(v)), file_path);
    char *pretty = bg_json_format(v, 2);
    cli_put_text(out, pretty ? pretty : bg_json_text(v), (size_t)-1);
    fputc('\n', out);
    bg_string_free(pretty);
    return 0;
  }
  case BG_VALUE_TEXT:
    if (file_path)
      return print_blob(out, "text", NULL, bg_text_data(v), bg_text_length(v), file_path);
    cli_put_text(out, bg_text_data(v), bg_text_length(v));
    fputc('\n', out);
    return 0;
  case BG_VALUE_FILE:
    return print_blob(out, "file", bg_file_mime(v), bg_file_data(v), bg_file_size(v), file_path);
  case BG_VALUE_BYTES:
    return print_blob(out, "bytes", NULL, bg_bytes_data(v), bg_bytes_size(v), file_path);
  case BG_VALUE_MULTIPART: {
    int rc = 0;
    for (size_t i = 0; i < bg_multipart_count(v); i++) {
      const char *name = bg_multipart_name_at(v, i);
      size_t size = (file_path ? strlen(file_path) : 0) + strlen(name) + 2;
      char *path = file_path ? malloc(size) : NULL;
      if (file_path && !path) {
        fprintf(stderr, "bentogrpc: out of memory\n");
        return -1;
      }
      if (path) {
        snprintf(path, size, "%s.%s", file_path, name);
        for (char *p = path + strlen(file_path); *p; p++)
          if (*p == '/') /* a part name from the server never picks the directory */
            *p = '_';
      }
      fputs("--- part ", out);
      cli_put_text(out, name, (size_t)-1);
      fputc('\n', out);
      /* text and JSON parts stay on stdout: -o PATH.PART is for files and bytes */
      const bg_value *part = bg_multipart_part_at(v, i);
      bg_value_kind kind = bg_value_get_kind(part);
      bool to_file = kind == BG_VALUE_FILE || kind == BG_VALUE_BYTES;
      rc |= cli_print_value(out, part, to_file ? path : NULL);
      free(path);
    }
    return rc;
  }
  }
  fprintf(out, "(value of unknown kind)\n");
  return 0;
}
