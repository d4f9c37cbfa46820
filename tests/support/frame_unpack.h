/* What a hand-written DataFrame or Series (bgi_frame_content, wire/tabular_request.c) packs
 * to, read back by protobuf-c: tests check what goes out as a message tree. */
#ifndef BGT_FRAME_UNPACK_H
#define BGT_FRAME_UNPACK_H

#include <cmocka.h>

#include "wire/pb_raw.h"
#include "wire/tabular_wire.h"

/* The frame's message (a DataFrame for BGI_MEMBER_DATAFRAME, else a Series), unpacked by
 * protobuf-c; fails the test when it cannot be. Free with protobuf_c_message_free_unpacked. */
static inline ProtobufCMessage *bgt_frame_unpack(const bgi_frame_content *frame,
                                                 bgi_member member) {
  bgi_arena arena;
  bgi_arena_init(&arena);
  ProtobufCBinaryData bytes;
  bg_error err;
  assert_int_equal(bgi_frame_field_bytes(frame, &arena, &bytes, &err), BG_OK);
  const uint8_t *p = bytes.data;
  uint64_t n = 0;
  assert_true(bgi_pb_read_varint(&p, bytes.data + bytes.len, &n));
  assert_int_equal(n, frame->size);
  assert_int_equal((size_t)(bytes.data + bytes.len - p), n); /* the length prefix says it all */
  ProtobufCMessage *m = protobuf_c_message_unpack(member == BGI_MEMBER_DATAFRAME
                                                      ? &bentoml__grpc__v1__data_frame__descriptor
                                                      : &bentoml__grpc__v1__series__descriptor,
                                                  NULL, (size_t)n, p);
  assert_non_null(m);
  bgi_arena_fini(&arena);
  return m;
}

#endif
