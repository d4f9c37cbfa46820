/* The one service config JSON a channel gets: the user's (bg_options_set_service_config) with
 * the typed retry policy and health check merged in, because gRPC takes exactly one. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "transport/channel.h"

/* Every service this library calls: a retry policy covers all of them. */
static const char *const our_services[] = {
    "bentoml.grpc.v1.BentoService", "bentoml.grpc.v1alpha1.BentoService", "grpc.health.v1.Health"};
#define N_OURS (sizeof our_services / sizeof our_services[0])

static int our_index(const char *service) {
  for (size_t i = 0; service && i < N_OURS; i++)
    if (strcmp(service, our_services[i]) == 0)
      return (int)i;
  return -1;
}

/* Puts `policy` on every methodConfig entry naming one of our services (the typed setting
 * wins over the user's JSON) and adds one entry for the services no entry covers whole.
 * Returns false on out of memory. */
static bool merge_retry(json_t *root, json_t *policy) {
  json_t *configs = json_object_get(root, "methodConfig");
  if (!configs) {
    configs = json_array();
    if (!configs || json_object_set_new(root, "methodConfig", configs) != 0)
      return false;
  }
  if (!json_is_array(configs))
    return true; /* invalid already: gRPC refuses it and says why */
  bool covered[N_OURS] = {false};
  size_t i;
  json_t *entry;
  json_array_foreach(configs, i, entry) {
    json_t *names = json_object_get(entry, "name");
    size_t j;
    json_t *name;
    bool ours = false;
    json_array_foreach(names, j, name) {
      int k = our_index(json_string_value(json_object_get(name, "service")));
      if (k < 0)
        continue;
      ours = true;
      const char *method = json_string_value(json_object_get(name, "method"));
      if (!method || !*method)
        covered[k] = true;
    }
    if (ours) {
      json_object_del(entry, "hedgingPolicy"); /* gRPC allows one of the two */
      if (json_object_set(entry, "retryPolicy", policy) != 0)
        return false;
    }
  }
  json_t *names = json_array();
  if (!names)
    return false;
  for (size_t k = 0; k < N_OURS; k++)
    if (!covered[k] &&
        json_array_append_new(names, json_pack("{ss}", "service", our_services[k])) != 0) {
      json_decref(names);
      return false;
    }
  if (json_array_size(names) == 0) {
    json_decref(names);
    return true;
  }
  json_t *added = json_pack("{sosO}", "name", names, "retryPolicy", policy);
  return added && json_array_append_new(configs, added) == 0;
}

char *bgi_channel_service_config(const bgi_channel_config *c, bool *nomem) {
  *nomem = false;
  if (!c->retry_policy && !c->health_check)
    return c->service_config ? strdup(c->service_config) : NULL;
  /* The user's JSON was checked to be an object when it was set. */
  json_t *root = c->service_config ? json_loads(c->service_config, 0, NULL) : json_object();
  bool ok = json_is_object(root);
  if (ok && c->retry_policy) {
    json_t *policy = json_loads(c->retry_policy, 0, NULL);
    ok = policy && merge_retry(root, policy);
    json_decref(policy);
  }
  if (ok && c->health_check)
    ok = json_object_set_new(
             root, "healthCheckConfig",
             json_pack("{ss}", "serviceName", c->health_service ? c->health_service : "")) == 0;
  char *text = ok ? json_dumps(root, JSON_COMPACT) : NULL;
  json_decref(root);
  *nomem = text == NULL;
  return text;
}
