/* Interceptor objects and the two that ship with the library: W3C traceparent propagation
 * and per-call timing through a user callback. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "client/interceptor_internal.h"
#include "error_internal.h"

BG_API bg_interceptor *bg_interceptor_new(const char *name, bg_call_hook_fn before,
                                          bg_call_hook_fn after, void *state,
                                          void (*destroy)(void *state), bg_error *err) {
  BGI_ERROR_SINK(err);
  if (!before && !after) {
    bgi_fail(err, BG_ERR_INVALID_ARGUMENT, 0, "an interceptor needs a before or an after hook");
    return NULL;
  }
  bg_interceptor *ic = calloc(1, sizeof *ic);
  char *copy = strdup(name ? name : "interceptor");
  if (!ic || !copy) {
    free(ic);
    free(copy);
    BGI_FAIL_NOMEM(err);
    return NULL;
  }
  atomic_init(&ic->refs, 1);
  ic->name = copy;
  ic->before = before;
  ic->after = after;
  ic->state = state;
  ic->destroy = destroy;
  return ic;
}

void bgi_interceptor_ref(bg_interceptor *interceptor) { atomic_fetch_add(&interceptor->refs, 1); }

BG_API void bg_interceptor_release(bg_interceptor *interceptor) {
  if (!interceptor || atomic_fetch_sub(&interceptor->refs, 1) != 1)
    return;
  if (interceptor->destroy)
    interceptor->destroy(interceptor->state);
  free(interceptor->name);
  free(interceptor);
}

/* ---- traceparent ---- */

static bool is_hex(const char *s, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
      return false;
  return true;
}

static void random_hex(char *out, size_t bytes) {
  unsigned char buf[16];
  if (getrandom(buf, bytes, 0) != (ssize_t)bytes) /* fall back: still unique enough per call */
    for (size_t i = 0; i < bytes; i++)
      buf[i] = (unsigned char)(rand() ^ (int)(bgi_now_ns() >> (i % 8)));
  for (size_t i = 0; i < bytes; i++)
    sprintf(out + 2 * i, "%02x", buf[i]);
}

static bool all_zero(const char *s, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (s[i] != '0')
      return false;
  return true;
}

/* version 00: "00-" 32 hex trace id "-" 16 hex parent id "-" 2 hex flags (55 chars). */
static bool parse_parent(const char *v, size_t len, char trace_id[33], char flags[3]) {
  if (len != 55 || strncmp(v, "00-", 3) != 0 || v[35] != '-' || v[52] != '-' ||
      !is_hex(v + 3, 32) || !is_hex(v + 36, 16) || !is_hex(v + 53, 2) || all_zero(v + 3, 32))
    return false;
  memcpy(trace_id, v + 3, 32);
  trace_id[32] = '\0';
  memcpy(flags, v + 53, 2);
  flags[2] = '\0';
  return true;
}

static bg_status traceparent_before(void *state, bg_call_context *ctx, bg_error *err) {
  (void)state;
  char trace_id[33], flags[3] = "01", span_id[17], header[56];
  bool have_parent = false;
  /* Take the caller's traceparent out (the first valid one is the parent); an invalid one
   * is dropped too, so exactly one header leaves. */
  for (size_t i = 0; i < *ctx->n_metadata;) {
    size_t len;
    if (strcmp(bg_call_context_metadata_key(ctx, i), "traceparent") != 0) {
      i++;
      continue;
    }
    const char *v = bg_call_context_metadata_value(ctx, i, &len);
    if (!have_parent)
      have_parent = parse_parent(v, len, trace_id, flags);
    grpc_metadata *md = &(*ctx->metadata)[i];
    grpc_slice_unref(md->key);
    grpc_slice_unref(md->value);
    *md = (*ctx->metadata)[--*ctx->n_metadata];
  }
  if (!have_parent)
    do
      random_hex(trace_id, 16);
    while (all_zero(trace_id, 32));
  do
    random_hex(span_id, 8);
  while (all_zero(span_id, 16));
  snprintf(header, sizeof header, "00-%s-%s-%s", trace_id, span_id, flags);
  return bg_call_context_add_metadata(ctx, "traceparent", header, strlen(header), err);
}

BG_API bg_interceptor *bg_interceptor_traceparent(bg_error *err) {
  BGI_ERROR_SINK(err);
  return bg_interceptor_new("traceparent", traceparent_before, NULL, NULL, NULL, err);
}

/* ---- timing ---- */

typedef struct timing_state {
  bg_call_log_fn log;
  void *user_data;
} timing_state;

static bg_status timing_after(void *state, bg_call_context *ctx, bg_error *err) {
  (void)err;
  timing_state *t = state;
  t->log(t->user_data, ctx->api, ctx->status, ctx->grpc_status, bg_call_context_elapsed_ms(ctx),
         bg_call_context_message(ctx));
  return BG_OK;
}

BG_API bg_interceptor *bg_interceptor_timing(bg_call_log_fn log, void *user_data, bg_error *err) {
  BGI_ERROR_SINK(err);
  if (!log) {
    bgi_fail(err, BG_ERR_INVALID_ARGUMENT, 0, "timing interceptor: the log callback is NULL");
    return NULL;
  }
  timing_state *t = malloc(sizeof *t);
  if (!t) {
    BGI_FAIL_NOMEM(err);
    return NULL;
  }
  t->log = log;
  t->user_data = user_data;
  bg_interceptor *ic = bg_interceptor_new("timing", NULL, timing_after, t, free, err);
  if (!ic)
    free(t);
  return ic;
}
