/* Secure, configurable channels against real servers: TLS and mutual TLS from files and
 * memory, handshake failures, channel options, compression on the wire (measured through a
 * byte-counting proxy), per-call metadata and credentials, reply metadata, interceptors, and
 * conformance cases adapted from gRPC's interop suite. Certificates are made at test time. */
#include <setjmp.h>
#include <stdarg.h>
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
#include "test_certs.h"
#include "test_server.h"

static bgt_server plain;

static int setup(void **state) {
  (void)state;
  if (bgt_certs_make() != 0)
    return -1;
  return bgt_server_start(&plain, NULL);
}

static int teardown(void **state) {
  (void)state;
  bgt_server_stop(&plain);
  return bgt_certs_remove();
}

/* Calls predict([1,2,3,4]) and expects `want`; a failure names the caller's line. */
#define predict(c, want, err) predict_at((c), (want), (err), __LINE__)
static void predict_at(bg_client *c, bg_status want, bg_error *err, int line) {
  float x[4] = {1, 2, 3, 4};
  int64_t shape[] = {1, 4};
  bg_value *in = bg_ndarray_borrow(BG_DTYPE_FLOAT, shape, 2, x, 4, NULL), *out = NULL;
  bg_status st = bg_client_call(c, "predict", in, &out, NULL, err);
  if (st != want) {
    print_error("predict: %s, want %s: %s\n", bg_status_name(st), bg_status_name(want),
                err->message);
    _fail(__FILE__, line);
  }
  if (st == BG_OK)
    _assert_true(*(const float *)bg_ndarray_data(out) == 10.0f, "predict's result == 10", __FILE__,
                 line);
  bg_value_free(out);
  bg_value_free(in);
}

#define connect_ok(url, o) connect_ok_at((url), (o), __LINE__)
static bg_client *connect_ok_at(const char *url, const bg_options *o, int line) {
  bg_error err;
  bg_client *c = bg_client_from_url(url, o, &err);
  if (!c) {
    print_error("from_url(%s): %s\n", url, err.message);
    _fail(__FILE__, line);
  }
  return c;
}

/* A client of `url` with `o` connects and predicts: the whole round trip, closed again. */
#define predicts_ok(url, o) predicts_ok_at((url), (o), __LINE__)
static void predicts_ok_at(const char *url, const bg_options *o, int line) {
  bg_error err;
  bg_client *c = connect_ok_at(url, o, line);
  predict_at(c, BG_OK, &err, line);
  bg_client_close(c);
}

/* A client of `url` with `o` is refused in the TLS handshake (UNAVAILABLE), the error in *err. */
#define handshake_refused(url, o, err) handshake_refused_at((url), (o), (err), __LINE__)
static void handshake_refused_at(const char *url, const bg_options *o, bg_error *err, int line) {
  bg_client *c = bg_client_from_url(url, o, err);
  if (c) {
    bg_client_close(c);
    print_error("from_url(%s) connected, want a TLS handshake failure\n", url);
    _fail(__FILE__, line);
  }
  _assert_int_equal(err->code, BG_ERR_UNAVAILABLE, __FILE__, line);
  if (!strstr(err->message, "TLS handshake")) {
    print_error("'%s' does not contain 'TLS handshake'\n", err->message);
    _fail(__FILE__, line);
  }
}

/* ---- TLS ---- */

/* Starts a TLS reference server (`mutual`: it asks for a client certificate signed by the test
 * CA); its address as `host`:PORT in url[64]. */
static void start_tls(bgt_server *s, const char *server_cert, const char *server_key, bool mutual,
                      const char *host, char *url) {
  const char *args[] = {"--tls-cert",
                        server_cert,
                        "--tls-key",
                        server_key,
                        mutual ? "--tls-ca" : NULL,
                        mutual ? bgt_cert("ca.pem") : NULL,
                        NULL};
  assert_int_equal(bgt_server_start(s, args), 0);
  snprintf(url, 64, "%s:%d", host, s->port);
}

/* Options trusting the CA certificate file `ca` (a test certificate's name). */
static bg_options *trusting(const char *ca) {
  bg_error err;
  bg_options *o = bg_options_new();
  assert_non_null(o);
  if (bg_options_set_root_certs_file(o, bgt_cert(ca), &err) != BG_OK)
    fail_msg("root certs %s: %s", ca, err.message);
  return o;
}

static void test_tls_from_files_and_memory(void **state) {
  (void)state;
  bgt_server s;
  char url[64];
  start_tls(&s, bgt_cert("server.pem"), bgt_cert("server.key"), false, "localhost", url);
  bg_error err;
  bg_options *o = trusting("ca.pem");
  predicts_ok(url, o);
  snprintf(url, sizeof url, "grpcs://127.0.0.1:%d", s.port);
  predicts_ok(url, o);
  bg_options_free(o);

  size_t len;
  char *pem = bgt_slurp(bgt_cert("ca.pem"), &len);
  o = bg_options_new();
  assert_int_equal(bg_options_set_root_certs_pem(o, pem, len, &err), BG_OK);
  snprintf(url, sizeof url, "localhost:%d", s.port);
  predicts_ok(url, o);
  bg_options_free(o);
  free(pem);

  /* grpcs:// without a CA uses the system's roots, which do not know our test CA (loading
   * the whole system bundle is slow under the sanitizers: allow for it) */
  snprintf(url, sizeof url, "grpcs://localhost:%d", s.port);
  o = bg_options_new();
  bg_options_set_discovery_timeout_ms(o, 120000, NULL);
  handshake_refused(url, o, &err);
  bg_options_free(o);
  assert_int_equal(bg_error_reason(&err), BG_REASON_TLS_HANDSHAKE);
  bgt_server_stop(&s);
}

static void test_tls_failures_are_explained(void **state) {
  (void)state;
  bgt_server s;
  char url[64];
  start_tls(&s, bgt_cert("server.pem"), bgt_cert("server.key"), false, "localhost", url);
  bg_error err;
  bg_options *o = trusting("other-ca.pem"); /* a certificate from another CA */
  handshake_refused(url, o, &err);
  assert_int_equal(err.grpc_status, 14);
  bg_options_free(o);
  /* a plaintext client against a TLS server is told about TLS (before: "is the
   * server running...?") */
  assert_null(bg_client_from_url(url, NULL, &err));
  assert_int_equal(err.code, BG_ERR_UNAVAILABLE);
  assert_contains(err.message, "TLS");
  assert_contains(err.message, "grpcs://");
  assert_contains(err.message, "bg_options_set_root_certs_file");
  assert_int_equal(bg_error_reason(&err), BG_REASON_TLS_REQUIRED);
  bg_health_status health;
  assert_int_equal(bg_health_check_url(url, NULL, 5000, NULL, &health, &err), BG_ERR_UNAVAILABLE);
  assert_contains(err.message, "grpcs://");
  bgt_server_stop(&s);

  /* a certificate for another name; fine once the authority names it */
  start_tls(&s, bgt_cert("wrongname.pem"), bgt_cert("wrongname.key"), false, "localhost", url);
  o = trusting("ca.pem");
  handshake_refused(url, o, &err);
  assert_int_equal(bg_options_set_authority(o, "other.example", &err), BG_OK);
  predicts_ok(url, o);
  bg_options_free(o);
  bgt_server_stop(&s);
}

static void test_mutual_tls(void **state) {
  (void)state;
  bgt_server s;
  char url[64];
  start_tls(&s, bgt_cert("server.pem"), bgt_cert("server.key"), true, "127.0.0.1", url);
  bg_error err;
  bg_options *o = trusting("ca.pem");
  handshake_refused(url, o, &err); /* no client certificate */
  assert_contains(err.message, "client certificate");
  assert_int_equal(
      bg_options_set_client_cert_file(o, bgt_cert("client.pem"), bgt_cert("client.key"), &err),
      BG_OK);
  predicts_ok(url, o);
  bg_options_free(o);

  size_t ca_len, cert_len, key_len;
  char *ca = bgt_slurp(bgt_cert("ca.pem"), &ca_len),
       *crt = bgt_slurp(bgt_cert("client.pem"), &cert_len),
       *key = bgt_slurp(bgt_cert("client.key"), &key_len);
  o = bg_options_new();
  assert_int_equal(bg_options_set_root_certs_pem(o, ca, ca_len, &err), BG_OK);
  assert_int_equal(bg_options_set_client_cert_pem(o, crt, cert_len, key, key_len, &err), BG_OK);
  predicts_ok(url, o);
  bg_options_free(o);
  free(ca);
  free(crt);
  free(key);
  bgt_server_stop(&s);
}

static void test_bad_tls_material_fails_early(void **state) {
  (void)state;
  bg_error err;
  bg_options *o = bg_options_new();
  assert_int_equal(bg_options_set_root_certs_file(o, "/nonexistent/ca.pem", &err),
                   BG_ERR_INVALID_ARGUMENT);
  assert_contains(err.message, "cannot open '/nonexistent/ca.pem'");
  assert_int_equal(bg_options_set_root_certs_pem(o, "hello", 5, &err), BG_ERR_INVALID_ARGUMENT);
  assert_contains(err.message, "not PEM");
  /* a certificate where the key should be */
  assert_int_equal(
      bg_options_set_client_cert_file(o, bgt_cert("client.pem"), bgt_cert("client.pem"), &err),
      BG_ERR_INVALID_ARGUMENT);
  assert_contains(err.message, "client private key");
  assert_contains(err.message, "client.pem");
  assert_int_equal(
      bg_options_set_client_cert_file(o, bgt_cert("client.pem"), "/nonexistent/k", &err),
      BG_ERR_INVALID_ARGUMENT);
  assert_contains(err.message, "/nonexistent/k");
  assert_int_equal(bg_options_set_authority(o, "bad name", &err), BG_ERR_INVALID_ARGUMENT);
  /* an encrypted key is refused with the reason, never by prompting for a passphrase */
  assert_int_equal(bg_options_set_client_cert_file(o, bgt_cert("client.pem"),
                                                   bgt_cert("client-encrypted.key"), &err),
                   BG_ERR_INVALID_ARGUMENT);
  assert_contains(err.message, "encrypted keys are not supported");
  bg_options_free(o);

  /* with TLS on, a refused connection is reported as that, not as a TLS failure */
  char url[64];
  snprintf(url, sizeof url, "grpcs://127.0.0.1:%d", bgt_unused_port());
  assert_null(bg_client_from_url(url, NULL, &err));
  assert_int_equal(err.code, BG_ERR_UNAVAILABLE);
  assert_contains(err.message, "is the server running");
  assert_null(strstr(err.message, "TLS handshake"));
}

/* TLS material and bg_options_set_tls(false) conflict in either order; before,
 * the later setting won and the client connected in plaintext. */
static void test_tls_is_never_switched_off_silently(void **state) {
  (void)state;
  bg_error err;
  size_t len;
  char *pem = bgt_slurp(bgt_cert("ca.pem"), &len);
  bg_options *o = bg_options_new();
  assert_int_equal(bg_options_set_root_certs_file(o, bgt_cert("ca.pem"), &err), BG_OK);
  assert_int_equal(bg_options_set_tls(o, false, &err), BG_ERR_INVALID_ARGUMENT);
  assert_contains(err.message, "bg_options_set_tls(false)");
  assert_contains(err.message, "bg_options_set_root_certs");
  /* the refused setting changed nothing: TLS still applies, so the plaintext server fails */
  bg_options_set_discovery_timeout_ms(o, 5000, NULL);
  assert_null(bg_client_from_url(plain.url, o, &err));
  assert_int_equal(err.code, BG_ERR_UNAVAILABLE);
  bg_options_free(o);

  o = bg_options_new();
  assert_int_equal(bg_options_set_tls(o, false, &err), BG_OK);
  assert_int_equal(bg_options_set_root_certs_file(o, bgt_cert("ca.pem"), &err),
                   BG_ERR_INVALID_ARGUMENT);
  assert_contains(err.message, "bg_options_set_tls(false)");
  assert_contains(err.message, "bg_options_set_root_certs_file");
  assert_int_equal(bg_options_set_root_certs_pem(o, pem, len, &err), BG_ERR_INVALID_ARGUMENT);
  assert_contains(err.message, "bg_options_set_root_certs_pem");
  assert_int_equal(
      bg_options_set_client_cert_file(o, bgt_cert("client.pem"), bgt_cert("client.key"), &err),
      BG_ERR_INVALID_ARGUMENT);
  assert_contains(err.message, "bg_options_set_tls(false)");
  /* a grpcs:// address with TLS turned off is the same conflict */
  char url[64];
  snprintf(url, sizeof url, "grpcs://127.0.0.1:%d", plain.port);
  assert_null(bg_client_from_url(url, o, &err));
  assert_int_equal(err.code, BG_ERR_INVALID_ARGUMENT);
  assert_contains(err.message, "bg_options_set_tls(false)");
  /* plain TLS-off options still work, and turning TLS back on lifts the refusal */
  predicts_ok(plain.url, o);
  assert_int_equal(bg_options_set_tls(o, true, &err), BG_OK);
  assert_int_equal(bg_options_set_root_certs_pem(o, pem, len, &err), BG_OK);
  bg_options_free(o);
  free(pem);
}

/* ---- channel options ---- */

static bg_value *zeros(size_t n) {
  float *z = calloc(n, sizeof *z);
  int64_t shape[] = {(int64_t)n};
  bg_value *v = bg_ndarray_copy(BG_DTYPE_FLOAT, shape, 1, z, n, NULL);
  free(z);
  return v;
}

static void test_message_size_limits(void **state) {
  (void)state;
  bg_error err;
  bg_options *o = bg_options_new();
  assert_int_equal(bg_options_set_max_receive_size(o, 20000, &err), BG_OK);
  bg_client *c = connect_ok(plain.url, o);
  bg_value *big = zeros(100000), *out = NULL;
  assert_int_equal(bg_client_call(c, "echo_ndarray", big, &out, NULL, &err), BG_ERR_SERVER);
  assert_int_equal(err.grpc_status, 8); /* RESOURCE_EXHAUSTED */
  assert_contains(err.message, "Received message larger than max");
  assert_contains(err.message, "bg_options_set_max_receive_size");
  bg_client_close(c);
  bg_options_free(o);

  o = bg_options_new();
  assert_int_equal(bg_options_set_max_send_size(o, 1000, &err), BG_OK);
  c = connect_ok(plain.url, o);
  assert_int_equal(bg_client_call(c, "echo_ndarray", big, &out, NULL, &err), BG_ERR_SERVER);
  assert_int_equal(err.grpc_status, 8);
  assert_contains(err.message, "Sent message larger than max");
  assert_contains(err.message, "bg_options_set_max_send_size");
  bg_client_close(c);
  bg_options_free(o);
  /* the default accepts any size: 40 KB both ways */
  c = connect_ok(plain.url, NULL);
  assert_int_equal(bg_client_call(c, "echo_ndarray", big, &out, NULL, &err), BG_OK);
  bg_value_free(out);
  bg_client_close(c);
  bg_value_free(big);
}

static void test_channel_settings(void **state) {
  (void)state;
  bg_error err;
  bg_options *o = bg_options_new();
  assert_int_equal(bg_options_set_keepalive(o, 10000, 5000, true, &err), BG_OK);
  assert_int_equal(bg_options_set_keepalive(o, 0, 5000, true, &err), BG_ERR_INVALID_ARGUMENT);
  assert_int_equal(bg_options_set_user_agent(o, "my-app/1.2", &err), BG_OK);
  assert_int_equal(bg_options_set_lb_policy(o, "round_robin", &err), BG_OK);
  assert_int_equal(bg_options_set_lb_policy(o, "fastest", &err), BG_ERR_INVALID_ARGUMENT);
  assert_int_equal(
      bg_options_set_service_config(o,
                                    "{\"methodConfig\": [{\"name\": [{\"service\": "
                                    "\"bentoml.grpc.v1.BentoService\"}], \"timeout\": \"20s\"}]}",
                                    &err),
      BG_OK);
  assert_int_equal(bg_options_set_service_config(o, "[1]", &err), BG_ERR_INVALID_ARGUMENT);
  assert_int_equal(bg_options_set_service_config(o, "{bad", &err), BG_ERR_INVALID_ARGUMENT);
  assert_int_equal(bg_options_set_channel_arg_int(o, "grpc.http2.lookahead_bytes", 65536, &err),
                   BG_OK);
  assert_int_equal(bg_options_set_channel_arg_string(o, "grpc.secondary_user_agent", "x", &err),
                   BG_OK);
  assert_int_equal(bg_options_set_channel_arg_int(o, "grpc.no_such_thing", 1, &err),
                   BG_ERR_INVALID_ARGUMENT);
  assert_contains(err.message, "'grpc.no_such_thing' is not a gRPC channel argument");
  assert_int_equal(bg_options_set_channel_arg_string(o, "grpc.keepalive_time_ms", "5", &err),
                   BG_ERR_INVALID_ARGUMENT);
  assert_contains(err.message, "takes an integer value");
  assert_int_equal(bg_options_set_compression(o, (bg_compression)7, &err), BG_ERR_INVALID_ARGUMENT);
  /* the configured channel works, and the options can be reused for a second client */
  bg_client *c = connect_ok(plain.url, o), *c2 = connect_ok(plain.url, o);
  bg_options_free(o); /* the clients hold their own copies */
  predict(c, BG_OK, &err);
  predict(c2, BG_OK, &err);
  bg_client_close(c);
  bg_client_close(c2);
}

/* ---- compression, measured on the wire ---- */

static long upstream_bytes(const char *stats) {
  FILE *f = fopen(stats, "r");
  long up = -1, down = -1;
  if (f) {
    if (fscanf(f, "UP %ld DOWN %ld", &up, &down) != 2)
      up = -1;
    fclose(f);
  }
  return up;
}

/* Sends 1 MB of zeros through a counting proxy and returns the bytes that went upstream. */
static long bytes_sent(const bg_options *o, const bg_call_options *co) {
  char stats[128], target[64], url[64];
  snprintf(stats, sizeof stats, "%s", bgt_cert("proxy-stats"));
  unlink(stats);
  snprintf(target, sizeof target, "127.0.0.1:%d", plain.port);
  const char *args[] = {"--target", target, "--stats", stats, NULL};
  bgt_server proxy;
  assert_int_equal(bgt_script_start(&proxy, "tests/support/tcp_proxy.py", args), 0);
  snprintf(url, sizeof url, "127.0.0.1:%d", proxy.port);
  bg_client *c = connect_ok(url, o);
  long before = upstream_bytes(stats);
  bg_value *big = zeros(256 * 1024), *out = NULL;
  bg_error err;
  assert_int_equal(bg_client_call(c, "echo_ndarray", big, &out, co, &err), BG_OK);
  assert_int_equal(bg_ndarray_count(out), 256 * 1024);
  bg_value_free(out);
  bg_value_free(big);
  bg_client_close(c);
  struct timespec pause = {0, 200 * 1000 * 1000}; /* let the proxy write its last totals */
  nanosleep(&pause, NULL);
  long sent = upstream_bytes(stats) - (before > 0 ? before : 0);
  bgt_server_stop(&proxy);
  return sent;
}

static void never_called(bg_async_op *call, bg_status st, bg_value *out, const bg_error *err,
                         void *user_data) {
  (void)call;
  (void)st;
  (void)out;
  (void)err;
  (void)user_data;
  fail_msg("a refused async call ran its callback");
}

static bg_status add_authorization(void *user_data, bg_call_context *ctx, bg_error *err) {
  (void)user_data;
  return bg_call_context_add_metadata(ctx, "authorization", "Bearer cb", 9, err);
}

/* Credentials never go out in clear. Before, the token was sent to any
 * plaintext server. A refused call sends nothing (the counting proxy sees no new bytes);
 * with the opt-in, a loopback server gets the call; a remote plaintext target never does. */
static void test_bearer_token_needs_tls_or_local_opt_in(void **state) {
  (void)state;
  char stats[128], target[64], url[64];
  snprintf(stats, sizeof stats, "%s", bgt_cert("proxy-stats"));
  unlink(stats);
  snprintf(target, sizeof target, "127.0.0.1:%d", plain.port);
  const char *args[] = {"--target", target, "--stats", stats, NULL};
  bgt_server proxy;
  assert_int_equal(bgt_script_start(&proxy, "tests/support/tcp_proxy.py", args), 0);
  snprintf(url, sizeof url, "127.0.0.1:%d", proxy.port);
  bg_client *c = connect_ok(url, NULL);
  bg_error err;
  bg_call_options *co = bg_call_options_new();
  assert_int_equal(bg_call_options_set_bearer_token(co, "SECRET", &err), BG_OK);
  bg_value *in = bg_text_new("x", 1, NULL), *out = NULL;
  predict(c, BG_OK, &err); /* the connection is up and counted */
  struct timespec pause = {0, 200 * 1000 * 1000};
  nanosleep(&pause, NULL);
  long before = upstream_bytes(stats);
  assert_int_equal(bg_client_call(c, "echo_metadata", in, &out, co, &err), BG_ERR_INVALID_ARGUMENT);
  assert_null(out);
  assert_int_equal(err.grpc_status, 0);
  assert_contains(err.message, "plaintext");
  assert_contains(err.message, "bg_options_set_allow_insecure_credentials");
  assert_null(strstr(err.message, "SECRET"));
  /* the same through a credentials callback, and on the async client */
  bg_call_options *cb = bg_call_options_new();
  bg_call_options_set_credentials(cb, add_authorization, NULL, NULL);
  assert_int_equal(bg_client_call(c, "echo_metadata", in, &out, cb, &err), BG_ERR_INVALID_ARGUMENT);
  bg_async_client *ac = bg_async_client_from_client(c, 0, &err);
  assert_non_null(ac);
  assert_int_equal(bg_async_call(ac, "echo_metadata", in, co, never_called, NULL, NULL, &err),
                   BG_ERR_INVALID_ARGUMENT);
  bg_async_client_close(ac);
  nanosleep(&pause, NULL);
  assert_int_equal(upstream_bytes(stats), before);
  bg_client_close(c);

  /* opted in, a loopback server gets the call */
  bg_options *o = bg_options_new();
  assert_int_equal(bg_options_set_allow_insecure_credentials(o, true, &err), BG_OK);
  c = connect_ok(url, o);
  assert_int_equal(bg_client_call(c, "echo_metadata", in, &out, co, &err), BG_OK);
  bg_value_free(out);
  out = NULL;
  bg_client_close(c);
  bgt_server_stop(&proxy);

  /* a plaintext target off this machine is refused even when opted in, before connecting */
  assert_int_equal(bg_call_options_set_deadline_ms(co, 3000, &err), BG_OK);
  c = bg_client_open("192.0.2.1:3000", o, &err);
  assert_non_null(c);
  assert_int_equal(bg_client_call_raw(c, "echo_metadata", in, &out, co, &err),
                   BG_ERR_INVALID_ARGUMENT);
  assert_contains(err.message, "loopback");
  bg_client_close(c);
  bg_options_free(o);
  bg_call_options_free(cb);
  bg_call_options_free(co);
  bg_value_free(in);
}

/* Reply metadata over gRPC's limit names that limit and the option that raises
 * it (before: advice to raise the message-size limit, which does not apply). */
static void test_metadata_size_limit_is_named(void **state) {
  (void)state;
  const char *args[] = {"--replies", "1", "--trailer-bytes", "1048576", NULL};
  bgt_server s;
  assert_int_equal(bgt_script_start(&s, "tests/integration/misbehaving_server.py", args), 0);
  bg_error err;
  bg_value *in = bg_text_new("hi", 2, NULL), *out = NULL;
  bg_client *c = connect_ok(s.url, NULL);
  assert_int_equal(bg_client_call(c, "echo", in, &out, NULL, &err), BG_ERR_SERVER);
  assert_int_equal(err.grpc_status, 8); /* RESOURCE_EXHAUSTED */
  assert_contains(err.message, "grpc.max_metadata_size");
  assert_contains(err.message, "bg_options_set_max_metadata_size()");
  assert_null(strstr(err.message, "message is too large"));
  bg_client_close(c);

  bg_options *o = bg_options_new();
  assert_int_equal(bg_options_set_max_metadata_size(o, 0, &err), BG_ERR_INVALID_ARGUMENT);
  assert_int_equal(bg_options_set_max_metadata_size(o, (size_t)INT32_MAX + 1, &err),
                   BG_ERR_INVALID_ARGUMENT);
  assert_int_equal(bg_options_set_max_metadata_size(o, 2 << 20, &err), BG_OK);
  c = connect_ok(s.url, o);
  bg_options_free(o);
  assert_int_equal(bg_client_call(c, "echo", in, &out, NULL, &err), BG_OK);
  assert_string_equal(bg_text_data(out), "a");
  bg_value_free(out);
  bg_client_close(c);
  bg_value_free(in);
  bgt_server_stop(&s);
}

static void test_request_compression_on_the_wire(void **state) {
  (void)state;
  long raw = bytes_sent(NULL, NULL);
  assert_true(raw > 1000000); /* 1 MiB of float zeros, uncompressed */

  bg_call_options *co = bg_call_options_new();
  bg_call_options_set_compression(co, BG_COMPRESSION_GZIP, NULL);
  long gzip = bytes_sent(NULL, co);
  bg_call_options_free(co);
  if (gzip * 20 > raw)
    fail_msg("gzip sent %ld bytes, uncompressed %ld: not compressed", gzip, raw);

  bg_options *o = bg_options_new();
  bg_options_set_compression(o, BG_COMPRESSION_DEFLATE, NULL);
  long deflate = bytes_sent(o, NULL);
  bg_options_free(o);
  if (deflate * 20 > raw)
    fail_msg("deflate sent %ld bytes, uncompressed %ld: not compressed", deflate, raw);
}

static void test_server_compressed_replies(void **state) {
  (void)state;
  bgt_server s;
  const char *args[] = {"--compress-responses", "gzip", NULL};
  assert_int_equal(bgt_server_start(&s, args), 0);
  bg_client *c = connect_ok(s.url, NULL);
  bg_value *big = zeros(100000), *out = NULL;
  bg_error err;
  assert_int_equal(bg_client_call(c, "echo_ndarray", big, &out, NULL, &err), BG_OK);
  assert_int_equal(bg_ndarray_count(out), 100000);
  bg_value_free(out);
  bg_value_free(big);
  bg_client_close(c);
  bgt_server_stop(&s);
}

/* ---- metadata, credentials, interceptors ---- */

static bg_status add_token(void *user_data, bg_call_context *ctx, bg_error *err) {
  return bg_call_context_add_metadata(ctx, "x-echo-token", user_data, strlen(user_data), err);
}

static void test_metadata_echoed_in_initial_and_trailing(void **state) {
  (void)state;
  bg_options *o = bg_options_new(); /* a bearer token to a loopback server: opt in */
  bg_options_set_allow_insecure_credentials(o, true, NULL);
  bg_client *c = connect_ok(plain.url, o);
  bg_options_free(o);
  bg_call_options *co = bg_call_options_new();
  bg_response_metadata *md = bg_response_metadata_new();
  const char binary[] = {0, 1, (char)0xfe, (char)0xff};
  bg_error err;
  assert_int_equal(bg_call_options_add_metadata(co, "x-echo", "ping", 4, &err), BG_OK);
  assert_int_equal(bg_call_options_add_metadata(co, "x-echo-ascii", "hello world", 11, &err),
                   BG_OK);
  assert_int_equal(bg_call_options_add_metadata(co, "x-echo-blob-bin", binary, 4, &err), BG_OK);
  assert_int_equal(bg_call_options_set_credentials(co, add_token, "s3cret", &err), BG_OK);
  assert_int_equal(bg_call_options_set_bearer_token(co, "abc", &err), BG_OK);
  assert_int_equal(bg_call_options_set_response_metadata(co, md, &err), BG_OK);
  bg_value *in = bg_text_new("x", 1, NULL), *out = NULL;
  assert_int_equal(bg_client_call(c, "echo_metadata", in, &out, co, &err), BG_OK);
  assert_string_equal(bg_text_data(out), "ping");
  for (int kind = BG_METADATA_INITIAL; kind <= BG_METADATA_TRAILING; kind++) {
    size_t len;
    const char *v = bg_response_metadata_find(md, kind, "x-echo-ascii", &len);
    assert_non_null(v);
    assert_string_equal(v, "hello world");
    v = bg_response_metadata_find(md, kind, "x-echo-blob-bin", &len);
    assert_non_null(v);
    assert_int_equal(len, 4);
    assert_memory_equal(v, binary, 4);
    v = bg_response_metadata_find(md, kind, "x-echo-token", &len); /* from the callback */
    assert_non_null(v);
    assert_string_equal(v, "s3cret");
  }
  bg_value_free(out);
  bg_value_free(in);
  bg_response_metadata_free(md);
  bg_call_options_free(co);
  bg_client_close(c);
}

typedef struct trace_log {
  char log[256];
  char seen_traceparent[64];
  char seen_authorization[64];
  bg_status after_status;
  int after_grpc;
  double elapsed;
  bool saw_trailing_echo;
  int traceparents;
} trace_log;

static trace_log tlog;

static bg_status a_before(void *s, bg_call_context *ctx, bg_error *err) {
  (void)s;
  strcat(tlog.log, "A.before ");
  return bg_call_context_add_metadata(ctx, "x-echo-from-a", "1", 1, err);
}
static bg_status a_after(void *s, bg_call_context *ctx, bg_error *err) {
  (void)s;
  (void)err;
  strcat(tlog.log, "A.after");
  tlog.after_status = bg_call_context_status(ctx);
  tlog.after_grpc = bg_call_context_grpc_status(ctx);
  tlog.elapsed = bg_call_context_elapsed_ms(ctx);
  tlog.saw_trailing_echo =
      bg_response_metadata_find(bg_call_context_response_metadata(ctx), BG_METADATA_TRAILING,
                                "x-echo-from-a", NULL) != NULL;
  return BG_OK;
}
/* B reads what the chain and the call options put into the request. */
static bg_status b_before(void *s, bg_call_context *ctx, bg_error *err) {
  (void)s;
  (void)err;
  strcat(tlog.log, "B.before ");
  for (size_t i = 0; i < bg_call_context_metadata_count(ctx); i++) {
    const char *key = bg_call_context_metadata_key(ctx, i);
    size_t len;
    const char *value = bg_call_context_metadata_value(ctx, i, &len);
    if (strcmp(key, "traceparent") == 0 && ++tlog.traceparents)
      snprintf(tlog.seen_traceparent, sizeof tlog.seen_traceparent, "%.*s", (int)len, value);
    if (strcmp(key, "authorization") == 0)
      snprintf(tlog.seen_authorization, sizeof tlog.seen_authorization, "%.*s", (int)len, value);
  }
  return BG_OK;
}
static bg_status b_after(void *s, bg_call_context *ctx, bg_error *err) {
  (void)s;
  (void)ctx;
  (void)err;
  strcat(tlog.log, "B.after ");
  return BG_OK;
}
static bg_status refuse(void *s, bg_call_context *ctx, bg_error *err) {
  (void)s;
  (void)ctx;
  strcat(tlog.log, "C.refuse ");
  err->code = BG_ERR_UNAVAILABLE;
  snprintf(err->message, sizeof err->message, "circuit open");
  return BG_ERR_UNAVAILABLE;
}
static bg_status fail_after(void *s, bg_call_context *ctx, bg_error *err) {
  (void)s;
  (void)ctx;
  snprintf(err->message, sizeof err->message, "reply rejected by policy");
  return BG_ERR_SERVER;
}

/* Reads x-request-id and adds its value under another key: the read pointer must stay valid
 * while the metadata array grows. */
static bg_status correlate(void *s, bg_call_context *ctx, bg_error *err) {
  (void)s;
  for (size_t i = 0; i < bg_call_context_metadata_count(ctx); i++)
    if (strcmp(bg_call_context_metadata_key(ctx, i), "x-request-id") == 0) {
      size_t len;
      const char *v = bg_call_context_metadata_value(ctx, i, &len);
      return bg_call_context_add_metadata(ctx, "x-echo-correlation", v, len, err);
    }
  return BG_OK;
}

static int logged_calls;
static bg_status logged_status;
static void log_call(void *user, const char *api, bg_status st, int grpc, double ms,
                     const char *message) {
  (void)user;
  (void)grpc;
  (void)message;
  assert_string_equal(api, "echo_metadata");
  assert_true(ms >= 0);
  logged_calls++;
  logged_status = st;
}

static bg_value *echo_metadata_call(bg_client *c, const bg_call_options *co, bg_status want,
                                    bg_error *err) {
  bg_value *in = bg_text_new("x", 1, NULL), *out = NULL;
  bg_status st = bg_client_call(c, "echo_metadata", in, &out, co, err);
  if (st != want)
    fail_msg("echo_metadata: %s, want %s: %s", bg_status_name(st), bg_status_name(want),
             err->message);
  bg_value_free(in);
  return out;
}

static void test_interceptor_chain(void **state) {
  (void)state;
  bg_error err;
  bg_options *o = bg_options_new();
  bg_interceptor *trace = bg_interceptor_traceparent(&err),
                 *a = bg_interceptor_new("a", a_before, a_after, NULL, NULL, &err),
                 *b = bg_interceptor_new("b", b_before, b_after, NULL, NULL, &err),
                 *timing = bg_interceptor_timing(log_call, NULL, &err);
  assert_int_equal(bg_options_add_interceptor(o, a, &err), BG_OK);
  assert_int_equal(bg_options_add_interceptor(o, trace, &err), BG_OK);
  assert_int_equal(bg_options_add_interceptor(o, b, &err), BG_OK);
  assert_int_equal(bg_options_add_interceptor(o, timing, &err), BG_OK);
  assert_int_equal(bg_options_set_allow_insecure_credentials(o, true, &err), BG_OK);
  bg_interceptor_release(trace); /* the options hold their own references */
  bg_interceptor_release(a);
  bg_interceptor_release(b);
  bg_interceptor_release(timing);
  bg_client *c = connect_ok(plain.url, o);
  bg_options_free(o);

  memset(&tlog, 0, sizeof tlog);
  bg_call_options *co = bg_call_options_new();
  bg_call_options_set_bearer_token(co, "tok", NULL);
  bg_value *out = echo_metadata_call(c, co, BG_OK, &err);
  bg_value_free(out);
  assert_string_equal(tlog.log, "A.before B.before B.after A.after");
  assert_int_equal(tlog.after_status, BG_OK);
  assert_true(tlog.elapsed > 0);
  assert_true(tlog.saw_trailing_echo); /* A's header went out and came back */
  assert_string_equal(tlog.seen_authorization, "Bearer tok");
  assert_int_equal(strlen(tlog.seen_traceparent), 55);
  assert_memory_equal(tlog.seen_traceparent, "00-", 3);
  assert_string_equal(tlog.seen_traceparent + 52, "-01");
  assert_int_equal(logged_calls, 1);
  char first[64];
  strcpy(first, tlog.seen_traceparent);

  /* with a parent span in the call's metadata: same trace id, new span id, flags kept */
  const char *parent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00";
  bg_call_options_add_metadata(co, "traceparent", parent, strlen(parent), NULL);
  memset(&tlog, 0, sizeof tlog);
  out = echo_metadata_call(c, co, BG_OK, &err);
  bg_value_free(out);
  assert_memory_equal(tlog.seen_traceparent, parent, 36);
  assert_memory_not_equal(tlog.seen_traceparent + 36, parent + 36, 16);
  assert_string_equal(tlog.seen_traceparent + 52, "-00");
  assert_memory_not_equal(first + 3, tlog.seen_traceparent + 3, 32); /* a new trace before */

  /* an invalid incoming traceparent is replaced, not sent alongside the new one */
  bg_call_options *bad = bg_call_options_new();
  bg_call_options_add_metadata(bad, "traceparent", "00-zz", 5, NULL);
  memset(&tlog, 0, sizeof tlog);
  out = echo_metadata_call(c, bad, BG_OK, &err);
  bg_value_free(out);
  assert_int_equal(tlog.traceparents, 1);
  assert_int_equal(strlen(tlog.seen_traceparent), 55);
  bg_call_options_free(bad);

  /* a server error reaches the after hooks */
  memset(&tlog, 0, sizeof tlog);
  bg_value *in = bg_text_new("x", 1, NULL);
  assert_int_equal(bg_client_call(c, "echo_ndarray", in, &out, NULL, &err),
                   BG_ERR_INVALID_ARGUMENT); /* refused client-side: no interceptor runs */
  assert_string_equal(tlog.log, "");
  bg_value_free(in);
  bg_call_options_free(co);
  bg_client_close(c);
  assert_int_equal(logged_calls, 3);
  assert_int_equal(logged_status, BG_OK);
}

static void test_interceptor_reuses_request_metadata(void **state) {
  (void)state;
  bg_error err;
  bg_options *o = bg_options_new();
  bg_interceptor *ic = bg_interceptor_new("correlate", correlate, NULL, NULL, NULL, &err);
  bg_options_add_interceptor(o, ic, NULL);
  bg_interceptor_release(ic);
  bg_client *c = connect_ok(plain.url, o);
  bg_options_free(o);
  bg_call_options *co = bg_call_options_new();
  char key[32];
  for (int i = 0; i < 7; i++) { /* eight entries: the next one grows the array */
    snprintf(key, sizeof key, "x-pad-%d", i);
    bg_call_options_add_metadata(co, key, "p", 1, NULL);
  }
  bg_call_options_add_metadata(co, "x-request-id", "req-42", 6, NULL);
  bg_response_metadata *md = bg_response_metadata_new();
  bg_call_options_set_response_metadata(co, md, NULL);
  bg_value *out = echo_metadata_call(c, co, BG_OK, &err);
  size_t len;
  const char *v = bg_response_metadata_find(md, BG_METADATA_TRAILING, "x-echo-correlation", &len);
  assert_non_null(v);
  assert_string_equal(v, "req-42");
  bg_value_free(out);
  bg_response_metadata_free(md);
  bg_call_options_free(co);
  bg_client_close(c);
}

static void test_interceptors_fail_calls(void **state) {
  (void)state;
  bg_error err;
  bg_options *o = bg_options_new();
  bg_interceptor *a = bg_interceptor_new("a", a_before, a_after, NULL, NULL, &err),
                 *c_ic = bg_interceptor_new("breaker", refuse, NULL, NULL, NULL, &err);
  bg_options_add_interceptor(o, a, NULL);
  bg_options_add_interceptor(o, c_ic, NULL);
  bg_interceptor_release(a);
  bg_interceptor_release(c_ic);
  bg_client *c = connect_ok(plain.url, o);
  bg_options_free(o);
  memset(&tlog, 0, sizeof tlog);
  bg_value *out = echo_metadata_call(c, NULL, BG_ERR_UNAVAILABLE, &err);
  assert_null(out);
  assert_contains(err.message, "interceptor 'breaker' failed the call");
  assert_contains(err.message, "circuit open");
  /* the call was never sent; A's after hook still saw it end */
  assert_string_equal(tlog.log, "A.before C.refuse A.after");
  assert_int_equal(tlog.after_status, BG_ERR_UNAVAILABLE);
  assert_false(tlog.saw_trailing_echo);
  bg_client_close(c);

  o = bg_options_new();
  bg_interceptor *f = bg_interceptor_new("policy", NULL, fail_after, NULL, NULL, &err);
  bg_options_add_interceptor(o, f, NULL);
  bg_interceptor_release(f);
  c = connect_ok(plain.url, o);
  bg_options_free(o);
  out = echo_metadata_call(c, NULL, BG_ERR_SERVER, &err);
  assert_null(out); /* the decoded output was freed */
  assert_contains(err.message, "reply rejected by policy");
  bg_client_close(c);
  assert_null(bg_interceptor_new("none", NULL, NULL, NULL, NULL, &err));
}

/* ---- conformance ---- */

static void test_large_unary_both_ways(void **state) {
  (void)state;
  bg_client *c = connect_ok(plain.url, NULL);
  size_t n = 4 * 1024 * 1024; /* 16 MiB each way */
  float *x = malloc(n * sizeof *x);
  for (size_t i = 0; i < n; i++)
    x[i] = (float)i * 0.5f;
  int64_t shape[] = {1024, 4096};
  bg_value *in = bg_ndarray_borrow(BG_DTYPE_FLOAT, shape, 2, x, n, NULL), *out = NULL;
  bg_error err;
  assert_int_equal(bg_client_call(c, "echo_ndarray", in, &out, NULL, &err), BG_OK);
  assert_int_equal(bg_ndarray_shape(out)[1], 4096);
  assert_memory_equal(bg_ndarray_data(out), x, n * sizeof *x);
  bg_value_free(out);
  bg_value_free(in);
  free(x);
  bg_client_close(c);
}

/* A large array is sent from the caller's buffer; a call that never reaches a server must
 * still return (gRPC lets go of the buffer) and leave the buffer to the caller. */
static void test_borrowed_input_on_failed_calls(void **state) {
  (void)state;
  char url[64];
  snprintf(url, sizeof url, "127.0.0.1:%d", bgt_unused_port());
  bg_error err;
  bg_client *c = bg_client_open(url, NULL, &err);
  size_t n = 1 << 20;
  float *x = calloc(n, sizeof *x);
  int64_t shape[] = {(int64_t)n};
  bg_value *in = bg_ndarray_borrow(BG_DTYPE_FLOAT, shape, 1, x, n, NULL), *out = NULL;
  assert_int_equal(bg_client_call_raw(c, "echo_ndarray", in, &out, NULL, &err), BG_ERR_UNAVAILABLE);
  bg_call_options *co = bg_call_options_new();
  bg_call_options_set_wait_for_ready(co, true, NULL);
  bg_call_options_set_deadline_ms(co, 300, NULL);
  assert_int_equal(bg_client_call_raw(c, "echo_ndarray", in, &out, co, &err), BG_ERR_DEADLINE);
  bg_value_free(in);
  memset(x, 0xff, n * sizeof *x); /* the caller owns it again: ASan would catch a late read */
  free(x);
  bg_call_options_free(co);
  bg_client_close(c);
}

static void test_status_code_and_message(void **state) {
  (void)state;
  bg_client *c = connect_ok(plain.url, NULL);
  const char *message = "tab\there\nnew line, non-BMP \xf0\x9f\x98\x80 and \xc3\xa9";
  char input[256];
  snprintf(input, sizeof input, "NOT_FOUND|%s", message);
  bg_value *in = bg_text_new(input, (size_t)-1, NULL), *out = NULL;
  bg_error err;
  assert_int_equal(bg_client_call(c, "fail_with_status", in, &out, NULL, &err), BG_ERR_SERVER);
  assert_int_equal(err.grpc_status, 5);
  assert_contains(err.message, message); /* byte-exact */
  bg_value_free(in);
  /* the empty text request */
  in = bg_text_new("", 0, NULL);
  assert_int_equal(bg_client_call(c, "bonjour", in, &out, NULL, &err), BG_OK);
  assert_string_equal(bg_text_data(out), "Hello, !");
  bg_value_free(out);
  bg_value_free(in);
  bg_client_close(c);
}

static void test_unimplemented_method_and_service(void **state) {
  (void)state;
  bg_error err;
  bgt_server s;
  const char *no_metadata[] = {"--no-service-metadata", NULL};
  assert_int_equal(bgt_server_start(&s, no_metadata), 0);
  assert_null(bg_client_from_url(s.url, NULL, &err)); /* method missing in the service */
  assert_int_equal(err.code, BG_ERR_SERVER);
  assert_int_equal(err.grpc_status, 12);
  assert_contains(err.message, "without the ServiceMetadata RPC"); /* test_releases.c: more */
  bgt_server_stop(&s);

  const char *alpha[] = {"--protocol-version", "v1alpha1", NULL};
  assert_int_equal(bgt_server_start(&s, alpha), 0);
  assert_null(bg_client_from_url(s.url, NULL, &err)); /* no v1 service at all */
  assert_int_equal(err.grpc_status, 12);
  bgt_server_stop(&s);
}

static void test_unresolvable_host(void **state) {
  (void)state;
  bg_error err;
  bg_options *o = bg_options_new();
  bg_options_set_discovery_timeout_ms(o, 5000, NULL);
  assert_null(bg_client_from_url("no-such-host.invalid:3000", o, &err));
  assert_int_equal(err.code, BG_ERR_UNAVAILABLE);
  assert_contains(err.message, "no-such-host.invalid");
  bg_options_free(o);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_tls_from_files_and_memory),
      cmocka_unit_test(test_tls_failures_are_explained),
      cmocka_unit_test(test_mutual_tls),
      cmocka_unit_test(test_bad_tls_material_fails_early),
      cmocka_unit_test(test_message_size_limits),
      cmocka_unit_test(test_channel_settings),
      cmocka_unit_test(test_request_compression_on_the_wire),
      cmocka_unit_test(test_server_compressed_replies),
      cmocka_unit_test(test_metadata_echoed_in_initial_and_trailing),
      cmocka_unit_test(test_interceptor_chain),
      cmocka_unit_test(test_interceptor_reuses_request_metadata),
      cmocka_unit_test(test_interceptors_fail_calls),
      cmocka_unit_test(test_large_unary_both_ways),
      cmocka_unit_test(test_borrowed_input_on_failed_calls),
      cmocka_unit_test(test_status_code_and_message),
      cmocka_unit_test(test_unimplemented_method_and_service),
      cmocka_unit_test(test_unresolvable_host),
      cmocka_unit_test(test_tls_is_never_switched_off_silently),
      cmocka_unit_test(test_bearer_token_needs_tls_or_local_opt_in),
      cmocka_unit_test(test_metadata_size_limit_is_named),
  };
  return cmocka_run_group_tests_name("channel", tests, setup, teardown);
}
