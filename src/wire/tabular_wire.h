/* Series and DataFrame values <-> bentoml.grpc.v1.Series / DataFrame.
 *
 * Sending (tabular_request.c): a bgi_frame_content is measured once, then written straight
 * into the Request's one slice, byte-identical to protobuf-c's packing, with no message tree
 * and no widened copy. Receiving (tabular_reply.c): a Response{dataframe} or Response{series}
 * is read straight from gRPC's slices into one block per column; the tree-based decoders below
 * remain for what that reader leaves to protobuf-c (BG_ERR_UNSUPPORTED) and for multipart
 * parts. */
#ifndef BGI_WIRE_TABULAR_WIRE_H
#define BGI_WIRE_TABULAR_WIRE_H

#include <grpc/byte_buffer.h>

#include "value/value_internal.h"
#include "wire/arena.h"
#include "wire/content.h"
#include "wire/pb_raw.h"
#include "wire/proto.h"

/* The one map between a series dtype and the Series values field that carries it (PROTOCOL.md
 * §2.7), in field-number order: X(dtype, field number, protobuf-c member). The direct writer
 * (tabular_request.c), the direct reader (tabular_reply.c) and the tree reader (tabular_wire.c)
 * read it through the views below and BGI_SERIES_VALUES_FIELDS itself; a dtype not listed is
 * one a Series cannot carry. */
#define BGI_SERIES_VALUES_FIELDS(X)                                                                \
  X(BG_DTYPE_BOOL, BGI_PB_SERIES_BOOL_VALUES, bool_values)                                         \
  X(BG_DTYPE_FLOAT, BGI_PB_SERIES_FLOAT_VALUES, float_values)                                      \
  X(BG_DTYPE_INT32, BGI_PB_SERIES_INT32_VALUES, int32_values)                                      \
  X(BG_DTYPE_DOUBLE, BGI_PB_SERIES_DOUBLE_VALUES, double_values)                                   \
  X(BG_DTYPE_STRING, BGI_PB_SERIES_STRING_VALUES, string_values)                                   \
  X(BG_DTYPE_INT64, BGI_PB_SERIES_INT64_VALUES, int64_values)

/* Arrays indexed by values field number have BGI_SERIES_FIELDS entries (the fields are 1..6,
 * entry 0 unused). */
#define BGI_SERIES_PLUS_ONE(dtype, field, member) +1
enum { BGI_SERIES_FIELDS = 1 BGI_SERIES_VALUES_FIELDS(BGI_SERIES_PLUS_ONE) };
#undef BGI_SERIES_PLUS_ONE
#define BGI_SERIES_FIELD_IN_RANGE(dtype, field, member)                                            \
  _Static_assert((int)(field) >= 1 && (int)(field) < (int)BGI_SERIES_FIELDS, "fields are 1..n");
BGI_SERIES_VALUES_FIELDS(BGI_SERIES_FIELD_IN_RANGE)
#undef BGI_SERIES_FIELD_IN_RANGE

/* The values field that carries `dtype`; 0 for a dtype a Series cannot carry. */
static inline unsigned bgi_series_field_of(bg_dtype dtype) {
  switch (dtype) {
#define BGI_SERIES_FIELD_OF(d, field, member)                                                      \
  case d: return field;
    BGI_SERIES_VALUES_FIELDS(BGI_SERIES_FIELD_OF)
#undef BGI_SERIES_FIELD_OF
  default: return 0;
  }
}

/* The dtype values field `field` carries (1 <= field < BGI_SERIES_FIELDS: a values field). */
static inline bg_dtype bgi_series_dtype_of(unsigned field) {
#define BGI_SERIES_DTYPE_AT(dtype, f, member) [f] = dtype,
  static const bg_dtype dtypes[BGI_SERIES_FIELDS] = {BGI_SERIES_VALUES_FIELDS(BGI_SERIES_DTYPE_AT)};
#undef BGI_SERIES_DTYPE_AT
  return dtypes[field];
}

/* Sets f->sizes (in `arena`) and f->size, the bytes of the DataFrame message (names set) or
 * of the one column's Series message (names NULL). BG_ERR_INVALID_ARGUMENT for a dtype a
 * Series cannot carry. */
bg_status bgi_frame_measure(bgi_frame_content *f, bgi_arena *arena, bg_error *err);

/* Writes the measured message at p (f->size bytes); returns its end. */
uint8_t *bgi_frame_write(const bgi_frame_content *f, uint8_t *p);

/* The measured message as the value of a length-delimited field (varint length, then the
 * message) in `arena`: what protobuf-c writes for an unknown field, so a Part or Request
 * packed by protobuf-c carries it as if the member were set. */
bg_status bgi_frame_field_bytes(const bgi_frame_content *f, bgi_arena *arena,
                                ProtobufCBinaryData *out, bg_error *err);

/* Packs Request{api_name, <field> = the measured message} into one slice (the one copy of the
 * elements); `field` is BGI_PB_REQUEST_DATAFRAME or BGI_PB_REQUEST_SERIES. */
bg_status bgi_frame_request_pack(const char *api_name, unsigned field, const bgi_frame_content *f,
                                 grpc_byte_buffer **out, bg_error *err);

/* Reads a Call reply that is exactly Response{dataframe} (member BGI_MEMBER_DATAFRAME) or
 * Response{series} (BGI_MEMBER_SERIES; an all-empty Series gets `empty_dtype`) from gRPC's
 * slices, with the rules and messages of the tree-based decoders below. BG_ERR_UNSUPPORTED
 * (err untouched) when the message is anything else, compressed, or holds bytes protobuf-c
 * might read otherwise: the caller unpacks it the general way, which decides. */
bg_status bgi_tabular_reply_decode(grpc_byte_buffer *buffer, bgi_member member,
                                   bg_dtype empty_dtype, bg_value **out, bg_error *err);

/* The refusals both readers of a Series / DataFrame reply give (the tree reader here, the
 * direct one in tabular_reply.c), worded once so that a reply is refused alike by either. */
bg_status bgi_series_mixed_error(size_t non_empty, bg_error *err);
bg_status bgi_frame_names_error(size_t names, size_t columns, bg_error *err);
bg_status bgi_frame_name_nul_error(size_t index, bg_error *err);

/* A series value from a decoded message, taking its array. Exactly one values field may be
 * non-empty; when all are empty the series is empty with dtype `empty_dtype`. */
bg_status bgi_series_from_proto(Bentoml__Grpc__V1__Series *msg, bg_dtype empty_dtype,
                                bg_value **out, bg_error *err);

/* A dataframe value from a decoded message (columns taken over). */
bg_status bgi_dataframe_from_proto(Bentoml__Grpc__V1__DataFrame *msg, bg_value **out,
                                   bg_error *err);

#endif
