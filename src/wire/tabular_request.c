/* DataFrame and Series messages written straight from the columns' elements (no protobuf-c
 * message, no widened copy): byte-identical to protobuf-c's packing of the same message —
 * fields in number order, empty repeated fields left out, numeric fields packed, bools one
 * byte each (0 or 1, which is what a bool array holds already). */
#include <grpc/slice.h>
#include <string.h>

#include "error_internal.h"
#include "wire/pb_raw.h"
#include "wire/tabular_wire.h"

/* bgi_pb_put_varint, returning where the next byte goes. */
static inline uint8_t *put_varint(uint8_t *p, uint64_t v) { return p + bgi_pb_put_varint(p, v); }

/* The lengths of a str column's strings: those its check kept, else found now (in `arena`). */
static const size_t *string_lengths(const bg_ndarray *s, bgi_arena *arena) {
  if (s->string_lengths)
    return s->string_lengths;
  size_t *lengths = bgi_arena_alloc(arena, (s->count ? s->count : 1) * sizeof *lengths);
  if (!lengths)
    return NULL;
  const char *const *v = s->data;
  if (s->string_block) { /* back to back: each length is the distance to the next */
    const char *end = v[0] + s->string_block;
    for (size_t i = 0; i < s->count; i++)
      lengths[i] = (size_t)((i + 1 < s->count ? v[i + 1] : end) - v[i]) - 1;
  } else {
    for (size_t i = 0; i < s->count; i++)
      lengths[i] = strlen(v[i]);
  }
  return lengths;
}

/* The bytes of the varints of n int64s, two elements a turn. */
static size_t varint64_total(const int64_t *v, size_t n) {
  size_t a = 0, b = 0, i = 0;
  for (; n - i >= 2; i += 2) {
    a += bgi_pb_varint_size((uint64_t)v[i]);
    b += bgi_pb_varint_size((uint64_t)v[i + 1]);
  }
  if (i < n)
    a += bgi_pb_varint_size((uint64_t)v[i]);
  return a + b;
}

/* Whether every string of s has a one-byte length prefix (its kept lengths, all under 128):
 * sized and written without a per-string test. */
static bool one_byte_lengths(const bg_ndarray *s, const size_t *lengths) {
  return lengths == s->string_lengths && s->string_longest < 0x80;
}

/* Payload bytes of the packed field (strings: every string field, keys included). */
static size_t payload_size(const bg_ndarray *s, const size_t *lengths) {
  size_t n = 0;
  switch (s->dtype) {
  case BG_DTYPE_BOOL: return s->count;
  case BG_DTYPE_FLOAT: return s->count * 4;
  case BG_DTYPE_DOUBLE: return s->count * 8;
  case BG_DTYPE_INT32: {
    const int32_t *v = s->data;
    for (size_t i = 0; i < s->count; i++)
      n += v[i] < 0 ? 10 : bgi_pb_varint_size((uint64_t)v[i]);
    return n;
  }
  case BG_DTYPE_INT64: return varint64_total(s->data, s->count);
  case BG_DTYPE_STRING: /* key, length, bytes */
    if (one_byte_lengths(s, lengths))
      return 2 * s->count + s->string_lengths_total;
    for (size_t i = 0; i < s->count; i++)
      n += 1 + (lengths[i] < 0x80 ? 1 : bgi_pb_varint_size(lengths[i])) + lengths[i];
    return n;
  default: return 0;
  }
}

/* Bytes of the Series message whose values field carries `payload` bytes. */
static size_t series_size(const bg_ndarray *s, size_t payload) {
  if (s->count == 0)
    return 0;
  return s->dtype == BG_DTYPE_STRING ? payload : 1 + bgi_pb_varint_size(payload) + payload;
}

/* Little-endian fixed-width elements: the array as it is on a little-endian host. */
static uint8_t *put_fixed(uint8_t *p, const void *data, size_t count, size_t width) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  memcpy(p, data, count * width);
  return p + count * width;
#else
  const uint8_t *src = data;
  for (size_t i = 0; i < count; i++, src += width)
    for (size_t b = 0; b < width; b++)
      *p++ = src[width - 1 - b];
  return p;
#endif
}

/* n bytes from src to dst: up to 16 as two fixed-size moves that may overlap (no call, and no
 * byte read or written outside the n), longer ones by memcpy. */
static inline void copy_short(uint8_t *dst, const char *src, size_t n) {
  if (n >= 8 && n <= 16) {
    uint64_t a, b;
    memcpy(&a, src, 8);
    memcpy(&b, src + n - 8, 8);
    memcpy(dst, &a, 8);
    memcpy(dst + n - 8, &b, 8);
  } else if (n >= 4 && n < 8) {
    uint32_t a, b;
    memcpy(&a, src, 4);
    memcpy(&b, src + n - 4, 4);
    memcpy(dst, &a, 4);
    memcpy(dst + n - 4, &b, 4);
  } else if (n > 16) {
    memcpy(dst, src, n);
  } else if (n > 0) { /* 1..3 */
    dst[0] = (uint8_t)src[0];
    dst[n / 2] = (uint8_t)src[n / 2];
    dst[n - 1] = (uint8_t)src[n - 1];
  }
}

/* An int64 element's varint: up to three bytes (values below 2^21) without the loop. */
static inline uint8_t *put_varint64(uint8_t *p, uint64_t v) {
  if (v < 0x80) {
    *p = (uint8_t)v;
    return p + 1;
  }
  if (v < 0x4000) {
    p[0] = (uint8_t)(v | 0x80);
    p[1] = (uint8_t)(v >> 7);
    return p + 2;
  }
  if (v < 0x200000) {
    p[0] = (uint8_t)(v | 0x80);
    p[1] = (uint8_t)(v >> 7 | 0x80);
    p[2] = (uint8_t)(v >> 14);
    return p + 3;
  }
  return put_varint(p, v);
}

static uint8_t *write_series(const bg_ndarray *s, size_t payload, const size_t *lengths,
                             uint8_t *p) {
  if (s->count == 0)
    return p;
  if (s->dtype == BG_DTYPE_STRING) {
    const char *const *v = s->data;
    if (one_byte_lengths(s, lengths)) {
      for (size_t i = 0; i < s->count; i++) {
        size_t len = lengths[i];
        p[0] = BGI_PB_TAG(BGI_PB_SERIES_STRING_VALUES, BGI_PB_LEN);
        p[1] = (uint8_t)len;
        copy_short(p + 2, v[i], len);
        p += 2 + len;
      }
      return p;
    }
    for (size_t i = 0; i < s->count; i++) {
      size_t len = lengths[i];
      *p++ = BGI_PB_TAG(BGI_PB_SERIES_STRING_VALUES, BGI_PB_LEN);
      if (len < 0x80)
        *p++ = (uint8_t)len;
      else
        p = put_varint(p, len);
      copy_short(p, v[i], len);
      p += len;
    }
    return p;
  }
  *p++ = (uint8_t)BGI_PB_TAG(bgi_series_field_of(s->dtype), BGI_PB_LEN);
  p = put_varint(p, payload);
  switch (s->dtype) {
  case BG_DTYPE_BOOL: {
    const bool *v = s->data;
    size_t i = 0;
    /* eight at a time when all are 0 or 1, as a bool array holds; any other byte as 1 */
    for (; s->count - i >= 8; i += 8) {
      uint64_t w;
      memcpy(&w, v + i, 8);
      if (w & ~(uint64_t)0x0101010101010101u)
        break;
      memcpy(p + i, &w, 8);
    }
    for (; i < s->count; i++)
      p[i] = v[i] ? 1 : 0;
    return p + s->count;
  }
  case BG_DTYPE_FLOAT: return put_fixed(p, s->data, s->count, 4);
  case BG_DTYPE_DOUBLE: return put_fixed(p, s->data, s->count, 8);
  case BG_DTYPE_INT32: {
    const int32_t *v = s->data;
    for (size_t i = 0; i < s->count; i++)
      p = put_varint(p, bgi_pb_int32_on_wire(v[i]));
    return p;
  }
  case BG_DTYPE_INT64: {
    const int64_t *v = s->data;
    for (size_t i = 0; i < s->count; i++)
      p = put_varint64(p, (uint64_t)v[i]);
    return p;
  }
  default: return p;
  }
}

bg_status bgi_frame_measure(bgi_frame_content *f, bgi_arena *arena, bg_error *err) {
  f->sizes = bgi_arena_alloc(arena, (f->count ? f->count : 1) * sizeof *f->sizes);
  f->string_lengths = bgi_arena_alloc(arena, (f->count ? f->count : 1) * sizeof(size_t *));
  if (!f->sizes || !f->string_lengths)
    return BGI_FAIL_NOMEM(err);
  size_t total = 0;
  for (size_t i = 0; i < f->count; i++) {
    const bg_ndarray *column = f->columns[i];
    if (!bgi_series_field_of(column->dtype))
      return bgi_fail(err, BG_ERR_INVALID_ARGUMENT, 0, "a Series cannot carry dtype %s",
                      bg_dtype_name(column->dtype) ? bg_dtype_name(column->dtype) : "(unknown)");
    f->string_lengths[i] = NULL;
    if (column->dtype == BG_DTYPE_STRING && column->count > 0 &&
        !(f->string_lengths[i] = string_lengths(column, arena)))
      return BGI_FAIL_NOMEM(err);
    f->sizes[i] = payload_size(column, f->string_lengths[i]);
    size_t series = series_size(column, f->sizes[i]);
    if (f->names) {
      size_t len = strlen(f->names[i]);
      total += 1 + bgi_pb_varint_size(len) + len + 1 + bgi_pb_varint_size(series) + series;
    } else {
      total += series;
    }
  }
  f->size = total;
  return BG_OK;
}

uint8_t *bgi_frame_write(const bgi_frame_content *f, uint8_t *p) {
  if (!f->names) /* a Series: its one column is the message */
    return f->count ? write_series(f->columns[0], f->sizes[0], f->string_lengths[0], p) : p;
  for (size_t i = 0; i < f->count; i++) { /* field 1 before field 2, as protobuf-c packs */
    size_t len = strlen(f->names[i]);
    *p++ = BGI_PB_TAG(BGI_PB_DATAFRAME_COLUMN_NAMES, BGI_PB_LEN);
    p = put_varint(p, len);
    memcpy(p, f->names[i], len);
    p += len;
  }
  for (size_t i = 0; i < f->count; i++) {
    *p++ = BGI_PB_TAG(BGI_PB_DATAFRAME_COLUMNS, BGI_PB_LEN);
    p = put_varint(p, series_size(f->columns[i], f->sizes[i]));
    p = write_series(f->columns[i], f->sizes[i], f->string_lengths[i], p);
  }
  return p;
}

bg_status bgi_frame_field_bytes(const bgi_frame_content *f, bgi_arena *arena,
                                ProtobufCBinaryData *out, bg_error *err) {
  size_t len = bgi_pb_varint_size(f->size) + f->size;
  uint8_t *bytes = bgi_arena_alloc(arena, len);
  if (!bytes)
    return BGI_FAIL_NOMEM(err);
  uint8_t *end = bgi_frame_write(f, put_varint(bytes, f->size));
  if ((size_t)(end - bytes) != len)
    return bgi_fail(err, BG_ERR_INTERNAL, 0, "a %s message took %zu bytes, %zu were measured",
                    f->names ? "DataFrame" : "Series", (size_t)(end - bytes), len);
  out->data = bytes;
  out->len = len;
  return BG_OK;
}

bg_status bgi_frame_request_pack(const char *api_name, unsigned field, const bgi_frame_content *f,
                                 grpc_byte_buffer **out, bg_error *err) {
  /* Request{1 api_name, <field> message}: proto3 leaves out an empty name */
  size_t name_len = strlen(api_name);
  size_t total = (name_len ? 1 + bgi_pb_varint_size(name_len) + name_len : 0) + 1 +
                 bgi_pb_varint_size(f->size) + f->size;
  grpc_slice slice = grpc_slice_malloc(total);
  uint8_t *start = GRPC_SLICE_START_PTR(slice), *p = start;
  if (name_len) {
    *p++ = BGI_PB_TAG(BGI_PB_REQUEST_API_NAME, BGI_PB_LEN);
    p = put_varint(p, name_len);
    memcpy(p, api_name, name_len);
    p += name_len;
  }
  *p++ = (uint8_t)BGI_PB_TAG(field, BGI_PB_LEN);
  p = put_varint(p, f->size);
  p = bgi_frame_write(f, p); /* the one copy of the elements */
  if ((size_t)(p - start) != total) {
    grpc_slice_unref(slice);
    return bgi_fail(err, BG_ERR_INTERNAL, 0, "a Request took %zu bytes, %zu were measured",
                    (size_t)(p - start), total);
  }
  *out = grpc_raw_byte_buffer_create(&slice, 1);
  grpc_slice_unref(slice);
  return BG_OK;
}
