/* Kind-independent parts of bg_value: allocation, kind names and freeing. */
#include <stdatomic.h>
#include <stdlib.h>

#include "error_internal.h"
#include "value/value_internal.h"

bg_value *bgi_value_alloc(bg_value_kind kind, bg_error *err) {
  bg_value *v = calloc(1, sizeof *v);
  if (!v) {
    BGI_FAIL_NOMEM(err);
    return NULL;
  }
  v->kind = kind;
  return v;
}

BG_API const char *bg_value_kind_name(bg_value_kind kind) {
  switch (kind) {
  case BG_VALUE_NDARRAY: return "ndarray";
  case BG_VALUE_SERIES: return "series";
  case BG_VALUE_DATAFRAME: return "dataframe";
  case BG_VALUE_JSON: return "json";
  case BG_VALUE_TEXT: return "text";
  case BG_VALUE_FILE: return "file";
  case BG_VALUE_MULTIPART: return "multipart";
  case BG_VALUE_BYTES: return "bytes";
  }
  return "unknown";
}

static void free_ndarray(bg_ndarray *nd) {
  if (nd->owned && nd->dtype == BG_DTYPE_STRING && nd->owns_strings) {
    char **strings = nd->owned;
    for (size_t i = 0; i < nd->count; i++)
      free(strings[i]);
  }
  free(nd->owned);
  free(nd->string_lengths);
  free(nd->owned_text);
}

static void free_children(bgi_children *c) {
  for (size_t i = 0; i < c->count; i++) {
    free(c->names[i]);
    bg_value_free(c->values[i]);
  }
  free(c->names);
  free(c->values);
}

BG_API void bg_value_free(bg_value *value) {
  if (!value)
    return;
  switch (value->kind) {
  case BG_VALUE_NDARRAY:
  case BG_VALUE_SERIES: free_ndarray(&value->as.ndarray); break;
  case BG_VALUE_FILE:
  case BG_VALUE_BYTES:
    free(value->as.blob.owned);
    free(value->as.blob.mime);
    break;
  case BG_VALUE_DATAFRAME:
  case BG_VALUE_MULTIPART: free_children(&value->as.children); break;
  case BG_VALUE_JSON:
    free(value->as.json.block);
    free(atomic_load(&value->as.json.text));
    break;
  case BG_VALUE_TEXT: free(value->as.text.utf8); break;
  }
  free(value);
}

BG_API bg_value_kind bg_value_get_kind(const bg_value *value) {
  return value ? value->kind : (bg_value_kind)0;
}
