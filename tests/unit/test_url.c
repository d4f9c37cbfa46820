/* URL parsing: every accepted form and a clear error for each malformed one. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "transport/url.h"

static void expect_target(const char *url, const char *target, bool tls) {
  bgi_url parsed;
  bg_error err;
  assert_int_equal(bgi_url_parse(url, &parsed, &err), BG_OK);
  assert_string_equal(parsed.target, target);
  assert_int_equal(parsed.tls, tls);
}

static void expect_error(const char *url, const char *needle) {
  bgi_url parsed;
  bg_error err;
  assert_int_equal(bgi_url_parse(url, &parsed, &err), BG_ERR_INVALID_ARGUMENT);
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
  bgi_url parsed;
  assert_int_equal(bgi_url_parse("unix:/tmp/bento.sock", &parsed, NULL), BG_OK);
  assert_true(parsed.is_unix);
  assert_string_equal(parsed.target, "unix:/tmp/bento.sock");
  assert_string_equal(parsed.host, "/tmp/bento.sock");
  assert_int_equal(bgi_url_parse("unix:///tmp/bento.sock", &parsed, NULL), BG_OK);
  assert_string_equal(parsed.host, "/tmp/bento.sock");
}

static void expect_unix(const char *url, const char *path, const char *target) {
  bgi_url parsed;
  bg_error err;
  if (bgi_url_parse(url, &parsed, &err) != BG_OK)
    fail_msg("'%s': %s", url, err.message);
  assert_true(parsed.is_unix);
  assert_string_equal(parsed.host, path);
  assert_string_equal(parsed.target, target);
}

/* The path after unix: is taken literally. gRPC reads its target as a URI, so
 * '#', '?' and '%' are handed over percent-encoded (before, "#junk" and "?x=1" were cut off
 * and "%72" decoded, all reaching another socket); paths longer than sun_path are refused. */
static void test_unix_paths_are_literal(void **state) {
  (void)state;
  expect_unix("unix:/p/ref.sock#junk", "/p/ref.sock#junk", "unix:/p/ref.sock%23junk");
  expect_unix("unix:/p/ref.sock?x=1", "/p/ref.sock?x=1", "unix:/p/ref.sock%3Fx%3D1");
  expect_unix("unix:/p/%72ef.sock", "/p/%72ef.sock", "unix:/p/%2572ef.sock");
  /* the four forms: unix:/abs, unix:///abs (both absolute), unix:rel (relative to the working
   * directory); unix://name would put a host where none can be */
  expect_unix("unix:/tmp/bento.sock", "/tmp/bento.sock", "unix:/tmp/bento.sock");
  expect_unix("unix:///tmp/bento.sock", "/tmp/bento.sock", "unix:/tmp/bento.sock");
  expect_unix("unix:run/bento.sock", "run/bento.sock", "unix:run/bento.sock");
  expect_error("unix://tmp/bento.sock", "unix:///tmp/bento.sock");
  expect_error("unix://", "no socket path");

  char url[300] = "unix:/", path[300];
  memset(url + 6, 'a', 106); /* "/" + 106 bytes: the 107 that sun_path holds */
  url[6 + 106] = '\0';
  snprintf(path, sizeof path, "%s", url + 5);
  expect_unix(url, path, url);
  strcat(url, "a");
  expect_error(url, "107 bytes");
}

/* bg_options_set_allow_insecure_credentials() trusts exactly these targets. */
static void test_local_targets(void **state) {
  (void)state;
  const char *local[] = {"unix:/tmp/x.sock", "unix:x.sock", "localhost:1",       "127.0.0.1:1",
                         "127.8.9.10:1",     "[::1]:1",     "grpc://localhost:1"};
  const char *remote[] = {"10.0.0.1:1",  "example.com:1",           "[::2]:1",
                          "128.0.0.1:1", "localhost.example.com:1", "[::ffff:8.8.8.8]:1"};
  bgi_url parsed;
  for (size_t i = 0; i < sizeof local / sizeof local[0]; i++) {
    assert_int_equal(bgi_url_parse(local[i], &parsed, NULL), BG_OK);
    if (!bgi_url_is_local(&parsed))
      fail_msg("%s is local", local[i]);
  }
  for (size_t i = 0; i < sizeof remote / sizeof remote[0]; i++) {
    assert_int_equal(bgi_url_parse(remote[i], &parsed, NULL), BG_OK);
    if (bgi_url_is_local(&parsed))
      fail_msg("%s is not local", remote[i]);
  }
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

/* GRPC's own target syntax is handed to gRPC unchanged (before: "dns:///h:p" was an
 * "unsupported scheme" and "ipv4:a:p,b:p" got the advice to bracket an IPv6 address). */
static void expect_native(const char *url, const char *host, int port, bool local) {
  bgi_url parsed;
  bg_error err;
  if (bgi_url_parse(url, &parsed, &err) != BG_OK)
    fail_msg("'%s': %s", url, err.message);
  assert_string_equal(parsed.target, url);
  assert_string_equal(parsed.host, host);
  assert_int_equal(parsed.port, port);
  assert_false(parsed.tls);
  if (bgi_url_is_local(&parsed) != local)
    fail_msg("'%s' should%s be local", url, local ? "" : " not");
}

static void test_native_targets(void **state) {
  (void)state;
  expect_native("dns:///localhost:3000", "localhost", 3000, true);
  expect_native("dns:///bento.ns.svc.cluster.local:3000", "bento.ns.svc.cluster.local", 3000,
                false);
  expect_native("dns://127.0.0.1:5353/replicas.test:3000", "replicas.test", 3000, false);
  expect_native("dns:localhost:3000", "localhost", 3000, true);
  expect_native("dns:///[::1]:3000", "::1", 3000, true);
  expect_native("ipv4:127.0.0.1:3001,127.0.0.2:3002,127.0.0.3:3003", "127.0.0.1", 3001, true);
  expect_native("ipv4:127.0.0.1:3001,10.0.0.2:3002", "127.0.0.1", 3001, false);
  expect_native("ipv4:10.1.2.3:80", "10.1.2.3", 80, false);
  expect_native("ipv6:[::1]:3001,[::1]:3002", "::1", 3001, true);
  expect_native("ipv6:[fe80::1]:3001", "fe80::1", 3001, false);
  expect_native("unix-abstract:bento", "bento", 0, true);

  expect_error("dns:///bento", "has no port");
  expect_error("dns:///", "no host");
  expect_error("dns://", "no host");
  expect_error("dns://10.0.0.53", "dns://DNS_SERVER/host:port");
  expect_error("dns:///bad$name:1", "not a valid host name");
  expect_error("ipv4:127.0.0.1", "has no port");
  expect_error("ipv4:", "no address");
  expect_error("ipv4:127.0.0.1:1,,127.0.0.2:2", "empty address");
  expect_error("ipv4:localhost:1", "dns:///localhost:1");
  expect_error("ipv4:127.0.0.1:99999", "not in 1..65535");
  expect_error("ipv6:::1:3000", "[addr]:port");
  expect_error("ipv6:[1.2.3.4]:3000", "is not an IPv6 address");
  expect_error("unix-abstract:", "no socket name");
  expect_error("xds:///", "no service name");
  expect_error("127.0.0.1:1,127.0.0.2:2", "ipv4:127.0.0.1:1,127.0.0.2:2");
  expect_error("foo:bar:1", "unsupported");
  expect_error("http://localhost:3000", "dns:///host:port");
  bgi_url parsed;
  bg_error err;
  /* unix-abstract names are byte for byte, as unix: paths (percent-encoded for gRPC) */
  assert_int_equal(bgi_url_parse("unix-abstract:a#b", &parsed, &err), BG_OK);
  assert_string_equal(parsed.target, "unix-abstract:a%23b");
  assert_true(parsed.is_unix);
}

/* xds: needs a bootstrap; without one the error says what to set (gRPC would only fail at the
 * first call with "Failed to create channel"); the environment is read at each parse. */
static void test_xds_needs_bootstrap(void **state) {
  (void)state;
  unsetenv("GRPC_XDS_BOOTSTRAP");
  unsetenv("GRPC_XDS_BOOTSTRAP_CONFIG");
  expect_error("xds:///bento", "GRPC_XDS_BOOTSTRAP");
  expect_error("xds:///bento", "GRPC_XDS_BOOTSTRAP_CONFIG");
  setenv("GRPC_XDS_BOOTSTRAP", "/etc/xds-bootstrap.json", 1);
  expect_native("xds:///bento", "bento", 0, false);
  unsetenv("GRPC_XDS_BOOTSTRAP");
  setenv("GRPC_XDS_BOOTSTRAP_CONFIG", "{}", 1);
  expect_native("xds:///bento", "bento", 0, false);
  expect_native("xds://control.example/bento", "bento", 0, false);
  unsetenv("GRPC_XDS_BOOTSTRAP_CONFIG");
}

/* user:password@ (or user@) before the host is refused in every form that has a host, and the
 * message keeps the host but shows nothing of the credentials (not even a scheme-like part of
 * a password); socket paths and abstract names keep their '@'. */
static void expect_userinfo_refused(const char *url, const char *shown, const char *secret) {
  expect_error(url, "carries user credentials");
  expect_error(url, "bg_call_options_set_bearer_token");
  expect_error(url, shown);
  bgi_url parsed;
  bg_error err;
  bgi_url_parse(url, &parsed, &err);
  if (strstr(err.message, secret))
    fail_msg("the message for '%s' shows '%s': %s", url, secret, err.message);
}

static void test_userinfo_refused(void **state) {
  (void)state;
  expect_userinfo_refused("grpc://alice:s3cr3t@bento.example:3000",
                          "'grpc://<credentials>@bento.example:3000'", "s3cr3t");
  expect_userinfo_refused("grpcs://alice:s3cr3t@bento.example:443",
                          "'grpcs://<credentials>@bento.example:443'", "s3cr3t");
  expect_userinfo_refused("alice:s3cr3t@127.0.0.1:3000", "'<credentials>@127.0.0.1:3000'",
                          "s3cr3t");
  expect_userinfo_refused("alice@localhost:3000", "'<credentials>@localhost:3000'", "alice");
  /* a password holding '@', '/', "://", spaces or control bytes stays hidden */
  expect_userinfo_refused("grpc://alice:p@ss/w0rd@bento.example:3000",
                          "<credentials>@bento.example:3000", "w0rd");
  expect_userinfo_refused("alice:pa://ss@bento.example:3000", "'<credentials>@bento.example",
                          "pa:");
  expect_userinfo_refused("grpc://alice:s3 cr\x01t@h:1", "<credentials>@h:1", "s3");
  expect_userinfo_refused("dns:///alice:s3cr3t@bento.example:3000",
                          "'dns://<credentials>@bento.example:3000'", "s3cr3t");
  expect_userinfo_refused("http://alice:s3cr3t@bento.example:3000",
                          "'http://<credentials>@bento.example:3000'", "s3cr3t");
  expect_userinfo_refused("ipv4:alice:s3cr3t@127.0.0.1:3000", "<credentials>@127.0.0.1:3000",
                          "s3cr3t");
  expect_unix("unix:/tmp/a@b.sock", "/tmp/a@b.sock", "unix:/tmp/a%40b.sock");
  bgi_url parsed;
  assert_int_equal(bgi_url_parse("unix-abstract:user@name", &parsed, NULL), BG_OK);
  assert_string_equal(parsed.host, "user@name");
}

static void test_null_error_is_allowed(void **state) {
  (void)state;
  bgi_url parsed;
  assert_int_equal(bgi_url_parse("nope", &parsed, NULL), BG_ERR_INVALID_ARGUMENT);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_host_port_forms),
      cmocka_unit_test(test_unix_forms),
      cmocka_unit_test(test_malformed),
      cmocka_unit_test(test_null_error_is_allowed),
      cmocka_unit_test(test_unix_paths_are_literal),
      cmocka_unit_test(test_local_targets),
      cmocka_unit_test(test_native_targets),
      cmocka_unit_test(test_xds_needs_bootstrap),
      cmocka_unit_test(test_userinfo_refused),
  };
  return cmocka_run_group_tests_name("url", tests, NULL, NULL);
}
