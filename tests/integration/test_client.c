/* The sync client end to end against the reference server: discovery, introspection, calls
 * of every dtype, server-side validation errors, deadlines, a server that is not running,
 * readiness polling, address forms (IPv4, IPv6, localhost, unix) and one client shared by
 * eight threads. */
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <bentogrpc/bentogrpc.h>

#include "test_assert.h"
#include "test_fixture.h"

typedef bgt_fixture fixture;

static int setup(void **state) {
  static fixture f;
  const char *args[] = {"--slow-ms", "3000", NULL};
  *state = &f;
  return bgt_fixture_start(&f, args);
}

static int teardown(void **state) {
  bgt_fixture_stop(*state);
  return 0;
}

/* ---- discovery and introspection ---- */

static void test_discovery_lists_every_api(void **state) {
  fixture *f = *state;
  bg_client *c = f->client;
  assert_string_equal(bg_client_service_name(c), "reference_service");
  assert_int_equal(bg_client_api_count(c), 23);
  assert_string_equal(bg_api_name(bg_client_api_at(c, 0)), "bonjour");
  assert_null(bg_client_api_at(c, 23));
  assert_null(bg_client_api_find(c, "Predict")); /* exact, case-sensitive */

  const bg_api *predict = bg_client_api_find(c, "predict");
  assert_non_null(predict);
  assert_true(bg_api_is_supported(predict));
  assert_null(bg_api_unsupported_reason(predict));
  assert_string_equal(bg_api_input_descriptor(predict), "bentoml.io.NumpyNdarray");
  assert_string_equal(bg_api_output_descriptor(predict), "bentoml.io.NumpyNdarray");
  assert_non_null(bg_api_docs(predict));
  assert_contains(bg_api_docs(predict), "Sum each row");
  /* numbers arrive as doubles; the spec is shown as the server sent it */
  assert_string_equal(bg_api_input_attributes_json(predict),
                      "{\"args\":{\"dtype\":\"float32\",\"enforce_dtype\":true,"
                      "\"enforce_shape\":true,\"shape\":[-1.0,4.0]}}");
  assert_null(bg_api_docs(bg_client_api_find(c, "double_ndarray")));
}

static void test_unsupported_apis_stay_listed(void **state) {
  fixture *f = *state;
  const bg_api *custom = bg_client_api_find(f->client, "custom_io");
  assert_non_null(custom);
  assert_false(bg_api_is_supported(custom));
  assert_string_equal(bg_api_input_descriptor(custom), "acme.io.Custom");
  assert_contains(bg_api_unsupported_reason(custom), "acme.io.Custom");
  assert_string_equal(bg_api_input_attributes_json(custom), "{\"args\":{\"foo\":1.0}}");

  const bg_api *no_spec = bg_client_api_find(f->client, "no_spec");
  assert_false(bg_api_is_supported(no_spec));
  assert_null(bg_api_input_descriptor(no_spec));
  assert_string_equal(bg_api_input_attributes_json(no_spec), "{}");
  assert_contains(bg_api_unsupported_reason(no_spec), "no input descriptor");

  /* calling one fails before anything is sent, naming the reason */
  float x = 1;
  bg_value *in = bg_ndarray_borrow(BG_DTYPE_FLOAT, NULL, 0, &x, 1, NULL);
  bg_value *out = (bg_value *)1;
  bg_error err;
  assert_int_equal(bg_client_call(f->client, "custom_io", in, &out, NULL, &err),
                   BG_ERR_UNSUPPORTED);
  assert_null(out);
  assert_contains(err.message, "acme.io.Custom");
  bg_value_free(in);
}

/* ---- calls ---- */

static bg_value *echo(fixture *f, const bg_value *in, bg_status expect, bg_error *err) {
  bg_value *out = NULL;
  bg_status st = bg_client_call(f->client, "echo_ndarray", in, &out, NULL, err);
  if (st != expect)
    fail_msg("echo_ndarray returned %s: %s", bg_status_name(st), err->message);
  return out;
}

static void echo_and_compare(fixture *f, bg_dtype dtype, const void *data, size_t count) {
  int64_t shape[] = {1, (int64_t)count};
  bg_value *in = bg_ndarray_borrow(dtype, shape, 2, data, count, NULL);
  bg_error err;
  bg_value *out = echo(f, in, BG_OK, &err);
  assert_int_equal(bg_ndarray_dtype(out), dtype);
  assert_int_equal(bg_ndarray_ndim(out), 2);
  assert_int_equal(bg_ndarray_shape(out)[0], 1);
  assert_int_equal(bg_ndarray_shape(out)[1], (int64_t)count);
  assert_int_equal(bg_ndarray_count(out), count);
  assert_memory_equal(bg_ndarray_data(out), data, count * bg_dtype_size(dtype));
  bg_value_free(out);
  bg_value_free(in);
}

static void test_echo_every_numeric_dtype(void **state) {
  fixture *f = *state;
  float fl[] = {1.5f, -2.25f, 3.4e38f};
  double d[] = {0.1, -1e300, 5e-324};
  bool b[] = {true, false, true, true};
  int32_t i32[] = {INT32_MIN, 0, INT32_MAX};
  int64_t i64[] = {INT64_MIN, -1, INT64_MAX};
  uint32_t u32[] = {0, UINT32_MAX};
  uint64_t u64[] = {0, UINT64_MAX};
  echo_and_compare(f, BG_DTYPE_FLOAT, fl, 3);
  echo_and_compare(f, BG_DTYPE_DOUBLE, d, 3);
  echo_and_compare(f, BG_DTYPE_BOOL, b, 4);
  echo_and_compare(f, BG_DTYPE_INT32, i32, 3);
  echo_and_compare(f, BG_DTYPE_INT64, i64, 3);
  echo_and_compare(f, BG_DTYPE_UINT32, u32, 2);
  echo_and_compare(f, BG_DTYPE_UINT64, u64, 2);
}

/* Strings travel to the server, but BentoML can never send a string array back
 * (PROTOCOL.md §4.1); its error must reach the caller unchanged. */
static void test_string_dtype_reaches_server(void **state) {
  fixture *f = *state;
  const char *s[] = {"ab", "cd"};
  int64_t shape[] = {2};
  bg_value *in = bg_ndarray_borrow(BG_DTYPE_STRING, shape, 1, s, 2, NULL);
  bg_error err;
  bg_value *out = echo(f, in, BG_ERR_SERVER, &err);
  assert_null(out);
  assert_int_equal(err.grpc_status, 3);
  assert_contains(err.message, "Unsupported dtype '<U2' for response message.");
  bg_value_free(in);
}

static void test_double_ndarray(void **state) {
  fixture *f = *state;
  int32_t x[] = {1, 2, 3, 4};
  int64_t shape[] = {2, 2};
  bg_value *in = bg_ndarray_copy(BG_DTYPE_INT32, shape, 2, x, 4, NULL);
  bg_value *out = NULL;
  bg_error err;
  assert_int_equal(bg_client_call(f->client, "double_ndarray", in, &out, NULL, &err), BG_OK);
  const int32_t *y = bg_ndarray_data(out);
  assert_int_equal(bg_ndarray_dtype(out), BG_DTYPE_INT32);
  assert_int_equal(y[0], 2);
  assert_int_equal(y[1], 4);
  assert_int_equal(y[2], 6);
  assert_int_equal(y[3], 8);
  bg_value_free(out);
  bg_value_free(in);
}

static void test_predict_batch(void **state) {
  fixture *f = *state;
  float x[3][4] = {{5.9f, 3, 5.1f, 1.8f}, {1, 2, 3, 4}, {0, 0, 0, 0}};
  int64_t shape[] = {3, 4};
  bg_value *in = bg_ndarray_borrow(BG_DTYPE_FLOAT, shape, 2, x, 12, NULL);
  bg_value *out = NULL;
  bg_error err;
  assert_int_equal(bg_client_call(f->client, "predict", in, &out, NULL, &err), BG_OK);
  assert_int_equal(bg_ndarray_dtype(out), BG_DTYPE_FLOAT);
  assert_int_equal(bg_ndarray_ndim(out), 1);
  assert_int_equal(bg_ndarray_shape(out)[0], 3);
  const float *y = bg_ndarray_data(out);
  assert_float_equal(y[0], 15.8f, 1e-5);
  assert_float_equal(y[1], 10.0f, 1e-6);
  assert_float_equal(y[2], 0.0f, 0);
  bg_value_free(out);
  bg_value_free(in);
}

static void test_zero_d_and_empty_arrays(void **state) {
  fixture *f = *state;
  int64_t scalar = 7;
  bg_value *in = bg_ndarray_borrow(BG_DTYPE_INT64, NULL, 0, &scalar, 1, NULL);
  bg_error err;
  bg_value *out = echo(f, in, BG_OK, &err);
  assert_int_equal(bg_ndarray_ndim(out), 1); /* BentoML answers shape [1] for a 0-d input */
  assert_int_equal(bg_ndarray_shape(out)[0], 1);
  assert_int_equal(*(const int64_t *)bg_ndarray_data(out), 7);
  bg_value_free(out);
  bg_value_free(in);

  int64_t empty_shape[] = {0};
  in = bg_ndarray_borrow(BG_DTYPE_FLOAT, empty_shape, 1, NULL, 0, NULL);
  out = echo(f, in, BG_OK, &err);
  assert_int_equal(bg_ndarray_dtype(out), BG_DTYPE_FLOAT);
  assert_int_equal(bg_ndarray_count(out), 0);
  assert_int_equal(bg_ndarray_shape(out)[0], 0);
  bg_value_free(out);
  bg_value_free(in);
}

static void test_unknown_api(void **state) {
  fixture *f = *state;
  float x = 1;
  bg_value *in = bg_ndarray_borrow(BG_DTYPE_FLOAT, NULL, 0, &x, 1, NULL);
  bg_value *out = (bg_value *)1;
  bg_error err;
  assert_int_equal(bg_client_call(f->client, "no_such_api", in, &out, NULL, &err),
                   BG_ERR_UNKNOWN_API);
  assert_null(out);
  assert_contains(err.message, "no API named 'no_such_api'");
  assert_contains(err.message, "predict"); /* lists what there is */
  bg_value_free(in);
}

/* An enforced dtype is checked before anything is sent; with validation off the server's
 * own INVALID_ARGUMENT and message reach the caller unchanged. */
static void test_enforced_dtype(void **state) {
  fixture *f = *state;
  const char *s[] = {"2", "2f"};
  int64_t shape[] = {2};
  bg_value *in = bg_ndarray_borrow(BG_DTYPE_STRING, shape, 1, s, 2, NULL);
  bg_value *out = NULL;
  bg_error err;
  assert_int_equal(bg_client_call(f->client, "echo_ndarray_enforce_dtype", in, &out, NULL, &err),
                   BG_ERR_INVALID_ARGUMENT);
  assert_int_equal(err.grpc_status, 0); /* nothing was sent */
  assert_contains(err.message, "API 'echo_ndarray_enforce_dtype' input");
  assert_contains(err.message, "expected dtype float32");
  assert_contains(err.message, "but str was given");

  bg_call_options *co = bg_call_options_new();
  assert_int_equal(bg_call_options_set_validate(co, false, NULL), BG_OK);
  assert_int_equal(bg_client_call(f->client, "echo_ndarray_enforce_dtype", in, &out, co, &err),
                   BG_ERR_SERVER);
  assert_int_equal(err.grpc_status, 3); /* INVALID_ARGUMENT */
  assert_contains(err.message, "INVALID_ARGUMENT");
  assert_contains(
      err.message,
      "NumpyNdarray: Expecting ndarray of dtype \"float32\", but \"<U2\" was received.");
  assert_contains(err.message, "echo_ndarray_enforce_dtype");

  /* a same-kind cast is what the server does silently, so it is not refused */
  double d[] = {1.5, 2.5};
  bg_value *doubles = bg_ndarray_borrow(BG_DTYPE_DOUBLE, shape, 1, d, 2, NULL);
  assert_int_equal(
      bg_client_call(f->client, "echo_ndarray_enforce_dtype", doubles, &out, NULL, &err), BG_OK);
  assert_int_equal(bg_ndarray_dtype(out), BG_DTYPE_FLOAT);
  bg_value_free(out);
  bg_value_free(doubles);
  bg_call_options_free(co);
  bg_value_free(in);
}

static void test_enforced_shape(void **state) {
  fixture *f = *state;
  double x[4] = {1, 2, 3, 4};
  int64_t shape[] = {4};
  bg_value *in = bg_ndarray_borrow(BG_DTYPE_DOUBLE, shape, 1, x, 4, NULL);
  bg_value *out = NULL;
  bg_error err;
  assert_int_equal(bg_client_call(f->client, "echo_ndarray_enforce_shape", in, &out, NULL, &err),
                   BG_ERR_INVALID_ARGUMENT);
  assert_contains(err.message, "expected shape (2, 2)");
  assert_contains(err.message, "but (4,) was given");

  bg_call_options *co = bg_call_options_new();
  assert_int_equal(bg_call_options_set_validate(co, false, NULL), BG_OK);
  assert_int_equal(bg_client_call(f->client, "echo_ndarray_enforce_shape", in, &out, co, &err),
                   BG_ERR_SERVER);
  assert_int_equal(err.grpc_status, 3);
  assert_contains(err.message, "Expecting ndarray of shape \"(2, 2)\", but \"(4,)\" was received.");
  bg_call_options_free(co);
  bg_value_free(in);
}

static void test_deadline_exceeded(void **state) {
  fixture *f = *state;
  float x = 1;
  bg_value *in = bg_ndarray_borrow(BG_DTYPE_FLOAT, NULL, 0, &x, 1, NULL);
  bg_call_options *co = bg_call_options_new();
  assert_int_equal(bg_call_options_set_deadline_ms(co, 300, NULL), BG_OK);
  bg_value *out = NULL;
  bg_error err;
  assert_int_equal(bg_client_call(f->client, "slow_echo_ndarray", in, &out, co, &err),
                   BG_ERR_DEADLINE);
  assert_int_equal(err.grpc_status, 4);
  assert_contains(err.message, "300 ms");
  assert_null(out);
  /* the client stays usable after a deadline */
  assert_int_equal(bg_client_call(f->client, "echo_ndarray", in, &out, co, &err), BG_OK);
  bg_value_free(out);
  bg_call_options_free(co);
  bg_value_free(in);
}

static void test_call_options_validation(void **state) {
  (void)state;
  bg_call_options *co = bg_call_options_new();
  bg_error err;
  assert_int_equal(bg_call_options_set_deadline_ms(co, 0, &err), BG_ERR_INVALID_ARGUMENT);
  assert_int_equal(bg_call_options_add_metadata(co, "Bad-Key", "v", 1, &err),
                   BG_ERR_INVALID_ARGUMENT);
  assert_int_equal(bg_call_options_add_metadata(co, "grpc-timeout", "1", 1, &err),
                   BG_ERR_INVALID_ARGUMENT);
  assert_int_equal(bg_call_options_add_metadata(co, "x-a", "caf\xc3\xa9", 5, &err),
                   BG_ERR_INVALID_ARGUMENT);
  assert_contains(err.message, "-bin");
  assert_int_equal(bg_call_options_add_metadata(co, "x-a-bin", "\x00\xff", 2, &err), BG_OK);
  assert_int_equal(bg_call_options_add_metadata(co, "x-trace", "abc", 3, &err), BG_OK);
  bg_call_options_free(co);
  bg_call_options_free(NULL);
}

/* Metadata and wait-for-ready ride along on a real call without disturbing it. */
static void test_call_with_metadata_and_wait_for_ready(void **state) {
  fixture *f = *state;
  bg_call_options *co = bg_call_options_new();
  assert_int_equal(bg_call_options_add_metadata(co, "x-request-id", "42", 2, NULL), BG_OK);
  assert_int_equal(bg_call_options_add_metadata(co, "x-blob-bin", "\x01\x02", 2, NULL), BG_OK);
  assert_int_equal(bg_call_options_set_wait_for_ready(co, true, NULL), BG_OK);
  assert_int_equal(bg_call_options_set_deadline_ms(co, 10000, NULL), BG_OK);
  int32_t x[] = {5};
  int64_t shape[] = {1};
  bg_value *in = bg_ndarray_borrow(BG_DTYPE_INT32, shape, 1, x, 1, NULL);
  bg_value *out = NULL;
  bg_error err;
  assert_int_equal(bg_client_call(f->client, "double_ndarray", in, &out, co, &err), BG_OK);
  assert_int_equal(*(const int32_t *)bg_ndarray_data(out), 10);
  bg_value_free(out);
  bg_value_free(in);
  bg_call_options_free(co);
}

static void test_bad_arguments(void **state) {
  fixture *f = *state;
  bg_value *out;
  bg_error err;
  assert_int_equal(bg_client_call(f->client, "predict", NULL, &out, NULL, &err),
                   BG_ERR_INVALID_ARGUMENT);
  assert_int_equal(bg_client_call(NULL, "predict", NULL, NULL, NULL, NULL),
                   BG_ERR_INVALID_ARGUMENT);
  bg_client_close(NULL);
  assert_null(bg_client_from_url("localhost", NULL, &err));
  assert_int_equal(err.code, BG_ERR_INVALID_ARGUMENT);
  assert_contains(err.message, "no port");
}

/* ---- health ---- */

static void test_health(void **state) {
  fixture *f = *state;
  bg_health_status status = BG_HEALTH_UNKNOWN;
  bg_error err;
  assert_int_equal(bg_client_health(f->client, NULL, 5000, &status, &err), BG_OK);
  assert_int_equal(status, BG_HEALTH_SERVING);
  status = BG_HEALTH_UNKNOWN;
  assert_int_equal(bg_client_health(f->client, "", 5000, &status, &err), BG_OK);
  assert_int_equal(status, BG_HEALTH_SERVING);
  assert_int_equal(bg_client_health(f->client, "no.such.Service", 5000, &status, &err),
                   BG_ERR_SERVER);
  assert_int_equal(err.grpc_status, 5); /* NOT_FOUND */
  assert_int_equal(bg_client_health(f->client, NULL, 0, &status, &err), BG_ERR_INVALID_ARGUMENT);
  assert_int_equal(bg_health_check_url(f->server.url, NULL, 5000, NULL, &status, &err), BG_OK);
  assert_int_equal(status, BG_HEALTH_SERVING);
}

static void test_wait_until_ready_on_running_server(void **state) {
  fixture *f = *state;
  bg_error err;
  assert_int_equal(bg_wait_until_server_ready(f->server.url, 5000, 100, NULL, &err), BG_OK);
}

/* A server that binds at once but reports SERVING only later: the first check sees
 * NOT_SERVING, the poller then succeeds. */
static void test_wait_until_ready_on_starting_server(void **state) {
  (void)state;
  bgt_server slow;
  const char *args[] = {"--startup-delay-ms", "1500", NULL};
  assert_int_equal(bgt_server_start(&slow, args), 0);
  bg_health_status status = BG_HEALTH_UNKNOWN;
  bg_error err;
  assert_int_equal(bg_health_check_url(slow.url, NULL, 5000, NULL, &status, &err), BG_OK);
  assert_int_equal(status, BG_HEALTH_NOT_SERVING);
  assert_int_equal(bg_wait_until_server_ready(slow.url, 20000, 100, NULL, &err), BG_OK);
  assert_int_equal(bg_health_check_url(slow.url, NULL, 5000, NULL, &status, &err), BG_OK);
  assert_int_equal(status, BG_HEALTH_SERVING);
  bgt_server_stop(&slow);
}

/* ---- no server ---- */

static void test_server_not_running(void **state) {
  (void)state;
  char url[64];
  snprintf(url, sizeof url, "127.0.0.1:%d", bgt_unused_port());
  bg_error err;
  assert_null(bg_client_from_url(url, NULL, &err));
  assert_int_equal(err.code, BG_ERR_UNAVAILABLE);
  assert_int_equal(err.grpc_status, 14);
  assert_contains(err.message, url);
  assert_contains(err.message, "is the server running");

  assert_int_equal(bg_wait_until_server_ready(url, 700, 100, NULL, &err), BG_ERR_TIMEOUT);
  assert_contains(err.message, url);
  assert_contains(err.message, "was not ready after waiting");
  assert_contains(err.message, "last result");
  assert_contains(err.message, "UNAVAILABLE");
  assert_int_equal(bg_wait_until_server_ready(url, 0, 100, NULL, &err), BG_ERR_INVALID_ARGUMENT);

  /* a client opened without discovery learns it before its first call, with the reason */
  bg_client *open = bg_client_open(url, NULL, &err);
  assert_non_null(open);
  assert_int_equal(bg_client_wait_connected(open, 2000, &err), BG_ERR_UNAVAILABLE);
  assert_int_equal(err.grpc_status, 14);
  assert_contains(err.message, "connecting to the server at");
  assert_contains(err.message, "is the server running");
  assert_int_equal(bg_client_wait_connected(open, 0, &err), BG_ERR_INVALID_ARGUMENT);
  assert_contains(err.message, "timeout must be > 0 ms");
  bg_client_close(open);
  assert_int_equal(bg_client_wait_connected(NULL, 1000, &err), BG_ERR_INVALID_ARGUMENT);
  assert_contains(err.message, "client is NULL");
}

static void test_wait_connected_to_a_running_server(void **state) {
  fixture *f = *state;
  bg_error err;
  bg_client *open = bg_client_open(f->server.url, NULL, &err);
  assert_non_null(open);
  assert_int_equal(bg_client_channel_state(open, false), BG_CHANNEL_IDLE);
  assert_int_equal(bg_client_wait_connected(open, 5000, &err), BG_OK);
  assert_int_equal(bg_client_channel_state(open, false), BG_CHANNEL_READY);
  bg_client_close(open);
}

static void test_v1alpha1_discovery_is_refused_with_help(void **state) {
  fixture *f = *state;
  bg_options *o = bg_options_new();
  bg_error err;
  assert_int_equal(bg_options_set_protocol_version(o, "v1beta", &err), BG_ERR_INVALID_ARGUMENT);
  assert_int_equal(bg_options_set_protocol_version(o, "v1alpha1", &err), BG_OK);
  assert_null(bg_client_from_url(f->server.url, o, &err));
  assert_int_equal(err.code, BG_ERR_UNSUPPORTED);
  assert_contains(err.message, "no ServiceMetadata");
  assert_contains(err.message, "/bentoml.grpc.v1alpha1.BentoService/Call");
  bg_options_free(o);
  bg_options_free(NULL);
}

/* ---- address forms ---- */

static void call_predict_at(const char *url) {
  bg_error err;
  bg_client *c = bg_client_from_url(url, NULL, &err);
  if (!c)
    fail_msg("from_url(%s): %s", url, err.message);
  float x[4] = {1, 2, 3, 4};
  int64_t shape[] = {1, 4};
  bg_value *in = bg_ndarray_borrow(BG_DTYPE_FLOAT, shape, 2, x, 4, NULL);
  bg_value *out = NULL;
  assert_int_equal(bg_client_call(c, "predict", in, &out, NULL, &err), BG_OK);
  assert_float_equal(*(const float *)bg_ndarray_data(out), 10.0f, 0);
  bg_value_free(out);
  bg_value_free(in);
  bg_client_close(c);
}

static void test_localhost_reaches_ipv4_server(void **state) {
  fixture *f = *state;
  char url[64];
  snprintf(url, sizeof url, "localhost:%d", f->server.port);
  call_predict_at(url);
  snprintf(url, sizeof url, "grpc://localhost:%d", f->server.port);
  call_predict_at(url);
}

static void test_ipv6_server(void **state) {
  (void)state;
  bgt_server v6;
  const char *args[] = {"--listen", "[::1]:0", NULL};
  assert_int_equal(bgt_server_start(&v6, args), 0);
  char url[64];
  snprintf(url, sizeof url, "[::1]:%d", v6.port);
  call_predict_at(url);
  snprintf(url, sizeof url, "localhost:%d", v6.port);
  call_predict_at(url);
  bgt_server_stop(&v6);
}

static void test_unix_socket_server(void **state) {
  (void)state;
  char path[64], listen[80], url[80];
  snprintf(path, sizeof path, "/tmp/bentogrpc-test-%d.sock", (int)getpid());
  snprintf(listen, sizeof listen, "unix:%s", path);
  const char *args[] = {"--listen", listen, NULL};
  bgt_server us;
  assert_int_equal(bgt_server_start(&us, args), 0);
  snprintf(url, sizeof url, "unix:%s", path);
  call_predict_at(url);
  bgt_server_stop(&us);
  unlink(path);
}

/* ---- a server that breaks the protocol (tests/integration/misbehaving_server.py) ---- */

static void start_misbehaving(bgt_server *server, const char *replies) {
  const char *args[] = {"--replies", replies, NULL};
  assert_int_equal(bgt_script_start(server, "tests/integration/misbehaving_server.py", args), 0);
}

static void expect_more_than_one(bg_status st, const bg_error *err) {
  assert_int_equal(st, BG_ERR_PROTOCOL);
  assert_non_null(strstr(err->message, "more than one"));
}

typedef struct async_outcome {
  bool done;
  bg_status status;
  bg_error err;
} async_outcome;

static void on_async_done(bg_async_op *call, bg_status st, bg_value *out, const bg_error *err,
                          void *user_data) {
  (void)call;
  async_outcome *o = user_data;
  o->done = true;
  o->status = st;
  o->err = *err;
  bg_value_free(out);
}

/* A unary Call answered with two (or endless) messages then OK is a protocol
 * error at once, sync and async, with a deadline and without (before: it waited for ever,
 * or until the deadline). The deadline of the first call only keeps a regression from
 * hanging the suite. */
static void test_second_reply_message_is_protocol_error(void **state) {
  (void)state;
  const char *counts[] = {"2", "100000"};
  for (size_t k = 0; k < 2; k++) {
    bgt_server server;
    start_misbehaving(&server, counts[k]);
    bg_error err;
    bg_client *c = bg_client_from_url(server.url, NULL, &err);
    assert_non_null(c);
    bg_value *in = bg_text_new("hi", 2, &err), *out = NULL;
    bg_call_options *co = bg_call_options_new();
    assert_int_equal(bg_call_options_set_deadline_ms(co, 15000, &err), BG_OK);
    expect_more_than_one(bg_client_call(c, "echo", in, &out, co, &err), &err);
    assert_null(out);
    expect_more_than_one(bg_client_call(c, "echo", in, &out, NULL, &err), &err);
    expect_more_than_one(bg_client_call_raw(c, "echo", in, &out, NULL, &err), &err);

    bg_async_client *ac = bg_async_client_from_client(c, 0, &err);
    assert_non_null(ac);
    async_outcome o = {0};
    assert_int_equal(bg_async_call(ac, "echo", in, NULL, on_async_done, &o, NULL, &err), BG_OK);
    while (!o.done)
      assert_int_equal(bg_async_client_poll(ac, -1, NULL, &err), BG_OK);
    expect_more_than_one(o.status, &o.err);
    bg_async_client_close(ac);
    bg_call_options_free(co);
    bg_value_free(in);
    bg_client_close(c);
    bgt_server_stop(&server);
  }
}

/* an API whose name holds a NUL byte ("bad\0name") is left out at
 * discovery, and calling the part before the NUL says why. Before, it was listed as "bad"
 * and a call of "bad" went to the server. */
static void test_api_name_with_nul_byte_is_left_out(void **state) {
  (void)state;
  bgt_server server;
  start_misbehaving(&server, "1");
  bg_error err;
  bg_client *c = bg_client_from_url(server.url, NULL, &err);
  assert_non_null(c);
  assert_int_equal(bg_client_api_count(c), 1);
  assert_string_equal(bg_api_name(bg_client_api_at(c, 0)), "echo");
  assert_null(bg_client_api_find(c, "bad"));
  bg_value *in = bg_text_new("hi", 2, &err), *out = NULL;
  assert_int_equal(bg_client_call(c, "bad", in, &out, NULL, &err), BG_ERR_UNKNOWN_API);
  assert_contains(err.message, "names with NUL bytes are unsupported");
  assert_contains(err.message, "echo");
  bg_async_client *ac = bg_async_client_from_client(c, 0, &err);
  assert_non_null(ac);
  assert_int_equal(bg_async_call(ac, "bad", in, NULL, on_async_done, NULL, NULL, &err),
                   BG_ERR_UNKNOWN_API);
  assert_contains(err.message, "NUL");
  bg_async_client_close(ac);
  /* the other API still works */
  assert_int_equal(bg_client_call(c, "echo", in, &out, NULL, &err), BG_OK);
  assert_string_equal(bg_text_data(out), "a");
  bg_value_free(out);
  bg_value_free(in);
  bg_client_close(c);
  bgt_server_stop(&server);
}

/* Client side: whatever the reply decoders say about a server's reply, it is
 * the server's fault: never BG_ERR_INVALID_ARGUMENT. Here a multipart reply names part 'x'
 * twice (before: BG_ERR_INVALID_ARGUMENT, CLI exit 2 "usage"). */
static void test_bad_reply_is_never_the_callers_fault(void **state) {
  (void)state;
  /* Response{multipart{fields{x: text "a"}, fields{x: text "a"}}} */
  const char *args[] = {"--replies", "1", "--reply-hex",
                        "4a180a0a0a017812053a030a01610a0a0a017812053a030a0161", NULL};
  bgt_server server;
  assert_int_equal(bgt_script_start(&server, "tests/integration/misbehaving_server.py", args), 0);
  bg_error err;
  bg_client *c = bg_client_from_url(server.url, NULL, &err);
  assert_non_null(c);
  bg_value *in = bg_text_new("hi", 2, &err), *out = NULL;
  assert_int_equal(bg_client_call_raw(c, "echo", in, &out, NULL, &err), BG_ERR_PROTOCOL);
  assert_contains(err.message, "'x'");
  assert_null(out);
  assert_int_equal(bg_client_call(c, "echo", in, &out, NULL, &err), BG_ERR_PROTOCOL);
  bg_value_free(in);
  bg_client_close(c);
  bgt_server_stop(&server);
}

/* A unix: path is used byte for byte. Before, '#' cut the path short and
 * "%23" was decoded, so each reached the other's socket. */
static void test_unix_path_taken_literally(void **state) {
  (void)state;
  char listen[120], url[120];
  /* the server side (grpcio) decodes its own --listen target: "%23" binds "#" */
  snprintf(listen, sizeof listen, "unix:/tmp/bentogrpc-test-%d-a%%23b.sock", (int)getpid());
  const char *args[] = {"--listen", listen, NULL};
  bgt_server us;
  assert_int_equal(bgt_server_start(&us, args), 0);
  snprintf(url, sizeof url, "unix:/tmp/bentogrpc-test-%d-a#b.sock", (int)getpid());
  assert_int_equal(access(url + 5, F_OK), 0);
  call_predict_at(url);
  /* "%23" is three bytes of a path that does not exist */
  snprintf(url, sizeof url, "unix:/tmp/bentogrpc-test-%d-a%%23b.sock", (int)getpid());
  bg_options *o = bg_options_new();
  bg_options_set_discovery_timeout_ms(o, 5000, NULL);
  bg_error err;
  assert_null(bg_client_from_url(url, o, &err));
  assert_int_equal(err.code, BG_ERR_UNAVAILABLE);
  bg_options_free(o);
  bgt_server_stop(&us);
  snprintf(url, sizeof url, "/tmp/bentogrpc-test-%d-a#b.sock", (int)getpid());
  unlink(url);
}

/* ---- threads ---- */

typedef struct worker {
  bg_client *client;
  int id;
  int ok;
} worker;

static void *worker_main(void *arg) {
  worker *w = arg;
  for (int i = 0; i < 40; i++) {
    int32_t x[3] = {w->id, i, w->id * 1000 + i};
    int64_t shape[] = {3};
    bg_value *in = bg_ndarray_borrow(BG_DTYPE_INT32, shape, 1, x, 3, NULL);
    bg_value *out = NULL;
    if (bg_client_call(w->client, "double_ndarray", in, &out, NULL, NULL) == BG_OK) {
      const int32_t *y = bg_ndarray_data(out);
      if (bg_ndarray_count(out) == 3 && y[0] == 2 * x[0] && y[1] == 2 * x[1] && y[2] == 2 * x[2])
        w->ok++;
    }
    bg_value_free(out);
    bg_value_free(in);
  }
  return NULL;
}

/* The async engine holds back probes for a second reply until its queue has nothing else to
 * give (src/engine/async_engine.c): every drain mode, more calls than its list limit, two
 * pollers at once, a close while calls are listed, and an op that restarts its call (a
 * readiness wait re-checking) must still end every call, once, without leaks (ASan/LSan). */
typedef struct many_outcome {
  atomic_int done, protocol, cancelled, other;
} many_outcome;

static void on_many_done(bg_async_op *call, bg_status st, bg_value *out, const bg_error *err,
                         void *user_data) {
  (void)call;
  (void)err;
  many_outcome *o = user_data;
  if (st == BG_ERR_PROTOCOL)
    atomic_fetch_add(&o->protocol, 1);
  else if (st == BG_ERR_CANCELLED)
    atomic_fetch_add(&o->cancelled, 1);
  else
    atomic_fetch_add(&o->other, 1);
  bg_value_free(out);
  atomic_fetch_add(&o->done, 1); /* last: the waiter may go on */
}

enum { MANY = 300 }; /* above the engine's list limit of 256 */

static void start_many(bg_async_client *ac, const bg_value *in, many_outcome *o, int n) {
  bg_error err;
  for (int i = 0; i < n; i++)
    assert_int_equal(bg_async_call(ac, "echo", in, NULL, on_many_done, o, NULL, &err), BG_OK);
}

static void wait_fd_mode(bg_async_client *ac, many_outcome *o, int n) {
  int fd = bg_async_client_fd(ac);
  assert_true(fd >= 0);
  while (atomic_load(&o->done) < n) {
    struct pollfd p = {.fd = fd, .events = POLLIN};
    assert_true(poll(&p, 1, 20000) > 0); /* bounded: a lost probe would hang here */
    assert_int_equal(bg_async_client_dispatch(ac, NULL, NULL), BG_OK);
  }
}

typedef struct poller {
  bg_async_client *ac;
  many_outcome *o;
  int n;
} poller;

static void *poller_main(void *arg) {
  poller *p = arg;
  while (atomic_load(&p->o->done) < p->n)
    if (bg_async_client_poll(p->ac, 50, NULL, NULL) != BG_OK)
      break;
  return NULL;
}

static void test_second_reply_async_modes(void **state) {
  (void)state;
  bgt_server server;
  start_misbehaving(&server, "2");
  bg_error err;
  bg_client *c = bg_client_from_url(server.url, NULL, &err);
  assert_non_null(c);
  bg_value *in = bg_text_new("hi", 2, &err);
  const unsigned modes[] = {0, BG_ASYNC_CALLBACK_THREAD, 0 /* fd */, 0 /* two pollers */};
  for (int m = 0; m < 4; m++) {
    bg_async_client *ac = bg_async_client_from_client(c, modes[m], &err);
    assert_non_null(ac);
    many_outcome o = {0};
    start_many(ac, in, &o, MANY);
    if (m == 0) {
      while (atomic_load(&o.done) < MANY)
        assert_int_equal(bg_async_client_poll(ac, -1, NULL, &err), BG_OK);
    } else if (m == 1) {
      for (int i = 0; i < 20000 && atomic_load(&o.done) < MANY; i++)
        nanosleep(&(struct timespec){0, 1000 * 1000}, NULL);
    } else if (m == 2) {
      wait_fd_mode(ac, &o, MANY);
    } else {
      poller p = {ac, &o, MANY};
      pthread_t t;
      assert_int_equal(pthread_create(&t, NULL, poller_main, &p), 0);
      poller_main(&p);
      pthread_join(t, NULL);
    }
    assert_int_equal(atomic_load(&o.done), MANY);
    assert_int_equal(atomic_load(&o.protocol), MANY);
    bg_async_client_close(ac);
  }
  /* closed while calls are listed or in flight: each callback once, none other than these */
  bg_async_client *ac = bg_async_client_from_client(c, 0, &err);
  many_outcome o = {0};
  start_many(ac, in, &o, 64);
  for (int i = 0; i < 3; i++)
    assert_int_equal(bg_async_client_poll(ac, 0, NULL, &err), BG_OK);
  bg_async_client_close(ac);
  assert_int_equal(atomic_load(&o.done), 64);
  assert_int_equal(atomic_load(&o.protocol) + atomic_load(&o.cancelled), 64);
  bg_value_free(in);
  bg_client_close(c);
  bgt_server_stop(&server);
}

/* A readiness wait re-checks through one op (its call restarts): under load from other calls,
 * so the queue rarely runs dry, it must end once and leave nothing behind. */
static void on_ready_done(bg_async_op *call, bg_status st, bg_health_status health,
                          const bg_error *err, void *user_data) {
  (void)call;
  (void)health;
  (void)err;
  atomic_int *status = user_data;
  atomic_store(status, (int)st + 1000);
}

static void test_readiness_rechecks_under_load(void **state) {
  (void)state;
  bgt_server server;
  const char *args[] = {"--health-status", "NOT_SERVING", NULL};
  assert_int_equal(bgt_server_start(&server, args), 0);
  bg_error err;
  bg_async_client *ac = bg_async_client_connect(server.url, NULL, 0, &err);
  assert_non_null(ac);
  atomic_int ready = 0;
  assert_int_equal(bg_async_wait_until_ready(ac, 400, 1, on_ready_done, &ready, NULL, &err), BG_OK);
  many_outcome o = {0};
  bg_value *in = bg_text_new("hi", 2, &err);
  int started = 0;
  while (atomic_load(&ready) == 0) {
    for (; started - atomic_load(&o.done) < 8; started++)
      assert_int_equal(bg_async_call_raw(ac, "bonjour", in, NULL, on_many_done, &o, NULL, &err),
                       BG_OK);
    assert_int_equal(bg_async_client_poll(ac, 10, NULL, &err), BG_OK);
  }
  assert_int_equal(atomic_load(&ready), BG_ERR_TIMEOUT + 1000);
  while (atomic_load(&o.done) < started)
    assert_int_equal(bg_async_client_poll(ac, -1, NULL, &err), BG_OK);
  bg_async_client_close(ac);
  bg_value_free(in);
  bgt_server_stop(&server);
}

static void test_one_client_eight_threads(void **state) {
  fixture *f = *state;
  pthread_t threads[8];
  worker workers[8];
  for (int i = 0; i < 8; i++) {
    workers[i] = (worker){.client = f->client, .id = i + 1};
    assert_int_equal(pthread_create(&threads[i], NULL, worker_main, &workers[i]), 0);
  }
  for (int i = 0; i < 8; i++) {
    pthread_join(threads[i], NULL);
    assert_int_equal(workers[i].ok, 40);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_discovery_lists_every_api),
      cmocka_unit_test(test_unsupported_apis_stay_listed),
      cmocka_unit_test(test_echo_every_numeric_dtype),
      cmocka_unit_test(test_string_dtype_reaches_server),
      cmocka_unit_test(test_double_ndarray),
      cmocka_unit_test(test_predict_batch),
      cmocka_unit_test(test_zero_d_and_empty_arrays),
      cmocka_unit_test(test_unknown_api),
      cmocka_unit_test(test_enforced_dtype),
      cmocka_unit_test(test_enforced_shape),
      cmocka_unit_test(test_deadline_exceeded),
      cmocka_unit_test(test_call_options_validation),
      cmocka_unit_test(test_call_with_metadata_and_wait_for_ready),
      cmocka_unit_test(test_bad_arguments),
      cmocka_unit_test(test_health),
      cmocka_unit_test(test_wait_until_ready_on_running_server),
      cmocka_unit_test(test_wait_until_ready_on_starting_server),
      cmocka_unit_test(test_server_not_running),
      cmocka_unit_test(test_wait_connected_to_a_running_server),
      cmocka_unit_test(test_v1alpha1_discovery_is_refused_with_help),
      cmocka_unit_test(test_localhost_reaches_ipv4_server),
      cmocka_unit_test(test_ipv6_server),
      cmocka_unit_test(test_unix_socket_server),
      cmocka_unit_test(test_one_client_eight_threads),
      cmocka_unit_test(test_second_reply_message_is_protocol_error),
      cmocka_unit_test(test_second_reply_async_modes),
      cmocka_unit_test(test_readiness_rechecks_under_load),
      cmocka_unit_test(test_unix_path_taken_literally),
      cmocka_unit_test(test_api_name_with_nul_byte_is_left_out),
      cmocka_unit_test(test_bad_reply_is_never_the_callers_fault),
  };
  return cmocka_run_group_tests_name("client", tests, setup, teardown);
}
