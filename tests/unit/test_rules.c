/* Client-side validation refuses only what BentoML's server refuses: numpy's same_kind casts
 * (rules.c) and the DataFrame descriptor's checks (PROTOCOL.md §4.1 step 5, §4.2). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "descriptors/descriptor.h"
#include "descriptors/rules.h"

/* np.can_cast(from, to, casting="same_kind") on numpy 1.24, rows from, columns to, in this order */
static const bg_dtype order[] = {BG_DTYPE_BOOL,  BG_DTYPE_FLOAT,  BG_DTYPE_DOUBLE, BG_DTYPE_INT32,
                                 BG_DTYPE_INT64, BG_DTYPE_UINT32, BG_DTYPE_UINT64};
static const int numpy_same_kind[7][7] = {
    {1, 1, 1, 1, 1, 1, 1}, /* from bool */
    {0, 1, 1, 0, 0, 0, 0}, /* from float32 */
    {0, 1, 1, 0, 0, 0, 0}, /* from float64 */
    {0, 1, 1, 1, 1, 0, 0}, /* from int32 */
    {0, 1, 1, 1, 1, 0, 0}, /* from int64 */
    {0, 1, 1, 1, 1, 1, 1}, /* from uint32 */
    {0, 1, 1, 1, 1, 1, 1}, /* from uint64 */
};

static void test_can_cast_is_numpy_same_kind(void **state) {
  (void)state;
  for (size_t i = 0; i < 7; i++)
    for (size_t j = 0; j < 7; j++)
      if (bgi_dtype_can_cast(order[i], order[j]) != (numpy_same_kind[i][j] == 1))
        fail_msg("can_cast(%s, %s) should be %d", bg_dtype_name(order[i]), bg_dtype_name(order[j]),
                 numpy_same_kind[i][j]);
  /* strings and numbers never cast either way */
  assert_false(bgi_dtype_can_cast(BG_DTYPE_STRING, BG_DTYPE_INT64));
  assert_false(bgi_dtype_can_cast(BG_DTYPE_FLOAT, BG_DTYPE_STRING));
}

static bg_status encode_dataframe(const char *spec_json, bg_value *df, bool validate,
                                  bg_error *err) {
  json_t *args = json_loads(spec_json, 0, NULL);
  void *spec = bgi_dataframe_descriptor.parse_spec(args, err);
  assert_non_null(spec);
  bgi_arena arena;
  bgi_arena_init(&arena);
  bgi_codec_ctx ctx = {.arena = &arena, .validate = validate};
  bgi_content content;
  bg_status st = bgi_descriptor_encode(&bgi_dataframe_descriptor, spec, df, &ctx, &content, err);
  bgi_arena_fini(&arena);
  bgi_dataframe_descriptor.free_spec(spec);
  json_decref(args);
  return st;
}

/* The server never checks a DataFrame's dtypes (§4.2 step 4): neither does the client. */
static void test_dataframe_dtypes_are_not_enforced(void **state) {
  (void)state;
  bg_error err;
  const char *words[] = {"x", "y"};
  bg_value *df = bg_dataframe_new(&err);
  bg_dataframe_add_column(df, "a", bg_series_copy(BG_DTYPE_STRING, words, 2, &err), &err);
  assert_int_equal(encode_dataframe("{\"orient\": \"columns\", \"dtype\": {\"a\": \"float32\"}, "
                                    "\"enforce_dtype\": true}",
                                    df, true, &err),
                   BG_OK);
  bg_value_free(df);
}

/* An empty column is refused by validation (the server refuses it too, §4.2 step 2), and sent
 * as given without it, so the server's own answer reaches the caller. */
static void test_dataframe_empty_column_only_refused_when_validating(void **state) {
  (void)state;
  bg_error err;
  bg_value *df = bg_dataframe_new(&err);
  bg_dataframe_add_column(df, "a", bg_series_copy(BG_DTYPE_DOUBLE, NULL, 0, &err), &err);
  const char *spec = "{\"orient\": \"columns\"}";
  assert_int_equal(encode_dataframe(spec, df, true, &err), BG_ERR_INVALID_ARGUMENT);
  assert_int_equal(encode_dataframe(spec, df, false, &err), BG_OK);
  bg_value_free(df);
}

/* Encodes `in` for a NumpyNdarray with the spec `spec_json`, validating. */
static bg_status encode_ndarray(const char *spec_json, const bg_value *in, bg_error *err) {
  json_t *args = json_loads(spec_json, 0, NULL);
  void *spec = bgi_ndarray_descriptor.parse_spec(args, err);
  assert_non_null(spec);
  bgi_arena arena;
  bgi_arena_init(&arena);
  bgi_codec_ctx ctx = {.arena = &arena, .validate = true};
  bgi_content content;
  bg_status st = bgi_descriptor_encode(&bgi_ndarray_descriptor, spec, in, &ctx, &content, err);
  bgi_arena_fini(&arena);
  bgi_ndarray_descriptor.free_spec(spec);
  json_decref(args);
  return st;
}

/* A 0-d value goes out with an empty shape, which the server reads as (1,) (§4.1 step 4):
 * an enforced spec shape is checked against (1,), as the server will check it. */
static void test_zero_d_is_checked_as_the_server_sees_it(void **state) {
  (void)state;
  bg_error err;
  float x = 2.5f;
  bg_value *scalar = bg_ndarray_borrow(BG_DTYPE_FLOAT, NULL, 0, &x, 1, &err);
  assert_int_equal(encode_ndarray("{\"shape\": [-1.0], \"enforce_shape\": true}", scalar, &err),
                   BG_OK);
  assert_int_equal(encode_ndarray("{\"shape\": [1.0], \"enforce_shape\": true}", scalar, &err),
                   BG_OK);
  assert_int_equal(encode_ndarray("{\"shape\": [], \"enforce_shape\": true}", scalar, &err),
                   BG_ERR_INVALID_ARGUMENT);
  assert_non_null(strstr(err.message, "expected shape () "));
  assert_non_null(strstr(err.message, "but (1,) was given (a 0-d value reaches the server as 1-D"));
  assert_int_equal(
      encode_ndarray("{\"shape\": [-1.0, 4.0], \"enforce_shape\": true}", scalar, &err),
      BG_ERR_INVALID_ARGUMENT);
  assert_non_null(strstr(err.message, "expected shape (-1, 4)"));
  assert_non_null(strstr(err.message, "but (1,) was given"));
  /* not enforced: the server only tries a reshape */
  assert_int_equal(encode_ndarray("{\"shape\": [2.0, 2.0]}", scalar, &err), BG_OK);
  bg_value_free(scalar);
  /* a 1-D value is still checked as itself */
  int64_t one[] = {1};
  bg_value *v = bg_ndarray_borrow(BG_DTYPE_FLOAT, one, 1, &x, 1, &err);
  assert_int_equal(encode_ndarray("{\"shape\": [], \"enforce_shape\": true}", v, &err),
                   BG_ERR_INVALID_ARGUMENT);
  assert_null(strstr(err.message, "0-d"));
  bg_value_free(v);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_can_cast_is_numpy_same_kind),
      cmocka_unit_test(test_dataframe_dtypes_are_not_enforced),
      cmocka_unit_test(test_dataframe_empty_column_only_refused_when_validating),
      cmocka_unit_test(test_zero_d_is_checked_as_the_server_sees_it),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
