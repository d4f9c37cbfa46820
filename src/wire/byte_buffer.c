#include <stdbool.h>

#include <grpc/byte_buffer_reader.h>
#include <grpc/slice.h>

#include "error_internal.h"
#include "wire/byte_buffer.h"

bg_status bg_wire_pack(const ProtobufCMessage *msg, grpc_byte_buffer **out, bg_error *err) {
  size_t size = protobuf_c_message_get_packed_size(msg);
  grpc_slice slice = grpc_slice_malloc(size);
  size_t written = protobuf_c_message_pack(msg, GRPC_SLICE_START_PTR(slice));
  if (written != size) {
    grpc_slice_unref(slice);
    return bg_fail(err, BG_ERR_INTERNAL, 0, "protobuf-c packed %zu bytes, expected %zu", written,
                   size);
  }
  *out = grpc_raw_byte_buffer_create(&slice, 1);
  grpc_slice_unref(slice);
  return BG_OK;
}

bg_status bg_wire_unpack(const ProtobufCMessageDescriptor *descriptor, grpc_byte_buffer *buffer,
                         const char *what, ProtobufCMessage **out, bg_error *err) {
  grpc_byte_buffer_reader reader;
  if (!grpc_byte_buffer_reader_init(&reader, buffer))
    return bg_fail(err, BG_ERR_PROTOCOL, 0,
                   "%s: the server sent a message that could not be read "
                   "(unsupported compression?)",
                   what);
  /* A small message arrives in one slice and is parsed in place; a large one is joined once. */
  grpc_slice slice;
  grpc_slice single;
  bool joined = true;
  if (grpc_byte_buffer_length(buffer) == 0 || buffer->data.raw.slice_buffer.count != 1 ||
      buffer->data.raw.compression != GRPC_COMPRESS_NONE) {
    slice = grpc_byte_buffer_reader_readall(&reader);
  } else {
    single = buffer->data.raw.slice_buffer.slices[0];
    slice = single;
    joined = false;
  }
  grpc_byte_buffer_reader_destroy(&reader);
  *out = protobuf_c_message_unpack(descriptor, NULL, GRPC_SLICE_LENGTH(slice),
                                   GRPC_SLICE_START_PTR(slice));
  size_t length = GRPC_SLICE_LENGTH(slice);
  if (joined)
    grpc_slice_unref(slice);
  if (!*out)
    return bg_fail(err, BG_ERR_PROTOCOL, 0,
                   "%s: the server's reply (%zu bytes) is not a valid protobuf message of that "
                   "type; is this a BentoML gRPC server of the expected protocol version?",
                   what, length);
  return BG_OK;
}
