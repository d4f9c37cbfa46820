/* C side of the Go binding (see bgo.h). */
#include "bgo.h"

#include "_cgo_export.h"

static void trampoline(struct bg_async_call *call, bg_status status, bg_value *output,
                       const bg_error *err, void *user_data) {
  (void)call;
  bgoCallDone((uintptr_t)user_data, (int)status, output, (bg_error *)err);
}

bg_status bgo_start(bg_async_client *ac, const char *api, int kind, int dtype, const int64_t *shape,
                    size_t ndim, const void *data, size_t count, const char *mime,
                    bg_value *prebuilt, const bg_call_options *co, uintptr_t handle,
                    struct bg_async_call **call, bg_error *err) {
  bg_value *v = prebuilt;
  if (!v) {
    switch (kind) {
    case BGO_NDARRAY: v = bg_ndarray_borrow((bg_dtype)dtype, shape, ndim, data, count, err); break;
    case BGO_FILE: v = bg_file_borrow(data, count, mime, err); break;
    default: v = bg_bytes_borrow(data, count, err); break;
    }
    if (!v)
      return err ? err->code : BG_ERR_INVALID_ARGUMENT;
  }
  bg_status st = bg_async_call(ac, api, v, co, trampoline, (void *)handle, call, err);
  bg_value_free(v);
  return st;
}
