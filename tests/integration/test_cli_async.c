/* cli_call_concurrent and cli_run_load (the CLI's `call --concurrency N --count M` and
 * `bench`) against the reference server: the summary they print and the exit code. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cli_async.h"
#include "test_assert.h"
#include "test_server.h"

static bgt_server server;

static int setup(void **state) {
  *state = &server; /* stopped by bgt_server_group_teardown */
  const char *args[] = {"--slow-ms", "3000", NULL};
  return bgt_server_start(&server, args);
}

/* Runs cli_call_concurrent and returns its exit code; *text gets what it printed. */
static int run(const char *url, const char *api, const bg_value *in, const bg_call_options *co,
               int concurrency, long count, char **text) {
  size_t size;
  FILE *out = open_memstream(text, &size);
  int rc = cli_call_concurrent(url, api, in, NULL, co, concurrency, count, out);
  fclose(out);
  return rc;
}

/* Runs cli_run_load and returns its exit code; *text gets what it printed (free it). */
static int run_load(const cli_load *load, char **text) {
  size_t size;
  *text = NULL;
  FILE *out = open_memstream(text, &size);
  int rc = cli_run_load(load, out);
  fclose(out);
  return rc;
}

static void test_all_succeed(void **state) {
  (void)state;
  int32_t x[] = {1, 2, 3};
  int64_t shape[] = {3};
  bg_value *in = bg_ndarray_borrow(BG_DTYPE_INT32, shape, 1, x, 3, NULL);
  char *text = NULL;
  assert_int_equal(run(server.url, "double_ndarray", in, NULL, 16, 300, &text), 0);
  assert_contains(text, "calls: 300  ok: 300  failed: 0  concurrency: 16");
  assert_contains(text, "calls/s: ");
  free(text);
  bg_value_free(in);
}

static void test_server_errors_are_counted(void **state) {
  (void)state;
  const char *s[] = {"ab"};
  int64_t shape[] = {1};
  bg_value *in = bg_ndarray_borrow(BG_DTYPE_STRING, shape, 1, s, 1, NULL);
  char *text = NULL;
  assert_int_equal(run(server.url, "echo_ndarray", in, NULL, 8, 50, &text), 5);
  assert_contains(text, "calls: 50  ok: 0  failed: 50");
  assert_contains(text, "failed with BG_ERR_SERVER: 50");
  assert_contains(text, "first error: ");
  assert_contains(text, "Unsupported dtype");
  free(text);
  bg_value_free(in);
}

static void test_deadlines_are_counted(void **state) {
  (void)state;
  int32_t x[] = {1};
  int64_t shape[] = {1};
  bg_value *in = bg_ndarray_borrow(BG_DTYPE_INT32, shape, 1, x, 1, NULL);
  bg_call_options *co = bg_call_options_new();
  bg_call_options_set_deadline_ms(co, 100, NULL);
  char *text = NULL;
  assert_int_equal(run(server.url, "slow_echo_ndarray", in, co, 4, 8, &text), 4);
  assert_contains(text, "failed with BG_ERR_DEADLINE: 8");
  free(text);
  bg_call_options_free(co);
  bg_value_free(in);
}

static void test_refusals(void **state) {
  (void)state;
  int32_t x[] = {1};
  int64_t shape[] = {1};
  bg_value *in = bg_ndarray_borrow(BG_DTYPE_INT32, shape, 1, x, 1, NULL);
  char *text = NULL;
  assert_int_equal(run(server.url, "no_such_api", in, NULL, 4, 10, &text), 5);
  assert_string_equal(text, ""); /* the error goes to stderr; nothing was run */
  free(text);
  assert_int_equal(run(server.url, "double_ndarray", in, NULL, 0, 10, &text), 2);
  free(text);
  assert_int_equal(run(server.url, "double_ndarray", in, NULL, 4, 0, &text), 2);
  free(text);
  char url[64];
  snprintf(url, sizeof url, "127.0.0.1:%d", bgt_unused_port());
  assert_int_equal(run(url, "double_ndarray", in, NULL, 4, 10, &text), 3);
  free(text);
  /* Raw: no discovery, but the connection is waited for; nothing runs, nothing is reported. */
  cli_load raw = {.url = url,
                  .api = "double_ndarray",
                  .input = in,
                  .raw = true,
                  .connect_timeout_ms = 5000,
                  .concurrency = 4,
                  .count = 10};
  assert_int_equal(run_load(&raw, &text), 3);
  assert_string_equal(text, "");
  free(text);
  bg_value_free(in);
}

/* A load with raw set calls without descriptors: custom IO that bg_async_call refuses. */
static void test_raw_load(void **state) {
  (void)state;
  bg_value *in = bg_bytes_copy("abc", 3, NULL);
  char *text;
  cli_load load = {
      .url = server.url, .api = "custom_io", .input = in, .concurrency = 4, .count = 20};
  assert_int_equal(run_load(&load, &text), 6); /* through descriptors: UNSUPPORTED */
  assert_string_equal(text, "");
  free(text);
  load.raw = true;
  assert_int_equal(run_load(&load, &text), 0);
  assert_contains(text, "calls: 20  ok: 20  failed: 0  concurrency: 4");
  free(text);
  bg_value_free(in);
}

/* A v1alpha1 server cannot be discovered: a raw load reaches it without discovery. */
static void test_raw_load_v1alpha1(void **state) {
  (void)state;
  bgt_server old;
  const char *args[] = {"--protocol-version", "v1alpha1", NULL};
  assert_int_equal(bgt_server_start(&old, args), 0);
  bg_options *options = bg_options_new();
  assert_int_equal(bg_options_set_protocol_version(options, "v1alpha1", NULL), BG_OK);
  int32_t x[] = {1, 2};
  int64_t shape[] = {2};
  bg_value *in = bg_ndarray_borrow(BG_DTYPE_INT32, shape, 1, x, 2, NULL);
  cli_load load = {.url = old.url,
                   .api = "double_ndarray",
                   .input = in,
                   .options = options,
                   .raw = true,
                   .concurrency = 4,
                   .count = 20};
  char *text;
  assert_int_equal(run_load(&load, &text), 0);
  assert_contains(text, "calls: 20  ok: 20  failed: 0  concurrency: 4");
  free(text);
  bg_value_free(in);
  bg_options_free(options);
  bgt_server_stop(&old);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_all_succeed),
      cmocka_unit_test(test_server_errors_are_counted),
      cmocka_unit_test(test_deadlines_are_counted),
      cmocka_unit_test(test_refusals),
      cmocka_unit_test(test_raw_load),
      cmocka_unit_test(test_raw_load_v1alpha1),
  };
  return cmocka_run_group_tests_name("cli_async", tests, setup, bgt_server_group_teardown);
}
