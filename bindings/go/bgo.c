/* C side of the Go binding (see bgo.h). */
#include "bgo.h"

#include "_cgo_export.h"

static void trampoline(bg_async_op *call, bg_status status, bg_value *output, const bg_error *err,
                       void *user_data) {
  (void)call;
  bgoCallDone((uintptr_t)user_data, (int)status, output, (bg_error *)err);
}

bg_status bgo_start(bg_async_client *ac, const char *api, int raw, int kind, int dtype,
                    const int64_t *shape, size_t ndim, const void *data, size_t count,
                    const char *mime, const bg_value *prebuilt, const bg_call_options *co,
                    uintptr_t handle, bg_async_op **call, bg_error *err) {
  bg_value *borrowed = NULL;
  if (!prebuilt) {
    switch (kind) {
    case BGO_NDARRAY:
      borrowed = bg_ndarray_borrow((bg_dtype)dtype, shape, ndim, data, count, err);
      break;
    case BGO_FILE: borrowed = bg_file_borrow(data, count, mime, err); break;
    default: borrowed = bg_bytes_borrow(data, count, err); break;
    }
    if (!borrowed)
      return err ? err->code : BG_ERR_INVALID_ARGUMENT;
  }
  const bg_value *v = prebuilt ? prebuilt : borrowed;
  bg_status st = raw ? bg_async_call_raw(ac, api, v, co, trampoline, (void *)handle, call, err)
                     : bg_async_call(ac, api, v, co, trampoline, (void *)handle, call, err);
  bg_value_free(borrowed);
  return st;
}
