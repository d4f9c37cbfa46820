/* The service config a channel gets: the user's JSON with the typed retry policy and health
 * check merged in (transport/channel_service_config.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "client/options_internal.h"
#include "transport/channel.h"

static json_t *merged(const char *user, const char *retry, bool health, const char *service) {
  bgi_channel_config c = {.service_config = (char *)user,
                          .retry_policy = (char *)retry,
                          .health_check = health,
                          .health_service = (char *)service};
  bool nomem = true;
  char *text = bgi_channel_service_config(&c, &nomem);
  assert_false(nomem);
  if (!text)
    return NULL;
  json_t *root = json_loads(text, 0, NULL);
  assert_non_null(root);
  free(text);
  return root;
}

static const char *policy = "{\"maxAttempts\":3,\"initialBackoff\":\"0.100s\"}";

static void test_nothing_to_merge(void **state) {
  (void)state;
  assert_null(merged(NULL, NULL, false, NULL));
  json_t *root = merged("{\"loadBalancingConfig\":[{\"round_robin\":{}}]}", NULL, false, NULL);
  assert_non_null(json_object_get(root, "loadBalancingConfig"));
  json_decref(root);
}

static void test_retry_covers_our_services(void **state) {
  (void)state;
  json_t *root = merged(NULL, policy, false, NULL);
  json_t *configs = json_object_get(root, "methodConfig");
  assert_int_equal(json_array_size(configs), 1);
  json_t *entry = json_array_get(configs, 0);
  assert_int_equal(
      json_integer_value(json_object_get(json_object_get(entry, "retryPolicy"), "maxAttempts")), 3);
  json_t *names = json_object_get(entry, "name");
  assert_int_equal(json_array_size(names), 3);
  assert_string_equal(json_string_value(json_object_get(json_array_get(names, 0), "service")),
                      "bentoml.grpc.v1.BentoService");
  assert_string_equal(json_string_value(json_object_get(json_array_get(names, 2), "service")),
                      "grpc.health.v1.Health");
  assert_null(json_object_get(root, "healthCheckConfig"));
  json_decref(root);
}

/* The user's entries are kept; one naming our service whole gets the typed policy instead of
 * its own (and no hedging), and that service is not named twice. */
static void test_retry_merges_with_user_config(void **state) {
  (void)state;
  json_t *root = merged("{\"loadBalancingConfig\":[{\"round_robin\":{}}],\"methodConfig\":["
                        "{\"name\":[{\"service\":\"other.Svc\"}],\"timeout\":\"1s\"},"
                        "{\"name\":[{\"service\":\"bentoml.grpc.v1.BentoService\"}],"
                        "\"timeout\":\"2s\",\"hedgingPolicy\":{\"maxAttempts\":2},"
                        "\"retryPolicy\":{\"maxAttempts\":5}}]}",
                        policy, false, NULL);
  assert_non_null(json_object_get(root, "loadBalancingConfig"));
  json_t *configs = json_object_get(root, "methodConfig");
  assert_int_equal(json_array_size(configs), 3);
  json_t *other = json_array_get(configs, 0), *bento = json_array_get(configs, 1);
  assert_null(json_object_get(other, "retryPolicy"));
  assert_string_equal(json_string_value(json_object_get(bento, "timeout")), "2s");
  assert_null(json_object_get(bento, "hedgingPolicy"));
  assert_int_equal(
      json_integer_value(json_object_get(json_object_get(bento, "retryPolicy"), "maxAttempts")), 3);
  json_t *added = json_object_get(json_array_get(configs, 2), "name");
  assert_int_equal(json_array_size(added), 2); /* v1alpha1 BentoService and Health */
  json_decref(root);
}

static void test_health_check_config(void **state) {
  (void)state;
  json_t *root = merged("{\"healthCheckConfig\":{\"serviceName\":\"old\"}}", NULL, true, NULL);
  assert_string_equal(
      json_string_value(json_object_get(json_object_get(root, "healthCheckConfig"), "serviceName")),
      "");
  json_decref(root);
  root = merged(NULL, policy, true, "bentoml.grpc.v1.BentoService");
  assert_string_equal(
      json_string_value(json_object_get(json_object_get(root, "healthCheckConfig"), "serviceName")),
      "bentoml.grpc.v1.BentoService");
  assert_non_null(json_object_get(root, "methodConfig"));
  json_decref(root);
}

/* Long-lived clients behind load balancers: keepalive on during calls at the interval gRPC
 * servers accept (5 min), and the channel idles (closing its connections) after 3 min
 * without calls, before middleboxes drop them silently. Before: keepalive off, 30 min idle. */
static void test_connection_defaults(void **state) {
  (void)state;
  bg_options *o = bg_options_new();
  assert_int_equal(o->channel.keepalive_time_ms, 300000);
  assert_int_equal(o->channel.keepalive_timeout_ms, 20000);
  assert_false(o->channel.keepalive_permit_without_calls);
  assert_int_equal(o->channel.idle_timeout_ms, 180000);
  bg_error err;
  assert_int_equal(bg_options_set_keepalive(o, 30000, 5000, true, &err), BG_OK);
  assert_int_equal(o->channel.keepalive_time_ms, 30000);
  bg_options_free(o);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_nothing_to_merge),
      cmocka_unit_test(test_retry_covers_our_services),
      cmocka_unit_test(test_retry_merges_with_user_config),
      cmocka_unit_test(test_health_check_config),
      cmocka_unit_test(test_connection_defaults),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
