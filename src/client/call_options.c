/* bg_call_options: deadline, metadata, wait-for-ready, validation, compression, credentials,
 * output buffer. */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "client/options_internal.h"
#include "error_internal.h"

BG_API bg_call_options *bg_call_options_new(void) {
  bg_call_options *co = calloc(1, sizeof *co);
  if (co) {
    co->validate = true;
    co->compression = -1;
    co->cancel_fd.fd = -1;
  }
  return co;
}

void bgi_metadata_free(grpc_metadata *md, size_t n) {
  for (size_t i = 0; i < n; i++) {
    grpc_slice_unref(md[i].key);
    grpc_slice_unref(md[i].value);
  }
  free(md);
}

BG_API void bg_call_options_free(bg_call_options *call_options) {
  if (!call_options)
    return;
  bgi_metadata_free(call_options->metadata, call_options->n_metadata);
  free(call_options);
}

static bg_status need(const bg_call_options *co, bg_error *err) {
  return co ? BG_OK : bgi_fail(err, BG_ERR_INVALID_ARGUMENT, 0, "call options is NULL");
}

BG_API bg_status bg_call_options_set_deadline_ms(bg_call_options *call_options, int64_t deadline_ms,
                                                 bg_error *err) {
  BGI_ERROR_SINK(err);
  if (need(call_options, err) != BG_OK)
    return BG_ERR_INVALID_ARGUMENT;
  if (deadline_ms <= 0)
    return bgi_fail(err, BG_ERR_INVALID_ARGUMENT, 0, "deadline must be > 0 ms (got %lld)",
                    (long long)deadline_ms);
  call_options->deadline_ms = deadline_ms;
  return BG_OK;
}

BG_API bg_status bg_call_options_set_wait_for_ready(bg_call_options *call_options,
                                                    bool wait_for_ready, bg_error *err) {
  BGI_ERROR_SINK(err);
  if (need(call_options, err) != BG_OK)
    return BG_ERR_INVALID_ARGUMENT;
  call_options->wait_for_ready = wait_for_ready;
  return BG_OK;
}

BG_API bg_status bg_call_options_set_validate(bg_call_options *call_options, bool validate,
                                              bg_error *err) {
  BGI_ERROR_SINK(err);
  if (need(call_options, err) != BG_OK)
    return BG_ERR_INVALID_ARGUMENT;
  call_options->validate = validate;
  return BG_OK;
}

static bool ends_with(const char *s, const char *suffix) {
  size_t n = strlen(s), m = strlen(suffix);
  return n >= m && strcmp(s + n - m, suffix) == 0;
}

static bg_status check_metadata(const char *key, const char *value, size_t value_len,
                                bool allow_reserved, bg_error *err) {
  if (!key || !*key)
    return bgi_fail(err, BG_ERR_INVALID_ARGUMENT, 0, "metadata key is empty");
  for (const char *p = key; *p; p++)
    if (!(islower((unsigned char)*p) || isdigit((unsigned char)*p) || *p == '-' || *p == '_' ||
          *p == '.'))
      return bgi_fail(err, BG_ERR_INVALID_ARGUMENT, 0,
                      "metadata key '%s': only lower-case letters, digits, '-', '_' and '.' are "
                      "allowed",
                      key);
  if (!allow_reserved && strncmp(key, "grpc-", 5) == 0)
    return bgi_fail(err, BG_ERR_INVALID_ARGUMENT, 0,
                    "metadata key '%s': keys starting with 'grpc-' are reserved by gRPC", key);
  if (!value && value_len > 0)
    return bgi_fail(err, BG_ERR_INVALID_ARGUMENT, 0, "metadata '%s': value is NULL", key);
  if (!ends_with(key, "-bin"))
    for (size_t i = 0; i < value_len; i++)
      if (value[i] < 0x20 || value[i] > 0x7e)
        return bgi_fail(err, BG_ERR_INVALID_ARGUMENT, 0,
                        "metadata '%s': byte %zu of the value is not printable ASCII; use a key "
                        "ending in '-bin' for binary values",
                        key, i);
  return BG_OK;
}

/* A slice holding `len` bytes followed by a NUL that is not part of its length, so keys and
 * values can be handed to interceptors as C strings without another copy. Always heap
 * allocated (never inlined in the grpc_metadata entry), so those pointers stay valid when the
 * metadata array grows. */
static grpc_slice slice_with_nul(const char *s, size_t len) {
  grpc_slice slice = grpc_slice_malloc_large(len + 1);
  if (len)
    memcpy(GRPC_SLICE_START_PTR(slice), s, len);
  GRPC_SLICE_START_PTR(slice)[len] = '\0';
  GRPC_SLICE_SET_LENGTH(slice, len);
  return slice;
}

bg_status bgi_metadata_append(grpc_metadata **md, size_t *n, size_t *capacity, const char *key,
                              const char *value, size_t value_len, bool allow_reserved,
                              bg_error *err) {
  bg_status st = check_metadata(key, value, value_len, allow_reserved, err);
  if (st != BG_OK)
    return st;
  /* Copy first: `key`/`value` may point into this very array (an interceptor re-adding a
   * header it read), which growing it could free. */
  grpc_slice key_slice = slice_with_nul(key, strlen(key));
  grpc_slice value_slice = slice_with_nul(value ? value : "", value_len);
  if (*n == *capacity) {
    size_t grown_capacity = *capacity ? *capacity * 2 : 4;
    grpc_metadata *grown = realloc(*md, grown_capacity * sizeof *grown);
    if (!grown) {
      grpc_slice_unref(key_slice);
      grpc_slice_unref(value_slice);
      return BGI_FAIL_NOMEM(err);
    }
    *md = grown;
    *capacity = grown_capacity;
  }
  grpc_metadata *entry = &(*md)[(*n)++];
  memset(entry, 0, sizeof *entry);
  entry->key = key_slice;
  entry->value = value_slice;
  return BG_OK;
}

BG_API bg_status bg_call_options_add_metadata(bg_call_options *call_options, const char *key,
                                              const char *value, size_t value_len, bg_error *err) {
  BGI_ERROR_SINK(err);
  if (need(call_options, err) != BG_OK)
    return BG_ERR_INVALID_ARGUMENT;
  return bgi_metadata_append(&call_options->metadata, &call_options->n_metadata,
                             &call_options->capacity, key, value, value_len, false, err);
}

BG_API bg_status bg_call_options_set_compression(bg_call_options *call_options,
                                                 bg_compression compression, bg_error *err) {
  BGI_ERROR_SINK(err);
  if (need(call_options, err) != BG_OK)
    return BG_ERR_INVALID_ARGUMENT;
  if (compression != BG_COMPRESSION_NONE && compression != BG_COMPRESSION_DEFLATE &&
      compression != BG_COMPRESSION_GZIP)
    return bgi_fail(err, BG_ERR_INVALID_ARGUMENT, 0,
                    "compression %d is not BG_COMPRESSION_NONE, _DEFLATE or _GZIP",
                    (int)compression);
  call_options->compression = (int)compression;
  return BG_OK;
}

BG_API bg_status bg_call_options_set_bearer_token(bg_call_options *call_options, const char *token,
                                                  bg_error *err) {
  BGI_ERROR_SINK(err);
  if (need(call_options, err) != BG_OK)
    return BG_ERR_INVALID_ARGUMENT;
  if (!token || !*token)
    return bgi_fail(err, BG_ERR_INVALID_ARGUMENT, 0, "bearer token is empty");
  size_t len = strlen(token);
  char *value = malloc(len + 8);
  if (!value)
    return BGI_FAIL_NOMEM(err);
  memcpy(value, "Bearer ", 7);
  memcpy(value + 7, token, len + 1);
  /* Drop an earlier token, then add the new one (validated as printable ASCII). */
  for (size_t i = 0; i < call_options->n_metadata; i++)
    if (grpc_slice_str_cmp(call_options->metadata[i].key, "authorization") == 0) {
      grpc_slice_unref(call_options->metadata[i].key);
      grpc_slice_unref(call_options->metadata[i].value);
      call_options->metadata[i] = call_options->metadata[--call_options->n_metadata];
      break;
    }
  bg_status st = bg_call_options_add_metadata(call_options, "authorization", value, len + 7, err);
  memset(value, 0, len + 7);
  free(value);
  return st;
}

BG_API bg_status bg_call_options_set_credentials(bg_call_options *call_options,
                                                 bg_credentials_fn callback, void *user_data,
                                                 bg_error *err) {
  BGI_ERROR_SINK(err);
  if (need(call_options, err) != BG_OK)
    return BG_ERR_INVALID_ARGUMENT;
  call_options->credentials = callback;
  call_options->credentials_data = user_data;
  return BG_OK;
}

BG_API bg_status bg_call_options_set_response_metadata(bg_call_options *call_options,
                                                       bg_response_metadata *sink, bg_error *err) {
  BGI_ERROR_SINK(err);
  if (need(call_options, err) != BG_OK)
    return BG_ERR_INVALID_ARGUMENT;
  call_options->response_metadata = sink;
  return BG_OK;
}

BG_API bg_status bg_call_options_set_output_buffer(bg_call_options *call_options, void *buffer,
                                                   size_t capacity, bg_error *err) {
  BGI_ERROR_SINK(err);
  if (need(call_options, err) != BG_OK)
    return BG_ERR_INVALID_ARGUMENT;
  if (!buffer || capacity == 0) { /* off: replies get fresh memory */
    call_options->output_buffer = NULL;
    call_options->output_capacity = 0;
    return BG_OK;
  }
  if ((uintptr_t)buffer % _Alignof(double) != 0)
    return bgi_fail(err, BG_ERR_INVALID_ARGUMENT, 0,
                    "output buffer %p is not aligned for double (its address must be a "
                    "multiple of %zu): the values are written there as float or double; use "
                    "memory from malloc() or aligned_alloc()",
                    buffer, (size_t) _Alignof(double));
  call_options->output_buffer = buffer;
  call_options->output_capacity = capacity;
  return BG_OK;
}
