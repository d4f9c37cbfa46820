/* bg_ndarray <-> bentoml.grpc.v1.NDArray. */
#ifndef BGI_WIRE_NDARRAY_WIRE_H
#define BGI_WIRE_NDARRAY_WIRE_H

#include "value/value_internal.h"
#include "wire/arena.h"
#include "wire/proto.h"

/* Builds an NDArray message in `arena` that points at `nd`'s elements without copying them
 * (one-byte bools are widened to protobuf-c's int bools in the arena). The message must not
 * outlive `nd` or the arena. Always sets dtype, shape and exactly one values field. */
bg_status bgi_ndarray_to_proto(const bg_ndarray *nd, bgi_arena *arena, bgi_pb_ndarray **out,
                               bg_error *err);

/* Builds a value from a decoded NDArray, taking its element array out of `msg` (no copy for
 * numeric and string dtypes), so `msg` must be a protobuf-c unpacked message allocated with
 * the default allocator. Follows the server's rules: dtype 0 infers the dtype from the one
 * non-empty values field; an empty shape means 1-D. */
bg_status bgi_ndarray_from_proto(bgi_pb_ndarray *msg, bg_value **out, bg_error *err);

#endif
