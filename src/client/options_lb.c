/* bg_options for many replicas: the typed retry policy and client-side health checking,
 * which transport/channel_service_config.c merges into the channel's service config. */
#include <ctype.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "client/options_internal.h"
#include "error_internal.h"

/* gRPC's status code names, the words retryableStatusCodes takes (OK is not retryable). */
static const char *const status_names[] = {
    "CANCELLED",      "UNKNOWN",           "INVALID_ARGUMENT",   "DEADLINE_EXCEEDED",   "NOT_FOUND",
    "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED",
    "OUT_OF_RANGE",   "UNIMPLEMENTED",     "INTERNAL",           "UNAVAILABLE",         "DATA_LOSS",
    "UNAUTHENTICATED"};
#define N_STATUS (sizeof status_names / sizeof status_names[0])

/* Appends `text` at out[*used] if it fits in `cap`; false when it does not. */
static bool append(char *out, size_t cap, size_t *used, const char *text) {
  size_t len = strlen(text);
  if (*used + len >= cap)
    return false;
  memcpy(out + *used, text, len + 1);
  *used += len;
  return true;
}

/* "unavailable, RESOURCE_EXHAUSTED" → "\"UNAVAILABLE\",\"RESOURCE_EXHAUSTED\"" (each name
 * once). Every name is checked: a misspelt code is an error, not a retry that never happens. */
static bg_status parse_codes(const char *codes, char *out, size_t cap, bg_error *err) {
  bool seen[N_STATUS] = {false};
  size_t used = 0;
  out[0] = '\0';
  const char *p = codes;
  while (*p) {
    while (*p == ' ' || *p == ',')
      p++;
    const char *start = p;
    while (*p && *p != ',' && *p != ' ')
      p++;
    size_t len = (size_t)(p - start);
    if (len == 0)
      break;
    size_t k = 0;
    for (; k < N_STATUS; k++)
      if (strlen(status_names[k]) == len && strncasecmp(status_names[k], start, len) == 0)
        break;
    if (k == N_STATUS)
      return bgi_fail(err, BG_ERR_INVALID_ARGUMENT, 0,
                      "retry status code '%.*s' is not a gRPC status name; write names such as "
                      "UNAVAILABLE or RESOURCE_EXHAUSTED, separated by commas",
                      (int)(len > 64 ? 64 : len), start);
    if (seen[k])
      continue;
    seen[k] = true;
    if ((used && !append(out, cap, &used, ",")) || !append(out, cap, &used, "\"") ||
        !append(out, cap, &used, status_names[k]) || !append(out, cap, &used, "\""))
      return bgi_fail(err, BG_ERR_INVALID_ARGUMENT, 0, "too many retry status codes");
  }
  if (used == 0)
    return bgi_fail(err, BG_ERR_INVALID_ARGUMENT, 0,
                    "no retry status code given; pass e.g. \"UNAVAILABLE\" (or NULL for it)");
  return BG_OK;
}

BG_API bg_status bg_options_set_retry(bg_options *options, int max_attempts,
                                      int64_t initial_backoff_ms, int64_t max_backoff_ms,
                                      double backoff_multiplier, const char *status_codes,
                                      bg_error *err) {
  BGI_ERROR_SINK(err);
  if (!options)
    return bgi_fail(err, BG_ERR_INVALID_ARGUMENT, 0, "options is NULL");
  bgi_channel_config *c = &options->channel;
  if (max_attempts == 0 || max_attempts == 1) { /* one attempt: no retries */
    free(c->retry_policy);
    c->retry_policy = NULL;
    return BG_OK;
  }
  if (max_attempts < 0 || max_attempts > 5)
    return bgi_fail(err, BG_ERR_INVALID_ARGUMENT, 0,
                    "retry: max attempts must be 2..5, counting the first (gRPC caps it at 5), "
                    "or 0/1 for no retries (got %d)",
                    max_attempts);
  if (initial_backoff_ms <= 0 || max_backoff_ms < initial_backoff_ms || max_backoff_ms > INT32_MAX)
    return bgi_fail(err, BG_ERR_INVALID_ARGUMENT, 0,
                    "retry: backoff must be initial > 0 ms and initial <= max <= %d ms "
                    "(got initial %lld, max %lld)",
                    INT32_MAX, (long long)initial_backoff_ms, (long long)max_backoff_ms);
  if (!(backoff_multiplier > 0) || !isfinite(backoff_multiplier))
    return bgi_fail(err, BG_ERR_INVALID_ARGUMENT, 0,
                    "retry: backoff multiplier must be a number > 0, e.g. 2 (got %g)",
                    backoff_multiplier);
  char codes[512];
  if (parse_codes(status_codes ? status_codes : "UNAVAILABLE", codes, sizeof codes, err) != BG_OK)
    return BG_ERR_INVALID_ARGUMENT;
  char json[768];
  snprintf(
      json, sizeof json,
      "{\"maxAttempts\":%d,\"initialBackoff\":\"%lld.%03llds\",\"maxBackoff\":\"%lld.%03llds\","
      "\"backoffMultiplier\":%.17g,\"retryableStatusCodes\":[%s]}",
      max_attempts, (long long)(initial_backoff_ms / 1000), (long long)(initial_backoff_ms % 1000),
      (long long)(max_backoff_ms / 1000), (long long)(max_backoff_ms % 1000), backoff_multiplier,
      codes);
  char *copy = strdup(json);
  if (!copy)
    return BGI_FAIL_NOMEM(err);
  free(c->retry_policy);
  c->retry_policy = copy;
  return BG_OK;
}

BG_API bg_status bg_options_set_health_check(bg_options *options, bool enable,
                                             const char *service_name, bg_error *err) {
  BGI_ERROR_SINK(err);
  if (!options)
    return bgi_fail(err, BG_ERR_INVALID_ARGUMENT, 0, "options is NULL");
  for (const unsigned char *p = (const unsigned char *)service_name; p && *p; p++)
    if (*p < 0x20 || *p > 0x7e)
      return bgi_fail(err, BG_ERR_INVALID_ARGUMENT, 0,
                      "health check service name must be printable ASCII");
  char *copy = NULL;
  if (enable && service_name && *service_name && !(copy = strdup(service_name)))
    return BGI_FAIL_NOMEM(err);
  bgi_channel_config *c = &options->channel;
  free(c->health_service);
  c->health_service = copy;
  c->health_check = enable;
  return BG_OK;
}
