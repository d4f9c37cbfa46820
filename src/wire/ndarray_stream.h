/* A fast path for the one large message that matters: a Response carrying a float or double
 * ndarray, decoded straight from gRPC's received slices into the output buffer (one copy),
 * instead of joining the slices (a copy) and letting protobuf-c parse them (another copy). */
#ifndef BGI_WIRE_NDARRAY_STREAM_H
#define BGI_WIRE_NDARRAY_STREAM_H

#include <grpc/byte_buffer.h>

#include "value/value_internal.h"

/* Tried on every ndarray reply: giving up on one it does not cover costs a few varint reads,
 * and the ones it covers skip protobuf-c's allocations.
 * Decodes `buffer` as Response{ndarray{dtype, shape, float_values | double_values}}.
 * Returns BG_OK with *out set; BG_ERR_UNSUPPORTED (err untouched) when the message has any
 * other shape, so the caller falls back to protobuf-c; BG_ERR_PROTOCOL for malformed data. */
bg_status bgi_ndarray_stream_decode(grpc_byte_buffer *buffer, bg_value **out, bg_error *err);

#endif
