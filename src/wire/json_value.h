/* JSON values (BG_VALUE_JSON) and their wire bytes: json_value.c. */
#ifndef BGI_WIRE_JSON_VALUE_H
#define BGI_WIRE_JSON_VALUE_H

#include <grpc/byte_buffer.h>

#include "bentogrpc/value.h"
#include "google/protobuf/struct.pb-c.h"
#include "wire/json_transcode.h"

/* A JSON value taking `wire`'s block (freed on failure). */
bg_value *bgi_json_value_adopt(const bgi_json_wire *wire, bg_error *err);

/* A JSON value's Value bytes with their length prefix in front: the value of a length-delimited
 * field, as protobuf-c packs an unknown field (borrowed from the value). */
void bgi_json_value_field(const bg_value *value, const uint8_t **bytes, size_t *size);

/* A server's Value as protobuf-c unpacked it, read by the tree-based reader (struct_json.h):
 * what it refuses is refused with its words (the caller makes them BG_ERR_PROTOCOL). */
bg_value *bgi_json_value_from_proto(const Google__Protobuf__Value *value, bg_error *err);

/* A Call reply that is exactly Response{json} (of `response_type`, v1 or v1alpha1), read
 * without protobuf-c: one copy of the Value bytes, checked (bgi_json_wire_valid), kept.
 * BG_ERR_UNSUPPORTED when it is anything else, compressed, or bytes the fast reader does not
 * take: the caller unpacks it the general way, which decides. */
bg_status bgi_json_reply_decode(const ProtobufCMessageDescriptor *response_type,
                                grpc_byte_buffer *buffer, bg_value **out, bg_error *err);

#endif
