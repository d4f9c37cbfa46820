/* The client against reference servers that behave like the BentoML releases where releases
 * differ (reference_server.py --bentoml-release, README "BentoML releases"):
 *   1.0.10  only bentoml.grpc.v1alpha1.BentoService, `file` accepted;
 *   1.0.11  v1 without ServiceMetadata;
 *   1.0.15  v1 with ServiceMetadata, `file` accepted;
 *   1.0.16  `file` refused (the client falls back to serialized_bytes);
 * and a gRPC server that is not BentoML (--no-bento-service). Each asserts what discovery says
 * (code, gRPC status, the sentence), which health name the sync and async checks and waits
 * found, and that the raw path the error names works. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <bentogrpc/bentogrpc.h>

#include "test_assert.h"
#include "test_server.h"

#define V1_NAME       "bentoml.grpc.v1.BentoService"
#define V1ALPHA1_NAME "bentoml.grpc.v1alpha1.BentoService"

static void start_release(bgt_server *s, const char *release) {
  const char *args[] = {"--bentoml-release", release, NULL};
  assert_int_equal(bgt_server_start(s, args), 0);
}

/* The default health check and wait (sync) find `want` as the BentoService's name. */
static void expect_health_name(const char *url, const bg_options *o, const char *want) {
  bg_error err;
  bg_health_status status = BG_HEALTH_UNKNOWN;
  const char *checked = NULL;
  if (bg_health_check_url_service(url, NULL, 5000, o, &status, &checked, &err) != BG_OK)
    fail_msg("health check: %s", err.message);
  assert_int_equal(status, BG_HEALTH_SERVING);
  assert_non_null(checked);
  assert_string_equal(checked, want);
  /* the plain function follows the same policy */
  assert_int_equal(bg_health_check_url(url, NULL, 5000, o, &status, &err), BG_OK);
  checked = NULL;
  if (bg_wait_until_server_ready_service(url, 5000, 100, o, &checked, &err) != BG_OK)
    fail_msg("wait: %s", err.message);
  assert_non_null(checked);
  assert_string_equal(checked, want);
  assert_int_equal(bg_wait_until_server_ready(url, 5000, 100, o, &err), BG_OK);
}

/* ---- the async health operations ---- */

typedef struct health_seen {
  int runs;
  bg_status status;
  bg_health_status health;
  char service[128]; /* bg_async_health_service() inside the callback */
  char message[BG_ERROR_MESSAGE_SIZE];
} health_seen;

static void on_health(bg_async_op *call, bg_status st, bg_health_status health, const bg_error *err,
                      void *user_data) {
  health_seen *seen = user_data;
  seen->runs++;
  seen->status = st;
  seen->health = health;
  const char *name = bg_async_health_service(call);
  snprintf(seen->service, sizeof seen->service, "%s", name ? name : "(null)");
  snprintf(seen->message, sizeof seen->message, "%s", err->message);
}

static void poll_until(bg_async_client *ac, const health_seen *seen) {
  bg_error err;
  for (int i = 0; i < 200 && seen->runs == 0; i++) /* at most 20 s */
    assert_int_equal(bg_async_client_poll(ac, 100, NULL, &err), BG_OK);
  assert_int_equal(seen->runs, 1);
}

/* The async check and wait (default service) report `want`, in the callback and on the
 * handle afterwards; an explicit name is the only one asked. */
static void expect_async_health_name(const char *url, const bg_options *o, const char *want) {
  bg_error err;
  bg_async_client *ac = bg_async_client_connect(url, o, 0, &err);
  if (!ac)
    fail_msg("bg_async_client_connect: %s", err.message);
  health_seen seen = {0};
  bg_async_op *call = NULL;
  assert_int_equal(bg_async_health(ac, NULL, 5000, on_health, &seen, &call, &err), BG_OK);
  poll_until(ac, &seen);
  if (seen.status != BG_OK)
    fail_msg("async health: %s", seen.message);
  assert_int_equal(seen.health, BG_HEALTH_SERVING);
  assert_string_equal(seen.service, want);
  assert_string_equal(bg_async_health_service(call), want);
  bg_async_op_release(call);

  memset(&seen, 0, sizeof seen);
  assert_int_equal(bg_async_wait_until_ready(ac, 5000, 100, on_health, &seen, &call, &err), BG_OK);
  poll_until(ac, &seen);
  if (seen.status != BG_OK)
    fail_msg("async wait: %s", seen.message);
  assert_string_equal(seen.service, want);
  bg_async_op_release(call);

  /* a name the caller gives is not replaced: NOT_FOUND stands */
  memset(&seen, 0, sizeof seen);
  assert_int_equal(bg_async_health(ac, "no.such.Service", 5000, on_health, &seen, NULL, &err),
                   BG_OK);
  poll_until(ac, &seen);
  assert_int_equal(seen.status, BG_ERR_SERVER);
  assert_string_equal(seen.service, "no.such.Service");
  assert_contains(seen.message, "NOT_FOUND");
  assert_null(bg_async_health_service(NULL));
  bg_async_client_close(ac);
}

/* ---- 1.0.6 to 1.0.10: v1alpha1 only ---- */

static void test_v1alpha1_only_release(void **state) {
  (void)state;
  bgt_server s;
  start_release(&s, "1.0.10");
  bg_error err;
  assert_null(bg_client_from_url(s.url, NULL, &err));
  assert_int_equal(err.code, BG_ERR_SERVER);
  assert_int_equal(err.grpc_status, 12);
  assert_contains(err.message, "serves only bentoml.grpc.v1alpha1.BentoService");
  assert_contains(err.message, "BentoML 1.0.6 to 1.0.10");
  assert_contains(err.message, "bg_options_set_protocol_version(options, \"v1alpha1\")");
  assert_contains(err.message, "bg_client_call_raw()");
  /* the async client's discovery says the same */
  assert_null(bg_async_client_from_url(s.url, NULL, 0, &err));
  assert_contains(err.message, "serves only bentoml.grpc.v1alpha1.BentoService");

  /* health: the v1 name is NOT_FOUND there, the v1alpha1 one answers */
  expect_health_name(s.url, NULL, V1ALPHA1_NAME);
  expect_async_health_name(s.url, NULL, V1ALPHA1_NAME);
  bg_health_status status;
  const char *checked = NULL;
  assert_int_equal(bg_health_check_url_service(s.url, V1_NAME, 5000, NULL, &status, &checked, &err),
                   BG_ERR_SERVER);
  assert_int_equal(err.grpc_status, 5);
  assert_string_equal(checked, V1_NAME);

  /* what the error says to do works */
  bg_options *o = bg_options_new();
  assert_int_equal(bg_options_set_protocol_version(o, "v1alpha1", &err), BG_OK);
  expect_health_name(s.url, o, V1ALPHA1_NAME);
  bg_client *c = bg_client_open(s.url, o, &err);
  assert_non_null(c);
  bg_value *in = bg_text_new("old", 3, &err), *out = NULL;
  assert_int_equal(bg_client_call_raw(c, "bonjour", in, &out, NULL, &err), BG_OK);
  assert_string_equal(bg_text_data(out), "Hello, old!");
  bg_value_free(out);
  bg_value_free(in);
  /* before 1.0.16 the File descriptor takes the `file` field (a raw call sends it there) */
  const uint8_t content[] = {0x81, 0x30, 0x89, 0x39};
  in = bg_file_borrow(content, sizeof content, NULL, &err);
  out = NULL;
  if (bg_client_call_raw(c, "predict_file", in, &out, NULL, &err) != BG_OK)
    fail_msg("raw File call: %s", err.message);
  assert_int_equal(bg_value_get_kind(out), BG_VALUE_FILE);
  assert_memory_equal(bg_file_data(out), content, sizeof content);
  bg_value_free(out);
  bg_value_free(in);
  bg_client_close(c);
  bg_options_free(o);
  bgt_server_stop(&s);
}

/* ---- 1.0.11: v1 without ServiceMetadata ---- */

static void test_v1_without_service_metadata_release(void **state) {
  (void)state;
  bgt_server s;
  start_release(&s, "1.0.11");
  bg_error err;
  assert_null(bg_client_from_url(s.url, NULL, &err));
  assert_int_equal(err.code, BG_ERR_SERVER);
  assert_int_equal(err.grpc_status, 12);
  assert_contains(err.message, "without the ServiceMetadata RPC");
  assert_contains(err.message, "BentoML 1.0.11");
  assert_contains(err.message, "bg_client_open() + bg_client_call_raw()");
  assert_null(strstr(err.message, "v1alpha1\")")); /* v1 is right here */

  expect_health_name(s.url, NULL, V1_NAME);
  expect_async_health_name(s.url, NULL, V1_NAME);

  bg_client *c = bg_client_open(s.url, NULL, &err);
  assert_non_null(c);
  bg_value *in = bg_text_new("raw", 3, &err), *out = NULL;
  assert_int_equal(bg_client_call_raw(c, "bonjour", in, &out, NULL, &err), BG_OK);
  assert_string_equal(bg_text_data(out), "Hello, raw!");
  bg_value_free(out);
  bg_value_free(in);
  bg_client_close(c);
  bgt_server_stop(&s);
}

/* ---- the File descriptor's `file` field: accepted before 1.0.16, refused from then ---- */

static atomic_int resends; /* the library's "sending it again as serialized_bytes" events */

static void count_resends(bg_log_level level, const char *source, const char *message,
                          void *user_data) {
  (void)level;
  (void)source;
  (void)user_data;
  if (strstr(message, "predict_file") && strstr(message, "sending it again as serialized_bytes"))
    atomic_fetch_add(&resends, 1);
}

/* One File call of predict_file through its descriptor; returns its status, fills `err`. */
static bg_status call_file(const char *url, bg_value **out, bg_error *err) {
  bg_client *c = bg_client_from_url(url, NULL, err);
  if (!c)
    fail_msg("discovery: %s", err->message);
  const uint8_t content[] = {0x81, 0x30, 0x89, 0x39};
  bg_value *in = bg_file_borrow(content, sizeof content, NULL, err);
  *out = NULL;
  bg_status st = bg_client_call(c, "predict_file", in, out, NULL, err);
  bg_value_free(in);
  bg_client_close(c);
  return st;
}

static void test_file_field_accepted_before_1_0_16(void **state) {
  (void)state;
  bgt_server s;
  start_release(&s, "1.0.15");
  expect_health_name(s.url, NULL, V1_NAME);
  atomic_store(&resends, 0);
  bg_error err;
  bg_value *out;
  if (call_file(s.url, &out, &err) != BG_OK)
    fail_msg("File call: %s", err.message);
  assert_int_equal(atomic_load(&resends), 0); /* sent once, as `file` */
  assert_int_equal(bg_file_size(out), 4);
  bg_value_free(out);
  bgt_server_stop(&s);
}

static void test_file_field_refused_from_1_0_16(void **state) {
  (void)state;
  bgt_server s;
  start_release(&s, "1.0.16");
  atomic_store(&resends, 0);
  bg_error err;
  bg_value *out;
  bg_status st = call_file(s.url, &out, &err);
  /* refused as `file`, sent again as serialized_bytes, which gets past decoding to the
   * File output those releases cannot send (PROTOCOL.md §4.6) */
  assert_int_equal(atomic_load(&resends), 1);
  assert_int_equal(st, BG_ERR_SERVER);
  assert_int_equal(err.grpc_status, 13);
  assert_contains(err.message, "An error has occurred in BentoML user code");
  assert_null(out);

  /* a raw call has no descriptor to say the input is a File: it is not switched */
  bg_client *c = bg_client_open(s.url, NULL, &err);
  const uint8_t content[] = {1, 2};
  bg_value *in = bg_file_borrow(content, sizeof content, NULL, &err);
  assert_int_equal(bg_client_call_raw(c, "predict_file", in, &out, NULL, &err), BG_ERR_SERVER);
  assert_contains(err.message, "got 'file' instead");
  bg_value_free(in);
  bg_client_close(c);
  bgt_server_stop(&s);
}

/* Interceptors see one call (one `before`, one `after`) when a File input refused as `file` is
 * sent again as serialized_bytes — the same in the sync and the async client, which follow the
 * same steps of the Call kind (engine/operation.h, `next`). */
typedef struct hook_counts {
  atomic_int before, after;
} hook_counts;

static bg_status count_before(void *state, bg_call_context *ctx, bg_error *err) {
  (void)ctx;
  (void)err;
  atomic_fetch_add(&((hook_counts *)state)->before, 1);
  return BG_OK;
}

static bg_status count_after(void *state, bg_call_context *ctx, bg_error *err) {
  (void)ctx;
  (void)err;
  atomic_fetch_add(&((hook_counts *)state)->after, 1);
  return BG_OK;
}

typedef struct async_done {
  atomic_int runs;
  bg_status status;
} async_done;

static void on_call(bg_async_op *call, bg_status st, bg_value *output, const bg_error *err,
                    void *user_data) {
  (void)call;
  (void)err;
  bg_value_free(output);
  async_done *d = user_data;
  d->status = st;
  atomic_fetch_add(&d->runs, 1);
}

static void test_file_resend_is_one_call_for_interceptors(void **state) {
  (void)state;
  bgt_server s;
  start_release(&s, "1.0.16");
  hook_counts counts = {0};
  bg_error err;
  bg_interceptor *counter =
      bg_interceptor_new("counter", count_before, count_after, &counts, NULL, &err);
  bg_options *o = bg_options_new();
  assert_int_equal(bg_options_add_interceptor(o, counter, &err), BG_OK);
  bg_interceptor_release(counter);
  const uint8_t content[] = {0x81, 0x30, 0x89, 0x39};
  bg_value *in = bg_file_borrow(content, sizeof content, NULL, &err);

  bg_client *c = bg_client_from_url(s.url, o, &err);
  if (!c)
    fail_msg("discovery: %s", err.message);
  atomic_store(&resends, 0);
  bg_value *out = NULL;
  bg_client_call(c, "predict_file", in, &out, NULL, &err);
  bg_value_free(out);
  assert_int_equal(atomic_load(&resends), 1);
  assert_int_equal(atomic_load(&counts.before), 1);
  assert_int_equal(atomic_load(&counts.after), 1);
  bg_client_close(c);

  bg_async_client *ac = bg_async_client_from_url(s.url, o, 0, &err);
  if (!ac)
    fail_msg("async discovery: %s", err.message);
  atomic_store(&resends, 0);
  atomic_store(&counts.before, 0);
  atomic_store(&counts.after, 0);
  async_done done = {0};
  assert_int_equal(bg_async_call(ac, "predict_file", in, NULL, on_call, &done, NULL, &err), BG_OK);
  for (int i = 0; i < 100 && atomic_load(&done.runs) == 0; i++)
    assert_int_equal(bg_async_client_poll(ac, 100, NULL, &err), BG_OK);
  assert_int_equal(atomic_load(&done.runs), 1);
  assert_int_equal(done.status, BG_ERR_SERVER); /* past decoding, as the sync call above */
  assert_int_equal(atomic_load(&resends), 1);
  assert_int_equal(atomic_load(&counts.before), 1);
  assert_int_equal(atomic_load(&counts.after), 1);
  bg_async_client_close(ac);
  bg_value_free(in);
  bg_options_free(o);
  bgt_server_stop(&s);
}

/* ---- not a BentoML server ---- */

static void test_server_without_bento_service(void **state) {
  (void)state;
  bgt_server s;
  const char *args[] = {"--no-bento-service", NULL};
  assert_int_equal(bgt_server_start(&s, args), 0);
  bg_error err;
  assert_null(bg_client_from_url(s.url, NULL, &err));
  assert_int_equal(err.code, BG_ERR_SERVER);
  assert_int_equal(err.grpc_status, 12);
  assert_contains(err.message, "neither bentoml.grpc.v1.BentoService nor "
                               "bentoml.grpc.v1alpha1.BentoService");
  assert_contains(err.message, "is it a BentoML gRPC server");
  /* health: neither BentoService name is known, the whole server answers — and says so */
  expect_health_name(s.url, NULL, "");
  expect_async_health_name(s.url, NULL, "");
  bgt_server_stop(&s);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_v1alpha1_only_release),
      cmocka_unit_test(test_v1_without_service_metadata_release),
      cmocka_unit_test(test_file_field_accepted_before_1_0_16),
      cmocka_unit_test(test_file_field_refused_from_1_0_16),
      cmocka_unit_test(test_file_resend_is_one_call_for_interceptors),
      cmocka_unit_test(test_server_without_bento_service),
  };
  bg_log_set_level(BG_LOG_INFO); /* the resend is an info event */
  bg_log_set_handler(count_resends, NULL);
  return cmocka_run_group_tests(tests, NULL, NULL);
}
