/* The borrowed send: byte-identical to protobuf-c's packing, elements not copied, and the
 * guard released once gRPC lets go of the caller's buffer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <grpc/byte_buffer_reader.h>
#include <grpc/grpc.h>

#include "wire/borrowed_send.h"
#include "wire/ndarray_wire.h"

static void check_same_bytes(const char *api, bg_dtype dtype, const int64_t *shape, size_t ndim,
                             const void *data, size_t count) {
  bg_value *v = bg_ndarray_borrow(dtype, shape, ndim, data, count, NULL);
  bgi_arena arena;
  bgi_arena_init(&arena);
  bgi_pb_ndarray *nd;
  assert_int_equal(bgi_ndarray_to_proto(&v->as.ndarray, &arena, &nd, &(bg_error){0}), BG_OK);
  assert_true(bgi_borrowed_send_possible(nd));

  bgi_pb_request req = BENTOML__GRPC__V1__REQUEST__INIT;
  req.api_name = (char *)api;
  req.content_case = BENTOML__GRPC__V1__REQUEST__CONTENT_NDARRAY;
  req.ndarray = nd;
  size_t size = protobuf_c_message_get_packed_size(&req.base);
  uint8_t *expected = malloc(size);
  protobuf_c_message_pack(&req.base, expected);

  bgi_borrowed_send guard;
  grpc_byte_buffer *bb;
  assert_int_equal(bgi_borrowed_send_pack(api, nd, &guard, &bb, &(bg_error){0}), BG_OK);
  /* the elements are the caller's own memory, not a copy */
  const grpc_slice *values = &bb->data.raw.slice_buffer.slices[1];
  assert_ptr_equal(GRPC_SLICE_START_PTR(*values), data);

  grpc_byte_buffer_reader reader;
  grpc_byte_buffer_reader_init(&reader, bb);
  grpc_slice all = grpc_byte_buffer_reader_readall(&reader);
  grpc_byte_buffer_reader_destroy(&reader);
  assert_int_equal(GRPC_SLICE_LENGTH(all), size);
  assert_memory_equal(GRPC_SLICE_START_PTR(all), expected, size);
  grpc_slice_unref(all);

  assert_false(guard.released);
  grpc_byte_buffer_destroy(bb); /* the last reference: the guard is told */
  assert_true(guard.released);
  bgi_borrowed_send_wait(&guard);
  free(expected);
  bgi_arena_fini(&arena);
  bg_value_free(v);
}

static void test_float_and_double(void **state) {
  (void)state;
  size_t n = 40000;
  float *f = malloc(n * sizeof *f);
  double *d = malloc(n * sizeof *d);
  for (size_t i = 0; i < n; i++) {
    f[i] = (float)i / 3.0f;
    d[i] = (double)i * -1.5;
  }
  int64_t shape2[] = {200, 200}, shape1[] = {40000};
  check_same_bytes("predict", BG_DTYPE_FLOAT, shape2, 2, f, n);
  check_same_bytes("an_api_name_that_is_rather_long_for_the_varint", BG_DTYPE_DOUBLE, shape1, 1, d,
                   n);
  check_same_bytes("", BG_DTYPE_FLOAT, shape1, 1, f, n); /* proto3 omits the empty name */
  free(f);
  free(d);
}

static void test_small_and_other_dtypes_are_copied(void **state) {
  (void)state;
  bgi_pb_ndarray nd = BENTOML__GRPC__V1__NDARRAY__INIT;
  float few[4] = {0};
  nd.n_float_values = 4;
  nd.float_values = few;
  assert_false(bgi_borrowed_send_possible(&nd)); /* below the threshold: copying is cheaper */
  int64_t many[20000] = {0};
  bgi_pb_ndarray ints = BENTOML__GRPC__V1__NDARRAY__INIT;
  ints.n_int64_values = 20000;
  ints.int64_values = many;
  assert_false(bgi_borrowed_send_possible(&ints)); /* varints: not the buffer's bytes */
}

int main(void) {
  grpc_init();
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_float_and_double),
      cmocka_unit_test(test_small_and_other_dtypes_are_copied),
  };
  int rc = cmocka_run_group_tests_name("borrowed", tests, NULL, NULL);
  grpc_shutdown();
  return rc;
}
