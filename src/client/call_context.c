/* The call context handed to interceptors, and response metadata sinks. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "client/interceptor_internal.h"
#include "client/options_internal.h"
#include "error_internal.h"

int64_t bgi_now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

BG_API const char *bg_call_context_api(const bg_call_context *ctx) { return ctx ? ctx->api : NULL; }

BG_API const char *bg_call_context_method(const bg_call_context *ctx) {
  return ctx ? ctx->method : NULL;
}

BG_API const char *bg_call_context_target(const bg_call_context *ctx) {
  return ctx ? ctx->target : NULL;
}

BG_API bg_status bg_call_context_add_metadata(bg_call_context *ctx, const char *key,
                                              const char *value, size_t value_len, bg_error *err) {
  BGI_ERROR_SINK(err);
  if (!ctx)
    return bgi_fail(err, BG_ERR_INVALID_ARGUMENT, 0, "call context is NULL");
  if (ctx->sealed)
    return bgi_fail(err, BG_ERR_INVALID_ARGUMENT, 0,
                    "metadata can only be added before the call is sent (in a `before` hook)");
  return bgi_metadata_append(ctx->metadata, ctx->n_metadata, ctx->capacity, key, value, value_len,
                             false, err);
}

BG_API size_t bg_call_context_metadata_count(const bg_call_context *ctx) {
  return ctx ? *ctx->n_metadata : 0;
}

/* Request metadata slices are made by bgi_metadata_append with a NUL after their bytes. */
static const char *slice_cstr(const grpc_slice *s, size_t *len) {
  if (len)
    *len = GRPC_SLICE_LENGTH(*s);
  return (const char *)GRPC_SLICE_START_PTR(*s); /* inlined bytes live in the entry itself */
}

BG_API const char *bg_call_context_metadata_key(const bg_call_context *ctx, size_t index) {
  if (!ctx || index >= *ctx->n_metadata)
    return NULL;
  return slice_cstr(&(*ctx->metadata)[index].key, NULL);
}

BG_API const char *bg_call_context_metadata_value(const bg_call_context *ctx, size_t index,
                                                  size_t *len) {
  if (!ctx || index >= *ctx->n_metadata)
    return NULL;
  return slice_cstr(&(*ctx->metadata)[index].value, len);
}

BG_API bg_status bg_call_context_status(const bg_call_context *ctx) {
  return ctx ? ctx->status : BG_ERR_INVALID_ARGUMENT;
}

BG_API int bg_call_context_grpc_status(const bg_call_context *ctx) {
  return ctx ? ctx->grpc_status : 0;
}

BG_API const char *bg_call_context_message(const bg_call_context *ctx) {
  return ctx && ctx->message ? ctx->message : "";
}

BG_API const bg_response_metadata *bg_call_context_response_metadata(const bg_call_context *ctx) {
  return ctx ? ctx->response : NULL;
}

BG_API double bg_call_context_elapsed_ms(const bg_call_context *ctx) {
  return ctx ? (double)(bgi_now_ns() - ctx->start_ns) / 1e6 : 0;
}

/* ---- response metadata ---- */

BG_API bg_response_metadata *bg_response_metadata_new(void) {
  return calloc(1, sizeof(bg_response_metadata));
}

static void clear_copy(bgi_metadata_copy *c) {
  for (size_t i = 0; i < c->count; i++) {
    free(c->keys[i]);
    free(c->values[i]);
  }
  free(c->keys);
  free(c->values);
  free(c->lens);
  memset(c, 0, sizeof *c);
}

void bgi_response_metadata_clear(bg_response_metadata *sink) {
  clear_copy(&sink->kinds[0]);
  clear_copy(&sink->kinds[1]);
}

BG_API void bg_response_metadata_free(bg_response_metadata *metadata) {
  if (!metadata)
    return;
  bgi_response_metadata_clear(metadata);
  free(metadata);
}

static char *copy_slice(grpc_slice s) {
  size_t n = GRPC_SLICE_LENGTH(s);
  char *c = malloc(n + 1);
  if (c) {
    memcpy(c, GRPC_SLICE_START_PTR(s), n);
    c[n] = '\0';
  }
  return c;
}

static bg_status copy_array(bgi_metadata_copy *to, const grpc_metadata_array *from) {
  size_t n = from ? from->count : 0;
  if (n == 0)
    return BG_OK;
  to->keys = calloc(n, sizeof *to->keys);
  to->values = calloc(n, sizeof *to->values);
  to->lens = calloc(n, sizeof *to->lens);
  if (!to->keys || !to->values || !to->lens)
    return BG_ERR_NO_MEMORY;
  for (size_t i = 0; i < n; i++) {
    to->count = i + 1;
    to->keys[i] = copy_slice(from->metadata[i].key);
    to->values[i] = copy_slice(from->metadata[i].value);
    to->lens[i] = GRPC_SLICE_LENGTH(from->metadata[i].value);
    if (!to->keys[i] || !to->values[i])
      return BG_ERR_NO_MEMORY;
  }
  return BG_OK;
}

bg_status bgi_response_metadata_fill(bg_response_metadata *sink, const grpc_metadata_array *initial,
                                     const grpc_metadata_array *trailing) {
  bgi_response_metadata_clear(sink);
  if (copy_array(&sink->kinds[0], initial) != BG_OK ||
      copy_array(&sink->kinds[1], trailing) != BG_OK) {
    bgi_response_metadata_clear(sink);
    return BG_ERR_NO_MEMORY;
  }
  return BG_OK;
}

static const bgi_metadata_copy *kind_of(const bg_response_metadata *m, bg_metadata_kind kind) {
  return m && (kind == BG_METADATA_INITIAL || kind == BG_METADATA_TRAILING) ? &m->kinds[kind]
                                                                            : NULL;
}

BG_API size_t bg_response_metadata_count(const bg_response_metadata *metadata,
                                         bg_metadata_kind kind) {
  const bgi_metadata_copy *c = kind_of(metadata, kind);
  return c ? c->count : 0;
}

BG_API const char *bg_response_metadata_key(const bg_response_metadata *metadata,
                                            bg_metadata_kind kind, size_t index) {
  const bgi_metadata_copy *c = kind_of(metadata, kind);
  return c && index < c->count ? c->keys[index] : NULL;
}

BG_API const char *bg_response_metadata_value(const bg_response_metadata *metadata,
                                              bg_metadata_kind kind, size_t index, size_t *len) {
  const bgi_metadata_copy *c = kind_of(metadata, kind);
  if (!c || index >= c->count)
    return NULL;
  if (len)
    *len = c->lens[index];
  return c->values[index];
}

BG_API const char *bg_response_metadata_find(const bg_response_metadata *metadata,
                                             bg_metadata_kind kind, const char *key, size_t *len) {
  const bgi_metadata_copy *c = kind_of(metadata, kind);
  for (size_t i = 0; c && key && i < c->count; i++)
    if (strcmp(c->keys[i], key) == 0) {
      if (len)
        *len = c->lens[i];
      return c->values[i];
    }
  return NULL;
}
