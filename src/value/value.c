/* Kind-independent parts of bg_value: kind lookup and freeing. */
#include <stdlib.h>

#include "value/value_internal.h"

static void free_ndarray(bg_ndarray *nd) {
  if (nd->owned && nd->dtype == BG_DTYPE_STRING && nd->owns_strings) {
    char **strings = nd->owned;
    for (size_t i = 0; i < nd->count; i++)
      free(strings[i]);
  }
  free(nd->owned);
}

BG_API void bg_value_free(bg_value *value) {
  if (!value)
    return;
  switch (value->kind) {
  case BG_VALUE_NDARRAY: free_ndarray(&value->as.ndarray); break;
  }
  free(value);
}

BG_API bg_value_kind bg_value_get_kind(const bg_value *value) { return value ? value->kind : 0; }
