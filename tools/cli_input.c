#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_input.h"
#include "cli_json.h"
#include "ndarray_json.h"

static bg_value *fail(bg_error *err, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err->message, sizeof err->message, fmt, ap);
  va_end(ap);
  err->code = BG_ERR_INVALID_ARGUMENT;
  err->grpc_status = 0;
  return NULL;
}

static bg_value *no_memory(bg_error *err) {
  fail(err, "out of memory");
  err->code = BG_ERR_NO_MEMORY;
  return NULL;
}

/* A series from a JSON list, dtype inferred like numpy unless given. */
static bg_value *series_from_node(const cj_node *list, size_t scalars, const char *dtype,
                                  const char *what, bg_error *err) {
  if (list->kind != CJ_ARRAY)
    return fail(err, "%s: expected a JSON list of values", what);
  bg_value *nd = cli_ndarray_from_node(list, scalars, dtype, what, err);
  if (!nd)
    return NULL;
  bg_value *s = bg_ndarray_ndim(nd) == 1 ? bg_series_copy(bg_ndarray_dtype(nd), bg_ndarray_data(nd),
                                                          bg_ndarray_count(nd), err)
                                         : fail(err, "%s: expected a flat list", what);
  bg_value_free(nd);
  return s;
}

static bg_value *series_from_text(const char *text, const char *dtype, const char *what,
                                  bg_error *err) {
  size_t scalars = 0;
  cj_node *list = cj_parse(text, what, &scalars, err);
  bg_value *s = list ? series_from_node(list, scalars, dtype, what, err) : NULL;
  cj_free(list);
  return s;
}

static bg_value *dataframe_from_text(const char *text, const char *dtype, const char *what,
                                     bg_error *err) {
  size_t scalars = 0;
  cj_node *obj = cj_parse(text, what, &scalars, err);
  if (!obj)
    return NULL;
  if (obj->kind != CJ_OBJECT) {
    cj_free(obj);
    return fail(err,
                "%s: expected a JSON object of columns, e.g. "
                "'{\"age\": [3, 29], \"height\": [94, 170]}'",
                what);
  }
  bg_value *df = bg_dataframe_new(err);
  for (size_t i = 0; df && i < obj->n_items; i++) {
    bg_value *s = series_from_node(obj->items[i], scalars, dtype, what, err);
    if (!s || bg_dataframe_add_column(df, obj->items[i]->key, s, err) != BG_OK) {
      bg_value_free(df);
      df = NULL;
    }
  }
  cj_free(obj);
  return df;
}

static bg_value *bytes_from_path(const char *path, bg_error *err) {
  bg_value *file = bg_file_from_path(path, NULL, err);
  if (!file)
    return NULL;
  bg_value *bytes = bg_bytes_copy(bg_file_data(file), bg_file_size(file), err);
  bg_value_free(file);
  return bytes;
}

/* One value of `kind` from `text` (a part or the whole input); `what` names it in errors. */
static bg_value *build(const char *kind, const char *text, const char *dtype, const char *mime,
                       const char *what, bg_error *err) {
  if (strcmp(kind, "ndarray") == 0)
    return cli_ndarray_from_json(text, dtype, what, err);
  if (strcmp(kind, "series") == 0)
    return series_from_text(text, dtype, what, err);
  if (strcmp(kind, "dataframe") == 0)
    return dataframe_from_text(text, dtype, what, err);
  if (strcmp(kind, "json") == 0)
    return bg_json_parse(text, (size_t)-1, err);
  if (strcmp(kind, "text") == 0)
    return bg_text_new(text, (size_t)-1, err);
  if (strcmp(kind, "file") == 0)
    return bg_file_from_path(text, mime, err);
  if (strcmp(kind, "bytes") == 0)
    return bytes_from_path(text, err);
  return fail(err,
              "%s: unknown input kind '%s'; use ndarray, series, dataframe, json, text, file or "
              "bytes",
              what, kind);
}

bg_status cli_parse_part(const char *spec, char **name, char **kind, const char **value,
                         bg_error *err) {
  const char *eq = strchr(spec, '='), *colon = eq ? strchr(eq, ':') : NULL;
  *name = *kind = NULL;
  if (!eq || !colon) {
    fail(err, "--part: write it as NAME=KIND:VALUE, e.g. meta=text:hello or img=file:cat.bmp");
    return BG_ERR_INVALID_ARGUMENT;
  }
  *name = strndup(spec, (size_t)(eq - spec));
  *kind = strndup(eq + 1, (size_t)(colon - eq - 1));
  if (!*name || !*kind) {
    free(*name);
    free(*kind);
    *name = *kind = NULL;
    no_memory(err);
    return BG_ERR_NO_MEMORY;
  }
  *value = colon + 1;
  return BG_OK;
}

/* Prefixes err's message with `prefix` (the part it belongs to). */
static void prefix_message(bg_error *err, const char *prefix) {
  char reason[sizeof err->message];
  snprintf(reason, sizeof reason, "%s", err->message);
  snprintf(err->message, sizeof err->message, "%s: %s", prefix, reason);
}

/* NAME=KIND:VALUE */
static bg_value *build_multipart(const cli_input *in, bg_error *err) {
  bg_value *mp = bg_multipart_new(err);
  for (size_t i = 0; mp && i < in->n_parts; i++) {
    char *name, *kind, *what = NULL;
    const char *value;
    if (cli_parse_part(in->parts[i], &name, &kind, &value, err) != BG_OK) {
      bg_value_free(mp);
      return NULL;
    }
    bg_value *part = NULL;
    bool ok = false;
    size_t what_size = strlen(name) + sizeof "--part ";
    if (!(what = malloc(what_size))) {
      no_memory(err);
    } else {
      snprintf(what, what_size, "--part %s", name);
      part = build(kind, value, in->dtype, NULL, what, err);
      ok = part && bg_multipart_add(mp, name, part, err) == BG_OK;
      /* our own parsers already name the part; the library's messages do not */
      if (!ok && strncmp(err->message, what, strlen(what)) != 0)
        prefix_message(err, what);
    }
    free(what);
    free(name);
    free(kind);
    if (!ok) {
      bg_value_free(mp);
      return NULL;
    }
  }
  return mp;
}

bg_status cli_parse_header(const char *arg, char **key, const char **value, bg_error *err) {
  const char *colon = strchr(arg, ':');
  *key = NULL;
  if (!colon || colon == arg) {
    fail(err, "-H needs 'name: value' (the argument is not repeated here: it may hold a "
              "secret)");
    return BG_ERR_INVALID_ARGUMENT;
  }
  *key = strndup(arg, (size_t)(colon - arg));
  if (!*key) {
    no_memory(err);
    return BG_ERR_NO_MEMORY;
  }
  *value = colon + 1;
  while (**value == ' ')
    (*value)++;
  return BG_OK;
}

bg_value *cli_build_input(const cli_input *in, bg_error *err) {
  const char *kinds[] = {"ndarray", "series", "dataframe", "json", "text", "file", "bytes"};
  const char *flags[] = {"--ndarray", "--series", "--dataframe", "--json",
                         "--text",    "--file",   "--bytes"};
  const char *values[] = {in->ndarray, in->series, in->dataframe, in->json,
                          in->text,    in->file,   in->bytes};
  int chosen = -1, given = in->n_parts ? 1 : 0;
  for (int i = 0; i < 7; i++)
    if (values[i]) {
      chosen = i;
      given++;
    }
  if (given != 1)
    return fail(err, "call needs exactly one input: --ndarray, --series, --dataframe, --json, "
                     "--text, --file, --bytes or one or more --part");
  if (in->n_parts)
    return build_multipart(in, err);
  return build(kinds[chosen], values[chosen], in->dtype, in->mime, flags[chosen], err);
}

bool cli_header_is_secret(const char *key) {
  static const char *const hints[] = {"auth",   "token",   "key",        "secret",   "pass",
                                      "cookie", "session", "credential", "signature"};
  for (size_t i = 0; i < sizeof hints / sizeof hints[0]; i++)
    if (strstr(key, hints[i]))
      return true;
  return false;
}

/* ---- Reading option values ---- */

/* Keeps `text` until cli_input_free. */
static bg_status keep(cli_input *in, char *text, bg_error *err) {
  if (in->n_loaded == sizeof in->loaded / sizeof in->loaded[0]) {
    free(text);
    fail(err, "too many @ inputs (at most %zu)", sizeof in->loaded / sizeof in->loaded[0]);
    return BG_ERR_INVALID_ARGUMENT;
  }
  in->loaded[in->n_loaded++] = text;
  return BG_OK;
}

static bg_status take_stdin(cli_input *in, const char *flag, bg_error *err) {
  if (in->stdin_used) {
    fail(err, "%s: stdin (@-) can feed only one input", flag);
    return BG_ERR_INVALID_ARGUMENT;
  }
  in->stdin_used = true;
  return BG_OK;
}

/* Reads all of `path` ("-": stdin) as text; NUL bytes are refused (binary goes through --file
 * or --bytes). */
static bg_status read_text(cli_input *in, const char *flag, const char *path, char **out,
                           bg_error *err) {
  bool from_stdin = strcmp(path, "-") == 0;
  if (from_stdin && take_stdin(in, flag, err) != BG_OK)
    return err->code;
  FILE *f = from_stdin ? stdin : fopen(path, "rb");
  if (!f) {
    fail(err, "%s: cannot open '%.400s': %s", flag, path, strerror(errno));
    return BG_ERR_INVALID_ARGUMENT;
  }
  size_t len = 0, cap = 4096;
  char *buf = malloc(cap);
  for (size_t n; buf && (n = fread(buf + len, 1, cap - len - 1, f)) > 0;) {
    len += n;
    if (cap - len - 1 == 0) {
      char *grown = realloc(buf, cap * 2);
      if (!grown)
        free(buf);
      buf = grown;
      cap *= 2;
    }
  }
  bool failed = ferror(f);
  if (!from_stdin)
    fclose(f);
  if (!buf) {
    no_memory(err);
    return BG_ERR_NO_MEMORY;
  }
  buf[len] = '\0';
  if (failed || memchr(buf, '\0', len)) {
    free(buf);
    if (failed)
      fail(err, "%s: cannot read the input", flag);
    else
      fail(err, "%s: the input holds a NUL byte; send binary data with --file or --bytes", flag);
    return BG_ERR_INVALID_ARGUMENT;
  }
  /* one trailing newline from a file or a here-doc is not part of the value */
  if (len && buf[len - 1] == '\n')
    buf[--len] = '\0';
  *out = buf;
  return keep(in, buf, err);
}

bg_status cli_input_value(cli_input *in, const char *flag, const char *arg, const char **out,
                          bg_error *err) {
  if (arg[0] != '@' || arg[1] == '@') {
    *out = arg[0] == '@' ? arg + 1 : arg;
    return BG_OK;
  }
  char *text = NULL;
  bg_status st = read_text(in, flag, arg + 1, &text, err);
  *out = text;
  return st;
}

bg_status cli_input_path(cli_input *in, const char *flag, const char *arg, const char **out,
                         bg_error *err) {
  if (arg[0] == '@')
    arg++;
  if (strcmp(arg, "-") == 0) {
    if (take_stdin(in, flag, err) != BG_OK)
      return err->code;
    arg = "/dev/stdin";
  }
  *out = arg;
  return BG_OK;
}

bg_status cli_input_add_part(cli_input *in, const char *arg, bg_error *err) {
  if (in->n_parts == sizeof in->parts / sizeof in->parts[0]) {
    fail(err, "too many --part options (at most %zu)", sizeof in->parts / sizeof in->parts[0]);
    return BG_ERR_INVALID_ARGUMENT;
  }
  const char **out = &in->parts[in->n_parts++];
  const char *eq = strchr(arg, '='), *colon = eq ? strchr(eq, ':') : NULL;
  *out = arg;
  if (!colon)
    return BG_OK; /* cli_parse_part explains the form */
  size_t kind_len = (size_t)(colon - eq - 1);
  bool path_kind = (kind_len == 4 && strncmp(eq + 1, "file", 4) == 0) ||
                   (kind_len == 5 && strncmp(eq + 1, "bytes", 5) == 0);
  const char *value = colon + 1;
  bg_status st;
  if (path_kind && (value[0] == '@' || strcmp(value, "-") == 0))
    st = cli_input_path(in, "--part", value, &value, err);
  else if (!path_kind && value[0] == '@')
    st = cli_input_value(in, "--part", value, &value, err);
  else
    return BG_OK;
  if (st != BG_OK)
    return st;
  size_t size = (size_t)(colon - arg) + 1 + strlen(value) + 1;
  char *joined = malloc(size);
  if (!joined) {
    no_memory(err);
    return BG_ERR_NO_MEMORY;
  }
  snprintf(joined, size, "%.*s:%s", (int)(colon - arg), arg, value);
  *out = joined;
  return keep(in, joined, err);
}

void cli_input_free(cli_input *in) {
  for (size_t i = 0; i < in->n_loaded; i++)
    free(in->loaded[i]);
  in->n_loaded = 0;
}
