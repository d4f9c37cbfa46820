#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "cli_output.h"
#include "cli_value_json.h"
#include "ndarray_json.h"

void cli_put_json_string(FILE *out, const char *text, size_t len) {
  json_t *s = json_stringn_nocheck(text, len);
  char *dumped = s ? json_dumps(s, JSON_ENCODE_ANY) : NULL;
  if (!dumped) { /* invalid UTF-8: escape it first */
    char *safe = bg_text_escape(text, len);
    json_decref(s);
    s = json_string(safe ? safe : "");
    dumped = s ? json_dumps(s, JSON_ENCODE_ANY) : NULL;
    bg_string_free(safe);
  }
  fputs(dumped ? dumped : "null", out);
  free(dumped);
  json_decref(s);
}

/* A series as a 1-d ndarray of the same elements (borrowed), printed by the ndarray printer
 * (strict JSON). */
static int print_series(FILE *out, const bg_value *s) {
  int64_t shape[1] = {(int64_t)bg_series_count(s)};
  bg_error err;
  bg_value *view =
      bg_ndarray_borrow(bg_series_dtype(s), shape, 1, bg_series_data(s), bg_series_count(s), &err);
  if (!view)
    return fprintf(out, "null") < 0 ? -1 : 0;
  int rc = cli_print_ndarray_json(out, view);
  bg_value_free(view);
  return rc < 0 ? -1 : 0;
}

static int print_blob(FILE *out, const char *kind, const char *mime, const void *data, size_t size,
                      const char *path) {
  if (path && cli_write_file(path, data, size) != 0)
    return -1;
  fprintf(out, "{\"kind\":\"%s\",\"mime\":", kind);
  if (mime)
    cli_put_json_string(out, mime, strlen(mime));
  else
    fputs("null", out);
  fprintf(out, ",\"size\":%zu,\"path\":", size);
  if (path)
    cli_put_json_string(out, path, strlen(path));
  else
    fputs("null", out);
  fputc('}', out);
  return 0;
}

int cli_print_value_json(FILE *out, const bg_value *v, const char *file_path) {
  int rc = 0;
  switch (bg_value_get_kind(v)) {
  case BG_VALUE_NDARRAY:
    fputs("{\"kind\":\"ndarray\",\"value\":", out);
    rc = cli_print_ndarray_json(out, v) < 0 ? -1 : 0;
    break;
  case BG_VALUE_SERIES:
    fputs("{\"kind\":\"series\",\"value\":", out);
    rc = print_series(out, v);
    break;
  case BG_VALUE_DATAFRAME:
    fputs("{\"kind\":\"dataframe\",\"columns\":[", out);
    for (size_t c = 0; c < bg_dataframe_column_count(v); c++) {
      const char *name = bg_dataframe_column_name_at(v, c);
      fputs(c ? ",{\"name\":" : "{\"name\":", out);
      cli_put_json_string(out, name, strlen(name));
      fputs(",\"value\":", out);
      rc |= print_series(out, bg_dataframe_column_at(v, c));
      fputc('}', out);
    }
    fputc(']', out);
    break;
  case BG_VALUE_JSON:
    if (file_path && cli_write_file(file_path, bg_json_text(v), strlen(bg_json_text(v))) != 0)
      return -1;
    fprintf(out, "{\"kind\":\"json\",\"value\":%s", bg_json_text(v));
    break;
  case BG_VALUE_TEXT:
    if (file_path && cli_write_file(file_path, bg_text_data(v), bg_text_length(v)) != 0)
      return -1;
    fputs("{\"kind\":\"text\",\"value\":", out);
    cli_put_json_string(out, bg_text_data(v), bg_text_length(v));
    break;
  case BG_VALUE_FILE:
    return print_blob(out, "file", bg_file_mime(v), bg_file_data(v), bg_file_size(v), file_path);
  case BG_VALUE_BYTES:
    return print_blob(out, "bytes", NULL, bg_bytes_data(v), bg_bytes_size(v), file_path);
  case BG_VALUE_MULTIPART:
    fputs("{\"kind\":\"multipart\",\"parts\":{", out);
    for (size_t i = 0; i < bg_multipart_count(v); i++) {
      const char *name = bg_multipart_name_at(v, i);
      const bg_value *part = bg_multipart_part_at(v, i);
      bg_value_kind kind = bg_value_get_kind(part);
      char *path = NULL;
      if (file_path && (kind == BG_VALUE_FILE || kind == BG_VALUE_BYTES)) {
        size_t size = strlen(file_path) + strlen(name) + 2;
        if (!(path = malloc(size)))
          return -1;
        snprintf(path, size, "%s.%s", file_path, name);
        for (char *p = path + strlen(file_path); *p; p++)
          if (*p == '/') /* a part name from the server never picks the directory */
            *p = '_';
      }
      if (i)
        fputc(',', out);
      cli_put_json_string(out, name, strlen(name));
      fputc(':', out);
      rc |= cli_print_value_json(out, part, path);
      free(path);
    }
    fputc('}', out);
    break;
  default: fputs("{\"kind\":\"unknown\"", out); break;
  }
  fputc('}', out);
  return rc;
}
