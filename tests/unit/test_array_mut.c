/* bg_ndarray_data_mut / bg_series_data_mut: writable only where the library owns the
 * elements, and the same buffer the read accessor returns (what the bindings rely on to
 * give numpy and Go the output without a copy). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "bentogrpc/bentogrpc.h"

static void test_owned_ndarray_is_writable_in_place(void **state) {
  (void)state;
  bg_error err;
  float x[4] = {1, 2, 3, 4};
  int64_t shape[2] = {2, 2};
  bg_value *v = bg_ndarray_copy(BG_DTYPE_FLOAT, shape, 2, x, 4, &err);
  assert_non_null(v);
  float *w = bg_ndarray_data_mut(v);
  assert_non_null(w);
  assert_ptr_equal(w, bg_ndarray_data(v));
  assert_ptr_not_equal(w, x);
  w[3] = 40.0f;
  assert_true(((const float *)bg_ndarray_data(v))[3] == 40.0f);
  assert_true(x[3] == 4.0f);
  assert_null(bg_series_data_mut(v)); /* wrong kind */
  bg_value_free(v);
}

static void test_borrowed_string_empty_and_other_kinds_are_not(void **state) {
  (void)state;
  bg_error err;
  double d[2] = {1, 2};
  int64_t shape[1] = {2};
  bg_value *borrowed = bg_ndarray_borrow(BG_DTYPE_DOUBLE, shape, 1, d, 2, &err);
  assert_non_null(borrowed);
  assert_null(bg_ndarray_data_mut(borrowed));
  bg_value_free(borrowed);

  const char *s[2] = {"a", "b"};
  bg_value *strings = bg_ndarray_copy(BG_DTYPE_STRING, shape, 1, s, 2, &err);
  assert_non_null(strings);
  assert_null(bg_ndarray_data_mut(strings));
  bg_value_free(strings);

  int64_t zero[1] = {0};
  bg_value *empty = bg_ndarray_copy(BG_DTYPE_FLOAT, zero, 1, NULL, 0, &err);
  assert_non_null(empty);
  assert_null(bg_ndarray_data_mut(empty));
  bg_value_free(empty);

  bg_value *text = bg_text_new("x", (size_t)-1, &err);
  assert_null(bg_ndarray_data_mut(text));
  bg_value_free(text);
  assert_null(bg_ndarray_data_mut(NULL));
}

static void test_owned_series_is_writable(void **state) {
  (void)state;
  bg_error err;
  int64_t v[3] = {1, 2, 3};
  bg_value *s = bg_series_copy(BG_DTYPE_INT64, v, 3, &err);
  assert_non_null(s);
  int64_t *w = bg_series_data_mut(s);
  assert_non_null(w);
  assert_ptr_equal(w, bg_series_data(s));
  w[0] = 7;
  assert_int_equal(((const int64_t *)bg_series_data(s))[0], 7);
  assert_null(bg_ndarray_data_mut(s));
  bg_value_free(s);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_owned_ndarray_is_writable_in_place),
      cmocka_unit_test(test_borrowed_string_empty_and_other_kinds_are_not),
      cmocka_unit_test(test_owned_series_is_writable),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
