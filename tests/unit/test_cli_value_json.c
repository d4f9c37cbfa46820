/* The CLI's --format json documents (tools/cli_value_json.c, cli_exit.c) are strict RFC 8259
 * JSON that any parser reads, here jansson's (which, like JavaScript's and Go's, has no NaN or
 * Infinity): non-finite floats as "NaN"/"Infinity"/"-Infinity", one line per document; error
 * messages that are not UTF-8 escaped as the text \xHH. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>
#include <math.h>

#include <bentogrpc/bentogrpc.h>

#include "cli_exit.h"
#include "cli_value_json.h"
#include "ndarray_json.h"

/* The document cli_print_value_json writes for `v`, parsed; it must be one line. */
static json_t *printed(const bg_value *v) {
  char *text = NULL;
  size_t len = 0;
  FILE *out = open_memstream(&text, &len);
  assert_non_null(out);
  assert_int_equal(cli_print_value_json(out, v, NULL), 0);
  assert_int_equal(fclose(out), 0);
  assert_null(strchr(text, '\n'));
  json_error_t error;
  json_t *doc = json_loads(text, 0, &error);
  if (!doc)
    fail_msg("not JSON (%s): %s", error.text, text);
  free(text);
  return doc;
}

static json_t *data_of(json_t *doc) {
  return json_object_get(json_object_get(doc, "value"), "data");
}

static void test_non_finite_floats_are_strings(void **state) {
  (void)state;
  double x[] = {NAN, INFINITY, -INFINITY, 1.5};
  int64_t shape[] = {4};
  bg_error err;
  bg_value *v = bg_ndarray_borrow(BG_DTYPE_DOUBLE, shape, 1, x, 4, &err);
  assert_non_null(v);
  json_t *doc = printed(v);
  json_t *data = data_of(doc);
  assert_string_equal(json_string_value(json_array_get(data, 0)), "NaN");
  assert_string_equal(json_string_value(json_array_get(data, 1)), "Infinity");
  assert_string_equal(json_string_value(json_array_get(data, 2)), "-Infinity");
  assert_true(json_real_value(json_array_get(data, 3)) == 1.5);
  json_decref(doc);
  bg_value_free(v);

  float f[] = {NAN, 2.5f};
  v = bg_series_borrow(BG_DTYPE_FLOAT, f, 2, &err);
  assert_non_null(v);
  doc = printed(v);
  assert_string_equal(json_string_value(json_array_get(data_of(doc), 0)), "NaN");
  json_decref(doc);
  bg_value_free(v);
}

/* A bare JSON scalar given to --ndarray is a 0-d array (shape [], one element), as numpy's
 * np.array(3.5) is; a 0-d value prints as its one element with "shape":[]. A byte-order
 * character in --dtype names the type only: the values are read from text into host order. */
static void test_zero_d_ndarray(void **state) {
  (void)state;
  bg_error err;
  bg_value *v = cli_ndarray_from_json("3.5", NULL, "--ndarray", &err);
  assert_non_null(v);
  assert_int_equal(bg_ndarray_dtype(v), BG_DTYPE_DOUBLE);
  assert_int_equal(bg_ndarray_ndim(v), 0);
  assert_int_equal(bg_ndarray_count(v), 1);
  assert_true(*(const double *)bg_ndarray_data(v) == 3.5);
  char *text = NULL;
  size_t len = 0;
  FILE *out = open_memstream(&text, &len);
  assert_int_equal(cli_print_ndarray(out, v), 0);
  assert_int_equal(fclose(out), 0);
  assert_string_equal(text, "{\"dtype\":\"float64\",\"shape\":[],\"data\":3.5}\n");
  free(text);
  json_t *doc = printed(v);
  assert_true(json_real_value(data_of(doc)) == 3.5);
  json_decref(doc);
  bg_value_free(v);

  v = cli_ndarray_from_json("7", ">i4", "--ndarray", &err);
  assert_non_null(v);
  assert_int_equal(bg_ndarray_dtype(v), BG_DTYPE_INT32);
  assert_int_equal(bg_ndarray_ndim(v), 0);
  assert_int_equal(*(const int32_t *)bg_ndarray_data(v), 7);
  bg_value_free(v);
}

static void test_dataframe_column_with_nan(void **state) {
  (void)state;
  bg_error err;
  double col[] = {NAN, 3.0};
  bg_value *df = bg_dataframe_new(&err), *s = bg_series_borrow(BG_DTYPE_DOUBLE, col, 2, &err);
  assert_non_null(df);
  assert_non_null(s);
  assert_int_equal(bg_dataframe_add_column(df, "a", s, &err), BG_OK);
  json_t *doc = printed(df);
  json_t *column = json_array_get(json_object_get(doc, "columns"), 0);
  assert_string_equal(json_string_value(json_object_get(column, "name")), "a");
  assert_string_equal(json_string_value(json_array_get(
                          json_object_get(json_object_get(column, "value"), "data"), 0)),
                      "NaN");
  json_decref(doc);
  bg_value_free(df);
}

/* Strings are UTF-8 by construction (bg_ndarray_copy refuses others); controls are escaped. */
static void test_strings_with_controls(void **state) {
  (void)state;
  const char *strings[] = {"plain", "tab\tand \x1b[2J", "quote \" and \\"};
  int64_t shape[] = {3};
  bg_error err;
  bg_value *v = bg_ndarray_copy(BG_DTYPE_STRING, shape, 1, strings, 3, &err);
  assert_non_null(v);
  json_t *doc = printed(v);
  json_t *data = data_of(doc);
  for (size_t i = 0; i < 3; i++)
    assert_string_equal(json_string_value(json_array_get(data, i)), strings[i]);
  json_decref(doc);
  bg_value_free(v);
}

static void test_error_document(void **state) {
  (void)state;
  char *text = NULL;
  size_t len = 0;
  FILE *out = open_memstream(&text, &len);
  cli_print_json_error(out, "BG_ERR_SERVER", 5, "server said \xfe \"no\"",
                       cli_exit_code(BG_ERR_SERVER));
  assert_int_equal(fclose(out), 0);
  json_error_t error;
  json_t *doc = json_loads(text, 0, &error);
  if (!doc)
    fail_msg("not JSON (%s): %s", error.text, text);
  json_t *e = json_object_get(doc, "error");
  assert_string_equal(json_string_value(json_object_get(e, "status")), "BG_ERR_SERVER");
  assert_int_equal(json_integer_value(json_object_get(e, "grpc_status")), 5);
  assert_string_equal(json_string_value(json_object_get(e, "grpc_status_name")), "NOT_FOUND");
  assert_string_equal(json_string_value(json_object_get(e, "message")), "server said \\xfe \"no\"");
  assert_int_equal(json_integer_value(json_object_get(e, "exit_code")), CLI_EXIT_SERVER);
  assert_string_equal(text + len - 1, "\n");
  json_decref(doc);
  free(text);
}

static void test_exit_codes(void **state) {
  (void)state;
  assert_int_equal(cli_exit_code(BG_OK), CLI_EXIT_OK);
  assert_int_equal(cli_exit_code(BG_ERR_INVALID_ARGUMENT), CLI_EXIT_USAGE);
  assert_int_equal(cli_exit_code(BG_ERR_UNAVAILABLE), CLI_EXIT_UNAVAILABLE);
  assert_int_equal(cli_exit_code(BG_ERR_DEADLINE), CLI_EXIT_DEADLINE);
  assert_int_equal(cli_exit_code(BG_ERR_TIMEOUT), CLI_EXIT_DEADLINE);
  assert_int_equal(cli_exit_code(BG_ERR_SERVER), CLI_EXIT_SERVER);
  assert_int_equal(cli_exit_code(BG_ERR_UNKNOWN_API), CLI_EXIT_SERVER);
  assert_int_equal(cli_exit_code(BG_ERR_PROTOCOL), CLI_EXIT_OTHER);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_non_finite_floats_are_strings),
      cmocka_unit_test(test_zero_d_ndarray),
      cmocka_unit_test(test_dataframe_column_with_nan),
      cmocka_unit_test(test_strings_with_controls),
      cmocka_unit_test(test_error_document),
      cmocka_unit_test(test_exit_codes),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
