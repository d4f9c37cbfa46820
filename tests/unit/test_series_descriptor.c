/* PandasSeries inputs cast to the API's dtype (descriptors/series_descriptor.c): a series of
 * another dtype of the same kind (numpy's same_kind rule) goes out in the spec's dtype, with
 * each element converted exactly; a value that does not fit, or a cast across kinds, is refused
 * before sending with the element and dtypes named. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "test_assert.h"

#include "descriptors/descriptor.h"
#include "frame_unpack.h"

/* The Series the last encode sent, read back by protobuf-c; freed by the next encode and at
 * the end. */
static ProtobufCMessage *last_sent;

static void free_last_sent(void) {
  protobuf_c_message_free_unpacked(last_sent, NULL);
  last_sent = NULL;
}

static int teardown(void **state) {
  (void)state;
  free_last_sent();
  return 0;
}

/* Encodes `input` for a PandasSeries spec of `dtype_name`, with validation on. */
static bg_status encode(const char *dtype_name, bg_value *input, bgi_arena *arena,
                        Bentoml__Grpc__V1__Series **out, bg_error *err) {
  json_t *args = json_pack("{s:s}", "dtype", dtype_name);
  void *spec = bgi_series_descriptor.parse_spec(args, err);
  json_decref(args);
  assert_non_null(spec);
  bgi_codec_ctx ctx = {.arena = arena, .validate = true};
  bgi_content content;
  bg_status st = bgi_descriptor_encode(&bgi_series_descriptor, spec, input, &ctx, &content, err);
  bgi_series_descriptor.free_spec(spec);
  if (st == BG_OK) { /* read while the input is alive: the frame points at its elements */
    assert_int_equal(content.member, BGI_MEMBER_SERIES);
    free_last_sent();
    last_sent = bgt_frame_unpack(&content.as.frame, BGI_MEMBER_SERIES);
    *out = (Bentoml__Grpc__V1__Series *)last_sent;
  }
  bg_value_free(input);
  return st;
}

static void test_bool_to_each_numeric_dtype(void **state) {
  (void)state;
  static const bool flags[3] = {true, false, true};
  bgi_arena arena;
  bgi_arena_init(&arena);
  bg_error err;
  Bentoml__Grpc__V1__Series *s;
  assert_int_equal(encode("int32", bg_series_copy(BG_DTYPE_BOOL, flags, 3, &err), &arena, &s, &err),
                   BG_OK);
  assert_int_equal(s->n_int32_values, 3);
  assert_int_equal(s->int32_values[0], 1);
  assert_int_equal(s->int32_values[1], 0);
  assert_int_equal(encode("int64", bg_series_copy(BG_DTYPE_BOOL, flags, 3, &err), &arena, &s, &err),
                   BG_OK);
  assert_int_equal(s->n_int64_values, 3);
  assert_int_equal(s->int64_values[2], 1);
  assert_int_equal(
      encode("float32", bg_series_copy(BG_DTYPE_BOOL, flags, 3, &err), &arena, &s, &err), BG_OK);
  assert_int_equal(s->n_float_values, 3);
  assert_true(s->float_values[0] == 1.0f && s->float_values[1] == 0.0f);
  assert_int_equal(
      encode("float64", bg_series_copy(BG_DTYPE_BOOL, flags, 3, &err), &arena, &s, &err), BG_OK);
  assert_int_equal(s->n_double_values, 3);
  assert_true(s->double_values[2] == 1.0);
  bgi_arena_fini(&arena);
}

static void test_numeric_casts(void **state) {
  (void)state;
  bgi_arena arena;
  bgi_arena_init(&arena);
  bg_error err;
  Bentoml__Grpc__V1__Series *s;
  static const float f[2] = {1.5f, -2.25f};
  assert_int_equal(encode("float64", bg_series_copy(BG_DTYPE_FLOAT, f, 2, &err), &arena, &s, &err),
                   BG_OK);
  assert_int_equal(s->n_double_values, 2);
  assert_true(s->double_values[0] == 1.5 && s->double_values[1] == -2.25);

  static const double d[2] = {0.1, 3.0e38};
  assert_int_equal(encode("float32", bg_series_copy(BG_DTYPE_DOUBLE, d, 2, &err), &arena, &s, &err),
                   BG_OK);
  assert_true(s->float_values[0] == 0.1f && s->float_values[1] == 3.0e38f);

  static const int32_t i32[2] = {INT32_MIN, 7};
  assert_int_equal(encode("int64", bg_series_copy(BG_DTYPE_INT32, i32, 2, &err), &arena, &s, &err),
                   BG_OK);
  assert_int_equal(s->int64_values[0], INT32_MIN);

  static const int64_t fits[2] = {INT32_MAX, INT32_MIN};
  assert_int_equal(encode("int32", bg_series_copy(BG_DTYPE_INT64, fits, 2, &err), &arena, &s, &err),
                   BG_OK);
  assert_int_equal(s->int32_values[0], INT32_MAX);
  assert_int_equal(s->int32_values[1], INT32_MIN);
  bgi_arena_fini(&arena);
}

static void test_refusals(void **state) {
  (void)state;
  bgi_arena arena;
  bgi_arena_init(&arena);
  bg_error err;
  Bentoml__Grpc__V1__Series *s = NULL;
  static const int64_t too_big[2] = {1, (int64_t)INT32_MAX + 1};
  assert_int_equal(
      encode("int32", bg_series_copy(BG_DTYPE_INT64, too_big, 2, &err), &arena, &s, &err),
      BG_ERR_INVALID_ARGUMENT);
  assert_string_equal(err.message,
                      "series: element 1 (2147483648) does not fit the API's int32 dtype");
  static const double d[1] = {1.0};
  assert_int_equal(encode("int64", bg_series_copy(BG_DTYPE_DOUBLE, d, 1, &err), &arena, &s, &err),
                   BG_ERR_INVALID_ARGUMENT);
  assert_contains(err.message, "reads only int64 values, but a float64 series was given");
  static const char *const words[1] = {"a"};
  assert_int_equal(
      encode("float64", bg_series_copy(BG_DTYPE_STRING, words, 1, &err), &arena, &s, &err),
      BG_ERR_INVALID_ARGUMENT);
  assert_contains(err.message, "cannot be cast to it");
  assert_null(s);
  bgi_arena_fini(&arena);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_bool_to_each_numeric_dtype),
      cmocka_unit_test(test_numeric_casts),
      cmocka_unit_test(test_refusals),
  };
  return cmocka_run_group_tests(tests, NULL, teardown);
}
