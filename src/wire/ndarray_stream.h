/* A fast path for the one large message that matters: a Response carrying a float or double
 * ndarray, decoded straight from gRPC's received slices into the output buffer (one copy),
 * instead of joining the slices (a copy) and letting protobuf-c parse them (another copy).
 * The output buffer is the caller's own when it fits (bg_call_options_set_output_buffer), so
 * a caller reusing it pays no page faults for fresh memory. */
#ifndef BGI_WIRE_NDARRAY_STREAM_H
#define BGI_WIRE_NDARRAY_STREAM_H

#include <grpc/byte_buffer.h>

#include "value/value_internal.h"

/* A caller's memory to decode the values into (bg_call_options_set_output_buffer): aligned
 * for double, `capacity` bytes; data NULL means none. */
typedef struct bgi_out_buffer {
  void *data;
  size_t capacity;
} bgi_out_buffer;

/* Tried on every ndarray reply: giving up on one it does not cover costs a few varint reads,
 * and the ones it covers skip protobuf-c's allocations.
 * Decodes `buffer` as Response{ndarray{dtype, shape, float_values | double_values}}.
 * With `into` (may be NULL) and values that fit in into->capacity bytes, they are written
 * there and *out borrows into->data (bg_value_free leaves it); otherwise into fresh memory
 * *out owns. `into` may be written also when this does not return BG_OK or *out does not use
 * it (the values are read before the message is known to be one this covers).
 * Returns BG_OK with *out set; BG_ERR_UNSUPPORTED (err untouched) when the message has any
 * other shape, so the caller falls back to protobuf-c; BG_ERR_PROTOCOL for malformed data. */
bg_status bgi_ndarray_stream_decode(grpc_byte_buffer *buffer, const bgi_out_buffer *into,
                                    bg_value **out, bg_error *err);

#endif
