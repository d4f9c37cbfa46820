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

/* protobuf-c parses nested messages recursively with no depth limit, so a hostile peer could
 * overflow the stack with a deeply nested Struct. This walks the bytes with the schema,
 * iteratively, and reports whether message nesting stays within BG_WIRE_MAX_DEPTH (the
 * limit protobuf's own parsers use). Malformed bytes are left for protobuf-c to refuse. */
static bool read_varint(const uint8_t **p, const uint8_t *end, uint64_t *v) {
  *v = 0;
  for (int shift = 0; shift < 64 && *p < end; shift += 7) {
    uint8_t b = *(*p)++;
    *v |= (uint64_t)(b & 0x7f) << shift;
    if (!(b & 0x80))
      return true;
  }
  return false;
}

static bool nesting_within_limit(const ProtobufCMessageDescriptor *descriptor, const uint8_t *data,
                                 size_t len) {
  struct frame {
    const ProtobufCMessageDescriptor *descriptor;
    const uint8_t *end;
  } stack[BG_WIRE_MAX_DEPTH];
  size_t depth = 0;
  stack[0] = (struct frame){descriptor, data + len};
  const uint8_t *p = data;
  for (;;) {
    while (p == stack[depth].end) {
      if (depth == 0)
        return true;
      depth--;
    }
    uint64_t key, n;
    if (!read_varint(&p, stack[depth].end, &key))
      return true;
    switch (key & 7) {
    case 0:
      if (!read_varint(&p, stack[depth].end, &n))
        return true;
      break;
    case 1:
    case 5: {
      size_t width = (key & 7) == 1 ? 8 : 4;
      if ((size_t)(stack[depth].end - p) < width)
        return true;
      p += width;
      break;
    }
    case 2: {
      if (!read_varint(&p, stack[depth].end, &n) || n > (uint64_t)(stack[depth].end - p))
        return true;
      const ProtobufCFieldDescriptor *field =
          protobuf_c_message_descriptor_get_field(stack[depth].descriptor, (unsigned)(key >> 3));
      if (field && field->type == PROTOBUF_C_TYPE_MESSAGE) {
        if (depth + 1 == BG_WIRE_MAX_DEPTH)
          return false;
        stack[++depth] = (struct frame){field->descriptor, p + n};
      } else {
        p += n;
      }
      break;
    }
    default: return true; /* groups or garbage: protobuf-c's to judge */
    }
  }
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
  if (!nesting_within_limit(descriptor, GRPC_SLICE_START_PTR(slice), GRPC_SLICE_LENGTH(slice))) {
    if (joined)
      grpc_slice_unref(slice);
    return bg_fail(err, BG_ERR_PROTOCOL, 0,
                   "%s: the server's reply nests messages deeper than %d levels; refused rather "
                   "than parsed",
                   what, BG_WIRE_MAX_DEPTH);
  }
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
