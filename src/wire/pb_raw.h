/* The one home of hand-rolled protobuf bytes (the hot paths that bypass protobuf-c:
 * ndarray_request.c, ndarray_stream.c, tabular_request.c, tabular_reply.c, the nesting check in
 * byte_buffer.c, discovery's NUL-name scan): wire types, the tag macro, named field numbers
 * (PROTOCOL.md §2) and one varint reader, writer and size. */
#ifndef BGI_WIRE_PB_RAW_H
#define BGI_WIRE_PB_RAW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum { BGI_PB_VARINT = 0, BGI_PB_I64 = 1, BGI_PB_LEN = 2, BGI_PB_I32 = 5 };

/* The key of field `field` with wire type `wire`, as it appears on the wire (one byte for
 * fields 1..15). */
#define BGI_PB_TAG(field, wire) ((unsigned)(field) << 3 | (unsigned)(wire))

/* Field numbers (PROTOCOL.md §2.1, §2.2, §2.8, §2.11). */
enum {
  BGI_PB_REQUEST_API_NAME = 1,
  BGI_PB_REQUEST_NDARRAY = 3,
  BGI_PB_RESPONSE_NDARRAY = 1,
  BGI_PB_NDARRAY_DTYPE = 1,
  BGI_PB_NDARRAY_SHAPE = 2,
  BGI_PB_NDARRAY_FLOAT_VALUES = 3,
  BGI_PB_NDARRAY_DOUBLE_VALUES = 4,
  BGI_PB_METADATA_APIS = 2,
  BGI_PB_API_NAME = 1,
  /* PROTOCOL.md §2.1, §2.2, §2.6, §2.7: the same numbers in v1 and v1alpha1 */
  BGI_PB_REQUEST_DATAFRAME = 5,
  BGI_PB_REQUEST_SERIES = 6,
  BGI_PB_RESPONSE_DATAFRAME = 3,
  BGI_PB_RESPONSE_SERIES = 5,
  BGI_PB_DATAFRAME_COLUMN_NAMES = 1,
  BGI_PB_DATAFRAME_COLUMNS = 2,
  BGI_PB_SERIES_BOOL_VALUES = 1,
  BGI_PB_SERIES_FLOAT_VALUES = 2,
  BGI_PB_SERIES_INT32_VALUES = 3,
  BGI_PB_SERIES_DOUBLE_VALUES = 4,
  BGI_PB_SERIES_STRING_VALUES = 5,
  BGI_PB_SERIES_INT64_VALUES = 6
};

/* A varint read one byte at a time (for readers whose bytes span slices). */
typedef struct bgi_pb_varint {
  uint64_t value;
  unsigned shift;
} bgi_pb_varint;

/* Adds byte `b`: 1 when the varint is complete (in acc->value), 0 when more bytes follow,
 * -1 when it is longer than 10 bytes. Start with acc = {0}. */
static inline int bgi_pb_varint_push(bgi_pb_varint *acc, uint8_t b) {
  if (acc->shift >= 64)
    return -1;
  acc->value |= (uint64_t)(b & 0x7f) << acc->shift;
  acc->shift += 7;
  return (b & 0x80) ? 0 : 1;
}

/* Reads a varint from [*p, end), advancing *p; false when cut short or too long. */
static inline bool bgi_pb_read_varint(const uint8_t **p, const uint8_t *end, uint64_t *value) {
  bgi_pb_varint acc = {0};
  while (*p < end) {
    int done = bgi_pb_varint_push(&acc, *(*p)++);
    if (done) {
      *value = acc.value;
      return done > 0;
    }
  }
  return false;
}

/* The bytes bgi_pb_put_varint() writes for `value`: 1 + (bits - 1) / 7, without a loop (the
 * encoders size every element of a column with it). */
static inline size_t bgi_pb_varint_size(uint64_t value) {
  /* 63 ^ clz is the top bit's index (clz is 0..63): one bsr, where 63 - clz took three more */
  return ((size_t)(63 ^ __builtin_clzll(value | 1)) * 9 + 73) >> 6;
}

/* An int32 goes out as the varint of its sign-extended 64-bit value (10 bytes if negative). */
static inline uint64_t bgi_pb_int32_on_wire(int32_t value) { return (uint64_t)(int64_t)value; }

/* Writes `value` as a varint at p (room for 10 bytes); returns the bytes written. */
static inline size_t bgi_pb_put_varint(uint8_t *p, uint64_t value) {
  size_t n = 0;
  do {
    p[n++] = (uint8_t)((value & 0x7f) | (value > 0x7f ? 0x80 : 0));
    value >>= 7;
  } while (value);
  return n;
}

#endif
