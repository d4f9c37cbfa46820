#include <grpc/slice.h>
#include <string.h>

#include "error_internal.h"
#include "wire/borrowed_send.h"
#include "wire/pb_raw.h"

bool bgi_borrowed_send_possible(const bgi_pb_ndarray *nd) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  return (nd->n_float_values * sizeof(float) >= BGI_BORROWED_SEND_MIN_BYTES &&
          nd->n_double_values == 0) ||
         (nd->n_double_values * sizeof(double) >= BGI_BORROWED_SEND_MIN_BYTES &&
          nd->n_float_values == 0);
#else
  (void)nd;
  return false;
#endif
}

static void on_released(void *user_data) {
  bgi_borrowed_send *guard = user_data;
  pthread_mutex_lock(&guard->mutex);
  guard->released = true;
  pthread_cond_signal(&guard->released_cond);
  pthread_mutex_unlock(&guard->mutex);
}

bg_status bgi_borrowed_send_pack(const char *api_name, bgi_pb_ndarray *nd, bgi_borrowed_send *guard,
                                 grpc_byte_buffer **out, bg_error *err) {
  bool is_float = nd->n_float_values > 0;
  size_t values_len =
      is_float ? nd->n_float_values * sizeof(float) : nd->n_double_values * sizeof(double);
  const void *values = is_float ? (const void *)nd->float_values : (const void *)nd->double_values;

  /* dtype and shape (fields 1, 2) come before the values field (3 or 4) on the wire, so
   * protobuf-c packs them and the values follow as a length-delimited field. */
  size_t saved_floats = nd->n_float_values, saved_doubles = nd->n_double_values;
  nd->n_float_values = nd->n_double_values = 0;
  size_t head_len = protobuf_c_message_get_packed_size(&nd->base);
  uint8_t values_key[11];
  size_t key_len = 1 + bgi_pb_put_varint(values_key + 1, values_len);
  values_key[0] = is_float ? BGI_PB_TAG(BGI_PB_NDARRAY_FLOAT_VALUES, BGI_PB_LEN)
                           : BGI_PB_TAG(BGI_PB_NDARRAY_DOUBLE_VALUES, BGI_PB_LEN);
  size_t nd_len = head_len + key_len + values_len;
  size_t name_len = strlen(api_name);

  grpc_slice header = grpc_slice_malloc(1 + 10 + name_len + 1 + 10 + head_len + key_len);
  uint8_t *p = GRPC_SLICE_START_PTR(header);
  if (name_len > 0) { /* proto3 leaves an empty string out */
    *p++ = BGI_PB_TAG(BGI_PB_REQUEST_API_NAME, BGI_PB_LEN);
    p += bgi_pb_put_varint(p, name_len);
    memcpy(p, api_name, name_len);
    p += name_len;
  }
  *p++ = BGI_PB_TAG(BGI_PB_REQUEST_NDARRAY, BGI_PB_LEN);
  p += bgi_pb_put_varint(p, nd_len);
  p += protobuf_c_message_pack(&nd->base, p);
  nd->n_float_values = saved_floats;
  nd->n_double_values = saved_doubles;
  memcpy(p, values_key, key_len);
  p += key_len;
  GRPC_SLICE_SET_LENGTH(header, (size_t)(p - GRPC_SLICE_START_PTR(header)));

  pthread_mutex_init(&guard->mutex, NULL);
  pthread_cond_init(&guard->released_cond, NULL);
  guard->released = false;
  grpc_slice slices[2] = {
      header, grpc_slice_new_with_user_data((void *)values, values_len, on_released, guard)};
  *out = grpc_raw_byte_buffer_create(slices, 2);
  grpc_slice_unref(slices[0]);
  grpc_slice_unref(slices[1]); /* the byte buffer holds the reference gRPC will drop */
  (void)err;
  return BG_OK;
}

void bgi_borrowed_send_wait(bgi_borrowed_send *guard) {
  pthread_mutex_lock(&guard->mutex);
  while (!guard->released)
    pthread_cond_wait(&guard->released_cond, &guard->mutex);
  pthread_mutex_unlock(&guard->mutex);
  pthread_cond_destroy(&guard->released_cond);
  pthread_mutex_destroy(&guard->mutex);
}
