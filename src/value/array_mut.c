/* Writable access to the elements of an array value the library owns (outputs, copies), so
 * a binding can hand the buffer to numpy or Go as a mutable array without copying it. */
#include "value/value_internal.h"

static void *owned_elements(bg_value *value, bg_value_kind kind) {
  if (!value || value->kind != kind)
    return NULL;
  bg_ndarray *nd = &value->as.ndarray;
  /* Borrowed buffers are the caller's (maybe read-only); string elements are pointers the
   * library frees, so overwriting them would leak or double-free. */
  if (!nd->owned || nd->count == 0 || nd->dtype == BG_DTYPE_STRING)
    return NULL;
  return nd->owned;
}

BG_API void *bg_ndarray_data_mut(bg_value *value) {
  return owned_elements(value, BG_VALUE_NDARRAY);
}

BG_API void *bg_series_data_mut(bg_value *value) { return owned_elements(value, BG_VALUE_SERIES); }
