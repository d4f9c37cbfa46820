/* protobuf-c messages <-> gRPC byte buffers. */
#ifndef BGI_WIRE_BYTE_BUFFER_H
#define BGI_WIRE_BYTE_BUFFER_H

#include <grpc/byte_buffer.h>
#include <protobuf-c/protobuf-c.h>

#include "bentogrpc/common.h"

/* Serialises `msg` straight into one freshly allocated slice (the only copy of payload bytes
 * on the way out) and wraps it in a byte buffer the caller destroys. */
bg_status bgi_wire_pack(const ProtobufCMessage *msg, grpc_byte_buffer **out, bg_error *err);

/* Deepest message nesting accepted from the network (protobuf's usual recursion limit). */
#define BGI_WIRE_MAX_DEPTH 100

/* Parses `buffer` as a message of `descriptor`, refusing nesting deeper than
 * BGI_WIRE_MAX_DEPTH before protobuf-c (which recurses without a limit) sees it. Free the result
 * with protobuf_c_message_free_unpacked(*out, NULL). `what` names the message in errors. */
bg_status bgi_wire_unpack(const ProtobufCMessageDescriptor *descriptor, grpc_byte_buffer *buffer,
                          const char *what, ProtobufCMessage **out, bg_error *err);

/* The length on the wire of a string field of a message from bgi_wire_unpack(), which may hold
 * NUL bytes protobuf-c's C string hides (strlen() for any other malloc'd string; 0 for
 * protobuf_c_empty_string). Bytes up to that length are readable. */
size_t bgi_wire_string_length(const char *s);

/* The refusal of a reply's string element `index` that holds a NUL byte (BG_ERR_PROTOCOL), in
 * the words every reader of string arrays uses. */
bg_status bgi_wire_string_nul_error(size_t index, bg_error *err);

/* BG_ERR_PROTOCOL naming the first of `strings` (from bgi_wire_unpack()) that holds a NUL. */
bg_status bgi_wire_strings_check(char *const *strings, size_t count, bg_error *err);

#endif
