/* The log hook (bentogrpc/log.h) against real servers: the library's own events (connect,
 * discovery, the File input's retry, TLS advice) and gRPC Core's lines reach the handler with a
 * level and source; the level filters; no bearer token, metadata value or key material appears
 * in any line at any level. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <pthread.h>

#include <bentogrpc/bentogrpc.h>

#include "test_assert.h"
#include "test_certs.h"
#include "test_server.h"

/* Every line the handler received, "LEVEL SOURCE MESSAGE\n" one after another. */
static pthread_mutex_t lines_lock = PTHREAD_MUTEX_INITIALIZER;
static char *lines;
static size_t lines_len;
static bgt_server plain;

static void collect(bg_log_level level, const char *source, const char *message, void *user) {
  assert_ptr_equal(user, &lines);
  size_t n = strlen(bg_log_level_name(level)) + strlen(source) + strlen(message) + 3;
  pthread_mutex_lock(&lines_lock);
  char *grown = realloc(lines, lines_len + n + 1);
  if (grown) {
    lines = grown;
    lines_len +=
        (size_t)sprintf(lines + lines_len, "%s %s %s\n", bg_log_level_name(level), source, message);
  }
  pthread_mutex_unlock(&lines_lock);
}

static void reset_lines(void) {
  pthread_mutex_lock(&lines_lock);
  free(lines);
  lines = calloc(1, 1);
  lines_len = 0;
  pthread_mutex_unlock(&lines_lock);
}

static int setup(void **state) {
  (void)state;
  if (bgt_certs_make() != 0)
    return -1;
  reset_lines();
  bg_log_set_handler(collect, &lines);
  return bgt_server_start(&plain, NULL);
}

static int teardown(void **state) {
  (void)state;
  bg_log_set_handler(NULL, NULL);
  bgt_server_stop(&plain);
  free(lines);
  return bgt_certs_remove();
}

static void test_connect_and_discovery_events(void **state) {
  (void)state;
  bg_log_set_level(BG_LOG_INFO);
  reset_lines();
  bg_error err;
  bg_client *c = bg_client_from_url(plain.url, NULL, &err);
  assert_non_null(c);
  char want[400];
  snprintf(want, sizeof want, "info bentogrpc connecting to %s", plain.url);
  assert_contains(lines, want);
  snprintf(want, sizeof want, "info bentogrpc discovery at %s: BG_OK", plain.url);
  assert_contains(lines, want);
  bg_client_close(c);
}

static void test_level_filters(void **state) {
  (void)state;
  bg_log_set_level(BG_LOG_WARN);
  assert_int_equal(bg_log_get_level(), BG_LOG_WARN);
  reset_lines();
  bg_error err;
  bg_client *c = bg_client_from_url(plain.url, NULL, &err);
  assert_non_null(c);
  assert_null(strstr(lines, "connecting to"));
  bg_client_close(c);
  bg_log_set_level(BG_LOG_INFO);
}

static void test_file_retry_event(void **state) {
  (void)state;
  bg_log_set_level(BG_LOG_INFO);
  bg_error err;
  bg_client *c = bg_client_from_url(plain.url, NULL, &err);
  assert_non_null(c);
  const uint8_t content[] = {0x81, 0x30, 0x89, 0x39};
  bg_value *in = bg_file_borrow(content, sizeof content, NULL, &err), *out = NULL;
  reset_lines();
  /* the reference server behaves like BentoML at HEAD: `file` refused, the output fails */
  assert_int_equal(bg_client_call(c, "predict_file", in, &out, NULL, &err), BG_ERR_SERVER);
  assert_contains(lines, "info bentogrpc predict_file at ");
  assert_contains(lines, "sending it again as serialized_bytes");
  bg_value_free(out);
  bg_value_free(in);
  bg_client_close(c);
}

/* A TLS client at a plaintext server: gRPC Core logs the failed handshake (source "grpc"), and
 * the library adds its advice at warn. */
static void test_grpc_lines_and_tls_advice(void **state) {
  (void)state;
  bg_log_set_level(BG_LOG_INFO);
  reset_lines();
  char url[128];
  snprintf(url, sizeof url, "grpcs://%s", plain.url);
  bg_options *o = bg_options_new();
  bg_error err;
  assert_int_equal(bg_options_set_root_certs_file(o, bgt_cert("ca.pem"), &err), BG_OK);
  assert_int_equal(bg_options_set_discovery_timeout_ms(o, 3000, &err), BG_OK);
  assert_null(bg_client_from_url(url, o, &err));
  assert_contains(lines, " grpc ");
  assert_contains(lines, "warn bentogrpc discovering the APIs");
  assert_contains(lines, "check the CA (bg_options_set_root_certs_*)");
  bg_options_free(o);
}

/* Everything at debug over mutual TLS with the key from memory and a bearer token: neither the
 * token, nor a metadata value, nor any line of the key appears in a log line. */
static void test_secrets_never_logged(void **state) {
  (void)state;
  bgt_server s;
  const char *args[] = {"--tls-cert", bgt_cert("server.pem"), "--tls-key", bgt_cert("server.key"),
                        "--tls-ca",   bgt_cert("ca.pem"),     NULL};
  assert_int_equal(bgt_server_start(&s, args), 0);
  static const char token[] = "tok-SECRET-4f1b9c";
  for (int level = BG_LOG_DEBUG; level <= BG_LOG_ERROR; level++) {
    bg_log_set_level((bg_log_level)level);
    reset_lines();
    size_t ca_len, crt_len, key_len;
    char *ca = bgt_slurp(bgt_cert("ca.pem"), &ca_len),
         *crt = bgt_slurp(bgt_cert("client.pem"), &crt_len),
         *key = bgt_slurp(bgt_cert("client.key"), &key_len);
    bg_options *o = bg_options_new();
    bg_error err;
    assert_int_equal(bg_options_set_root_certs_pem(o, ca, ca_len, &err), BG_OK);
    assert_int_equal(bg_options_set_client_cert_pem(o, crt, crt_len, key, key_len, &err), BG_OK);
    char url[64];
    snprintf(url, sizeof url, "localhost:%d", s.port);
    bg_client *c = bg_client_from_url(url, o, &err);
    if (!c)
      fail_msg("%s", err.message);
    bg_call_options *co = bg_call_options_new();
    assert_int_equal(bg_call_options_set_bearer_token(co, token, &err), BG_OK);
    assert_int_equal(bg_call_options_add_metadata(co, "x-api-key", "key-SECRET-77", 13, &err),
                     BG_OK);
    float x[4] = {1, 2, 3, 4};
    int64_t shape[] = {1, 4};
    bg_value *in = bg_ndarray_borrow(BG_DTYPE_FLOAT, shape, 2, x, 4, &err), *out = NULL;
    assert_int_equal(bg_client_call(c, "predict", in, &out, co, &err), BG_OK);
    bg_value_free(out);
    bg_value_free(in);
    bg_call_options_free(co);
    bg_client_close(c);
    bg_options_free(o);
    if (level <= BG_LOG_INFO)
      assert_contains(lines, "connecting to localhost"); /* the handler did hear this run */
    assert_null(strstr(lines, token));
    assert_null(strstr(lines, "SECRET"));
    assert_null(strstr(lines, "PRIVATE KEY"));
    /* every base64 line of the key */
    for (char *line = strtok(key, "\n"); line; line = strtok(NULL, "\n"))
      if (strlen(line) > 16 && !strstr(line, "-----"))
        assert_null(strstr(lines, line));
    free(ca);
    free(crt);
    free(key);
  }
  bg_log_set_level(BG_LOG_INFO);
  bgt_server_stop(&s);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_connect_and_discovery_events),
      cmocka_unit_test(test_level_filters),
      cmocka_unit_test(test_file_retry_event),
      cmocka_unit_test(test_grpc_lines_and_tls_advice),
      cmocka_unit_test(test_secrets_never_logged),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
