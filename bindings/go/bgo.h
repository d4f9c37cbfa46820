/* C side of the Go binding: helpers that keep Go pointers inside one cgo call. */
#ifndef BGO_H
#define BGO_H

#include <bentogrpc/bentogrpc.h>
#include <stdint.h>

/* What bgo_start builds around `data` when `prebuilt` is NULL. */
enum { BGO_NDARRAY = 1, BGO_FILE = 6, BGO_BYTES = 8 };

/* Builds a value that BORROWS `data` (a Go slice: cgo lets C use it during this call only)
 * and frees it again, or uses `prebuilt` (C memory, borrowed: the caller frees it), and
 * starts bg_async_call() — bg_async_call_raw() when `raw` is non-zero,
 * for APIs whose descriptors the library does not support. Both serialize the input before
 * they return, so no Go pointer is kept by C after this call returns. The callback reaches
 * Go with `handle`. */
bg_status bgo_start(bg_async_client *ac, const char *api, int raw, int kind, int dtype,
                    const int64_t *shape, size_t ndim, const void *data, size_t count,
                    const char *mime, const bg_value *prebuilt, const bg_call_options *co,
                    uintptr_t handle, bg_async_op **call, bg_error *err);

#endif
