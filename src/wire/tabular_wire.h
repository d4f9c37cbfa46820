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
#include "wire/proto.h"

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
