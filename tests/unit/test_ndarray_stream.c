/* The streaming ndarray decoder: same result as protobuf-c whatever the slice boundaries,
 * one copy into a buffer the value owns — or into the caller's buffer when the values fit
 * (bg_call_options_set_output_buffer) — and a clean refusal of anything it does not cover. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <grpc/byte_buffer.h>
#include <grpc/slice.h>

#include "wire/byte_buffer.h"
#include "wire/ndarray_stream.h"
#include "wire/ndarray_wire.h"

/* Packs Response{ndarray} for `v` and returns the bytes (caller frees). */
static uint8_t *pack_response(const bg_value *v, size_t *size) {
  bgi_arena arena;
  bgi_arena_init(&arena);
  bgi_pb_ndarray *nd;
  assert_int_equal(bgi_ndarray_to_proto(&v->as.ndarray, &arena, &nd, &(bg_error){0}), BG_OK);
  bgi_pb_response resp = BENTOML__GRPC__V1__RESPONSE__INIT;
  resp.content_case = BENTOML__GRPC__V1__RESPONSE__CONTENT_NDARRAY;
  resp.ndarray = nd;
  *size = protobuf_c_message_get_packed_size(&resp.base);
  uint8_t *buf = malloc(*size);
  protobuf_c_message_pack(&resp.base, buf);
  bgi_arena_fini(&arena);
  return buf;
}

/* A byte buffer of `bytes` cut at the given offsets. */
static grpc_byte_buffer *sliced(const uint8_t *bytes, size_t size, const size_t *cuts,
                                size_t n_cuts) {
  grpc_slice slices[16];
  size_t start = 0, n = 0;
  for (size_t i = 0; i <= n_cuts; i++) {
    size_t end = i < n_cuts ? cuts[i] : size;
    slices[n++] = grpc_slice_from_copied_buffer((const char *)bytes + start, end - start);
    start = end;
  }
  grpc_byte_buffer *bb = grpc_raw_byte_buffer_create(slices, n);
  for (size_t i = 0; i < n; i++)
    grpc_slice_unref(slices[i]);
  return bb;
}

/* Every prefix of a packed reply (into the caller's buffer or not) is refused: a protocol
 * error or left to protobuf-c, never a crash, a wrong value or a freed caller buffer. */
static void assert_every_cut_refused(const uint8_t *bytes, size_t size,
                                     const bgi_out_buffer *into) {
  for (size_t cut = 1; cut < size; cut++) {
    grpc_byte_buffer *bb = sliced(bytes, cut, NULL, 0);
    bg_value *out;
    bg_error err;
    bg_status st = bgi_ndarray_stream_decode(bb, into, &out, &err);
    assert_true(st == BG_ERR_PROTOCOL || st == BG_ERR_UNSUPPORTED);
    assert_null(out);
    grpc_byte_buffer_destroy(bb);
  }
}

/* An int64 ndarray reply is not this decoder's (varints): left to protobuf-c. */
static void assert_int64_left_to_protobuf_c(const bgi_out_buffer *into) {
  int64_t i[2] = {1, 2};
  int64_t one[] = {2};
  bg_value *v = bg_ndarray_borrow(BG_DTYPE_INT64, one, 1, i, 2, NULL);
  size_t size;
  uint8_t *bytes = pack_response(v, &size);
  grpc_byte_buffer *bb = sliced(bytes, size, NULL, 0);
  bg_value *out;
  assert_int_equal(bgi_ndarray_stream_decode(bb, into, &out, &(bg_error){0}), BG_ERR_UNSUPPORTED);
  assert_null(out);
  grpc_byte_buffer_destroy(bb);
  free(bytes);
  bg_value_free(v);
}

static void test_matches_whatever_the_slices(void **state) {
  (void)state;
  float x[300];
  for (int i = 0; i < 300; i++)
    x[i] = (float)i * 1.25f - 7.0f;
  int64_t shape[] = {3, 100};
  bg_value *v = bg_ndarray_borrow(BG_DTYPE_FLOAT, shape, 2, x, 300, NULL);
  size_t size;
  uint8_t *bytes = pack_response(v, &size);
  for (size_t a = 1; a < size; a += 7) /* cut inside tags, lengths, shape and values */
    for (size_t b = a; b < size; b += 97) {
      size_t cuts[] = {a, b};
      grpc_byte_buffer *bb = sliced(bytes, size, cuts, 2);
      bg_value *out = NULL;
      bg_error err;
      assert_int_equal(bgi_ndarray_stream_decode(bb, NULL, &out, &err), BG_OK);
      assert_int_equal(bg_ndarray_dtype(out), BG_DTYPE_FLOAT);
      assert_int_equal(bg_ndarray_ndim(out), 2);
      assert_int_equal(bg_ndarray_shape(out)[1], 100);
      assert_memory_equal(bg_ndarray_data(out), x, sizeof x);
      bg_value_free(out);
      /* the same into a caller's buffer that fits exactly */
      float *mine = malloc(sizeof x);
      bgi_out_buffer into = {mine, sizeof x};
      assert_int_equal(bgi_ndarray_stream_decode(bb, &into, &out, &err), BG_OK);
      assert_ptr_equal(bg_ndarray_data(out), mine);
      assert_int_equal(bg_ndarray_shape(out)[0], 3);
      assert_memory_equal(mine, x, sizeof x);
      bg_value_free(out);
      free(mine); /* a double free if the value had taken it */
      grpc_byte_buffer_destroy(bb);
    }
  free(bytes);
  bg_value_free(v);
}

static void test_double_and_refusals(void **state) {
  (void)state;
  double d[4] = {1, 2, 3, 4};
  int64_t shape[] = {2, 2};
  bg_value *v = bg_ndarray_borrow(BG_DTYPE_DOUBLE, shape, 2, d, 4, NULL);
  size_t size;
  uint8_t *bytes = pack_response(v, &size);
  grpc_byte_buffer *bb = sliced(bytes, size, NULL, 0);
  bg_value *out;
  assert_int_equal(bgi_ndarray_stream_decode(bb, NULL, &out, &(bg_error){0}), BG_OK);
  assert_memory_equal(bg_ndarray_data(out), d, sizeof d);
  bg_value_free(out);
  grpc_byte_buffer_destroy(bb);

  assert_every_cut_refused(bytes, size, NULL); /* truncated anywhere */
  free(bytes);
  bg_value_free(v);

  assert_int64_left_to_protobuf_c(NULL);

  /* a shape that disagrees with the values */
  float f[3] = {1, 2, 3};
  int64_t three[] = {3};
  v = bg_ndarray_borrow(BG_DTYPE_FLOAT, three, 1, f, 3, NULL);
  bytes = pack_response(v, &size);
  bytes[6] = 4; /* the shape varint, 3 -> 4 (0a 13 | 08 01 | 12 01 03 | 1a 0c ...) */
  bb = sliced(bytes, size, NULL, 0);
  bg_error err;
  assert_int_equal(bgi_ndarray_stream_decode(bb, NULL, &out, &err), BG_ERR_PROTOCOL);
  assert_non_null(strstr(err.message, "inconsistent"));
  grpc_byte_buffer_destroy(bb);
  free(bytes);
  bg_value_free(v);
}

/* A caller's buffer (bg_call_options_set_output_buffer): used when the values fit, exactly or
 * with room to spare, and borrowed by the output; a reply too large, or not a float/double
 * ndarray, gets fresh memory or the fallback, never an error; failures never free it. */
static void test_into_the_callers_buffer(void **state) {
  (void)state;
  double d[6] = {1.5, -2, 3.25, 4, 5, 6e300};
  int64_t shape[] = {2, 3};
  bg_value *v = bg_ndarray_borrow(BG_DTYPE_DOUBLE, shape, 2, d, 6, NULL);
  size_t size;
  uint8_t *bytes = pack_response(v, &size);
  grpc_byte_buffer *bb = sliced(bytes, size, (size_t[]){9}, 1);
  double *mine = malloc(64 * sizeof(double)); /* malloc'd: freeing it twice would be caught */
  bg_value *out;
  bg_error err;

  /* fits, with room to spare */
  bgi_out_buffer roomy = {mine, 64 * sizeof(double)};
  assert_int_equal(bgi_ndarray_stream_decode(bb, &roomy, &out, &err), BG_OK);
  assert_ptr_equal(bg_ndarray_data(out), mine);
  assert_int_equal(bg_ndarray_dtype(out), BG_DTYPE_DOUBLE);
  assert_int_equal(bg_ndarray_count(out), 6);
  assert_int_equal(bg_ndarray_shape(out)[1], 3);
  assert_null(bg_ndarray_data_mut(out)); /* borrowed: the buffer is the caller's */
  bg_value_free(out);
  assert_memory_equal(mine, d, sizeof d); /* bg_value_free left it alone */

  /* exact fit, reused: the second decode overwrites the first */
  memset(mine, 0, 64 * sizeof(double));
  bgi_out_buffer exact = {mine, sizeof d};
  assert_int_equal(bgi_ndarray_stream_decode(bb, &exact, &out, &err), BG_OK);
  assert_ptr_equal(bg_ndarray_data(out), mine);
  assert_memory_equal(bg_ndarray_data(out), d, sizeof d);
  bg_value_free(out);

  /* one byte short: fresh memory the output owns, values intact */
  bgi_out_buffer small = {mine, sizeof d - 1};
  assert_int_equal(bgi_ndarray_stream_decode(bb, &small, &out, &err), BG_OK);
  assert_ptr_not_equal(bg_ndarray_data(out), mine);
  assert_ptr_equal(bg_ndarray_data_mut(out), bg_ndarray_data(out));
  assert_memory_equal(bg_ndarray_data(out), d, sizeof d);
  bg_value_free(out);

  /* no buffer (capacity ignored without one) */
  bgi_out_buffer none = {NULL, 1 << 20};
  assert_int_equal(bgi_ndarray_stream_decode(bb, &none, &out, &err), BG_OK);
  assert_ptr_equal(bg_ndarray_data_mut(out), bg_ndarray_data(out));
  bg_value_free(out);
  grpc_byte_buffer_destroy(bb);

  assert_every_cut_refused(bytes, size, &roomy); /* the buffer stays the caller's */
  free(bytes);
  bg_value_free(v);

  /* an int64 ndarray and a JSON reply are not this decoder's: left to protobuf-c */
  assert_int64_left_to_protobuf_c(&roomy);
  const uint8_t json[] = {0x42, 0x09, 0x11, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f}; /* json: 1.0 */
  bb = sliced(json, sizeof json, NULL, 0);
  assert_int_equal(bgi_ndarray_stream_decode(bb, &roomy, &out, &err), BG_ERR_UNSUPPORTED);
  assert_null(out);
  grpc_byte_buffer_destroy(bb);

  /* float values written into the buffer, then a dtype saying int64: given up (protobuf-c
   * decides), and the caller's buffer is not freed with the values */
  const uint8_t late_dtype[] = {0x0a, 0x0c, 0x1a, 0x08, 0,    0,    0x80,
                                0x3f, 0,    0,    0,    0x40, 0x08, 0x05};
  bb = sliced(late_dtype, sizeof late_dtype, NULL, 0);
  assert_int_equal(bgi_ndarray_stream_decode(bb, &roomy, &out, &err), BG_ERR_UNSUPPORTED);
  assert_null(out);
  grpc_byte_buffer_destroy(bb);

  /* nor when the shape disagrees with the values (a protocol error after the values) */
  const uint8_t bad_shape[] = {0x0a, 0x0f, 0x12, 0x01, 0x03, 0x1a, 0x08, 0,   0,
                               0x80, 0x3f, 0,    0,    0,    0x40, 0x08, 0x01};
  bb = sliced(bad_shape, sizeof bad_shape, NULL, 0);
  assert_int_equal(bgi_ndarray_stream_decode(bb, &roomy, &out, &err), BG_ERR_PROTOCOL);
  assert_null(out);
  grpc_byte_buffer_destroy(bb);

  /* an empty array fits any buffer */
  const uint8_t empty[] = {0x0a, 0x04, 0x08, 0x01, 0x1a, 0x00};
  bb = sliced(empty, sizeof empty, NULL, 0);
  assert_int_equal(bgi_ndarray_stream_decode(bb, &roomy, &out, &err), BG_OK);
  assert_int_equal(bg_ndarray_count(out), 0);
  assert_ptr_equal(bg_ndarray_data(out), mine);
  bg_value_free(out);
  grpc_byte_buffer_destroy(bb);
  free(mine);
}

/* A reply with an empty shape and one value (a 0-d array as it would be encoded) decodes as
 * 1-D [1] (§4.1 step 4), into fresh memory and into the caller's buffer. */
static void test_empty_shape_is_one_dimensional(void **state) {
  (void)state;
  float x = -0.5f;
  bg_value *v = bg_ndarray_borrow(BG_DTYPE_FLOAT, NULL, 0, &x, 1, NULL);
  size_t size;
  uint8_t *bytes = pack_response(v, &size);
  /* Response{ndarray{dtype:DTYPE_FLOAT, float_values:[-0.5]}}: no shape field */
  const uint8_t expected[] = {0x0a, 0x08, 0x08, 0x01, 0x1a, 0x04, 0x00, 0x00, 0x00, 0xbf};
  assert_int_equal(size, sizeof expected);
  assert_memory_equal(bytes, expected, size);
  float mine[4];
  bgi_out_buffer none = {NULL, 0}, roomy = {mine, sizeof mine};
  const bgi_out_buffer *intos[] = {&none, &roomy};
  for (size_t i = 0; i < 2; i++) {
    grpc_byte_buffer *bb = sliced(bytes, size, NULL, 0);
    bg_value *out;
    bg_error err;
    assert_int_equal(bgi_ndarray_stream_decode(bb, intos[i], &out, &err), BG_OK);
    assert_int_equal(bg_ndarray_ndim(out), 1);
    assert_int_equal(bg_ndarray_shape(out)[0], 1);
    assert_int_equal(bg_ndarray_count(out), 1);
    assert_true(*(const float *)bg_ndarray_data(out) == -0.5f);
    bg_value_free(out);
    grpc_byte_buffer_destroy(bb);
  }
  free(bytes);
  bg_value_free(v);
}

/* Prepends `tag` and the varint of the `*len` bytes at *p (a length-delimited field). */
static void wrap(uint8_t tag, uint8_t **p, size_t *len) {
  uint8_t varint[10];
  size_t n = 0, v = *len;
  do {
    varint[n++] = (uint8_t)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
    v >>= 7;
  } while (v);
  *p -= n;
  memcpy(*p, varint, n);
  *--*p = tag;
  *len += n + 1;
}

/* Response{json: [[[...[1]...]]]} nested `levels` lists deep, built from the inside out. */
static grpc_byte_buffer *nested_json(int levels) {
  size_t cap = 32 + (size_t)levels * 12;
  uint8_t *buf = malloc(cap), *p = buf + cap;
  size_t len = 9;
  p -= 9;
  p[0] = 0x11; /* Value.number_value = 1.0 */
  memcpy(p + 1, "\0\0\0\0\0\0\xf0\x3f", 8);
  for (int i = 0; i < levels; i++) {
    wrap(0x0a, &p, &len); /* ListValue.values */
    wrap(0x32, &p, &len); /* Value.list_value */
  }
  wrap(0x42, &p, &len); /* Response.json */
  grpc_slice slice = grpc_slice_from_copied_buffer((const char *)p, len);
  grpc_byte_buffer *bb = grpc_raw_byte_buffer_create(&slice, 1);
  grpc_slice_unref(slice);
  free(buf);
  return bb;
}

/* protobuf-c recurses without a limit: nesting is checked before it parses. */
static void test_deep_nesting_refused(void **state) {
  (void)state;
  ProtobufCMessage *msg = NULL;
  bg_error err;
  grpc_byte_buffer *ok = nested_json(20); /* 41 message levels */
  assert_int_equal(
      bgi_wire_unpack(&bentoml__grpc__v1__response__descriptor, ok, "reply", &msg, &err), BG_OK);
  protobuf_c_message_free_unpacked(msg, NULL);
  grpc_byte_buffer_destroy(ok);
  grpc_byte_buffer *deep = nested_json(50); /* 101 levels */
  assert_int_equal(
      bgi_wire_unpack(&bentoml__grpc__v1__response__descriptor, deep, "reply", &msg, &err),
      BG_ERR_PROTOCOL);
  assert_non_null(strstr(err.message, "deeper than 100 levels"));
  grpc_byte_buffer_destroy(deep);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_matches_whatever_the_slices),
      cmocka_unit_test(test_double_and_refusals),
      cmocka_unit_test(test_into_the_callers_buffer),
      cmocka_unit_test(test_empty_shape_is_one_dimensional),
      cmocka_unit_test(test_deep_nesting_refused),
  };
  return cmocka_run_group_tests_name("stream", tests, NULL, NULL);
}
