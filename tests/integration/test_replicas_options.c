/* The typed options (retry policy, client-side health check) and
 * bg_client_channel_state(), against real reference servers on loopback. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include <bentogrpc/bentogrpc.h>

#include "test_assert.h"
#include "test_server.h"

static void sleep_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

/* Calls bonjour once; returns the status, the reply text in `reply` (if any). */
static bg_status bonjour(bg_client *c, char *reply, size_t cap, bg_error *err) {
  bg_value *in = bg_text_new("x", 1, NULL), *out = NULL;
  bg_status st = bg_client_call(c, "bonjour", in, &out, NULL, err);
  if (reply)
    snprintf(reply, cap, "%s", out ? bg_text_data(out) : "");
  bg_value_free(in);
  bg_value_free(out);
  return st;
}

static void test_retry_option_is_checked(void **state) {
  (void)state;
  bg_error err;
  bg_options *o = bg_options_new();
  assert_int_equal(bg_options_set_retry(o, 4, 100, 1000, 2.0, NULL, &err), BG_OK);
  assert_int_equal(bg_options_set_retry(o, 3, 50, 50, 1.5, "unavailable, RESOURCE_EXHAUSTED", &err),
                   BG_OK);
  assert_int_equal(bg_options_set_retry(o, 1, 0, 0, 0, NULL, &err), BG_OK); /* off */
  assert_int_equal(bg_options_set_retry(o, 6, 100, 1000, 2.0, NULL, &err), BG_ERR_INVALID_ARGUMENT);
  assert_contains(err.message, "2..5");
  assert_int_equal(bg_options_set_retry(o, -1, 100, 1000, 2.0, NULL, &err),
                   BG_ERR_INVALID_ARGUMENT);
  assert_int_equal(bg_options_set_retry(o, 3, 0, 1000, 2.0, NULL, &err), BG_ERR_INVALID_ARGUMENT);
  assert_contains(err.message, "backoff");
  assert_int_equal(bg_options_set_retry(o, 3, 500, 100, 2.0, NULL, &err), BG_ERR_INVALID_ARGUMENT);
  assert_int_equal(bg_options_set_retry(o, 3, 100, 1000, 0.0, NULL, &err), BG_ERR_INVALID_ARGUMENT);
  assert_contains(err.message, "multiplier");
  assert_int_equal(bg_options_set_retry(o, 3, 100, 1000, 2.0, "UNAVAILABLE,NOPE", &err),
                   BG_ERR_INVALID_ARGUMENT);
  assert_contains(err.message, "'NOPE' is not a gRPC status name");
  assert_int_equal(bg_options_set_retry(o, 3, 100, 1000, 2.0, " , ", &err),
                   BG_ERR_INVALID_ARGUMENT);
  assert_int_equal(bg_options_set_retry(NULL, 3, 100, 1000, 2.0, NULL, &err),
                   BG_ERR_INVALID_ARGUMENT);
  assert_int_equal(bg_options_set_health_check(o, true, NULL, &err), BG_OK);
  assert_int_equal(bg_options_set_health_check(o, true, "bentoml.grpc.v1.BentoService", &err),
                   BG_OK);
  assert_int_equal(bg_options_set_health_check(o, true, "bad\nname", &err),
                   BG_ERR_INVALID_ARGUMENT);
  assert_int_equal(bg_options_set_health_check(NULL, true, NULL, &err), BG_ERR_INVALID_ARGUMENT);
  bg_options_free(o);
}

/* The server fails its first two Calls with UNAVAILABLE: with 3 attempts the call succeeds;
 * without a retry policy it fails. */
static void test_retry_policy_retries(void **state) {
  (void)state;
  const char *args[] = {"--fail-first-calls", "2", NULL};
  bgt_server s;
  bg_error err;
  char reply[64];
  assert_int_equal(bgt_server_start(&s, args), 0);
  bg_options *o = bg_options_new();
  /* a user service config is kept and merged with the typed policy */
  assert_int_equal(bg_options_set_service_config(
                       o, "{\"methodConfig\":[{\"name\":[{\"service\":\"other.Svc\"}]}]}", &err),
                   BG_OK);
  assert_int_equal(bg_options_set_retry(o, 3, 10, 50, 2.0, NULL, &err), BG_OK);
  bg_client *c = bg_client_from_url(s.url, o, &err);
  assert_non_null(c);
  assert_int_equal(bonjour(c, reply, sizeof reply, &err), BG_OK);
  assert_string_equal(reply, "Hello, x!");
  bg_client_close(c);
  bgt_server_stop(&s);

  /* the same server behaviour without retries: the first call fails */
  assert_int_equal(bgt_server_start(&s, args), 0);
  assert_int_equal(bg_options_set_retry(o, 0, 0, 0, 0, NULL, &err), BG_OK);
  c = bg_client_from_url(s.url, o, &err);
  assert_non_null(c);
  assert_int_equal(bonjour(c, NULL, 0, &err), BG_ERR_UNAVAILABLE);
  assert_contains(err.message, "fail-first-calls");
  bg_client_close(c);
  bgt_server_stop(&s);
  bg_options_free(o);
}

/* A health check of a replica that says NOT_SERVING: with round_robin, gRPC sends it no calls
 * (they wait for a healthy replica and time out); SERVING again brings it back. */
static void test_health_check_gates_calls(void **state) {
  (void)state;
  bgt_server s;
  bg_error err;
  assert_int_equal(bgt_server_start(&s, NULL), 0);
  bg_options *o = bg_options_new();
  assert_int_equal(bg_options_set_lb_policy(o, "round_robin", &err), BG_OK);
  assert_int_equal(bg_options_set_health_check(o, true, NULL, &err), BG_OK);
  bg_client *c = bg_client_from_url(s.url, o, &err);
  assert_non_null(c);
  assert_int_equal(bonjour(c, NULL, 0, &err), BG_OK);
  kill(s.pid, SIGUSR1); /* NOT_SERVING */
  bg_status st = BG_OK;
  for (int i = 0; i < 100 && st == BG_OK; i++) { /* until the Watch stream has told gRPC */
    st = bonjour(c, NULL, 0, &err);
    sleep_ms(50);
  }
  assert_int_equal(st, BG_ERR_UNAVAILABLE);
  assert_int_equal(bg_client_channel_state(c, false), BG_CHANNEL_TRANSIENT_FAILURE);
  kill(s.pid, SIGUSR2); /* SERVING */
  for (int i = 0; i < 100 && st != BG_OK; i++) {
    sleep_ms(50);
    st = bonjour(c, NULL, 0, &err);
  }
  assert_int_equal(st, BG_OK);
  assert_int_equal(bg_client_channel_state(c, false), BG_CHANNEL_READY);
  bg_client_close(c);
  bgt_server_stop(&s);
  bg_options_free(o);
}

static void test_channel_state(void **state) {
  (void)state;
  bg_error err;
  assert_int_equal(bg_client_channel_state(NULL, true), BG_CHANNEL_SHUTDOWN);
  char url[64];
  snprintf(url, sizeof url, "127.0.0.1:%d", bgt_unused_port());
  bg_client *c = bg_client_open(url, NULL, &err);
  assert_non_null(c);
  assert_int_equal(bg_client_channel_state(c, false), BG_CHANNEL_IDLE); /* nothing asked yet */
  bg_channel_state st = bg_client_channel_state(c, true);
  for (int i = 0; i < 200 && st != BG_CHANNEL_TRANSIENT_FAILURE; i++) {
    assert_true(st == BG_CHANNEL_IDLE || st == BG_CHANNEL_CONNECTING);
    sleep_ms(20);
    st = bg_client_channel_state(c, false);
  }
  assert_int_equal(st, BG_CHANNEL_TRANSIENT_FAILURE); /* nothing listens there */
  bg_client_close(c);

  bgt_server s;
  assert_int_equal(bgt_server_start(&s, NULL), 0);
  c = bg_client_from_url(s.url, NULL, &err);
  assert_non_null(c);
  assert_int_equal(bg_client_channel_state(c, false), BG_CHANNEL_READY); /* discovery connected */
  bgt_server_stop(&s);
  st = bg_client_channel_state(c, false);
  for (int i = 0; i < 200 && st == BG_CHANNEL_READY; i++) {
    sleep_ms(20);
    st = bg_client_channel_state(c, false);
  }
  assert_true(st == BG_CHANNEL_IDLE || st == BG_CHANNEL_CONNECTING ||
              st == BG_CHANNEL_TRANSIENT_FAILURE);
  bg_client_close(c);
}

/* xds:///name: accepted only with a bootstrap (the error says what to set); with one naming
 * a control plane that is not there, gRPC's xDS client is really used and says so. */
static void test_xds_target(void **state) {
  (void)state;
  bg_error err;
  unsetenv("GRPC_XDS_BOOTSTRAP");
  unsetenv("GRPC_XDS_BOOTSTRAP_CONFIG");
  assert_null(bg_client_from_url("xds:///bento", NULL, &err));
  assert_int_equal(err.code, BG_ERR_INVALID_ARGUMENT);
  assert_contains(err.message, "GRPC_XDS_BOOTSTRAP");
  assert_contains(err.message, "xds:///bento");

  char bootstrap[512];
  snprintf(bootstrap, sizeof bootstrap,
           "{\"xds_servers\":[{\"server_uri\":\"127.0.0.1:%d\",\"channel_creds\":"
           "[{\"type\":\"insecure\"}],\"server_features\":[\"xds_v3\"]}],"
           "\"node\":{\"id\":\"bentogrpc-test\"}}",
           bgt_unused_port());
  setenv("GRPC_XDS_BOOTSTRAP_CONFIG", bootstrap, 1);
  bg_options *o = bg_options_new();
  bg_options_set_discovery_timeout_ms(o, 2000, NULL);
  assert_null(bg_client_from_url("xds:///bento", o, &err));
  printf("xds with a closed control plane: %s\n", err.message);
  assert_true(err.code == BG_ERR_UNAVAILABLE || err.code == BG_ERR_DEADLINE);
  assert_contains(err.message, "xds:///bento");
  assert_contains(err.message, "xDS"); /* gRPC's xDS client tried the bootstrap's server */
  bg_options_free(o);
  unsetenv("GRPC_XDS_BOOTSTRAP_CONFIG");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_retry_option_is_checked),
      cmocka_unit_test(test_retry_policy_retries),
      cmocka_unit_test(test_health_check_gates_calls),
      cmocka_unit_test(test_channel_state),
      cmocka_unit_test(test_xds_target),
  };
  return cmocka_run_group_tests_name("replicas_options", tests, NULL, NULL);
}
