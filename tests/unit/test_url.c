/* URL parsing: every accepted form and a clear error for each malformed one. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "transport/url.h"

static void expect_target(const char *url, const char *target, bool tls) {
  bg_url parsed;
  bg_error err;
  assert_int_equal(bg_url_parse(url, &parsed, &err), BG_OK);
  assert_string_equal(parsed.target, target);
  assert_int_equal(parsed.tls, tls);
}

static void expect_error(const char *url, const char *needle) {
  bg_url parsed;
  bg_error err;
  assert_int_equal(bg_url_parse(url, &parsed, &err), BG_ERR_INVALID_ARGUMENT);
  assert_int_equal(err.code, BG_ERR_INVALID_ARGUMENT);
  if (!strstr(err.message, needle))
    fail_msg("message for '%s' lacks '%s': %s", url ? url : "(null)", needle, err.message);
}

static void test_host_port_forms(void **state) {
  (void)state;
  expect_target("localhost:3000", "dns:///localhost:3000", false);
  expect_target("grpc://localhost:3000", "dns:///localhost:3000", false);
  expect_target("grpc://model.example.com:443/", "dns:///model.example.com:443", false);
  expect_target("grpcs://model.example.com:443", "dns:///model.example.com:443", true);
  expect_target("127.0.0.1:50051", "ipv4:127.0.0.1:50051", false);
  expect_target("[::1]:3000", "ipv6:[::1]:3000", false);
  expect_target("grpc://[fe80::1]:1", "ipv6:[fe80::1]:1", false);
}

static void test_unix_forms(void **state) {
  (void)state;
  bg_url parsed;
  assert_int_equal(bg_url_parse("unix:/tmp/bento.sock", &parsed, NULL), BG_OK);
  assert_true(parsed.is_unix);
  assert_string_equal(parsed.target, "unix:/tmp/bento.sock");
  assert_string_equal(parsed.host, "/tmp/bento.sock");
  assert_int_equal(bg_url_parse("unix:///tmp/bento.sock", &parsed, NULL), BG_OK);
  assert_string_equal(parsed.host, "/tmp/bento.sock");
}

static void test_malformed(void **state) {
  (void)state;
  expect_error(NULL, "no server address");
  expect_error("", "no server address");
  expect_error("localhost", "has no port");
  expect_error("localhost:", "has no port");
  expect_error("localhost:0", "not in 1..65535");
  expect_error("localhost:65536", "not in 1..65535");
  expect_error("localhost:30x0", "not a number");
  expect_error("::1:3000", "brackets");
  expect_error("[::1:3000", "[addr]:port");
  expect_error("[nothex]:3000", "is not an IPv6 address");
  expect_error("http://localhost:3000", "unsupported scheme");
  expect_error("grpc://localhost:3000/predict", "has a path");
  expect_error("local host:3000", "spaces");
  expect_error("unix:", "no socket path");
  expect_error("bad$host:3000", "not a valid host name");
}

static void test_null_error_is_allowed(void **state) {
  (void)state;
  bg_url parsed;
  assert_int_equal(bg_url_parse("nope", &parsed, NULL), BG_ERR_INVALID_ARGUMENT);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_host_port_forms),
      cmocka_unit_test(test_unix_forms),
      cmocka_unit_test(test_malformed),
      cmocka_unit_test(test_null_error_is_allowed),
  };
  return cmocka_run_group_tests_name("url", tests, NULL, NULL);
}
