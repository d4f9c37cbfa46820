#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_input.h"
#include "ndarray_json.h"

static bg_value *fail(bg_error *err, const char *fmt, const char *arg) {
  err->code = BG_ERR_INVALID_ARGUMENT;
  err->grpc_status = 0;
  snprintf(err->message, sizeof err->message, fmt, arg);
  return NULL;
}

/* A series from a JSON list, dtype inferred like numpy unless given. */
static bg_value *series_from_json(const json_t *list, const char *dtype, const char *what,
                                  bg_error *err) {
  if (!json_is_array(list))
    return fail(err, "%s: expected a JSON list of values", what);
  char *text = json_dumps(list, JSON_COMPACT);
  bg_value *nd = text ? bg_cli_ndarray_from_json(text, dtype, err) : NULL;
  free(text);
  if (!nd)
    return NULL;
  bg_value *s = bg_ndarray_ndim(nd) == 1 ? bg_series_copy(bg_ndarray_dtype(nd), bg_ndarray_data(nd),
                                                          bg_ndarray_count(nd), err)
                                         : fail(err, "%s: expected a flat list", what);
  bg_value_free(nd);
  return s;
}

static bg_value *dataframe_from_json(const char *text, const char *dtype, bg_error *err) {
  json_error_t jerr;
  json_t *obj = json_loads(text, 0, &jerr);
  if (!json_is_object(obj)) {
    json_decref(obj);
    return fail(err,
                "--dataframe: expected a JSON object of columns, e.g. "
                "'{\"age\": [3, 29], \"height\": [94, 170]}'%s",
                "");
  }
  bg_value *df = bg_dataframe_new(err);
  const char *name;
  json_t *column;
  json_object_foreach(obj, name, column) {
    bg_value *s = series_from_json(column, dtype, "--dataframe column", err);
    if (!s || bg_dataframe_add_column(df, name, s, err) != BG_OK) {
      bg_value_free(df);
      df = NULL;
      break;
    }
  }
  json_decref(obj);
  return df;
}

static bg_value *series_from_text(const char *text, const char *dtype, bg_error *err) {
  json_t *list = json_loads(text, JSON_DECODE_ANY, NULL);
  bg_value *s = series_from_json(list, dtype, "--series", err);
  json_decref(list);
  return s;
}

static bg_value *bytes_from_path(const char *path, bg_error *err) {
  bg_value *file = bg_file_from_path(path, NULL, err);
  if (!file)
    return NULL;
  bg_value *bytes = bg_bytes_copy(bg_file_data(file), bg_file_size(file), err);
  bg_value_free(file);
  return bytes;
}

/* One value of `kind` from `text` (a part or the whole input). */
static bg_value *build(const char *kind, const char *text, const char *dtype, const char *mime,
                       bg_error *err) {
  if (strcmp(kind, "ndarray") == 0)
    return bg_cli_ndarray_from_json(text, dtype, err);
  if (strcmp(kind, "series") == 0)
    return series_from_text(text, dtype, err);
  if (strcmp(kind, "dataframe") == 0)
    return dataframe_from_json(text, dtype, err);
  if (strcmp(kind, "json") == 0)
    return bg_json_parse(text, (size_t)-1, err);
  if (strcmp(kind, "text") == 0)
    return bg_text_new(text, (size_t)-1, err);
  if (strcmp(kind, "file") == 0)
    return bg_file_from_path(text, mime, err);
  if (strcmp(kind, "bytes") == 0)
    return bytes_from_path(text, err);
  return fail(err,
              "unknown input kind '%s'; use ndarray, series, dataframe, json, text, file or bytes",
              kind);
}

/* NAME=KIND:VALUE */
static bg_value *build_multipart(const cli_input *in, bg_error *err) {
  bg_value *mp = bg_multipart_new(err);
  for (size_t i = 0; mp && i < in->n_parts; i++) {
    char spec[4096];
    snprintf(spec, sizeof spec, "%s", in->parts[i]);
    char *eq = strchr(spec, '='), *colon = eq ? strchr(eq, ':') : NULL;
    if (!eq || !colon) {
      bg_value_free(mp);
      return fail(err,
                  "--part '%s': write it as NAME=KIND:VALUE, e.g. meta=text:hello or "
                  "img=file:cat.bmp",
                  in->parts[i]);
    }
    *eq = *colon = '\0';
    bg_value *part = build(eq + 1, colon + 1, in->dtype, NULL, err);
    if (!part || bg_multipart_add(mp, spec, part, err) != BG_OK) {
      char reason[sizeof err->message];
      snprintf(reason, sizeof reason, "%s", err->message);
      snprintf(err->message, sizeof err->message, "--part %s: %s", spec, reason);
      bg_value_free(mp);
      return NULL;
    }
  }
  return mp;
}

bg_value *cli_build_input(const cli_input *in, bg_error *err) {
  const char *kinds[] = {"ndarray", "series", "dataframe", "json", "text", "file", "bytes"};
  const char *values[] = {in->ndarray, in->series, in->dataframe, in->json,
                          in->text,    in->file,   in->bytes};
  int chosen = -1, given = in->n_parts ? 1 : 0;
  for (int i = 0; i < 7; i++)
    if (values[i]) {
      chosen = i;
      given++;
    }
  if (given != 1)
    return fail(err,
                "call needs exactly one input: --ndarray, --series, --dataframe, --json, --text, "
                "--file, --bytes or one or more --part%s",
                "");
  if (in->n_parts)
    return build_multipart(in, err);
  return build(kinds[chosen], values[chosen], in->dtype, in->mime, err);
}
