/* libFuzzer target: arbitrary bytes as JSON text and as UTF-8 text given by a caller, and as a
 * server's google.protobuf.Value bytes. The JSON paths are compared with the tree-based pipeline
 * the library had (json_oracle.c): the same acceptance and error message for text, the same
 * Value bytes (protobuf-c's packing) and texts; for a server's bytes the same acceptance and
 * texts whichever way the reply went (fast reader or protobuf-c), and the bytes of a value sent
 * again read back as the same text. A difference aborts. */
#include <bentogrpc/bentogrpc.h>
#include <grpc/byte_buffer.h>
#include <grpc/grpc.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "descriptors/descriptor.h"
#include "json_oracle.h"
#include "value/value_internal.h"
#include "wire/byte_buffer.h"
#include "wire/json_value.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  grpc_init();
  return 0;
}

static void differ(const char *what, const char *old, const char *now) {
  fprintf(stderr, "fuzz_json: %s differs\n  before: %s\n  now:    %s\n", what, old ? old : "-",
          now ? now : "-");
  abort();
}

static void same_text(const char *what, const char *old, const char *now) {
  if (!old || !now || strcmp(old, now) != 0)
    differ(what, old, now);
}

/* Response{json = value} in two slices (the fast reader must join them). */
static grpc_byte_buffer *response_of(const uint8_t *value, size_t size) {
  uint8_t head[6];
  size_t n = 0, v = size;
  head[n++] = 0x42;
  do {
    head[n++] = (uint8_t)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
    v >>= 7;
  } while (v);
  size_t half = size / 2;
  uint8_t *first = malloc(n + half + 1);
  if (!first)
    abort();
  memcpy(first, head, n);
  if (half)
    memcpy(first + n, value, half);
  grpc_slice slices[2] = {grpc_slice_from_copied_buffer((const char *)first, n + half),
                          grpc_slice_from_copied_buffer((const char *)value + half, size - half)};
  free(first);
  grpc_byte_buffer *bb = grpc_raw_byte_buffer_create(slices, 2);
  grpc_slice_unref(slices[0]);
  grpc_slice_unref(slices[1]);
  return bb;
}

/* A JSON reply as a Call decodes it (client/call.c): fast, else protobuf-c. */
static bg_value *decode_reply(const uint8_t *value, size_t size, bg_error *err) {
  grpc_byte_buffer *bb = response_of(value, size);
  bg_value *out = NULL;
  bg_status st = bgi_json_reply_decode(&bentoml__grpc__v1__response__descriptor, bb, &out, err);
  if (st != BG_ERR_UNSUPPORTED) {
    grpc_byte_buffer_destroy(bb);
    if ((st == BG_OK) != (out != NULL))
      abort();
    return out;
  }
  ProtobufCMessage *msg = NULL;
  st = bgi_wire_unpack(&bentoml__grpc__v1__response__descriptor, bb, "fuzz", &msg, err);
  grpc_byte_buffer_destroy(bb);
  if (st != BG_OK)
    return NULL;
  bgi_content content;
  bgi_codec_ctx ctx = {.protocol = BGI_PROTOCOL_V1};
  if (bgi_content_from_response(msg, BGI_PROTOCOL_V1, &content, err) == BG_OK)
    st = bgi_descriptor_decode(&bgi_json_descriptor, NULL, &content, &ctx, &out, err);
  protobuf_c_message_free_unpacked(msg, NULL);
  if (st != BG_OK && st != BG_ERR_PROTOCOL)
    differ("a reply's error code", "BG_ERR_PROTOCOL", bg_status_name(st));
  return out;
}

/* A server's Value bytes: the same acceptance and texts as the tree-based reader. */
static void compare_reply(const uint8_t *data, size_t size) {
  char message[1024];
  oracle_json want;
  bool want_ok = oracle_read(data, size, &want, message, sizeof message);
  bg_error err;
  bg_value *v = decode_reply(data, size, &err);
  if (!want_ok) {
    if (v)
      differ("a reply the tree-based reader refused", message, bg_json_text(v));
    return;
  }
  if (!v)
    differ("a reply the tree-based reader took", want.compact, err.message);
  same_text("a reply's text", want.compact, bg_json_text(v));
  char *pretty = bg_json_format(v, 2);
  same_text("a reply's indented text", want.pretty, pretty);
  bg_string_free(pretty);
  /* the value sent again (its bytes as they are) reads back as the same text */
  oracle_json again;
  if (!oracle_read(v->as.json.bytes, v->as.json.size, &again, message, sizeof message))
    differ("a reply's bytes sent again", want.compact, message);
  same_text("a reply's bytes sent again", want.compact, again.compact);
  oracle_json_fini(&again);
  oracle_json_fini(&want);
  bg_value_free(v);
}

/* JSON text: bg_json_parse as it was, then its bytes through the reply path. */
static void compare_text(const uint8_t *data, size_t size) {
  char message[1024];
  oracle_json want;
  bool want_ok = oracle_parse((const char *)data, size, &want, message, sizeof message);
  bg_error err;
  bg_value *v = bg_json_parse((const char *)data, size, &err);
  if (!want_ok) {
    if (v)
      differ("text bg_json_parse refused", message, bg_json_text(v));
    same_text("bg_json_parse's error", message, err.message);
    return;
  }
  if (!v)
    differ("text bg_json_parse took", want.compact, err.message);
  if (v->as.json.size != want.size || memcmp(v->as.json.bytes, want.bytes, want.size) != 0)
    differ("the Value bytes of text", "protobuf-c's packing", "the encoder's");
  same_text("the text of parsed JSON", want.compact, bg_json_text(v));
  char *pretty = bg_json_format(v, 2);
  same_text("the indented text of parsed JSON", want.pretty, pretty);
  bg_string_free(pretty);
  compare_reply(v->as.json.bytes, v->as.json.size); /* what a server echoing it sends back */
  oracle_json_fini(&want);
  bg_value_free(v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  compare_text(data, size);
  compare_reply(data, size);
  bg_value_free(bg_text_new((const char *)data, size, NULL));
  return 0;
}
