/* The hand-packed ndarray Request: byte-identical to protobuf-c's packing of the same message
 * (copied and borrowed), the borrowed elements not copied, and the guard released once gRPC lets
 * go of the caller's buffer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <grpc/byte_buffer_reader.h>
#include <grpc/grpc.h>

#include "wire/ndarray_request.h"
#include "wire/ndarray_wire.h"

/* protobuf-c's bytes for Request{api, nd}. */
static uint8_t *expected_bytes(const char *api, bgi_pb_ndarray *nd, size_t *size) {
  bgi_pb_request req = BENTOML__GRPC__V1__REQUEST__INIT;
  req.api_name = (char *)api;
  req.content_case = BENTOML__GRPC__V1__REQUEST__CONTENT_NDARRAY;
  req.ndarray = nd;
  *size = protobuf_c_message_get_packed_size(&req.base);
  uint8_t *bytes = malloc(*size ? *size : 1);
  assert_int_equal(protobuf_c_message_pack(&req.base, bytes), *size);
  return bytes;
}

static void assert_buffer_is(grpc_byte_buffer *bb, const uint8_t *expected, size_t size) {
  grpc_byte_buffer_reader reader;
  grpc_byte_buffer_reader_init(&reader, bb);
  grpc_slice all = grpc_byte_buffer_reader_readall(&reader);
  grpc_byte_buffer_reader_destroy(&reader);
  assert_int_equal(GRPC_SLICE_LENGTH(all), size);
  assert_memory_equal(GRPC_SLICE_START_PTR(all), expected, size);
  grpc_slice_unref(all);
}

/* Packs `nd` copied, and borrowed when it is large enough, and compares with protobuf-c. */
static void check_pb(const char *api, bgi_pb_ndarray *nd) {
  assert_true(bgi_ndarray_request_possible(nd));
  size_t size;
  uint8_t *expected = expected_bytes(api, nd, &size);

  grpc_byte_buffer *bb;
  assert_int_equal(bgi_ndarray_request_pack(api, nd, NULL, &bb, &(bg_error){0}), BG_OK);
  assert_int_equal(bb->data.raw.slice_buffer.count, 1); /* copied: one slice */
  assert_buffer_is(bb, expected, size);
  grpc_byte_buffer_destroy(bb);

  if (bgi_ndarray_request_borrowable(nd)) {
    bgi_send_guard guard;
    assert_int_equal(bgi_ndarray_request_pack(api, nd, &guard, &bb, &(bg_error){0}), BG_OK);
    /* the elements are the caller's own memory, not a copy */
    const grpc_slice *values = &bb->data.raw.slice_buffer.slices[1];
    const void *data =
        nd->n_float_values ? (const void *)nd->float_values : (const void *)nd->double_values;
    assert_ptr_equal(GRPC_SLICE_START_PTR(*values), data);
    assert_buffer_is(bb, expected, size);
    assert_false(guard.released);
    grpc_byte_buffer_destroy(bb); /* the last reference: the guard is told */
    assert_true(guard.released);
    bgi_send_guard_wait(&guard);
  }
  free(expected);
}

/* The same, from a value as the call encodes it. */
static void check_value(const char *api, bg_dtype dtype, const int64_t *shape, size_t ndim,
                        const void *data, size_t count) {
  bg_value *v = bg_ndarray_borrow(dtype, shape, ndim, data, count, NULL);
  assert_non_null(v);
  bgi_arena arena;
  bgi_arena_init(&arena);
  bgi_pb_ndarray *nd;
  assert_int_equal(bgi_ndarray_to_proto(&v->as.ndarray, &arena, &nd, &(bg_error){0}), BG_OK);
  check_pb(api, nd);
  bgi_arena_fini(&arena);
  bg_value_free(v);
}

static void test_large_float_and_double(void **state) {
  (void)state;
  size_t n = 40000;
  float *f = malloc(n * sizeof *f);
  double *d = malloc(n * sizeof *d);
  for (size_t i = 0; i < n; i++) {
    f[i] = (float)i / 3.0f;
    d[i] = (double)i * -1.5;
  }
  int64_t shape2[] = {200, 200}, shape1[] = {40000};
  check_value("predict", BG_DTYPE_FLOAT, shape2, 2, f, n);
  check_value("an_api_name_that_is_rather_long_for_the_varint", BG_DTYPE_DOUBLE, shape1, 1, d, n);
  check_value("", BG_DTYPE_FLOAT, shape1, 1, f, n); /* proto3 omits the empty name */
  free(f);
  free(d);
}

static void test_small_arrays(void **state) {
  (void)state;
  float f[4] = {1.5f, -2.0f, 0.0f, 3.25f};
  double d[3] = {1e300, -0.0, 7.0};
  int64_t s22[] = {2, 2}, s4[] = {4}, s3[] = {3}, s1x4[] = {1, 4};
  check_value("predict", BG_DTYPE_FLOAT, s22, 2, f, 4);
  check_value("predict", BG_DTYPE_FLOAT, s1x4, 2, f, 4);
  check_value("p", BG_DTYPE_FLOAT, s4, 1, f, 4);
  check_value("predict", BG_DTYPE_DOUBLE, s3, 1, d, 3);
  char name[300]; /* a name longer than 127 bytes: two-byte length */
  memset(name, 'a', sizeof name - 1);
  name[sizeof name - 1] = '\0';
  check_value(name, BG_DTYPE_FLOAT, s4, 1, f, 4);
  check_value("", BG_DTYPE_DOUBLE, s3, 1, d, 3);
}

/* Fields protobuf-c writes or leaves out by value: no dtype, no shape, a shape with a big,
 * a zero and a negative (ten-byte) dimension, a length crossing the one-byte varint. */
/* A 0-d float (ndim 0, shape not read) is one value and no shape field:
 * Request{api_name:"p", ndarray{dtype:DTYPE_FLOAT, float_values:[2.5]}}. */
static void test_zero_dimensional(void **state) {
  (void)state;
  float x = 2.5f;
  const int64_t not_a_shape[] = {-1};
  check_value("p", BG_DTYPE_FLOAT, NULL, 0, &x, 1);
  check_value("p", BG_DTYPE_FLOAT, not_a_shape, 0, &x, 1);
  bg_value *v = bg_ndarray_borrow(BG_DTYPE_FLOAT, not_a_shape, 0, &x, 1, NULL);
  bgi_arena arena;
  bgi_arena_init(&arena);
  bgi_pb_ndarray *nd;
  assert_int_equal(bgi_ndarray_to_proto(&v->as.ndarray, &arena, &nd, &(bg_error){0}), BG_OK);
  grpc_byte_buffer *bb;
  assert_int_equal(bgi_ndarray_request_pack("p", nd, NULL, &bb, &(bg_error){0}), BG_OK);
  const uint8_t expected[] = {0x0a, 0x01, 'p',  0x1a, 0x08, 0x08, 0x01,
                              0x1a, 0x04, 0x00, 0x00, 0x20, 0x40};
  assert_buffer_is(bb, expected, sizeof expected);
  grpc_byte_buffer_destroy(bb);
  bgi_arena_fini(&arena);
  bg_value_free(v);
}

static void test_edge_fields(void **state) {
  (void)state;
  float f[40] = {0};
  for (int i = 0; i < 40; i++)
    f[i] = (float)i;
  bgi_pb_ndarray nd = BENTOML__GRPC__V1__NDARRAY__INIT;
  nd.n_float_values = 40; /* 160 bytes: a two-byte length */
  nd.float_values = f;
  check_pb("predict", &nd); /* dtype 0 and no shape: both left out */
  int32_t shape[] = {40, 0, -1, 300000, 2147483647};
  nd.shape = shape;
  nd.n_shape = 5;
  nd.dtype = BENTOML__GRPC__V1__NDARRAY__DTYPE__DTYPE_FLOAT;
  check_pb("predict", &nd);
  nd.dtype = (Bentoml__Grpc__V1__NDArray__DType)-3; /* a negative enum: ten bytes, as int32 */
  check_pb("predict", &nd);
}

static void test_what_is_packed_by_hand(void **state) {
  (void)state;
  float few[4] = {0};
  bgi_pb_ndarray nd = BENTOML__GRPC__V1__NDARRAY__INIT;
  nd.n_float_values = 4;
  nd.float_values = few;
  assert_true(bgi_ndarray_request_possible(&nd));
  assert_false(bgi_ndarray_request_borrowable(&nd)); /* below the threshold: copying is cheaper */
  double two[2] = {0};
  nd.n_double_values = 2;
  nd.double_values = two;
  assert_false(bgi_ndarray_request_possible(&nd)); /* two values fields: protobuf-c's job */
  bgi_pb_ndarray empty = BENTOML__GRPC__V1__NDARRAY__INIT;
  assert_false(bgi_ndarray_request_possible(&empty)); /* no values field at all */
  int64_t many[20000] = {0};
  bgi_pb_ndarray ints = BENTOML__GRPC__V1__NDARRAY__INIT;
  ints.n_int64_values = 20000;
  ints.int64_values = many;
  assert_false(bgi_ndarray_request_possible(&ints)); /* varints: not the buffer's bytes */
  ints.n_float_values = 4;
  ints.float_values = few;
  assert_false(bgi_ndarray_request_possible(&ints)); /* floats beside other values */
}

int main(void) {
  grpc_init();
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_large_float_and_double), cmocka_unit_test(test_small_arrays),
      cmocka_unit_test(test_zero_dimensional),       cmocka_unit_test(test_edge_fields),
      cmocka_unit_test(test_what_is_packed_by_hand),
  };
  int rc = cmocka_run_group_tests_name("ndarray_request", tests, NULL, NULL);
  grpc_shutdown();
  return rc;
}
