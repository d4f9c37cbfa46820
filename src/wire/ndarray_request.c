#include <grpc/slice.h>
#include <string.h>

#include "error_internal.h"
#include "wire/ndarray_request.h"
#include "wire/pb_raw.h"

bool bgi_ndarray_request_possible(const bgi_pb_ndarray *nd) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  bool others = nd->n_string_values || nd->n_bool_values || nd->n_int32_values ||
                nd->n_int64_values || nd->n_uint32_values || nd->n_uint64_values;
  return !others && ((nd->n_float_values > 0) != (nd->n_double_values > 0));
#else
  (void)nd;
  return false;
#endif
}

static size_t values_bytes(const bgi_pb_ndarray *nd) {
  return nd->n_float_values > 0 ? nd->n_float_values * sizeof(float)
                                : nd->n_double_values * sizeof(double);
}

bool bgi_ndarray_request_borrowable(const bgi_pb_ndarray *nd) {
  return bgi_ndarray_request_possible(nd) && values_bytes(nd) >= BGI_BORROWED_SEND_MIN_BYTES;
}

/* Runs on whichever thread drops gRPC's last reference, often not the caller's (an async
 * client's thread driving gRPC's I/O while a sync call waits). */
static void on_released(void *user_data) {
  bgi_send_guard *guard = user_data;
  (void)atomic_load_explicit(&guard->armed, memory_order_acquire); /* see bgi_send_guard */
  pthread_mutex_lock(&guard->mutex);
  guard->released = true;
  pthread_cond_signal(&guard->released_cond);
  pthread_mutex_unlock(&guard->mutex);
}

bg_status bgi_ndarray_request_pack(const char *api_name, const bgi_pb_ndarray *nd,
                                   bgi_send_guard *guard, grpc_byte_buffer **out, bg_error *err) {
  bool is_float = nd->n_float_values > 0;
  size_t values_len = values_bytes(nd);
  const void *values = is_float ? (const void *)nd->float_values : (const void *)nd->double_values;

  /* Sizes first (every length prefix precedes what it measures), then one pass of writing,
   * in field-number order as protobuf-c packs: Request{1 api_name, 3 ndarray}, NDArray{1 dtype,
   * 2 shape (packed), 3 float_values | 4 double_values (packed)}. proto3 leaves out a zero
   * dtype, an empty shape and an empty name. */
  uint64_t dtype = bgi_pb_int32_on_wire((int32_t)nd->dtype);
  size_t shape_len = 0;
  for (size_t i = 0; i < nd->n_shape; i++)
    shape_len += bgi_pb_varint_size(bgi_pb_int32_on_wire(nd->shape[i]));
  size_t nd_head_len = (dtype ? 1 + bgi_pb_varint_size(dtype) : 0) +
                       (nd->n_shape ? 1 + bgi_pb_varint_size(shape_len) + shape_len : 0) + 1 +
                       bgi_pb_varint_size(values_len);
  size_t nd_len = nd_head_len + values_len;
  size_t name_len = strlen(api_name);
  size_t head_len = (name_len ? 1 + bgi_pb_varint_size(name_len) + name_len : 0) + 1 +
                    bgi_pb_varint_size(nd_len) + nd_head_len;

  grpc_slice slice = grpc_slice_malloc(guard ? head_len : head_len + values_len);
  uint8_t *p = GRPC_SLICE_START_PTR(slice);
  if (name_len) {
    *p++ = BGI_PB_TAG(BGI_PB_REQUEST_API_NAME, BGI_PB_LEN);
    p += bgi_pb_put_varint(p, name_len);
    memcpy(p, api_name, name_len);
    p += name_len;
  }
  *p++ = BGI_PB_TAG(BGI_PB_REQUEST_NDARRAY, BGI_PB_LEN);
  p += bgi_pb_put_varint(p, nd_len);
  if (dtype) {
    *p++ = BGI_PB_TAG(BGI_PB_NDARRAY_DTYPE, BGI_PB_VARINT);
    p += bgi_pb_put_varint(p, dtype);
  }
  if (nd->n_shape) {
    *p++ = BGI_PB_TAG(BGI_PB_NDARRAY_SHAPE, BGI_PB_LEN);
    p += bgi_pb_put_varint(p, shape_len);
    for (size_t i = 0; i < nd->n_shape; i++)
      p += bgi_pb_put_varint(p, bgi_pb_int32_on_wire(nd->shape[i]));
  }
  *p++ = is_float ? BGI_PB_TAG(BGI_PB_NDARRAY_FLOAT_VALUES, BGI_PB_LEN)
                  : BGI_PB_TAG(BGI_PB_NDARRAY_DOUBLE_VALUES, BGI_PB_LEN);
  p += bgi_pb_put_varint(p, values_len);
  if (!guard) { /* the one copy of the elements */
    memcpy(p, values, values_len);
    *out = grpc_raw_byte_buffer_create(&slice, 1);
    grpc_slice_unref(slice);
    (void)err;
    return BG_OK;
  }

  pthread_mutex_init(&guard->mutex, NULL);
  pthread_cond_init(&guard->released_cond, NULL);
  guard->released = false;
  atomic_store_explicit(&guard->armed, true, memory_order_release);
  grpc_slice slices[2] = {
      slice, grpc_slice_new_with_user_data((void *)values, values_len, on_released, guard)};
  *out = grpc_raw_byte_buffer_create(slices, 2);
  grpc_slice_unref(slices[0]);
  grpc_slice_unref(slices[1]); /* the byte buffer holds the reference gRPC will drop */
  (void)err;
  return BG_OK;
}

void bgi_send_guard_wait(bgi_send_guard *guard) {
  pthread_mutex_lock(&guard->mutex);
  while (!guard->released)
    pthread_cond_wait(&guard->released_cond, &guard->mutex);
  pthread_mutex_unlock(&guard->mutex);
  pthread_cond_destroy(&guard->released_cond);
  pthread_mutex_destroy(&guard->mutex);
}
