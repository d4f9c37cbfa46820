/* The resend of a File input that a server refused as `file` (PROTOCOL.md §4.6), built from
 * the packed Request alone: an async call no longer has the caller's input by then. */
#ifndef BGI_WIRE_FILE_AS_BYTES_H
#define BGI_WIRE_FILE_AS_BYTES_H

#include <grpc/byte_buffer.h>

#include "bentogrpc/common.h"
#include "wire/content.h"

/* Reads `request`, a packed Request of `protocol` (v1 or v1alpha1) whose content is `file`,
 * and packs a new one with the same api_name and the file's bytes as serialized_bytes into
 * *out (the caller destroys it). `request` is only read. It must still hold its bytes: gRPC
 * empties a byte buffer it sends (grpc_op_send_message), so pass a second reference taken
 * before the send (grpc_byte_buffer_copy shares the slices). BG_ERR_INTERNAL when `request` is
 * not such a Request (an empty buffer included): it is the library's own message. */
bg_status bgi_wire_request_file_as_bytes(const grpc_byte_buffer *request, bgi_protocol protocol,
                                         grpc_byte_buffer **out, bg_error *err);

#endif
