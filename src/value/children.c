/* Values made of named children: dataframes (columns of series) and multiparts (parts). */
#include <stdlib.h>
#include <string.h>

#include "error_internal.h"
#include "value/value_internal.h"

static bg_status append(bgi_children *c, char *name, bg_value *child, bg_error *err) {
  if (c->count == c->capacity) {
    size_t capacity = c->capacity ? c->capacity * 2 : 4;
    char **names = realloc(c->names, capacity * sizeof *names);
    if (names)
      c->names = names;
    bg_value **values = names ? realloc(c->values, capacity * sizeof *values) : NULL;
    if (!values)
      return BGI_FAIL_NOMEM(err);
    c->values = values;
    c->capacity = capacity;
  }
  c->names[c->count] = name;
  c->values[c->count] = child;
  c->count++;
  return BG_OK;
}

static long find(const bgi_children *c, const char *name) {
  for (size_t i = 0; name && i < c->count; i++)
    if (c->names[i] && strcmp(c->names[i], name) == 0)
      return (long)i;
  return -1;
}

/* Appends `child` under a copy of `name`; frees `child` when anything fails. */
static bg_status add_child(bg_value *parent, bg_value_kind parent_kind, const char *name,
                           bg_value *child, bg_error *err) {
  bg_status st = BG_OK;
  char *copy = NULL;
  if (!parent || parent->kind != parent_kind)
    st = bgi_fail(err, BG_ERR_INVALID_ARGUMENT, 0, "not a %s value",
                  bg_value_kind_name(parent_kind));
  else if (!child)
    st = bgi_fail(err, BG_ERR_INVALID_ARGUMENT, 0, "%s: the value to add is NULL",
                  bg_value_kind_name(parent_kind));
  else if (name && find(&parent->as.children, name) >= 0)
    st = bgi_fail(err, BG_ERR_INVALID_ARGUMENT, 0, "%s: '%s' is already there; names are unique",
                  bg_value_kind_name(parent_kind), name);
  else if (name && !(copy = strdup(name)))
    st = BGI_FAIL_NOMEM(err);
  if (st == BG_OK)
    st = append(&parent->as.children, copy, child, err);
  if (st != BG_OK) {
    free(copy);
    bg_value_free(child);
  }
  return st;
}

static const bgi_children *as(const bg_value *value, bg_value_kind kind) {
  return value && value->kind == kind ? &value->as.children : NULL;
}

/* The readers dataframes and multiparts share: a value of another kind (or NULL), an index out
 * of range or a name not there reads as nothing (0, NULL). */
static size_t child_count(const bg_value *value, bg_value_kind kind) {
  const bgi_children *c = as(value, kind);
  return c ? c->count : 0;
}

static const char *child_name_at(const bg_value *value, bg_value_kind kind, size_t index) {
  const bgi_children *c = as(value, kind);
  return c && index < c->count ? c->names[index] : NULL;
}

static const bg_value *child_at(const bg_value *value, bg_value_kind kind, size_t index) {
  const bgi_children *c = as(value, kind);
  return c && index < c->count ? c->values[index] : NULL;
}

static const bg_value *child_find(const bg_value *value, bg_value_kind kind, const char *name) {
  const bgi_children *c = as(value, kind);
  long i = c ? find(c, name) : -1;
  return i >= 0 ? c->values[i] : NULL;
}

/* ---- dataframe ---- */

BG_API bg_value *bg_dataframe_new(bg_error *err) {
  BGI_ERROR_SINK(err);
  return bgi_value_alloc(BG_VALUE_DATAFRAME, err);
}

BG_API bg_status bg_dataframe_add_column(bg_value *dataframe, const char *name, bg_value *series,
                                         bg_error *err) {
  BGI_ERROR_SINK(err);
  if (series && series->kind != BG_VALUE_SERIES) {
    bg_value_free(series);
    return bgi_fail(err, BG_ERR_INVALID_ARGUMENT, 0,
                    "dataframe column '%s' must be a series value (bg_series_borrow/copy)",
                    name ? name : "(unnamed)");
  }
  const bgi_children *c = as(dataframe, BG_VALUE_DATAFRAME);
  if (c && series && c->count > 0 && series->as.ndarray.count != c->values[0]->as.ndarray.count) {
    size_t rows = c->values[0]->as.ndarray.count, got = series->as.ndarray.count;
    bg_value_free(series);
    return bgi_fail(err, BG_ERR_INVALID_ARGUMENT, 0,
                    "dataframe column '%s' has %zu rows but the columns before it have %zu",
                    name ? name : "(unnamed)", got, rows);
  }
  return add_child(dataframe, BG_VALUE_DATAFRAME, name, series, err);
}

BG_API size_t bg_dataframe_column_count(const bg_value *value) {
  return child_count(value, BG_VALUE_DATAFRAME);
}

BG_API size_t bg_dataframe_row_count(const bg_value *value) {
  const bgi_children *c = as(value, BG_VALUE_DATAFRAME);
  return c && c->count ? c->values[0]->as.ndarray.count : 0;
}

BG_API const char *bg_dataframe_column_name_at(const bg_value *value, size_t index) {
  return child_name_at(value, BG_VALUE_DATAFRAME, index);
}

BG_API const bg_value *bg_dataframe_column_at(const bg_value *value, size_t index) {
  return child_at(value, BG_VALUE_DATAFRAME, index);
}

BG_API const bg_value *bg_dataframe_column_find(const bg_value *value, const char *name) {
  return child_find(value, BG_VALUE_DATAFRAME, name);
}

/* ---- multipart ---- */

BG_API bg_value *bg_multipart_new(bg_error *err) {
  BGI_ERROR_SINK(err);
  return bgi_value_alloc(BG_VALUE_MULTIPART, err);
}

BG_API bg_status bg_multipart_add(bg_value *multipart, const char *name, bg_value *part,
                                  bg_error *err) {
  BGI_ERROR_SINK(err);
  if (!name || !*name) {
    bg_value_free(part);
    return bgi_fail(err, BG_ERR_INVALID_ARGUMENT, 0, "multipart: a part needs a non-empty name");
  }
  if (part && part->kind == BG_VALUE_MULTIPART) {
    bg_value_free(part);
    return bgi_fail(err, BG_ERR_INVALID_ARGUMENT, 0,
                    "multipart part '%s' is itself a multipart; BentoML's Multipart cannot nest",
                    name);
  }
  return add_child(multipart, BG_VALUE_MULTIPART, name, part, err);
}

BG_API size_t bg_multipart_count(const bg_value *value) {
  return child_count(value, BG_VALUE_MULTIPART);
}

BG_API const char *bg_multipart_name_at(const bg_value *value, size_t index) {
  return child_name_at(value, BG_VALUE_MULTIPART, index);
}

BG_API const bg_value *bg_multipart_part_at(const bg_value *value, size_t index) {
  return child_at(value, BG_VALUE_MULTIPART, index);
}

BG_API const bg_value *bg_multipart_find(const bg_value *value, const char *name) {
  return child_find(value, BG_VALUE_MULTIPART, name);
}

/* Deprecated spellings (docs/INTERNALS.md "Public names"), kept for this minor version. */
BG_API const char *bg_dataframe_column_name(const bg_value *value, size_t index) {
  return bg_dataframe_column_name_at(value, index);
}
BG_API const bg_value *bg_dataframe_column(const bg_value *value, size_t index) {
  return bg_dataframe_column_at(value, index);
}
BG_API const bg_value *bg_dataframe_find_column(const bg_value *value, const char *name) {
  return bg_dataframe_column_find(value, name);
}
