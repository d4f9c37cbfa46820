#include <malloc.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include <grpc/byte_buffer_reader.h>
#include <grpc/slice.h>

#include "error_internal.h"
#include "wire/byte_buffer.h"
#include "wire/pb_raw.h"

bg_status bgi_wire_pack(const ProtobufCMessage *msg, grpc_byte_buffer **out, bg_error *err) {
  size_t size = protobuf_c_message_get_packed_size(msg);
  grpc_slice slice = grpc_slice_malloc(size);
  size_t written = protobuf_c_message_pack(msg, GRPC_SLICE_START_PTR(slice));
  if (written != size) {
    grpc_slice_unref(slice);
    return bgi_fail(err, BG_ERR_INTERNAL, 0, "protobuf-c packed %zu bytes, expected %zu", written,
                    size);
  }
  *out = grpc_raw_byte_buffer_create(&slice, 1);
  grpc_slice_unref(slice);
  return BG_OK;
}

/* protobuf-c parses nested messages recursively with no depth limit, so a hostile peer could
 * overflow the stack with a deeply nested Struct. This walks the bytes with the schema,
 * iteratively, and reports whether message nesting stays within BGI_WIRE_MAX_DEPTH (the
 * limit protobuf's own parsers use). Malformed bytes are left for protobuf-c to refuse. */
static bool nesting_within_limit(const ProtobufCMessageDescriptor *descriptor, const uint8_t *data,
                                 size_t len) {
  struct frame {
    const ProtobufCMessageDescriptor *descriptor;
    const uint8_t *end;
  } stack[BGI_WIRE_MAX_DEPTH];
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
    if (!bgi_pb_read_varint(&p, stack[depth].end, &key))
      return true;
    switch (key & 7) {
    case BGI_PB_VARINT:
      if (!bgi_pb_read_varint(&p, stack[depth].end, &n))
        return true;
      break;
    case BGI_PB_I64:
    case BGI_PB_I32: {
      size_t width = (key & 7) == BGI_PB_I64 ? 8 : 4;
      if ((size_t)(stack[depth].end - p) < width)
        return true;
      p += width;
      break;
    }
    case BGI_PB_LEN: {
      if (!bgi_pb_read_varint(&p, stack[depth].end, &n) || n > (uint64_t)(stack[depth].end - p))
        return true;
      const ProtobufCFieldDescriptor *field =
          protobuf_c_message_descriptor_get_field(stack[depth].descriptor, (unsigned)(key >> 3));
      if (field && field->type == PROTOBUF_C_TYPE_MESSAGE) {
        if (depth + 1 == BGI_WIRE_MAX_DEPTH)
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

/* protobuf-c decodes a string field into len+1 bytes ending in NUL and keeps no length, so
 * an embedded NUL would silently cut the text. Every block protobuf-c allocates while
 * unpacking carries a trailer after the bytes it asked for: its size and the size XOR a
 * per-process secret (a server cannot forge one inside its text). The block is still plain
 * malloc memory, freed with free() wherever decoders take buffers out of the message. */
typedef struct trailer {
  size_t size, check;
} trailer;

static size_t secret;
static pthread_once_t secret_once = PTHREAD_ONCE_INIT;
static void make_secret(void) {
  if (getrandom(&secret, sizeof secret, GRND_NONBLOCK) != (ssize_t)sizeof secret)
    secret = (size_t)time(NULL) ^ (size_t)(uintptr_t)&secret ^ (size_t)0x9E3779B97F4A7C15u;
}

/* `data` is a bool set when malloc fails, so that running out of memory while unpacking is
 * not blamed on the server's bytes. */
static void *trailer_alloc(void *data, size_t size) {
  if (size > SIZE_MAX - sizeof(trailer))
    return NULL;
  unsigned char *p = malloc(size + sizeof(trailer));
  if (p) {
    trailer t = {size, size ^ secret};
    memcpy(p + size, &t, sizeof t);
  } else {
    *(bool *)data = true;
  }
  return p;
}

static void trailer_free(void *data, void *p) {
  (void)data;
  free(p);
}

size_t bgi_wire_string_length(const char *s) {
  if (!s || s == protobuf_c_empty_string)
    return 0;
  size_t n = strlen(s);
  size_t usable = malloc_usable_size((void *)s); /* reads stay inside the block */
  for (size_t i = n; i + 1 + sizeof(trailer) <= usable; i++) {
    if (s[i] != '\0')
      continue;
    trailer t;
    memcpy(&t, s + i + 1, sizeof t);
    if (t.size == i + 1 && t.check == (t.size ^ secret))
      return i;
  }
  return n; /* not from bgi_wire_unpack: its C string is all there is */
}

bg_status bgi_wire_string_nul_error(size_t index, bg_error *err) {
  return bgi_fail(err, BG_ERR_PROTOCOL, 0,
                  "string element %zu in the server's reply contains a NUL byte; string arrays "
                  "carry NUL-terminated UTF-8 here",
                  index);
}

bg_status bgi_wire_strings_check(char *const *strings, size_t count, bg_error *err) {
  for (size_t i = 0; i < count; i++)
    if (bgi_wire_string_length(strings[i]) != strlen(strings[i]))
      return bgi_wire_string_nul_error(i, err);
  return BG_OK;
}

bg_status bgi_wire_unpack(const ProtobufCMessageDescriptor *descriptor, grpc_byte_buffer *buffer,
                          const char *what, ProtobufCMessage **out, bg_error *err) {
  grpc_byte_buffer_reader reader;
  if (!grpc_byte_buffer_reader_init(&reader, buffer))
    return bgi_fail(err, BG_ERR_PROTOCOL, 0,
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
    return bgi_fail(err, BG_ERR_PROTOCOL, 0,
                    "%s: the server's reply nests messages deeper than %d levels; refused rather "
                    "than parsed",
                    what, BGI_WIRE_MAX_DEPTH);
  }
  pthread_once(&secret_once, make_secret);
  bool out_of_memory = false;
  ProtobufCAllocator allocator = {trailer_alloc, trailer_free, &out_of_memory};
  *out = protobuf_c_message_unpack(descriptor, &allocator, GRPC_SLICE_LENGTH(slice),
                                   GRPC_SLICE_START_PTR(slice));
  size_t length = GRPC_SLICE_LENGTH(slice);
  if (joined)
    grpc_slice_unref(slice);
  if (!*out && out_of_memory)
    return BGI_FAIL_NOMEM(err);
  if (!*out)
    return bgi_fail(err, BG_ERR_PROTOCOL, 0,
                    "%s: the server's reply (%zu bytes) is not a valid protobuf message of that "
                    "type; is this a BentoML gRPC server of the expected protocol version?",
                    what, length);
  return BG_OK;
}
