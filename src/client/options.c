/* bg_options: protocol, timeouts and channel settings; deep copies for clients. */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "client/interceptor_internal.h"
#include "client/options_internal.h"
#include "error_internal.h"

void bgi_options_init_defaults(struct bg_options *options) {
  memset(options, 0, sizeof *options);
  strcpy(options->protocol_version, "v1");
  options->discovery_timeout_ms = 10000;
  options->default_deadline_ms = 0;
  options->channel.max_receive_bytes = -1;
  options->channel.max_send_bytes = -1;
  /* Long-lived clients behind load balancers and NATs (options.h, bg_options_set_keepalive). */
  options->channel.keepalive_time_ms = BGI_DEFAULT_KEEPALIVE_TIME_MS;
  options->channel.keepalive_timeout_ms = BGI_DEFAULT_KEEPALIVE_TIMEOUT_MS;
  options->channel.idle_timeout_ms = BGI_DEFAULT_IDLE_TIMEOUT_MS;
}

static char *dup_or_null(const char *s) { return s ? strdup(s) : NULL; }

bg_status bgi_options_copy(struct bg_options *to, const struct bg_options *from, bg_error *err) {
  *to = *from;
  bgi_channel_config *c = &to->channel;
  const bgi_channel_config *f = &from->channel;
  c->user_agent = dup_or_null(f->user_agent);
  c->lb_policy = dup_or_null(f->lb_policy);
  c->service_config = dup_or_null(f->service_config);
  c->authority = dup_or_null(f->authority);
  c->root_pem = dup_or_null(f->root_pem);
  c->cert_pem = dup_or_null(f->cert_pem);
  c->key_pem = dup_or_null(f->key_pem);
  c->retry_policy = dup_or_null(f->retry_policy);
  c->health_service = dup_or_null(f->health_service);
  c->extra = f->n_extra ? calloc(f->n_extra, sizeof *c->extra) : NULL;
  bool ok = (!f->user_agent || c->user_agent) && (!f->lb_policy || c->lb_policy) &&
            (!f->service_config || c->service_config) && (!f->authority || c->authority) &&
            (!f->root_pem || c->root_pem) && (!f->cert_pem || c->cert_pem) &&
            (!f->key_pem || c->key_pem) && (!f->n_extra || c->extra) &&
            (!f->retry_policy || c->retry_policy) && (!f->health_service || c->health_service);
  for (size_t i = 0; ok && i < f->n_extra; i++) {
    c->extra[i] = f->extra[i];
    c->extra[i].key = strdup(f->extra[i].key);
    c->extra[i].string = dup_or_null(f->extra[i].string);
    ok = c->extra[i].key && (!f->extra[i].string || c->extra[i].string);
  }
  if (!c->extra)
    c->n_extra = 0;
  for (size_t i = 0; i < to->n_interceptors; i++)
    bgi_interceptor_ref(to->interceptors[i]);
  if (!ok) {
    bgi_options_fini(to);
    return BGI_FAIL_NOMEM(err);
  }
  return BG_OK;
}

void bgi_options_fini(struct bg_options *options) {
  bgi_channel_config *c = &options->channel;
  free(c->user_agent);
  free(c->lb_policy);
  free(c->service_config);
  free(c->authority);
  free(c->root_pem);
  free(c->cert_pem);
  if (c->key_pem) /* a private key: do not leave it in freed memory */
    memset(c->key_pem, 0, strlen(c->key_pem));
  free(c->key_pem);
  free(c->retry_policy);
  free(c->health_service);
  for (size_t i = 0; c->extra && i < c->n_extra; i++) {
    free(c->extra[i].key);
    free(c->extra[i].string);
  }
  free(c->extra);
  for (size_t i = 0; i < options->n_interceptors; i++)
    bg_interceptor_release(options->interceptors[i]);
  memset(options, 0, sizeof *options);
}

BG_API bg_options *bg_options_new(void) {
  bg_options *options = malloc(sizeof *options);
  if (options)
    bgi_options_init_defaults(options);
  return options;
}

BG_API void bg_options_free(bg_options *options) {
  if (!options)
    return;
  bgi_options_fini(options);
  free(options);
}

static bg_status need(const void *handle, bg_error *err) {
  if (!handle)
    return bgi_fail(err, BG_ERR_INVALID_ARGUMENT, 0, "options is NULL");
  return BG_OK;
}

/* Replaces an owned string setting with a copy of `value` (NULL clears it). */
static bg_status set_string(char **slot, const char *value, bg_error *err) {
  char *copy = NULL;
  if (value && !(copy = strdup(value)))
    return BGI_FAIL_NOMEM(err);
  free(*slot);
  *slot = copy;
  return BG_OK;
}

BG_API bg_status bg_options_set_protocol_version(bg_options *options, const char *version,
                                                 bg_error *err) {
  BGI_ERROR_SINK(err);
  if (need(options, err) != BG_OK)
    return BG_ERR_INVALID_ARGUMENT;
  if (!version || (strcmp(version, "v1") != 0 && strcmp(version, "v1alpha1") != 0))
    return bgi_fail(err, BG_ERR_INVALID_ARGUMENT, 0,
                    "protocol version '%s' is not one BentoML has; use \"v1\" or \"v1alpha1\"",
                    version ? version : "(null)");
  strcpy(options->protocol_version, version);
  return BG_OK;
}

BG_API bg_status bg_options_set_allow_insecure_credentials(bg_options *options, bool allow,
                                                           bg_error *err) {
  BGI_ERROR_SINK(err);
  if (need(options, err) != BG_OK)
    return BG_ERR_INVALID_ARGUMENT;
  options->allow_insecure_credentials = allow;
  return BG_OK;
}

BG_API bg_status bg_options_allow_insecure_credentials(bg_options *options, bool allow,
                                                       bg_error *err) {
  BGI_ERROR_SINK(err);
  return bg_options_set_allow_insecure_credentials(options, allow, err);
}

BG_API bg_status bg_options_set_max_metadata_size(bg_options *options, size_t bytes,
                                                  bg_error *err) {
  BGI_ERROR_SINK(err);
  if (need(options, err) != BG_OK)
    return BG_ERR_INVALID_ARGUMENT;
  if (bytes == 0 || bytes > INT32_MAX) /* gRPC takes an int */
    return bgi_fail(err, BG_ERR_INVALID_ARGUMENT, 0,
                    "max metadata size must be 1..%d bytes (got %zu)", INT32_MAX, bytes);
  options->channel.max_metadata_size = (int64_t)bytes;
  return BG_OK;
}

BG_API bg_status bg_options_set_discovery_timeout_ms(bg_options *options, int64_t timeout_ms,
                                                     bg_error *err) {
  BGI_ERROR_SINK(err);
  if (need(options, err) != BG_OK)
    return BG_ERR_INVALID_ARGUMENT;
  if (timeout_ms <= 0)
    return bgi_fail(err, BG_ERR_INVALID_ARGUMENT, 0, "discovery timeout must be > 0 ms (got %lld)",
                    (long long)timeout_ms);
  options->discovery_timeout_ms = timeout_ms;
  return BG_OK;
}

BG_API bg_status bg_options_set_default_deadline_ms(bg_options *options, int64_t deadline_ms,
                                                    bg_error *err) {
  BGI_ERROR_SINK(err);
  if (need(options, err) != BG_OK)
    return BG_ERR_INVALID_ARGUMENT;
  if (deadline_ms < 0)
    return bgi_fail(err, BG_ERR_INVALID_ARGUMENT, 0,
                    "default deadline must be >= 0 ms, 0 meaning none (got %lld)",
                    (long long)deadline_ms);
  options->default_deadline_ms = deadline_ms;
  return BG_OK;
}

static bg_status check_size(const char *what, int64_t max_bytes, bg_error *err) {
  if (max_bytes < -1 || max_bytes == 0 || max_bytes > INT32_MAX)
    return bgi_fail(err, BG_ERR_INVALID_ARGUMENT, 0,
                    "max %s bytes must be -1 (no limit) or 1..%d (got %lld)", what, INT32_MAX,
                    (long long)max_bytes);
  return BG_OK;
}

/* A size_t limit as the channel keeps it: -1 for BG_NO_LIMIT, else 1..INT32_MAX. */
static bg_status size_limit(const char *what, size_t bytes, int64_t *out, bg_error *err) {
  if (bytes == BG_NO_LIMIT) {
    *out = -1;
    return BG_OK;
  }
  if (bytes == 0 || bytes > INT32_MAX)
    return bgi_fail(err, BG_ERR_INVALID_ARGUMENT, 0,
                    "max %s size must be 1..%d bytes or BG_NO_LIMIT (got %zu)", what, INT32_MAX,
                    bytes);
  *out = (int64_t)bytes;
  return BG_OK;
}

BG_API bg_status bg_options_set_max_receive_size(bg_options *options, size_t bytes, bg_error *err) {
  BGI_ERROR_SINK(err);
  if (need(options, err) != BG_OK ||
      size_limit("receive", bytes, &options->channel.max_receive_bytes, err) != BG_OK)
    return BG_ERR_INVALID_ARGUMENT;
  return BG_OK;
}

BG_API bg_status bg_options_set_max_send_size(bg_options *options, size_t bytes, bg_error *err) {
  BGI_ERROR_SINK(err);
  if (need(options, err) != BG_OK ||
      size_limit("send", bytes, &options->channel.max_send_bytes, err) != BG_OK)
    return BG_ERR_INVALID_ARGUMENT;
  return BG_OK;
}

/* The deprecated int64_t spellings: the same checks and messages as before (-1: no limit). */
BG_API bg_status bg_options_set_max_receive_bytes(bg_options *options, int64_t max_bytes,
                                                  bg_error *err) {
  BGI_ERROR_SINK(err);
  if (need(options, err) != BG_OK || check_size("receive", max_bytes, err) != BG_OK)
    return BG_ERR_INVALID_ARGUMENT;
  return bg_options_set_max_receive_size(options, max_bytes < 0 ? BG_NO_LIMIT : (size_t)max_bytes,
                                         err);
}

BG_API bg_status bg_options_set_max_send_bytes(bg_options *options, int64_t max_bytes,
                                               bg_error *err) {
  BGI_ERROR_SINK(err);
  if (need(options, err) != BG_OK || check_size("send", max_bytes, err) != BG_OK)
    return BG_ERR_INVALID_ARGUMENT;
  return bg_options_set_max_send_size(options, max_bytes < 0 ? BG_NO_LIMIT : (size_t)max_bytes,
                                      err);
}

BG_API bg_status bg_options_set_keepalive(bg_options *options, int64_t time_ms, int64_t timeout_ms,
                                          bool permit_without_calls, bg_error *err) {
  BGI_ERROR_SINK(err);
  if (need(options, err) != BG_OK)
    return BG_ERR_INVALID_ARGUMENT;
  if (time_ms <= 0 || time_ms > INT32_MAX || timeout_ms < 0 || timeout_ms > INT32_MAX)
    return bgi_fail(err, BG_ERR_INVALID_ARGUMENT, 0,
                    "keepalive: time must be 1..%d ms and timeout 0..%d ms (got %lld, %lld)",
                    INT32_MAX, INT32_MAX, (long long)time_ms, (long long)timeout_ms);
  options->channel.keepalive_time_ms = time_ms;
  options->channel.keepalive_timeout_ms = timeout_ms;
  options->channel.keepalive_permit_without_calls = permit_without_calls;
  return BG_OK;
}

BG_API bg_status bg_options_set_user_agent(bg_options *options, const char *user_agent,
                                           bg_error *err) {
  BGI_ERROR_SINK(err);
  if (need(options, err) != BG_OK)
    return BG_ERR_INVALID_ARGUMENT;
  for (const char *p = user_agent; p && *p; p++)
    if (*p < 0x20 || *p > 0x7e)
      return bgi_fail(err, BG_ERR_INVALID_ARGUMENT, 0, "user agent must be printable ASCII");
  return set_string(&options->channel.user_agent, user_agent, err);
}

BG_API bg_status bg_options_set_lb_policy(bg_options *options, const char *policy, bg_error *err) {
  BGI_ERROR_SINK(err);
  if (need(options, err) != BG_OK)
    return BG_ERR_INVALID_ARGUMENT;
  if (!policy || (strcmp(policy, "pick_first") != 0 && strcmp(policy, "round_robin") != 0))
    return bgi_fail(err, BG_ERR_INVALID_ARGUMENT, 0,
                    "load-balancing policy '%s' is unknown; use \"pick_first\" or \"round_robin\" "
                    "(others through bg_options_set_service_config)",
                    policy ? policy : "(null)");
  return set_string(&options->channel.lb_policy, policy, err);
}

BG_API bg_status bg_options_set_service_config(bg_options *options, const char *json,
                                               bg_error *err) {
  BGI_ERROR_SINK(err);
  if (need(options, err) != BG_OK)
    return BG_ERR_INVALID_ARGUMENT;
  json_error_t jerr;
  json_t *parsed = json ? json_loads(json, 0, &jerr) : NULL;
  bool object = json_is_object(parsed);
  json_decref(parsed);
  if (!object)
    return bgi_fail(err, BG_ERR_INVALID_ARGUMENT, 0,
                    "service config must be a JSON object, e.g. {\"loadBalancingConfig\": "
                    "[{\"round_robin\": {}}]}%s%s",
                    json && !parsed ? "; parse error: " : "", json && !parsed ? jerr.text : "");
  return set_string(&options->channel.service_config, json, err);
}

static bg_status add_arg(bg_options *options, const char *key, bool is_string, const char *string,
                         int integer, bg_error *err) {
  if (need(options, err) != BG_OK || bgi_channel_arg_check(key, is_string, err) != BG_OK)
    return BG_ERR_INVALID_ARGUMENT;
  if (is_string && !string)
    return bgi_fail(err, BG_ERR_INVALID_ARGUMENT, 0, "channel argument '%s': value is NULL", key);
  bgi_channel_config *c = &options->channel;
  if (c->n_extra == BGI_MAX_EXTRA_CHANNEL_ARGS)
    return bgi_fail(err, BG_ERR_INVALID_ARGUMENT, 0, "at most %d raw channel arguments",
                    BGI_MAX_EXTRA_CHANNEL_ARGS);
  bgi_channel_arg *grown = realloc(c->extra, (c->n_extra + 1) * sizeof *grown);
  if (!grown)
    return BGI_FAIL_NOMEM(err);
  c->extra = grown;
  bgi_channel_arg *a = &c->extra[c->n_extra];
  *a = (bgi_channel_arg){.key = strdup(key), .is_string = is_string, .integer = integer};
  a->string = is_string ? strdup(string) : NULL;
  if (!a->key || (is_string && !a->string)) {
    free(a->key);
    free(a->string);
    return BGI_FAIL_NOMEM(err);
  }
  c->n_extra++;
  return BG_OK;
}

BG_API bg_status bg_options_set_channel_arg_int(bg_options *options, const char *key, int value,
                                                bg_error *err) {
  BGI_ERROR_SINK(err);
  return add_arg(options, key, false, NULL, value, err);
}

BG_API bg_status bg_options_set_channel_arg_string(bg_options *options, const char *key,
                                                   const char *value, bg_error *err) {
  BGI_ERROR_SINK(err);
  return add_arg(options, key, true, value, 0, err);
}

static bool valid_compression(bg_compression c) {
  return c == BG_COMPRESSION_NONE || c == BG_COMPRESSION_DEFLATE || c == BG_COMPRESSION_GZIP;
}

BG_API bg_status bg_options_set_compression(bg_options *options, bg_compression compression,
                                            bg_error *err) {
  BGI_ERROR_SINK(err);
  if (need(options, err) != BG_OK)
    return BG_ERR_INVALID_ARGUMENT;
  if (!valid_compression(compression))
    return bgi_fail(err, BG_ERR_INVALID_ARGUMENT, 0,
                    "compression %d is not BG_COMPRESSION_NONE, _DEFLATE or _GZIP",
                    (int)compression);
  options->channel.compression = (int)compression;
  return BG_OK;
}

BG_API bg_status bg_options_add_interceptor(bg_options *options, bg_interceptor *interceptor,
                                            bg_error *err) {
  BGI_ERROR_SINK(err);
  if (need(options, err) != BG_OK)
    return BG_ERR_INVALID_ARGUMENT;
  if (!interceptor)
    return bgi_fail(err, BG_ERR_INVALID_ARGUMENT, 0, "interceptor is NULL");
  if (options->n_interceptors == BGI_MAX_INTERCEPTORS)
    return bgi_fail(err, BG_ERR_INVALID_ARGUMENT, 0, "at most %d interceptors",
                    BGI_MAX_INTERCEPTORS);
  bgi_interceptor_ref(interceptor);
  options->interceptors[options->n_interceptors++] = interceptor;
  return BG_OK;
}
