#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "client/options_internal.h"
#include "error_internal.h"

void bg_options_init_defaults(struct bg_options *options) {
  memset(options, 0, sizeof *options);
  strcpy(options->protocol_version, "v1");
  options->discovery_timeout_ms = 10000;
  options->default_deadline_ms = 0;
  options->max_receive_bytes = -1;
}

BG_API bg_options *bg_options_new(void) {
  bg_options *options = malloc(sizeof *options);
  if (options)
    bg_options_init_defaults(options);
  return options;
}

BG_API void bg_options_free(bg_options *options) { free(options); }

static bg_status need(const void *handle, const char *what, bg_error *err) {
  if (!handle)
    return bg_fail(err, BG_ERR_INVALID_ARGUMENT, 0, "%s is NULL", what);
  return BG_OK;
}

BG_API bg_status bg_options_set_protocol_version(bg_options *options, const char *version,
                                                 bg_error *err) {
  if (need(options, "options", err) != BG_OK)
    return BG_ERR_INVALID_ARGUMENT;
  if (!version || (strcmp(version, "v1") != 0 && strcmp(version, "v1alpha1") != 0))
    return bg_fail(err, BG_ERR_INVALID_ARGUMENT, 0,
                   "protocol version '%s' is not one BentoML has; use \"v1\" or \"v1alpha1\"",
                   version ? version : "(null)");
  strcpy(options->protocol_version, version);
  return BG_OK;
}

BG_API bg_status bg_options_set_discovery_timeout_ms(bg_options *options, int64_t timeout_ms,
                                                     bg_error *err) {
  if (need(options, "options", err) != BG_OK)
    return BG_ERR_INVALID_ARGUMENT;
  if (timeout_ms <= 0)
    return bg_fail(err, BG_ERR_INVALID_ARGUMENT, 0, "discovery timeout must be > 0 ms (got %lld)",
                   (long long)timeout_ms);
  options->discovery_timeout_ms = timeout_ms;
  return BG_OK;
}

BG_API bg_status bg_options_set_default_deadline_ms(bg_options *options, int64_t deadline_ms,
                                                    bg_error *err) {
  if (need(options, "options", err) != BG_OK)
    return BG_ERR_INVALID_ARGUMENT;
  if (deadline_ms < 0)
    return bg_fail(err, BG_ERR_INVALID_ARGUMENT, 0,
                   "default deadline must be >= 0 ms, 0 meaning none (got %lld)",
                   (long long)deadline_ms);
  options->default_deadline_ms = deadline_ms;
  return BG_OK;
}

BG_API bg_status bg_options_set_max_receive_bytes(bg_options *options, int64_t max_bytes,
                                                  bg_error *err) {
  if (need(options, "options", err) != BG_OK)
    return BG_ERR_INVALID_ARGUMENT;
  if (max_bytes < -1 || max_bytes == 0 || max_bytes > INT32_MAX)
    return bg_fail(err, BG_ERR_INVALID_ARGUMENT, 0,
                   "max receive bytes must be -1 (no limit) or 1..%d (got %lld)", INT32_MAX,
                   (long long)max_bytes);
  options->max_receive_bytes = max_bytes;
  return BG_OK;
}

BG_API bg_call_options *bg_call_options_new(void) {
  bg_call_options *co = calloc(1, sizeof *co);
  if (co)
    co->validate = true;
  return co;
}

BG_API bg_status bg_call_options_set_validate(bg_call_options *call_options, bool validate,
                                              bg_error *err) {
  if (need(call_options, "call options", err) != BG_OK)
    return BG_ERR_INVALID_ARGUMENT;
  call_options->validate = validate;
  return BG_OK;
}

BG_API void bg_call_options_free(bg_call_options *call_options) {
  if (!call_options)
    return;
  for (size_t i = 0; i < call_options->n_metadata; i++) {
    grpc_slice_unref(call_options->metadata[i].key);
    grpc_slice_unref(call_options->metadata[i].value);
  }
  free(call_options->metadata);
  free(call_options);
}

BG_API bg_status bg_call_options_set_deadline_ms(bg_call_options *call_options, int64_t deadline_ms,
                                                 bg_error *err) {
  if (need(call_options, "call options", err) != BG_OK)
    return BG_ERR_INVALID_ARGUMENT;
  if (deadline_ms <= 0)
    return bg_fail(err, BG_ERR_INVALID_ARGUMENT, 0, "deadline must be > 0 ms (got %lld)",
                   (long long)deadline_ms);
  call_options->deadline_ms = deadline_ms;
  return BG_OK;
}

BG_API bg_status bg_call_options_set_wait_for_ready(bg_call_options *call_options,
                                                    bool wait_for_ready, bg_error *err) {
  if (need(call_options, "call options", err) != BG_OK)
    return BG_ERR_INVALID_ARGUMENT;
  call_options->wait_for_ready = wait_for_ready;
  return BG_OK;
}

static bool ends_with(const char *s, const char *suffix) {
  size_t n = strlen(s), m = strlen(suffix);
  return n >= m && strcmp(s + n - m, suffix) == 0;
}

static bg_status check_metadata(const char *key, const char *value, size_t value_len,
                                bg_error *err) {
  if (!key || !*key)
    return bg_fail(err, BG_ERR_INVALID_ARGUMENT, 0, "metadata key is empty");
  for (const char *p = key; *p; p++)
    if (!(islower((unsigned char)*p) || isdigit((unsigned char)*p) || *p == '-' || *p == '_' ||
          *p == '.'))
      return bg_fail(err, BG_ERR_INVALID_ARGUMENT, 0,
                     "metadata key '%s': only lower-case letters, digits, '-', '_' and '.' are "
                     "allowed",
                     key);
  if (strncmp(key, "grpc-", 5) == 0)
    return bg_fail(err, BG_ERR_INVALID_ARGUMENT, 0,
                   "metadata key '%s': keys starting with 'grpc-' are reserved by gRPC", key);
  if (!value && value_len > 0)
    return bg_fail(err, BG_ERR_INVALID_ARGUMENT, 0, "metadata '%s': value is NULL", key);
  if (!ends_with(key, "-bin"))
    for (size_t i = 0; i < value_len; i++)
      if (value[i] < 0x20 || value[i] > 0x7e)
        return bg_fail(err, BG_ERR_INVALID_ARGUMENT, 0,
                       "metadata '%s': byte %zu of the value is not printable ASCII; use a key "
                       "ending in '-bin' for binary values",
                       key, i);
  return BG_OK;
}

BG_API bg_status bg_call_options_add_metadata(bg_call_options *call_options, const char *key,
                                              const char *value, size_t value_len, bg_error *err) {
  if (need(call_options, "call options", err) != BG_OK)
    return BG_ERR_INVALID_ARGUMENT;
  bg_status st = check_metadata(key, value, value_len, err);
  if (st != BG_OK)
    return st;
  if (call_options->n_metadata == call_options->capacity) {
    size_t capacity = call_options->capacity ? call_options->capacity * 2 : 4;
    grpc_metadata *grown = realloc(call_options->metadata, capacity * sizeof *grown);
    if (!grown)
      return BG_FAIL_NOMEM(err);
    call_options->metadata = grown;
    call_options->capacity = capacity;
  }
  grpc_metadata *md = &call_options->metadata[call_options->n_metadata++];
  memset(md, 0, sizeof *md);
  md->key = grpc_slice_from_copied_string(key);
  md->value = grpc_slice_from_copied_buffer(value ? value : "", value_len);
  return BG_OK;
}
