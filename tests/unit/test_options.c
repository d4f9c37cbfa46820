/* The client's and the call's option setters (client/options.c, options_tls.c, options_lb.c,
 * call_options.c): a NULL handle and each out-of-range argument are refused with
 * BG_ERR_INVALID_ARGUMENT and a message that says what is wanted, and a refused setting
 * leaves the options as they were (the next valid setting still works). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "test_assert.h"

#include "bentogrpc/bentogrpc.h"
#include "client/options_internal.h"

#define REFUSED(call, needle)                                                                      \
  do {                                                                                             \
    bg_error e_;                                                                                   \
    memset(&e_, 0, sizeof e_);                                                                     \
    bg_status st_ = (call);                                                                        \
    if (st_ != BG_ERR_INVALID_ARGUMENT)                                                            \
      fail_msg("%s: expected BG_ERR_INVALID_ARGUMENT, got %s", #call, bg_status_name(st_));        \
    assert_int_equal(e_.code, BG_ERR_INVALID_ARGUMENT);                                            \
    if (!strstr(e_.message, (needle)))                                                             \
      fail_msg("%s: '%s' lacks '%s'", #call, e_.message, (needle));                                \
  } while (0)

#define ACCEPTED(call)                                                                             \
  do {                                                                                             \
    bg_error e_;                                                                                   \
    bg_status st_ = (call);                                                                        \
    if (st_ != BG_OK)                                                                              \
      fail_msg("%s: %s", #call, e_.message);                                                       \
  } while (0)

static bg_status hook(void *state, bg_call_context *ctx, bg_error *err) {
  (void)state;
  (void)ctx;
  (void)err;
  return BG_OK;
}

/* Every setter of bg_options refuses a NULL handle the same way. */
static void test_options_null_handle(void **state) {
  (void)state;
  const char *msg = "options is NULL";
  REFUSED(bg_options_set_protocol_version(NULL, "v1", &e_), msg);
  REFUSED(bg_options_set_allow_insecure_credentials(NULL, true, &e_), msg);
  REFUSED(bg_options_set_max_metadata_size(NULL, 1024, &e_), msg);
  REFUSED(bg_options_set_discovery_timeout_ms(NULL, 10, &e_), msg);
  REFUSED(bg_options_set_default_deadline_ms(NULL, 10, &e_), msg);
  /* the deprecated spellings (bg_options_set_max_*_size is the rule) keep their checks */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
  REFUSED(bg_options_set_max_receive_bytes(NULL, 10, &e_), msg);
  REFUSED(bg_options_set_max_send_bytes(NULL, 10, &e_), msg);
#pragma GCC diagnostic pop
  REFUSED(bg_options_set_keepalive(NULL, 1000, 1000, false, &e_), msg);
  REFUSED(bg_options_set_user_agent(NULL, "ua", &e_), msg);
  REFUSED(bg_options_set_lb_policy(NULL, "pick_first", &e_), msg);
  REFUSED(bg_options_set_service_config(NULL, "{}", &e_), msg);
  REFUSED(bg_options_set_channel_arg_int(NULL, "grpc.enable_retries", 1, &e_), msg);
  REFUSED(bg_options_set_channel_arg_string(NULL, "grpc.http_proxy", "x", &e_), msg);
  REFUSED(bg_options_set_compression(NULL, BG_COMPRESSION_GZIP, &e_), msg);
  REFUSED(bg_options_add_interceptor(NULL, NULL, &e_), msg);
  REFUSED(bg_options_set_tls(NULL, true, &e_), msg);
  REFUSED(bg_options_set_root_certs_file(NULL, "ca.pem", &e_), msg);
  REFUSED(bg_options_set_root_certs_pem(NULL, "x", 1, &e_), msg);
  REFUSED(bg_options_set_client_cert_file(NULL, "c.pem", "k.pem", &e_), msg);
  REFUSED(bg_options_set_client_cert_pem(NULL, "c", 1, "k", 1, &e_), msg);
  REFUSED(bg_options_set_authority(NULL, "example.com", &e_), msg);
  REFUSED(bg_options_set_retry(NULL, 3, 100, 1000, 2, NULL, &e_), msg);
  REFUSED(bg_options_set_health_check(NULL, true, NULL, &e_), msg);
  /* err may be NULL */
  assert_int_equal(bg_options_set_tls(NULL, true, NULL), BG_ERR_INVALID_ARGUMENT);
}

static void test_options_ranges(void **state) {
  (void)state;
  bg_options *o = bg_options_new();
  assert_non_null(o);
  REFUSED(bg_options_set_protocol_version(o, NULL, &e_), "'(null)' is not one BentoML has");
  REFUSED(bg_options_set_protocol_version(o, "v2", &e_), "use \"v1\" or \"v1alpha1\"");
  ACCEPTED(bg_options_set_protocol_version(o, "v1alpha1", &e_));
  assert_string_equal(o->protocol_version, "v1alpha1");

  REFUSED(bg_options_set_max_metadata_size(o, 0, &e_), "max metadata size must be 1..");
  REFUSED(bg_options_set_max_metadata_size(o, (size_t)INT32_MAX + 1, &e_), "(got 2147483648)");
  ACCEPTED(bg_options_set_max_metadata_size(o, 4096, &e_));
  assert_int_equal(o->channel.max_metadata_size, 4096);

  REFUSED(bg_options_set_discovery_timeout_ms(o, 0, &e_), "must be > 0 ms (got 0)");
  REFUSED(bg_options_set_default_deadline_ms(o, -1, &e_), "0 meaning none (got -1)");
  ACCEPTED(bg_options_set_default_deadline_ms(o, 0, &e_));

  /* the deprecated spellings (bg_options_set_max_*_size is the rule) keep their checks */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
  REFUSED(bg_options_set_max_receive_bytes(o, 0, &e_), "-1 (no limit) or 1..");
  REFUSED(bg_options_set_max_receive_bytes(o, -2, &e_), "(got -2)");
  REFUSED(bg_options_set_max_send_bytes(o, (int64_t)INT32_MAX + 1, &e_), "max send bytes");
  ACCEPTED(bg_options_set_max_send_bytes(o, -1, &e_));
#pragma GCC diagnostic pop

  REFUSED(bg_options_set_keepalive(o, 0, 10, true, &e_), "(got 0, 10)");
  REFUSED(bg_options_set_keepalive(o, 10, -1, true, &e_), "timeout 0..");
  REFUSED(bg_options_set_keepalive(o, (int64_t)INT32_MAX + 1, 0, true, &e_), "time must be 1..");

  REFUSED(bg_options_set_user_agent(o, "tab\there", &e_), "user agent must be printable ASCII");
  REFUSED(bg_options_set_user_agent(o, "caf\xc3\xa9", &e_), "printable ASCII");
  ACCEPTED(bg_options_set_user_agent(o, "my-app/1.0", &e_));
  ACCEPTED(bg_options_set_user_agent(o, NULL, &e_)); /* NULL clears it */
  assert_null(o->channel.user_agent);

  REFUSED(bg_options_set_lb_policy(o, NULL, &e_), "'(null)' is unknown");
  REFUSED(bg_options_set_lb_policy(o, "grpclb", &e_), "bg_options_set_service_config");

  REFUSED(bg_options_set_service_config(o, NULL, &e_), "must be a JSON object");
  REFUSED(bg_options_set_service_config(o, "[1]", &e_), "must be a JSON object");
  REFUSED(bg_options_set_service_config(o, "{\"a\":", &e_), "; parse error: ");

  REFUSED(bg_options_set_compression(o, (bg_compression)7, &e_),
          "compression 7 is not BG_COMPRESSION_NONE, _DEFLATE or _GZIP");

  REFUSED(bg_options_set_authority(o, "two words", &e_), "contains spaces or non-ASCII");
  ACCEPTED(bg_options_set_authority(o, "model.example.com", &e_));
  assert_string_equal(o->channel.authority, "model.example.com");
  ACCEPTED(bg_options_set_authority(o, "", &e_)); /* empty clears it */
  assert_null(o->channel.authority);
  bg_options_free(o);
}

static void test_channel_args(void **state) {
  (void)state;
  bg_options *o = bg_options_new();
  assert_non_null(o);
  REFUSED(bg_options_set_channel_arg_int(o, NULL, 1, &e_), "channel argument key is NULL");
  REFUSED(bg_options_set_channel_arg_int(o, "grpc.no_such_thing", 1, &e_),
          "'grpc.no_such_thing' is not a gRPC channel argument a client can set");
  REFUSED(bg_options_set_channel_arg_int(o, "grpc.http_proxy", 1, &e_),
          "takes a string value; use bg_options_set_channel_arg_string()");
  REFUSED(bg_options_set_channel_arg_string(o, "grpc.enable_retries", "1", &e_),
          "takes an integer value; use bg_options_set_channel_arg_int()");
  REFUSED(bg_options_set_channel_arg_string(o, "grpc.http_proxy", NULL, &e_),
          "channel argument 'grpc.http_proxy': value is NULL");
  for (int i = 0; i < BGI_MAX_EXTRA_CHANNEL_ARGS; i++)
    ACCEPTED(bg_options_set_channel_arg_int(o, "grpc.enable_retries", i, &e_));
  REFUSED(bg_options_set_channel_arg_string(o, "grpc.http_proxy", "http://proxy:3128", &e_),
          "at most 32 raw channel arguments");
  assert_int_equal(o->channel.n_extra, BGI_MAX_EXTRA_CHANNEL_ARGS);
  assert_int_equal(o->channel.extra[31].integer, 31);
  bg_options_free(o);
}

static void test_interceptor_limits(void **state) {
  (void)state;
  bg_error err;
  assert_null(bg_interceptor_new("none", NULL, NULL, NULL, NULL, &err));
  assert_string_equal(err.message, "an interceptor needs a before or an after hook");
  assert_null(bg_interceptor_timing(NULL, NULL, &err));
  assert_string_equal(err.message, "timing interceptor: the log callback is NULL");

  bg_options *o = bg_options_new();
  bg_interceptor *ic = bg_interceptor_new(NULL, hook, NULL, NULL, NULL, &err);
  assert_non_null(ic);
  REFUSED(bg_options_add_interceptor(o, NULL, &e_), "interceptor is NULL");
  for (int i = 0; i < BGI_MAX_INTERCEPTORS; i++)
    ACCEPTED(bg_options_add_interceptor(o, ic, &e_));
  REFUSED(bg_options_add_interceptor(o, ic, &e_), "at most 16 interceptors");
  bg_interceptor_release(ic); /* the options hold their own references */
  bg_options_free(o);         /* ASan/valgrind: the last reference frees it */
}

static void test_tls_material(void **state) {
  (void)state;
  bg_options *o = bg_options_new();
  REFUSED(bg_options_set_root_certs_pem(o, NULL, 0, &e_), "CA certificates: the PEM is NULL");
  REFUSED(bg_options_set_root_certs_pem(o, "not pem", 7, &e_),
          "CA certificates from memory is not PEM certificates OpenSSL can read");
  REFUSED(bg_options_set_root_certs_file(o, NULL, &e_), "CA certificates: the path is NULL");
  REFUSED(bg_options_set_root_certs_file(o, "/nonexistent/ca.pem", &e_),
          "CA certificates: cannot open '/nonexistent/ca.pem': No such file or directory");
  REFUSED(bg_options_set_root_certs_file(o, ".", &e_), "CA certificates: cannot read '.': ");
  REFUSED(bg_options_set_client_cert_pem(o, "c", 1, NULL, 0, &e_),
          "both the certificate and the key PEM are needed");
  REFUSED(bg_options_set_client_cert_pem(o, "c", 1, "k", 1, &e_),
          "client certificate from memory is not PEM certificates");
  REFUSED(bg_options_set_client_cert_file(o, NULL, "k.pem", &e_),
          "client certificate: the path is NULL");
  REFUSED(bg_options_set_client_cert_file(o, "/nonexistent/c.pem", "k.pem", &e_),
          "client certificate: cannot open '/nonexistent/c.pem'");
  /* nothing was set: TLS can still be turned off, and then no material is taken */
  assert_null(o->channel.root_pem);
  assert_null(o->channel.cert_pem);
  ACCEPTED(bg_options_set_tls(o, false, &e_));
  REFUSED(bg_options_set_root_certs_pem(o, "x", 1, &e_),
          "CA certificates (bg_options_set_root_certs_pem) need TLS, but "
          "bg_options_set_tls(false) turned TLS off");
  REFUSED(bg_options_set_client_cert_file(o, "c.pem", "k.pem", &e_),
          "a client certificate (bg_options_set_client_cert_file) need TLS");
  REFUSED(bg_options_set_client_cert_pem(o, "c", 1, "k", 1, &e_),
          "a client certificate (bg_options_set_client_cert_pem) need TLS");
  bg_options_free(o);
}

static void test_retry_and_health(void **state) {
  (void)state;
  bg_options *o = bg_options_new();
  REFUSED(bg_options_set_retry(o, 6, 100, 1000, 2, NULL, &e_), "max attempts must be 2..5");
  REFUSED(bg_options_set_retry(o, -1, 100, 1000, 2, NULL, &e_), "(got -1)");
  REFUSED(bg_options_set_retry(o, 3, 0, 1000, 2, NULL, &e_), "(got initial 0, max 1000)");
  REFUSED(bg_options_set_retry(o, 3, 100, 50, 2, NULL, &e_), "initial <= max");
  REFUSED(bg_options_set_retry(o, 3, 100, 1000, 0, NULL, &e_), "multiplier must be a number > 0");
  REFUSED(bg_options_set_retry(o, 3, 100, 1000, NAN, NULL, &e_), "(got nan)");
  REFUSED(bg_options_set_retry(o, 3, 100, 1000, 2, "UNAVAILABLE,NOPE", &e_),
          "retry status code 'NOPE' is not a gRPC status name");
  REFUSED(bg_options_set_retry(o, 3, 100, 1000, 2, " , ", &e_), "no retry status code given");
  assert_null(o->channel.retry_policy); /* nothing half-set */
  /* each name once, in any case, with spaces */
  ACCEPTED(bg_options_set_retry(o, 3, 1500, 2000, 1.5, "unavailable, UNAVAILABLE,aborted", &e_));
  assert_string_equal(o->channel.retry_policy,
                      "{\"maxAttempts\":3,\"initialBackoff\":\"1.500s\",\"maxBackoff\":\"2.000s\","
                      "\"backoffMultiplier\":1.5,\"retryableStatusCodes\":[\"UNAVAILABLE\","
                      "\"ABORTED\"]}");
  /* every status name, each twice: fits, once each */
  char all[1024] = "";
  /* the library's own names of gRPC's status codes 1..16 (OK is not retryable) */
  const char *names[16];
  for (int code = 1; code <= 16; code++)
    names[code - 1] = bg_grpc_status_name(code);
  for (int twice = 0; twice < 2; twice++)
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
      strcat(all, names[i]);
      strcat(all, ",");
    }
  ACCEPTED(bg_options_set_retry(o, 5, 1, 1, 2, all, &e_));
  assert_non_null(strstr(o->channel.retry_policy, "\"UNAUTHENTICATED\"]"));
  ACCEPTED(bg_options_set_retry(o, 1, 0, 0, 0, NULL, &e_)); /* one attempt: no retry policy */
  assert_null(o->channel.retry_policy);

  REFUSED(bg_options_set_health_check(o, true, "svc\n", &e_),
          "health check service name must be printable ASCII");
  ACCEPTED(bg_options_set_health_check(o, true, "bentoml.grpc.v1.BentoService", &e_));
  assert_string_equal(o->channel.health_service, "bentoml.grpc.v1.BentoService");
  bg_options_free(o);
}

static void test_call_options(void **state) {
  (void)state;
  const char *msg = "call options is NULL";
  REFUSED(bg_call_options_set_deadline_ms(NULL, 10, &e_), msg);
  REFUSED(bg_call_options_set_wait_for_ready(NULL, true, &e_), msg);
  REFUSED(bg_call_options_set_validate(NULL, true, &e_), msg);
  REFUSED(bg_call_options_add_metadata(NULL, "k", "v", 1, &e_), msg);
  REFUSED(bg_call_options_set_compression(NULL, BG_COMPRESSION_NONE, &e_), msg);
  REFUSED(bg_call_options_set_bearer_token(NULL, "t", &e_), msg);
  REFUSED(bg_call_options_set_credentials(NULL, NULL, NULL, &e_), msg);
  REFUSED(bg_call_options_set_response_metadata(NULL, NULL, &e_), msg);
  REFUSED(bg_call_options_set_output_buffer(NULL, NULL, 0, &e_), msg);

  bg_call_options *co = bg_call_options_new();
  assert_non_null(co);
  REFUSED(bg_call_options_set_deadline_ms(co, 0, &e_), "deadline must be > 0 ms (got 0)");
  REFUSED(bg_call_options_set_compression(co, (bg_compression)3, &e_), "compression 3 is not");
  REFUSED(bg_call_options_add_metadata(co, NULL, "v", 1, &e_), "metadata key is empty");
  REFUSED(bg_call_options_add_metadata(co, "", "v", 1, &e_), "metadata key is empty");
  REFUSED(bg_call_options_add_metadata(co, "X-Upper", "v", 1, &e_),
          "only lower-case letters, digits, '-', '_' and '.' are allowed");
  REFUSED(bg_call_options_add_metadata(co, "grpc-timeout", "1S", 2, &e_),
          "keys starting with 'grpc-' are reserved by gRPC");
  REFUSED(bg_call_options_add_metadata(co, "k", NULL, 3, &e_), "metadata 'k': value is NULL");
  REFUSED(bg_call_options_add_metadata(co, "k", "a\nb", 3, &e_),
          "byte 1 of the value is not printable ASCII; use a key ending in '-bin'");
  ACCEPTED(bg_call_options_add_metadata(co, "k-bin", "a\nb\0", 4, &e_)); /* binary: any byte */
  ACCEPTED(bg_call_options_add_metadata(co, "empty", NULL, 0, &e_));
  REFUSED(bg_call_options_set_bearer_token(co, NULL, &e_), "bearer token is empty");
  REFUSED(bg_call_options_set_bearer_token(co, "", &e_), "bearer token is empty");
  REFUSED(bg_call_options_set_bearer_token(co, "to\x01ken", &e_), "not printable ASCII");
  /* a second token replaces the first: one authorization entry */
  ACCEPTED(bg_call_options_set_bearer_token(co, "first", &e_));
  ACCEPTED(bg_call_options_set_bearer_token(co, "second", &e_));
  size_t authorization = 0;
  for (size_t i = 0; i < co->n_metadata; i++)
    if (grpc_slice_str_cmp(co->metadata[i].key, "authorization") == 0) {
      authorization++;
      assert_int_equal(grpc_slice_str_cmp(co->metadata[i].value, "Bearer second"), 0);
    }
  assert_int_equal(authorization, 1);
  assert_int_equal(co->n_metadata, 3);
  bg_call_options_free(co);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_options_null_handle), cmocka_unit_test(test_options_ranges),
      cmocka_unit_test(test_channel_args),        cmocka_unit_test(test_interceptor_limits),
      cmocka_unit_test(test_tls_material),        cmocka_unit_test(test_retry_and_health),
      cmocka_unit_test(test_call_options),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
