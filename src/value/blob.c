/* File/Image values and raw serialized_bytes: bytes, borrowed or owned, with a MIME type. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error_internal.h"
#include "value/value_internal.h"

/* type/subtype with RFC 6838 token characters. */
bool bgi_mime_valid(const char *mime) {
  const char *slash = strchr(mime, '/');
  bool ok = slash && slash != mime && slash[1] != '\0' && !strchr(slash + 1, '/');
  for (const char *p = mime; ok && *p; p++)
    ok = isalnum((unsigned char)*p) || strchr("/!#$&-^_.+", *p);
  return ok;
}

/* Stored lower-case, as BentoML compares lower-case MIME types exactly. Returns a malloc'd
 * copy or NULL (err filled). */
static char *normalise_mime(const char *mime, bg_error *err) {
  if (!bgi_mime_valid(mime)) {
    bgi_fail(err, BG_ERR_INVALID_ARGUMENT, 0,
             "MIME type '%s' is not of the form type/subtype, e.g. image/png", mime);
    return NULL;
  }
  char *copy = strdup(mime);
  if (!copy) {
    BGI_FAIL_NOMEM(err);
    return NULL;
  }
  for (char *p = copy; *p; p++)
    *p = (char)tolower((unsigned char)*p);
  return copy;
}

/* Builds a blob value; takes `owned` (freed on failure). */
static bg_value *make_blob(bg_value_kind kind, const void *data, size_t size, void *owned,
                           const char *mime, bg_error *err) {
  char *mime_copy = NULL;
  if (!data && size > 0) {
    free(owned);
    bgi_fail(err, BG_ERR_INVALID_ARGUMENT, 0, "%s: data is NULL but size is %zu",
             bg_value_kind_name(kind), size);
    return NULL;
  }
  if (mime && !(mime_copy = normalise_mime(mime, err))) {
    free(owned);
    return NULL;
  }
  bg_value *v = bgi_value_alloc(kind, err);
  if (!v) {
    free(owned);
    free(mime_copy);
    return NULL;
  }
  v->as.blob = (bgi_blob){.data = data, .size = size, .owned = owned, .mime = mime_copy};
  return v;
}

static bg_value *copy_blob(bg_value_kind kind, const void *data, size_t size, const char *mime,
                           bg_error *err) {
  if (!data && size > 0)
    return make_blob(kind, data, size, NULL, mime, err); /* reports the NULL */
  void *copy = malloc(size ? size : 1);
  if (!copy) {
    BGI_FAIL_NOMEM(err);
    return NULL;
  }
  if (size)
    memcpy(copy, data, size);
  return make_blob(kind, copy, size, copy, mime, err);
}

bg_value *bgi_blob_adopt(bg_value_kind kind, void *data, size_t size, const char *mime,
                         bg_error *err) {
  return make_blob(kind, data, size, data, mime, err);
}

BG_API bg_value *bg_file_borrow(const void *data, size_t size, const char *mime, bg_error *err) {
  BGI_ERROR_SINK(err);
  return make_blob(BG_VALUE_FILE, data, size, NULL, mime, err);
}

BG_API bg_value *bg_file_copy(const void *data, size_t size, const char *mime, bg_error *err) {
  BGI_ERROR_SINK(err);
  return copy_blob(BG_VALUE_FILE, data, size, mime, err);
}

BG_API bg_value *bg_file_from_path(const char *path, const char *mime, bg_error *err) {
  BGI_ERROR_SINK(err);
  if (!path) {
    bgi_fail(err, BG_ERR_INVALID_ARGUMENT, 0, "file: path is NULL");
    return NULL;
  }
  FILE *f = fopen(path, "rb");
  if (!f) {
    bgi_fail(err, BG_ERR_INVALID_ARGUMENT, 0, "cannot open '%s': %s", path, strerror(errno));
    return NULL;
  }
  size_t size = 0, capacity = 1 << 16;
  unsigned char *buf = malloc(capacity);
  size_t n;
  while (buf && (n = fread(buf + size, 1, capacity - size, f)) > 0) {
    size += n;
    if (size == capacity) {
      unsigned char *grown = realloc(buf, capacity * 2);
      if (!grown) {
        free(buf);
        buf = NULL;
        break;
      }
      buf = grown;
      capacity *= 2;
    }
  }
  bool failed = ferror(f);
  int saved = errno;
  fclose(f);
  if (!buf) {
    BGI_FAIL_NOMEM(err);
    return NULL;
  }
  if (failed) {
    free(buf);
    bgi_fail(err, BG_ERR_INVALID_ARGUMENT, 0, "cannot read '%s': %s", path, strerror(saved));
    return NULL;
  }
  return make_blob(BG_VALUE_FILE, buf, size, buf, mime, err);
}

static const bgi_blob *as_blob(const bg_value *value, bg_value_kind kind) {
  return value && value->kind == kind ? &value->as.blob : NULL;
}

BG_API const void *bg_file_data(const bg_value *value) {
  const bgi_blob *b = as_blob(value, BG_VALUE_FILE);
  return b ? b->data : NULL;
}

BG_API size_t bg_file_size(const bg_value *value) {
  const bgi_blob *b = as_blob(value, BG_VALUE_FILE);
  return b ? b->size : 0;
}

BG_API const char *bg_file_mime(const bg_value *value) {
  const bgi_blob *b = as_blob(value, BG_VALUE_FILE);
  return b ? b->mime : NULL;
}

BG_API bg_value *bg_bytes_borrow(const void *data, size_t size, bg_error *err) {
  BGI_ERROR_SINK(err);
  return make_blob(BG_VALUE_BYTES, data, size, NULL, NULL, err);
}

BG_API bg_value *bg_bytes_copy(const void *data, size_t size, bg_error *err) {
  BGI_ERROR_SINK(err);
  return copy_blob(BG_VALUE_BYTES, data, size, NULL, err);
}

BG_API const void *bg_bytes_data(const bg_value *value) {
  const bgi_blob *b = as_blob(value, BG_VALUE_BYTES);
  return b ? b->data : NULL;
}

BG_API size_t bg_bytes_size(const bg_value *value) {
  const bgi_blob *b = as_blob(value, BG_VALUE_BYTES);
  return b ? b->size : 0;
}
