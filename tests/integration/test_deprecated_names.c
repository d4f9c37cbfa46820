/* The public names renamed under docs/INTERNALS.md "Public names" keep their old spelling for
 * this minor version: each old name is still exported by libbentogrpc.so (built and linked
 * here against the shared library, as an existing program would be) and does what the new
 * name does. The `abi` test proves the symbols are still there; this one proves they work.
 * No server: every function checked here answers without one. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <bentogrpc/bentogrpc.h>

/* The old names are called on purpose: their deprecation warning is what -Werror would stop. */
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"

static void test_enum_names(void **state) {
  (void)state;
  assert_string_equal(bg_status_str(BG_ERR_DEADLINE), bg_status_name(BG_ERR_DEADLINE));
  assert_string_equal(bg_status_str(BG_ERR_DEADLINE), "BG_ERR_DEADLINE");
  assert_string_equal(bg_grpc_status_str(3), bg_grpc_status_name(3));
  assert_string_equal(bg_grpc_status_str(3), "INVALID_ARGUMENT");
  assert_string_equal(bg_health_status_str(BG_HEALTH_SERVING), "SERVING");
  assert_string_equal(bg_health_status_str(BG_HEALTH_NOT_SERVING),
                      bg_health_status_name(BG_HEALTH_NOT_SERVING));
  assert_string_equal(bg_log_level_str(BG_LOG_WARN), "warn");
  assert_string_equal(bg_log_level_str((bg_log_level)99), bg_log_level_name((bg_log_level)99));
}

static int handler_calls;
static void count_events(bg_log_level level, const char *source, const char *message,
                         void *user_data) {
  (void)level, (void)source, (void)message;
  *(int *)user_data += 1;
}

static void test_log_settings(void **state) {
  (void)state;
  bg_log_level before = bg_log_get_level();
  bg_set_log_level(BG_LOG_ERROR);
  assert_int_equal(bg_log_get_level(), BG_LOG_ERROR);
  assert_int_equal(bg_get_log_level(), BG_LOG_ERROR);
  bg_log_set_level(BG_LOG_DEBUG);
  assert_int_equal(bg_get_log_level(), BG_LOG_DEBUG);
  /* the old handler setter installs the handler the new one would: a failed connect at debug
   * level logs through it */
  handler_calls = 0;
  bg_set_log_handler(count_events, &handler_calls);
  bg_error err;
  bg_options *o = bg_options_new();
  assert_non_null(o);
  assert_int_equal(bg_options_set_discovery_timeout_ms(o, 200, &err), BG_OK);
  assert_null(bg_client_from_url("127.0.0.1:1", o, &err));
  bg_options_free(o);
  assert_true(handler_calls > 0);
  bg_set_log_handler(NULL, NULL);
  bg_log_set_level(before);
}

static void test_option_setters(void **state) {
  (void)state;
  bg_error err;
  bg_options *o = bg_options_new();
  assert_non_null(o);
  assert_int_equal(bg_options_allow_insecure_credentials(o, true, &err), BG_OK);
  assert_int_equal(bg_options_allow_insecure_credentials(NULL, true, &err),
                   BG_ERR_INVALID_ARGUMENT);
  /* the int64_t limits keep their -1 and their messages; the size_t ones take BG_NO_LIMIT */
  assert_int_equal(bg_options_set_max_receive_bytes(o, -1, &err), BG_OK);
  assert_int_equal(bg_options_set_max_receive_bytes(o, 1 << 20, &err), BG_OK);
  assert_int_equal(bg_options_set_max_receive_bytes(o, -2, &err), BG_ERR_INVALID_ARGUMENT);
  assert_non_null(strstr(err.message, "max receive bytes must be -1 (no limit) or 1..2147483647"));
  assert_int_equal(bg_options_set_max_send_bytes(o, (int64_t)INT32_MAX + 1, &err),
                   BG_ERR_INVALID_ARGUMENT);
  assert_non_null(strstr(err.message, "max send bytes must be -1 (no limit)"));
  assert_int_equal(bg_options_set_max_send_bytes(o, -1, &err), BG_OK);
  assert_int_equal(bg_options_set_max_receive_size(o, BG_NO_LIMIT, &err), BG_OK);
  assert_int_equal(bg_options_set_max_send_size(o, 4096, &err), BG_OK);
  assert_int_equal(bg_options_set_max_send_size(o, 0, &err), BG_ERR_INVALID_ARGUMENT);
  assert_non_null(strstr(err.message, "max send size must be 1..2147483647 bytes or BG_NO_LIMIT"));
  assert_int_equal(bg_options_set_max_receive_size(o, (size_t)INT32_MAX + 1, &err),
                   BG_ERR_INVALID_ARGUMENT);
  bg_options_free(o);
}

static void test_dataframe_accessors(void **state) {
  (void)state;
  bg_error err;
  int64_t a[] = {1, 2}, b[] = {3, 4};
  bg_value *df = bg_dataframe_new(&err);
  assert_non_null(df);
  assert_int_equal(
      bg_dataframe_add_column(df, "a", bg_series_copy(BG_DTYPE_INT64, a, 2, &err), &err), BG_OK);
  assert_int_equal(
      bg_dataframe_add_column(df, "b", bg_series_copy(BG_DTYPE_INT64, b, 2, &err), &err), BG_OK);
  for (size_t i = 0; i < 3; i++) { /* 2 is out of range: NULL from both */
    assert_ptr_equal(bg_dataframe_column(df, i), bg_dataframe_column_at(df, i));
    assert_ptr_equal(bg_dataframe_column_name(df, i), bg_dataframe_column_name_at(df, i));
  }
  assert_string_equal(bg_dataframe_column_name(df, 1), "b");
  assert_ptr_equal(bg_dataframe_find_column(df, "b"), bg_dataframe_column_at(df, 1));
  assert_null(bg_dataframe_find_column(df, "c"));
  bg_value_free(df);
}

static void test_async_handle_functions(void **state) {
  (void)state;
  /* both accept NULL, as the new names do; a handle of a running call is covered through the
   * new names by integration_async, and the old ones only forward to them */
  assert_false(bg_async_call_cancel(NULL));
  bg_async_call_release(NULL);
  struct bg_async_call *old_spelling = NULL; /* the struct tag still names the handle type */
  bg_async_op *new_spelling = old_spelling;
  assert_null(new_spelling);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_enum_names),
      cmocka_unit_test(test_log_settings),
      cmocka_unit_test(test_option_setters),
      cmocka_unit_test(test_dataframe_accessors),
      cmocka_unit_test(test_async_handle_functions),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
