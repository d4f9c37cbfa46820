/* The DataFrame/Series codec without protobuf-c (wire/tabular_request.c, wire/tabular_reply.c):
 * what goes out is byte for byte what protobuf-c packs; what comes back is read as
 * protobuf-c's path reads it (tests/fuzz/tabular_oracle.c), whatever the slices gRPC cut the
 * message into: every dtype, empty frames and strings, non-ASCII text, unpacked and split
 * repeated fields, unknown fields, bytes protobuf-c refuses (left to it), and the refusals of
 * the tree-based decoder with its words. */
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>
#include <grpc/byte_buffer_reader.h>
#include <grpc/grpc.h>
#include <grpc/slice.h>

#include "test_assert.h"

#include "descriptors/descriptor.h"
#include "frame_unpack.h"
#include "tabular_oracle.h"
#include "wire/pb_raw.h"
#include "wire/tabular_wire.h"

/* ---- bytes by hand ---- */

typedef struct bytes {
  uint8_t data[4096];
  size_t len;
} bytes;

static void put(bytes *b, const void *p, size_t n) {
  assert_true(b->len + n <= sizeof b->data);
  memcpy(b->data + b->len, p, n);
  b->len += n;
}
static void put_varint(bytes *b, uint64_t v) {
  uint8_t tmp[10];
  put(b, tmp, bgi_pb_put_varint(tmp, v));
}
static void put_key(bytes *b, unsigned field, unsigned wire) {
  put_varint(b, BGI_PB_TAG(field, wire));
}
static void put_field(bytes *b, unsigned field, const void *p, size_t n) {
  put_key(b, field, BGI_PB_LEN);
  put_varint(b, n);
  put(b, p, n);
}
static void put_message(bytes *b, unsigned field, const bytes *m) {
  put_field(b, field, m->data, m->len);
}
static void put_text(bytes *b, unsigned field, const char *s) { put_field(b, field, s, strlen(s)); }

/* `message` as a Response's `member` field. */
static bytes response(bgi_member member, const bytes *message) {
  bytes r = {.len = 0};
  put_message(&r,
              member == BGI_MEMBER_DATAFRAME ? BGI_PB_RESPONSE_DATAFRAME : BGI_PB_RESPONSE_SERIES,
              message);
  return r;
}

/* The bytes in slices of `cut` bytes (0: one slice), as gRPC may hand them over. */
static grpc_byte_buffer *in_slices(const bytes *b, size_t cut) {
  grpc_slice slices[4096];
  size_t n = 0, step = cut ? cut : (b->len ? b->len : 1);
  for (size_t at = 0; at < b->len || n == 0; at += step) {
    size_t len = b->len - at < step ? b->len - at : step;
    slices[n++] = grpc_slice_from_copied_buffer((const char *)b->data + at, len);
  }
  grpc_byte_buffer *bb = grpc_raw_byte_buffer_create(slices, n);
  for (size_t i = 0; i < n; i++)
    grpc_slice_unref(slices[i]);
  return bb;
}

/* Both decoders agree on `reply` however it is cut (one slice; slices of 1, 2, 3 and 7 bytes;
 * two slices split anywhere), and the direct reader's status is always `want`. */
static void assert_agree(const bytes *reply, bgi_member member, bg_dtype empty, bg_status want) {
  size_t cuts[] = {0, 1, 2, 3, 7};
  for (size_t i = 0; i < sizeof cuts / sizeof cuts[0] + reply->len; i++) {
    grpc_byte_buffer *bb;
    if (i < sizeof cuts / sizeof cuts[0]) {
      bb = in_slices(reply, cuts[i]);
    } else { /* two slices: [0, k) and [k, len) */
      size_t k = i - sizeof cuts / sizeof cuts[0];
      grpc_slice two[2] = {
          grpc_slice_from_copied_buffer((const char *)reply->data, k),
          grpc_slice_from_copied_buffer((const char *)reply->data + k, reply->len - k)};
      bb = grpc_raw_byte_buffer_create(two, 2);
      grpc_slice_unref(two[0]);
      grpc_slice_unref(two[1]);
    }
    bg_status direct;
    const char *why = tabular_disagreement(bb, member, empty, &direct);
    grpc_byte_buffer_destroy(bb);
    if (why)
      fail_msg("cut %zu: %s", i, why);
    if (direct != want)
      fail_msg("cut %zu: the direct reader returned %d, not %d", i, (int)direct, (int)want);
  }
}

/* The direct reader's value for `reply` (one slice), which must decode. */
static bg_value *decode(const bytes *reply, bgi_member member, bg_dtype empty) {
  grpc_byte_buffer *bb = in_slices(reply, 0);
  bg_value *out = NULL;
  bg_error err;
  bg_status st = bgi_tabular_reply_decode(bb, member, empty, &out, &err);
  grpc_byte_buffer_destroy(bb);
  if (st != BG_OK)
    fail_msg("decode: %d %s", (int)st, st == BG_ERR_UNSUPPORTED ? "unsupported" : err.message);
  return out;
}

/* The direct reader's refusal of `reply`: its code, and the message the oracle gives too. */
static void assert_refused(const bytes *reply, bgi_member member, const char *words) {
  assert_agree(reply, member, BG_DTYPE_DOUBLE, BG_ERR_PROTOCOL);
  grpc_byte_buffer *bb = in_slices(reply, 0);
  bg_value *out = NULL;
  bg_error err;
  assert_int_equal(bgi_tabular_reply_decode(bb, member, BG_DTYPE_DOUBLE, &out, &err),
                   BG_ERR_PROTOCOL);
  grpc_byte_buffer_destroy(bb);
  assert_null(out);
  assert_contains(err.message, words);
}

/* ---- encoding: every dtype ---- */

#define ROWS 5
static const bool bools[ROWS] = {true, false, true, true, false};
static const float floats[ROWS] = {1.5f, -0.0f, 3.4e38f, -1e-45f, 0};
static const double doubles[ROWS] = {1, -2.5, 1e300, -0.0, 5e-324};
static const int32_t int32s[ROWS] = {0, -1, INT32_MIN, INT32_MAX, 300};
static const int64_t int64s[ROWS] = {0, -1, INT64_MIN, INT64_MAX, 1 << 20};
static const char *const strings[ROWS] = {
    "", "ascii text", "Z\u00fcrich", "\u6771\u4eac \U0001F642",
    "a longer string of more than sixteen bytes, \u00e9t\u00e9"};

static bg_value *every_dtype(void) {
  bg_error err;
  bg_value *df = bg_dataframe_new(&err);
  assert_non_null(df);
  assert_int_equal(
      bg_dataframe_add_column(df, "bool", bg_series_borrow(BG_DTYPE_BOOL, bools, ROWS, &err), &err),
      BG_OK);
  assert_int_equal(bg_dataframe_add_column(
                       df, "float32", bg_series_borrow(BG_DTYPE_FLOAT, floats, ROWS, &err), &err),
                   BG_OK);
  assert_int_equal(bg_dataframe_add_column(
                       df, "int32", bg_series_borrow(BG_DTYPE_INT32, int32s, ROWS, &err), &err),
                   BG_OK);
  assert_int_equal(bg_dataframe_add_column(
                       df, "float64", bg_series_borrow(BG_DTYPE_DOUBLE, doubles, ROWS, &err), &err),
                   BG_OK);
  assert_int_equal(bg_dataframe_add_column(df, "str \u00e9",
                                           bg_series_borrow(BG_DTYPE_STRING, strings, ROWS, &err),
                                           &err),
                   BG_OK);
  assert_int_equal(bg_dataframe_add_column(
                       df, "int64", bg_series_borrow(BG_DTYPE_INT64, int64s, ROWS, &err), &err),
                   BG_OK);
  return df;
}

/* The message `value` is sent as (encoded by its descriptor, no spec), checked to be what
 * protobuf-c packs for the same message. */
static bytes sent(const bg_value *value, bgi_member member) {
  bgi_arena arena;
  bgi_arena_init(&arena);
  bgi_codec_ctx ctx = {.arena = &arena};
  bgi_content content;
  bg_error err;
  const bgi_descriptor *d =
      member == BGI_MEMBER_DATAFRAME ? &bgi_dataframe_descriptor : &bgi_series_descriptor;
  assert_int_equal(bgi_descriptor_encode(d, NULL, value, &ctx, &content, &err), BG_OK);
  assert_int_equal(content.member, member);
  bytes b = {.len = content.as.frame.size};
  assert_true(b.len <= sizeof b.data);
  assert_ptr_equal(bgi_frame_write(&content.as.frame, b.data), b.data + b.len);
  /* protobuf-c reads it and packs it again to the same bytes */
  ProtobufCMessage *m = bgt_frame_unpack(&content.as.frame, member);
  uint8_t again[sizeof b.data];
  assert_int_equal(protobuf_c_message_get_packed_size(m), b.len);
  assert_int_equal(protobuf_c_message_pack(m, again), b.len);
  assert_memory_equal(again, b.data, b.len);
  protobuf_c_message_free_unpacked(m, NULL);
  /* and a whole Request, as the Call sends it */
  grpc_byte_buffer *request;
  assert_int_equal(bgi_frame_request_pack("echo",
                                          member == BGI_MEMBER_DATAFRAME ? BGI_PB_REQUEST_DATAFRAME
                                                                         : BGI_PB_REQUEST_SERIES,
                                          &content.as.frame, &request, &err),
                   BG_OK);
  bytes want = {.len = 0};
  put_text(&want, BGI_PB_REQUEST_API_NAME, "echo");
  put_message(
      &want, member == BGI_MEMBER_DATAFRAME ? BGI_PB_REQUEST_DATAFRAME : BGI_PB_REQUEST_SERIES, &b);
  grpc_byte_buffer_reader reader;
  assert_true(grpc_byte_buffer_reader_init(&reader, request));
  grpc_slice joined = grpc_byte_buffer_reader_readall(&reader);
  grpc_byte_buffer_reader_destroy(&reader);
  assert_int_equal(GRPC_SLICE_LENGTH(joined), want.len);
  assert_memory_equal(GRPC_SLICE_START_PTR(joined), want.data, want.len);
  grpc_slice_unref(joined);
  grpc_byte_buffer_destroy(request);
  bgi_arena_fini(&arena);
  return b;
}

static void test_every_dtype_both_ways(void **state) {
  (void)state;
  bg_value *df = every_dtype();
  bytes message = sent(df, BGI_MEMBER_DATAFRAME);
  bytes reply = response(BGI_MEMBER_DATAFRAME, &message);
  assert_agree(&reply, BGI_MEMBER_DATAFRAME, BG_DTYPE_DOUBLE, BG_OK);
  bg_value *back = decode(&reply, BGI_MEMBER_DATAFRAME, BG_DTYPE_DOUBLE);
  assert_true(tabular_values_equal(back, df));
  /* a decoded string column is one block, the strings back to back (bg_series_string_block) */
  size_t size = 7;
  const char *block = bg_series_string_block(bg_dataframe_column_find(back, "str \u00e9"), &size);
  assert_non_null(block);
  size_t at = 0;
  for (size_t i = 0; i < ROWS; i++) {
    assert_ptr_equal(
        ((const char *const *)bg_series_data(bg_dataframe_column_find(back, "str \u00e9")))[i],
        block + at);
    assert_string_equal(block + at, strings[i]);
    at += strlen(strings[i]) + 1;
  }
  assert_int_equal(size, at);
  /* not a block: another dtype, the caller's own strings, no strings, not a series */
  assert_null(bg_series_string_block(bg_dataframe_column_find(back, "int64"), &size));
  assert_int_equal(size, 0);
  assert_null(bg_series_string_block(bg_dataframe_column_find(df, "str \u00e9"), NULL));
  bg_error err;
  bg_value *none = bg_series_borrow(BG_DTYPE_STRING, NULL, 0, &err);
  assert_null(bg_series_string_block(none, &size));
  bg_value_free(none);
  assert_null(bg_series_string_block(back, &size));
  assert_null(bg_series_string_block(NULL, NULL));
  bg_value_free(back);
  /* each column alone, as a Series */
  for (size_t i = 0; i < bg_dataframe_column_count(df); i++) {
    const bg_value *column = bg_dataframe_column_at(df, i);
    bytes series = sent(column, BGI_MEMBER_SERIES);
    bytes series_reply = response(BGI_MEMBER_SERIES, &series);
    assert_agree(&series_reply, BGI_MEMBER_SERIES, BG_DTYPE_DOUBLE, BG_OK);
    bg_value *s = decode(&series_reply, BGI_MEMBER_SERIES, BG_DTYPE_DOUBLE);
    assert_true(tabular_values_equal(s, column));
    bg_value_free(s);
  }
  bg_value_free(df);
}

/* No columns; a column of no rows; empty strings only; an empty Series reply takes the dtype
 * it is given. */
static void test_empty_frames_and_strings(void **state) {
  (void)state;
  bg_error err;
  bg_value *none = bg_dataframe_new(&err);
  bytes message = sent(none, BGI_MEMBER_DATAFRAME);
  assert_int_equal(message.len, 0);
  bytes reply = response(BGI_MEMBER_DATAFRAME, &message);
  assert_agree(&reply, BGI_MEMBER_DATAFRAME, BG_DTYPE_DOUBLE, BG_OK);
  bg_value *back = decode(&reply, BGI_MEMBER_DATAFRAME, BG_DTYPE_DOUBLE);
  assert_int_equal(bg_dataframe_column_count(back), 0);
  bg_value_free(back);
  bg_value_free(none);

  bg_value *df = bg_dataframe_new(&err);
  assert_int_equal(
      bg_dataframe_add_column(df, "nothing", bg_series_borrow(BG_DTYPE_INT64, NULL, 0, &err), &err),
      BG_OK);
  message = sent(df, BGI_MEMBER_DATAFRAME);
  reply = response(BGI_MEMBER_DATAFRAME, &message);
  assert_agree(&reply, BGI_MEMBER_DATAFRAME, BG_DTYPE_DOUBLE, BG_OK);
  back = decode(&reply, BGI_MEMBER_DATAFRAME, BG_DTYPE_DOUBLE);
  assert_int_equal(bg_series_dtype(bg_dataframe_column_at(back, 0)),
                   BG_DTYPE_DOUBLE); /* as the server reads it */
  assert_int_equal(bg_series_count(bg_dataframe_column_at(back, 0)), 0);
  bg_value_free(back);
  bg_value_free(df);

  static const char *const empties[3] = {"", "", ""};
  bg_value *s = bg_series_borrow(BG_DTYPE_STRING, empties, 3, &err);
  message = sent(s, BGI_MEMBER_SERIES);
  reply = response(BGI_MEMBER_SERIES, &message);
  assert_agree(&reply, BGI_MEMBER_SERIES, BG_DTYPE_DOUBLE, BG_OK);
  back = decode(&reply, BGI_MEMBER_SERIES, BG_DTYPE_DOUBLE);
  assert_true(tabular_values_equal(back, s));
  bg_value_free(back);
  bg_value_free(s);

  bytes empty = {.len = 0};
  reply = response(BGI_MEMBER_SERIES, &empty);
  assert_agree(&reply, BGI_MEMBER_SERIES, BG_DTYPE_INT32, BG_OK);
  back = decode(&reply, BGI_MEMBER_SERIES, BG_DTYPE_INT32);
  assert_int_equal(bg_series_dtype(back), BG_DTYPE_INT32);
  assert_int_equal(bg_series_count(back), 0);
  bg_value_free(back);
}

/* protobuf's rule: a repeated scalar may come packed or not, in any number of pieces, and the
 * values are all of them in order. */
static void test_unpacked_and_split_repeated_fields(void **state) {
  (void)state;
  bytes s = {.len = 0};
  put_key(&s, BGI_PB_SERIES_INT64_VALUES, BGI_PB_VARINT);
  put_varint(&s, (uint64_t)-7);
  put_field(&s, BGI_PB_SERIES_INT64_VALUES, "\x01\x96\x01", 3); /* packed 1, 150 */
  put_field(&s, BGI_PB_SERIES_INT64_VALUES, "", 0);             /* an empty piece */
  put_key(&s, BGI_PB_SERIES_INT64_VALUES, BGI_PB_VARINT);
  put_varint(&s, 42);
  bytes reply = response(BGI_MEMBER_SERIES, &s);
  assert_agree(&reply, BGI_MEMBER_SERIES, BG_DTYPE_DOUBLE, BG_OK);
  bg_value *v = decode(&reply, BGI_MEMBER_SERIES, BG_DTYPE_DOUBLE);
  static const int64_t want64[4] = {-7, 1, 150, 42};
  assert_int_equal(bg_series_dtype(v), BG_DTYPE_INT64);
  assert_int_equal(bg_series_count(v), 4);
  assert_memory_equal(bg_series_data(v), want64, sizeof want64);
  bg_value_free(v);

  s.len = 0; /* bools: unpacked, packed, unpacked; any value bit set is true */
  put_key(&s, BGI_PB_SERIES_BOOL_VALUES, BGI_PB_VARINT);
  put_varint(&s, 2);
  put_field(&s, BGI_PB_SERIES_BOOL_VALUES, "\x00\x01\x80\x00", 4); /* false, true, false */
  put_key(&s, BGI_PB_SERIES_BOOL_VALUES, BGI_PB_VARINT);
  put(&s, "\x80\x80\x80\x80\x80\x80\x80\x80\x80\x02", 10); /* only a bit past 64: true */
  reply = response(BGI_MEMBER_SERIES, &s);
  assert_agree(&reply, BGI_MEMBER_SERIES, BG_DTYPE_DOUBLE, BG_OK);
  v = decode(&reply, BGI_MEMBER_SERIES, BG_DTYPE_DOUBLE);
  static const bool want_bools[5] = {true, false, true, false, true};
  assert_int_equal(bg_series_count(v), 5);
  assert_memory_equal(bg_series_data(v), want_bools, sizeof want_bools);
  bg_value_free(v);

  s.len = 0; /* int32: the low 32 bits of the varint, negative numbers sign-extended */
  put_key(&s, BGI_PB_SERIES_INT32_VALUES, BGI_PB_VARINT);
  put_varint(&s, (uint64_t)(int64_t)INT32_MIN);
  put_field(&s, BGI_PB_SERIES_INT32_VALUES, "\xff\xff\xff\xff\x0f\x05", 6); /* -1 (5 bytes), 5 */
  reply = response(BGI_MEMBER_SERIES, &s);
  assert_agree(&reply, BGI_MEMBER_SERIES, BG_DTYPE_DOUBLE, BG_OK);
  v = decode(&reply, BGI_MEMBER_SERIES, BG_DTYPE_DOUBLE);
  static const int32_t want32[3] = {INT32_MIN, -1, 5};
  assert_int_equal(bg_series_count(v), 3);
  assert_memory_equal(bg_series_data(v), want32, sizeof want32);
  bg_value_free(v);

  s.len = 0; /* float: I32 fields and packed pieces */
  float f1 = 1.25f, f2[2] = {-3, 4}, f3 = 0.5f;
  put_key(&s, BGI_PB_SERIES_FLOAT_VALUES, BGI_PB_I32);
  put(&s, &f1, 4);
  put_field(&s, BGI_PB_SERIES_FLOAT_VALUES, f2, sizeof f2);
  put_key(&s, BGI_PB_SERIES_FLOAT_VALUES, BGI_PB_I32);
  put(&s, &f3, 4);
  reply = response(BGI_MEMBER_SERIES, &s);
  assert_agree(&reply, BGI_MEMBER_SERIES, BG_DTYPE_DOUBLE, BG_OK);
  v = decode(&reply, BGI_MEMBER_SERIES, BG_DTYPE_DOUBLE);
  static const float want_f[4] = {1.25f, -3, 4, 0.5f};
  assert_int_equal(bg_series_dtype(v), BG_DTYPE_FLOAT);
  assert_memory_equal(bg_series_data(v), want_f, sizeof want_f);
  bg_value_free(v);

  s.len = 0; /* double: I64 fields around a packed piece */
  double d1 = -1, d2[2] = {2, 3}, d3 = 1e-300;
  put_key(&s, BGI_PB_SERIES_DOUBLE_VALUES, BGI_PB_I64);
  put(&s, &d1, 8);
  put_field(&s, BGI_PB_SERIES_DOUBLE_VALUES, d2, sizeof d2);
  put_key(&s, BGI_PB_SERIES_DOUBLE_VALUES, BGI_PB_I64);
  put(&s, &d3, 8);
  reply = response(BGI_MEMBER_SERIES, &s);
  assert_agree(&reply, BGI_MEMBER_SERIES, BG_DTYPE_DOUBLE, BG_OK);
  v = decode(&reply, BGI_MEMBER_SERIES, BG_DTYPE_DOUBLE);
  static const double want_d[4] = {-1, 2, 3, 1e-300};
  assert_memory_equal(bg_series_data(v), want_d, sizeof want_d);
  bg_value_free(v);

  /* a DataFrame whose names and columns interleave, as protobuf allows */
  bytes col = {.len = 0}, df = {.len = 0};
  put_text(&col, BGI_PB_SERIES_STRING_VALUES, "x");
  put_text(&df, BGI_PB_DATAFRAME_COLUMN_NAMES, "first");
  put_message(&df, BGI_PB_DATAFRAME_COLUMNS, &col);
  put_message(&df, BGI_PB_DATAFRAME_COLUMNS, &col);
  put_text(&df, BGI_PB_DATAFRAME_COLUMN_NAMES, "second");
  reply = response(BGI_MEMBER_DATAFRAME, &df);
  assert_agree(&reply, BGI_MEMBER_DATAFRAME, BG_DTYPE_DOUBLE, BG_OK);
  v = decode(&reply, BGI_MEMBER_DATAFRAME, BG_DTYPE_DOUBLE);
  assert_string_equal(bg_dataframe_column_name_at(v, 1), "second");
  bg_value_free(v);
}

/* Fields this protocol version does not know are skipped, whatever their wire type. */
static void test_unknown_fields_skipped(void **state) {
  (void)state;
  bytes col = {.len = 0}, df = {.len = 0};
  put_key(&col, 9, BGI_PB_VARINT);
  put_varint(&col, 300);
  put_text(&col, BGI_PB_SERIES_STRING_VALUES, "kept");
  put_key(&col, 10, BGI_PB_I64);
  put(&col, "12345678", 8);
  put_text(&col, 11, "ignored");
  put_key(&col, 12, BGI_PB_I32);
  put(&col, "1234", 4);
  put_key(&col, 2000, BGI_PB_VARINT); /* a two-byte key */
  put_varint(&col, 1);
  put_key(&df, 7, BGI_PB_I32);
  put(&df, "abcd", 4);
  put_text(&df, BGI_PB_DATAFRAME_COLUMN_NAMES, "c");
  put_message(&df, 15, &col); /* an unknown message-looking field */
  put_message(&df, BGI_PB_DATAFRAME_COLUMNS, &col);
  bytes reply = response(BGI_MEMBER_DATAFRAME, &df);
  assert_agree(&reply, BGI_MEMBER_DATAFRAME, BG_DTYPE_DOUBLE, BG_OK);
  bg_value *v = decode(&reply, BGI_MEMBER_DATAFRAME, BG_DTYPE_DOUBLE);
  assert_int_equal(bg_dataframe_column_count(v), 1);
  const bg_value *c = bg_dataframe_column_at(v, 0);
  assert_int_equal(bg_series_count(c), 1);
  assert_string_equal(((const char *const *)bg_series_data(c))[0], "kept");
  bg_value_free(v);
}

/* Bytes protobuf-c refuses are left to it (the Call then reports its refusal); no cut of a
 * valid message, and no changed byte, makes the two paths disagree. */
static void test_invalid_bytes_left_to_protobuf_c(void **state) {
  (void)state;
  static const struct {
    const char *what;
    const char *bytes;
    size_t len;
  } bad[] = {
      {"a group", "\x0b\x0c", 2},
      {"wire type 7", "\x0f", 1},
      {"string as a varint", "\x28\x01", 2},
      {"float as a varint", "\x10\x01", 2},
      {"packed float of 3 bytes", "\x12\x03\x00\x00\x00", 5},
      {"packed double of 12 bytes", "\x22\x0c\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00", 14},
      {"an 11-byte varint", "\x30\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x01", 12},
      {"an unterminated packed varint", "\x32\x02\x01\x80", 4},
      {"a string past the end",
       "\x2a\x05"
       "abc",
       5},
      {"a fixed64 cut short", "\x21\x00\x00\x00", 4},
      {"a key of six bytes", "\x80\x80\x80\x80\x80\x01\x00", 7},
      {"field number 0", "\x00\x00", 2},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    bytes s = {.len = 0};
    put(&s, bad[i].bytes, bad[i].len);
    bytes reply = response(BGI_MEMBER_SERIES, &s);
    grpc_byte_buffer *bb = in_slices(&reply, 0);
    bg_value *out = NULL;
    bg_error err;
    if (bgi_tabular_reply_decode(bb, BGI_MEMBER_SERIES, BG_DTYPE_DOUBLE, &out, &err) !=
        BG_ERR_UNSUPPORTED)
      fail_msg("%s: not left to protobuf-c", bad[i].what);
    grpc_byte_buffer_destroy(bb);
    assert_agree(&reply, BGI_MEMBER_SERIES, BG_DTYPE_DOUBLE, BG_ERR_UNSUPPORTED);
  }
  /* a Series ending right after a key: the length that follows is outside it, in the
   * DataFrame, and must not be read as the Series' (it once was: a huge packed length, and the
   * reader looped past the message's end) */
  bytes frame = {.len = 0};
  put_text(&frame, BGI_PB_DATAFRAME_COLUMN_NAMES, "a");
  put_field(&frame, BGI_PB_DATAFRAME_COLUMNS, "\x32", 1);
  put(&frame, "\x91\xac\x06\x04\x02\x02", 6);
  bytes cut_reply = response(BGI_MEMBER_DATAFRAME, &frame);
  assert_agree(&cut_reply, BGI_MEMBER_DATAFRAME, BG_DTYPE_DOUBLE, BG_ERR_UNSUPPORTED);
  frame.len = 0; /* the same with a fixed64 key */
  put_field(&frame, BGI_PB_DATAFRAME_COLUMNS, "\x21", 1);
  put(&frame, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);
  cut_reply = response(BGI_MEMBER_DATAFRAME, &frame);
  assert_agree(&cut_reply, BGI_MEMBER_DATAFRAME, BG_DTYPE_DOUBLE, BG_ERR_UNSUPPORTED);

  /* not exactly Response{member}: another member, a second field, a length that is not the
   * rest, compressed bytes */
  bytes s = {.len = 0};
  put_text(&s, BGI_PB_SERIES_STRING_VALUES, "x");
  bytes reply = response(BGI_MEMBER_SERIES, &s);
  reply.data[reply.len++] = 0x08; /* Response field 1 as a varint */
  reply.data[reply.len++] = 0x01;
  assert_agree(&reply, BGI_MEMBER_SERIES, BG_DTYPE_DOUBLE, BG_ERR_UNSUPPORTED);
  reply = response(BGI_MEMBER_SERIES, &s);
  assert_agree(&reply, BGI_MEMBER_DATAFRAME, BG_DTYPE_DOUBLE, BG_ERR_UNSUPPORTED);
  reply.len--;
  assert_agree(&reply, BGI_MEMBER_SERIES, BG_DTYPE_DOUBLE, BG_ERR_UNSUPPORTED);
  grpc_byte_buffer *bb = in_slices(&reply, 0);
  bb->data.raw.compression = GRPC_COMPRESS_GZIP;
  bg_value *out;
  bg_error err;
  assert_int_equal(bgi_tabular_reply_decode(bb, BGI_MEMBER_SERIES, BG_DTYPE_DOUBLE, &out, &err),
                   BG_ERR_UNSUPPORTED);
  grpc_byte_buffer_destroy(bb);

  /* every cut of a valid DataFrame (the Response's length fixed up), and every byte changed */
  bg_value *df = every_dtype();
  bytes message = sent(df, BGI_MEMBER_DATAFRAME);
  bg_value_free(df);
  for (size_t k = 0; k < message.len; k++) {
    bytes cut = message;
    cut.len = k;
    reply = response(BGI_MEMBER_DATAFRAME, &cut);
    bg_status direct;
    bb = in_slices(&reply, k % 5);
    const char *why = tabular_disagreement(bb, BGI_MEMBER_DATAFRAME, BG_DTYPE_DOUBLE, &direct);
    grpc_byte_buffer_destroy(bb);
    if (why)
      fail_msg("cut at %zu: %s", k, why);
  }
  static const uint8_t changes[] = {0x00, 0x01, 0x7f, 0x80, 0xff, 0x02, 0x2a, 0x0a};
  for (size_t k = 0; k < message.len; k++)
    for (size_t j = 0; j < sizeof changes; j++) {
      bytes changed = message;
      changed.data[k] = changes[j];
      reply = response(BGI_MEMBER_DATAFRAME, &changed);
      bg_status direct;
      bb = in_slices(&reply, (k + j) % 4);
      const char *why = tabular_disagreement(bb, BGI_MEMBER_DATAFRAME, BG_DTYPE_DOUBLE, &direct);
      grpc_byte_buffer_destroy(bb);
      if (why)
        fail_msg("byte %zu set to 0x%02x: %s", k, changes[j], why);
    }
}

/* What the tree-based decoder refuses, refused with its code and words. */
static void test_refusals_as_the_tree_decoder(void **state) {
  (void)state;
  bytes s = {.len = 0};
  put_text(&s, BGI_PB_SERIES_STRING_VALUES, "x");
  put_field(&s, BGI_PB_SERIES_INT64_VALUES, "\x01", 1);
  bytes reply = response(BGI_MEMBER_SERIES, &s);
  assert_refused(&reply, BGI_MEMBER_SERIES, "has 2 non-empty values fields (mixed types)");

  static const struct {
    const char *text;
    size_t len;
    const char *words;
  } strings_bad[] = {
      {"ab\0c", 4, "string element 1 in the server's reply contains a NUL byte"},
      {"\xc0\x80", 2, "string element 1 is not valid UTF-8"},     /* overlong NUL */
      {"\xed\xa0\x80", 3, "string element 1 is not valid UTF-8"}, /* a surrogate */
      {"abc\x80", 4, "string element 1 is not valid UTF-8"},      /* a lone continuation */
      {"\xe6\x9d", 2, "string element 1 is not valid UTF-8"},     /* cut short */
      {"12345678\xf4\x90\x80\x80", 12, "string element 1 is not valid UTF-8"}, /* > U+10FFFF */
  };
  for (size_t i = 0; i < sizeof strings_bad / sizeof strings_bad[0]; i++) {
    s.len = 0;
    put_text(&s, BGI_PB_SERIES_STRING_VALUES, "fine \u00e9");
    put_field(&s, BGI_PB_SERIES_STRING_VALUES, strings_bad[i].text, strings_bad[i].len);
    put_text(&s, BGI_PB_SERIES_STRING_VALUES, "");
    reply = response(BGI_MEMBER_SERIES, &s);
    assert_refused(&reply, BGI_MEMBER_SERIES, strings_bad[i].words);
  }
  /* a NUL before bad UTF-8 in one string: the NUL is what is named, as before */
  s.len = 0;
  put_field(&s, BGI_PB_SERIES_STRING_VALUES, "a\0\xff", 3);
  reply = response(BGI_MEMBER_SERIES, &s);
  assert_refused(&reply, BGI_MEMBER_SERIES,
                 "string element 0 in the server's reply contains a NUL");

  bytes col = {.len = 0}, two = {.len = 0}, df = {.len = 0};
  put_text(&col, BGI_PB_SERIES_STRING_VALUES, "x");
  put_text(&two, BGI_PB_SERIES_STRING_VALUES, "x");
  put_text(&two, BGI_PB_SERIES_STRING_VALUES, "y");
  put_text(&df, BGI_PB_DATAFRAME_COLUMN_NAMES, "a");
  put_message(&df, BGI_PB_DATAFRAME_COLUMNS, &col);
  put_message(&df, BGI_PB_DATAFRAME_COLUMNS, &col);
  reply = response(BGI_MEMBER_DATAFRAME, &df);
  assert_refused(&reply, BGI_MEMBER_DATAFRAME, "has 1 column names for 2 columns");
  df.len = 0;
  put_field(&df, BGI_PB_DATAFRAME_COLUMN_NAMES, "a\0b", 3);
  put_message(&df, BGI_PB_DATAFRAME_COLUMNS, &col);
  reply = response(BGI_MEMBER_DATAFRAME, &df);
  assert_refused(&reply, BGI_MEMBER_DATAFRAME, "a column name (0) with a NUL byte");
  df.len = 0;
  put_text(&df, BGI_PB_DATAFRAME_COLUMN_NAMES, "a");
  put_text(&df, BGI_PB_DATAFRAME_COLUMN_NAMES, "a");
  put_message(&df, BGI_PB_DATAFRAME_COLUMNS, &col);
  put_message(&df, BGI_PB_DATAFRAME_COLUMNS, &col);
  reply = response(BGI_MEMBER_DATAFRAME, &df);
  assert_refused(&reply, BGI_MEMBER_DATAFRAME, "'a' is already there");
  df.len = 0;
  put_text(&df, BGI_PB_DATAFRAME_COLUMN_NAMES, "a");
  put_text(&df, BGI_PB_DATAFRAME_COLUMN_NAMES, "b");
  put_message(&df, BGI_PB_DATAFRAME_COLUMNS, &col);
  put_message(&df, BGI_PB_DATAFRAME_COLUMNS, &two);
  reply = response(BGI_MEMBER_DATAFRAME, &df);
  assert_refused(&reply, BGI_MEMBER_DATAFRAME, "DataFrame column 1 ('b') in the reply");
  df.len = 0;
  put_text(&df, BGI_PB_DATAFRAME_COLUMN_NAMES, "bad");
  s.len = 0;
  put_field(&s, BGI_PB_SERIES_STRING_VALUES, "\xff", 1);
  put_message(&df, BGI_PB_DATAFRAME_COLUMNS, &s);
  reply = response(BGI_MEMBER_DATAFRAME, &df);
  assert_refused(&reply, BGI_MEMBER_DATAFRAME,
                 "DataFrame column 0 ('bad') in the reply: a Series in the reply: ");
}

/* A str series borrowing one block (bg_series_borrow_strings): its elements, the block given
 * back, the same bytes on the wire as the same strings one by one, and its refusals. */
static void test_series_from_one_block(void **state) {
  (void)state;
  static const char block[] = "\0ascii\0Z\u00fcrich\0\u6771\u4eac \U0001F642"; /* + the final NUL */
  static const char *const each[4] = {"", "ascii", "Z\u00fcrich", "\u6771\u4eac \U0001F642"};
  bg_error err;
  bg_value *s = bg_series_borrow_strings(block, sizeof block, &err);
  assert_non_null(s);
  assert_int_equal(bg_series_count(s), 4);
  const char *const *data = bg_series_data(s);
  for (size_t i = 0; i < 4; i++)
    assert_string_equal(data[i], each[i]);
  assert_ptr_equal(data[1], block + 1); /* borrowed, not copied */
  size_t size = 0;
  assert_ptr_equal(bg_series_string_block(s, &size), block);
  assert_int_equal(size, sizeof block);
  bg_value *one_by_one = bg_series_borrow(BG_DTYPE_STRING, each, 4, &err);
  bytes a = sent(s, BGI_MEMBER_SERIES), b = sent(one_by_one, BGI_MEMBER_SERIES);
  assert_int_equal(a.len, b.len);
  assert_memory_equal(a.data, b.data, a.len);
  bg_value *df = bg_dataframe_new(&err);
  assert_int_equal(bg_dataframe_add_column(df, "s", s, &err), BG_OK); /* df owns s now */
  bytes frame = sent(df, BGI_MEMBER_DATAFRAME);
  bytes reply = response(BGI_MEMBER_DATAFRAME, &frame);
  bg_value *back = decode(&reply, BGI_MEMBER_DATAFRAME, BG_DTYPE_DOUBLE);
  assert_true(tabular_values_equal(back, df));
  bg_value_free(back);
  bg_value_free(df);
  bg_value_free(one_by_one);

  /* the NULs are found a word at a time: strings of every length up to 20, five of them */
  for (size_t len = 0; len <= 20; len++) {
    char many[5 * 21];
    memset(many, 'x', sizeof many);
    for (size_t i = 0; i < 5; i++)
      many[i * (len + 1) + len] = '\0';
    bg_value *v = bg_series_borrow_strings(many, 5 * (len + 1), &err);
    assert_non_null(v);
    assert_int_equal(bg_series_count(v), 5);
    for (size_t i = 0; i < 5; i++) {
      assert_ptr_equal(((const char *const *)bg_series_data(v))[i], many + i * (len + 1));
      assert_int_equal(strlen(((const char *const *)bg_series_data(v))[i]), len);
    }
    bg_value_free(v);
  }

  bg_value *empty = bg_series_borrow_strings(NULL, 0, &err);
  assert_non_null(empty);
  assert_int_equal(bg_series_count(empty), 0);
  assert_int_equal(bg_series_dtype(empty), BG_DTYPE_STRING);
  bg_value_free(empty);
  assert_null(bg_series_borrow_strings("abc", 3, &err)); /* no final NUL */
  assert_int_equal(err.code, BG_ERR_INVALID_ARGUMENT);
  assert_contains(err.message, "does not end with a NUL");
  assert_null(bg_series_borrow_strings(NULL, 3, &err));
  assert_contains(err.message, "the block is NULL");
  static const char bad[] = "fine\0also fine\0bad \xc3(\0";
  assert_null(bg_series_borrow_strings(bad, sizeof bad - 1, &err));
  assert_int_equal(err.code, BG_ERR_INVALID_ARGUMENT);
  assert_contains(err.message, "string element 2 is not valid UTF-8");
}

/* The one-pass check of a string column's block. */
static void test_utf8_block_check(void **state) {
  (void)state;
  static const char ok[] = "abc\0\0Z\xc3\xbcrich and some more ASCII\0\xf0\x9f\x99\x82";
  assert_true(bgi_utf8_valid_strings(ok, sizeof ok, 4));  /* the array's own NUL ends the last */
  assert_false(bgi_utf8_valid_strings(ok, sizeof ok, 3)); /* a NUL inside a string */
  assert_false(bgi_utf8_valid_strings(ok, sizeof ok, 5));
  assert_true(bgi_utf8_valid_strings("", 0, 0));
  static const char eight_nuls[16] = {0};
  assert_true(bgi_utf8_valid_strings(eight_nuls, 16, 16)); /* zero bytes counted word-wise */
  static const char split[] = "ab\xc3\0\xbc";              /* a sequence cut by a string's end */
  assert_false(bgi_utf8_valid_strings(split, sizeof split, 2));
  static const char late[] = "0123456789abcdef\x01\x01\x01\x01\x01\x01\x01\0\xff";
  assert_false(bgi_utf8_valid_strings(late, sizeof late, 2));
}

/* ---- the fast paths' edges: short strings, varints, bools ---- */

/* Sends `elements` as a Series and reads it back, in one slice and in slices of 5 bytes (a
 * string then often runs into the next slice, or ends too near one for a 16-byte move): the
 * same strings. (Every cut against the tree-based decoder is left to the other tests: too slow
 * for this many messages under ASan.) */
static void assert_strings_round_trip(const char *const *elements, size_t count) {
  bg_error err;
  bg_value *s = bg_series_borrow(BG_DTYPE_STRING, elements, count, &err);
  if (!s)
    fail_msg("borrow refused: %s", err.message);
  bytes message = sent(s, BGI_MEMBER_SERIES);
  bytes reply = response(BGI_MEMBER_SERIES, &message);
  for (size_t cut = 0; cut <= 5; cut += 5) {
    grpc_byte_buffer *bb = in_slices(&reply, cut);
    bg_value *back = NULL;
    assert_int_equal(bgi_tabular_reply_decode(bb, BGI_MEMBER_SERIES, BG_DTYPE_DOUBLE, &back, &err),
                     BG_OK);
    grpc_byte_buffer_destroy(bb);
    assert_true(tabular_values_equal(back, s));
    bg_value_free(back);
  }
  bg_value_free(s);
}

/* Strings of 0..40 bytes starting at every offset of an aligned 16-byte block (the borrow
 * check reads whole aligned blocks; the encoder moves up to 16 bytes as two words), ASCII and
 * with a two-, three- or four-byte character at every position, across word and block
 * boundaries. */
static void test_short_strings_every_length_and_offset(void **state) {
  (void)state;
  static const char *const chars[] = {"\u00e9", "\u6771", "\U0001F642"};
  _Alignas(16) static char area[16 * 64];
  for (size_t len = 0; len <= 40; len++) {
    for (size_t c = 0; c <= sizeof chars / sizeof chars[0]; c++) {
      const char *ch = c ? chars[c - 1] : "";
      size_t ch_len = strlen(ch);
      if (ch_len > len)
        continue;
      /* every position up to 20 bytes (past two words), three past that */
      for (size_t at = 0; at + ch_len <= len; at += !ch_len ? len + 1
                                                    : len <= 20 || at + 1 + ch_len > len
                                                        ? 1
                                                        : (len - ch_len) / 2) {
        const char *each[16];
        for (size_t skew = 0; skew < 16; skew++) {
          char *p = area + skew * 64 + skew; /* a block of its own, `skew` bytes in */
          memset(p, 'a' + (int)skew, len);
          memcpy(p + at, ch, ch_len);
          p[len] = '\0';
          each[skew] = p;
        }
        assert_strings_round_trip(each, 16);
      }
    }
  }
  /* and strings past the short paths: lengths of two-byte varints, with non-ASCII at the end */
  static char longer[3][1100];
  static const size_t longer_len[3] = {127, 128, 1000};
  const char *three[3];
  for (size_t i = 0; i < 3; i++) {
    memset(longer[i], 'L', longer_len[i]);
    memcpy(longer[i] + longer_len[i] - 2, "\u00e9", 2);
    longer[i][longer_len[i]] = '\0';
    three[i] = longer[i];
  }
  assert_strings_round_trip(three, 3);
  longer[2][500] = (char)0xff; /* refused by index */
  bg_error err;
  assert_null(bg_series_borrow(BG_DTYPE_STRING, three, 3, &err));
  assert_contains(err.message, "string element 2 is not valid UTF-8");
}

/* A bad byte at every position of strings of 1..40 bytes, at every offset of a block: the
 * borrow refuses the string by its index, as before. */
static void test_short_strings_refused_at_every_position(void **state) {
  (void)state;
  static const char *const bad[] = {"\x80",         "\xff", "\xc0\x80",
                                    "\xed\xa0\x80", "\xc3", "\xf4\x90\x80\x80"};
  _Alignas(16) static char area[64];
  bg_error err;
  for (size_t b = 0; b < sizeof bad / sizeof bad[0]; b++) {
    size_t bad_len = strlen(bad[b]);
    for (size_t len = bad_len; len <= 40; len++) {
      for (size_t at = 0; at + bad_len <= len; at++) {
        for (size_t skew = 0; skew < 16; skew++) {
          char *p = area + skew;
          memset(p, 'x', len);
          memcpy(p + at, bad[b], bad_len);
          p[len] = '\0';
          const char *three[3] = {"fine", "\u00e9", p};
          bg_value *s = bg_series_borrow(BG_DTYPE_STRING, three, 3, &err);
          if (s)
            fail_msg("bad string %zu of %zu bytes at %zu (skew %zu) accepted", b, len, at, skew);
          assert_int_equal(err.code, BG_ERR_INVALID_ARGUMENT);
          assert_contains(err.message, "string element 2 is not valid UTF-8");
        }
      }
    }
  }
}

/* A reply's strings of 1..17 bytes with a NUL, or a bad byte, at every position: refused with
 * the tree-based decoder's words, however the reply is cut. */
static void test_reply_strings_refused_at_every_position(void **state) {
  (void)state;
  for (size_t len = 1; len <= 17; len++) {
    for (size_t at = 0; at < len; at++) {
      char text[17];
      memset(text, 'y', len);
      text[at] = '\0';
      bytes s = {.len = 0};
      put_text(&s, BGI_PB_SERIES_STRING_VALUES, "fine \u00e9");
      put_field(&s, BGI_PB_SERIES_STRING_VALUES, text, len);
      put_text(&s, BGI_PB_SERIES_STRING_VALUES, "0123456789abcdef0123"); /* room after */
      bytes reply = response(BGI_MEMBER_SERIES, &s);
      assert_refused(&reply, BGI_MEMBER_SERIES,
                     "string element 1 in the server's reply contains a NUL byte");
      text[at] = (char)0x80; /* a lone continuation byte */
      s.len = 0;
      put_text(&s, BGI_PB_SERIES_STRING_VALUES, "fine \u00e9");
      put_field(&s, BGI_PB_SERIES_STRING_VALUES, text, len);
      put_text(&s, BGI_PB_SERIES_STRING_VALUES, "0123456789abcdef0123");
      reply = response(BGI_MEMBER_SERIES, &s);
      assert_refused(&reply, BGI_MEMBER_SERIES, "string element 1 is not valid UTF-8");
    }
  }
}

/* The DFA for short strings says what bgi_utf8_valid (sequence by sequence) says: every string
 * of one and two bytes, three bytes of the bytes that matter, every four-byte lead. */
static void test_short_string_dfa_as_the_sequence_check(void **state) {
  (void)state;
  unsigned char b[4];
  for (unsigned x = 0; x < 256; x++) {
    b[0] = (unsigned char)x;
    assert_int_equal(bgi_utf8_valid_string((const char *)b, 1), bgi_utf8_valid((const char *)b, 1));
    for (unsigned y = 0; y < 256; y++) {
      b[1] = (unsigned char)y;
      if (bgi_utf8_valid_string((const char *)b, 2) != bgi_utf8_valid((const char *)b, 2))
        fail_msg("%02x %02x", x, y);
    }
  }
  static const unsigned char edges[] = {0x00, 0x01, 0x41, 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0,
                                        0xbf, 0xc0, 0xc1, 0xc2, 0xdf, 0xe0, 0xe1, 0xec, 0xed,
                                        0xee, 0xef, 0xf0, 0xf1, 0xf3, 0xf4, 0xf5, 0xff};
  size_t n = sizeof edges;
  for (unsigned x = 0; x < 256; x++)
    for (size_t i = 0; i < n; i++)
      for (size_t j = 0; j < n; j++) {
        b[0] = (unsigned char)x, b[1] = edges[i], b[2] = edges[j];
        if (bgi_utf8_valid_string((const char *)b, 3) != bgi_utf8_valid((const char *)b, 3))
          fail_msg("%02x %02x %02x", x, edges[i], edges[j]);
        for (size_t k = 0; x >= 0xf0 && k < n; k++) {
          b[3] = edges[k];
          if (bgi_utf8_valid_string((const char *)b, 4) != bgi_utf8_valid((const char *)b, 4))
            fail_msg("%02x %02x %02x %02x", x, edges[i], edges[j], edges[k]);
        }
      }
  /* longer than the DFA takes: the same answers */
  char longer[100];
  memset(longer, 'z', sizeof longer);
  assert_true(bgi_utf8_valid_string(longer, sizeof longer));
  longer[70] = (char)0xc3;
  assert_false(bgi_utf8_valid_string(longer, sizeof longer));
  longer[71] = (char)0xa9;
  assert_true(bgi_utf8_valid_string(longer, sizeof longer));
}

/* int64 and int32 varints of every length (1..10 bytes), negatives included, enough of them
 * for the decoder's whole-varint path; bools of any byte value. */
static void test_varints_of_every_length(void **state) {
  (void)state;
  int64_t i64[64];
  int32_t i32[64];
  size_t n = 0;
  for (unsigned bits = 0; bits < 64; bits++) { /* 2^bits - 1, 2^bits: every length */
    i64[n] = (int64_t)(((uint64_t)1 << bits) - 1);
    i32[n] = (int32_t)(uint32_t)i64[n];
    n++;
  }
  i64[1] = -1, i64[2] = INT64_MIN, i64[3] = -300, i32[1] = -1, i32[2] = INT32_MIN;
  bg_error err;
  for (size_t count = 1; count <= n; count += 7) {
    bg_value *a = bg_series_borrow(BG_DTYPE_INT64, i64 + n - count, count, &err);
    bytes message = sent(a, BGI_MEMBER_SERIES);
    bytes reply = response(BGI_MEMBER_SERIES, &message);
    assert_agree(&reply, BGI_MEMBER_SERIES, BG_DTYPE_DOUBLE, BG_OK);
    bg_value *back = decode(&reply, BGI_MEMBER_SERIES, BG_DTYPE_DOUBLE);
    assert_true(tabular_values_equal(back, a));
    bg_value_free(back);
    bg_value_free(a);
    bg_value *b = bg_series_borrow(BG_DTYPE_INT32, i32 + n - count, count, &err);
    message = sent(b, BGI_MEMBER_SERIES);
    reply = response(BGI_MEMBER_SERIES, &message);
    assert_agree(&reply, BGI_MEMBER_SERIES, BG_DTYPE_DOUBLE, BG_OK);
    back = decode(&reply, BGI_MEMBER_SERIES, BG_DTYPE_DOUBLE);
    assert_true(tabular_values_equal(back, b));
    bg_value_free(back);
    bg_value_free(b);
  }
  /* a packed varint run of 10 continuation bytes (one too many) after 0..15 short ones, and
   * of 9 (a 10-byte varint, fine): left to protobuf-c, read */
  for (size_t before = 0; before < 16; before++) {
    for (size_t run = 9; run <= 10; run++) {
      uint8_t packed[40];
      size_t len = 0;
      for (size_t i = 0; i < before; i++)
        packed[len++] = (uint8_t)i;
      for (size_t i = 0; i < run; i++)
        packed[len++] = 0x80;
      packed[len++] = 0x01;
      packed[len++] = 0x05;
      bytes s = {.len = 0};
      put_field(&s, BGI_PB_SERIES_INT64_VALUES, packed, len);
      bytes reply = response(BGI_MEMBER_SERIES, &s);
      assert_agree(&reply, BGI_MEMBER_SERIES, BG_DTYPE_DOUBLE,
                   run == 10 ? BG_ERR_UNSUPPORTED : BG_OK);
    }
  }
  /* bools: one byte each (any non-zero value is true), and longer varints among them */
  for (size_t len = 0; len <= 24; len++) {
    uint8_t packed[32];
    for (size_t i = 0; i < len; i++)
      packed[i] = (uint8_t)(i % 3 == 0 ? 0 : i % 3 == 1 ? 1 : 0x7f);
    bytes s = {.len = 0};
    put_field(&s, BGI_PB_SERIES_BOOL_VALUES, packed, len);
    bytes reply = response(BGI_MEMBER_SERIES, &s);
    assert_agree(&reply, BGI_MEMBER_SERIES, BG_DTYPE_BOOL, BG_OK);
    if (len >= 2) {
      packed[len - 2] = 0x80; /* a two-byte varint 0x80 0x00: false */
      packed[len - 1] = 0x00;
      s.len = 0;
      put_field(&s, BGI_PB_SERIES_BOOL_VALUES, packed, len);
      reply = response(BGI_MEMBER_SERIES, &s);
      assert_agree(&reply, BGI_MEMBER_SERIES, BG_DTYPE_BOOL, BG_OK);
    }
  }
}

/* Three pages, the first and last unreadable: what the middle one holds ends (or starts) right
 * next to memory that faults when read. */
static char *guarded_page(size_t *page) {
  *page = (size_t)sysconf(_SC_PAGESIZE);
  char *map = mmap(NULL, 3 * *page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  assert_true(map != MAP_FAILED);
  assert_int_equal(mprotect(map, *page, PROT_NONE), 0);
  assert_int_equal(mprotect(map + 2 * *page, *page, PROT_NONE), 0);
  return map + *page;
}

static void noop_unref(void *p) { (void)p; }

/* The Series message of `strings` written so that it ends where `page` (readable, the next one
 * not) ends, with no room past it: a write past the message's end faults here. The bytes are
 * sent()'s. */
static void assert_written_at_page_end(const char *const *elements, size_t count, char *page,
                                       size_t page_size) {
  bg_error err;
  bg_value *s = bg_series_borrow(BG_DTYPE_STRING, elements, count, &err);
  if (!s)
    fail_msg("borrow refused: %s", err.message);
  bytes want = sent(s, BGI_MEMBER_SERIES);
  bgi_arena arena;
  bgi_arena_init(&arena);
  bgi_codec_ctx ctx = {.arena = &arena};
  bgi_content content;
  assert_int_equal(bgi_descriptor_encode(&bgi_series_descriptor, NULL, s, &ctx, &content, &err),
                   BG_OK);
  assert_int_equal(content.as.frame.size, want.len);
  uint8_t *dst = (uint8_t *)page + page_size - want.len;
  assert_ptr_equal(bgi_frame_write(&content.as.frame, dst), dst + want.len);
  assert_memory_equal(dst, want.data, want.len);
  bgi_arena_fini(&arena);
  bg_value_free(s);
}

/* Strings of 0..48 bytes whose NUL is a page's last byte, or which start a page, each with a
 * non-ASCII character or none: the borrow check's aligned block reads and the encoder's
 * word moves stay within the page (a read past it or before it faults here), and so do the
 * encoder's writes when the message ends at a page's end, after strings of 0..20 bytes. And a reply
 * whose one slice ends at a page's end, its last string of 0..48 bytes: the reader's 16-byte moves
 * stay within the slice. */
static void test_strings_next_to_unreadable_pages(void **state) {
  (void)state;
  size_t page;
  char *mid = guarded_page(&page);
  for (size_t len = 0; len <= 48; len++) {
    for (int non_ascii = 0; non_ascii <= 1; non_ascii++) {
      char *at_end = mid + page - 1 - len, *at_start = mid;
      memset(at_end, 'e', len);
      at_end[len] = '\0';
      if (non_ascii && len >= 2)
        memcpy(at_end + len - 2, "\u00e9", 2);
      const char *two[2] = {at_end, "x"};
      assert_strings_round_trip(two, 2);
      memset(at_start, 's', len);
      at_start[len] = '\0';
      if (non_ascii && len >= 2)
        memcpy(at_start, "\u00e9", 2);
      const char *one[1] = {at_start};
      assert_strings_round_trip(one, 1);
    }
  }
  static const char *const lengths_0_to_20[] = {"",
                                                "a",
                                                "ab",
                                                "abc",
                                                "abcd",
                                                "abcde",
                                                "abcdef",
                                                "abcdefg",
                                                "abcdefgh",
                                                "abcdefghi",
                                                "abcdefghij",
                                                "abcdefghijk",
                                                "abcdefghijkl",
                                                "abcdefghijklm",
                                                "abcdefghijklmn",
                                                "abcdefghijklmno",
                                                "abcdefghijklmnop",
                                                "abcdefghijklmnopq",
                                                "abcdefghijklmnopqr",
                                                "abcdefghijklmnopqrs",
                                                "abcdefghijklmnopqrst"};
  for (size_t last = 0; last <= 20; last++) { /* the last string: 0..20 bytes */
    for (size_t before = 0; before <= 3; before++) {
      const char *each[4];
      for (size_t i = 0; i < before; i++)
        each[i] = lengths_0_to_20[(last + 7 * i + 3) % 21];
      each[before] = lengths_0_to_20[last];
      assert_written_at_page_end(each, before + 1, mid, page); /* the next page faults */
    }
  }
  for (size_t len = 0; len <= 48; len++) {
    char text[48];
    memset(text, 'r', len);
    bytes s = {.len = 0};
    put_text(&s, BGI_PB_SERIES_STRING_VALUES, "first");
    put_field(&s, BGI_PB_SERIES_STRING_VALUES, text, len);
    bytes reply = response(BGI_MEMBER_SERIES, &s);
    uint8_t *copy = (uint8_t *)mid + page - reply.len;
    memcpy(copy, reply.data, reply.len);
    grpc_slice slice = grpc_slice_new(copy, reply.len, noop_unref);
    grpc_byte_buffer *bb = grpc_raw_byte_buffer_create(&slice, 1);
    grpc_slice_unref(slice);
    bg_value *back = NULL;
    bg_error err;
    assert_int_equal(bgi_tabular_reply_decode(bb, BGI_MEMBER_SERIES, BG_DTYPE_DOUBLE, &back, &err),
                     BG_OK);
    grpc_byte_buffer_destroy(bb);
    assert_int_equal(bg_series_count(back), 2);
    assert_int_equal(strlen(((const char *const *)bg_series_data(back))[1]), len);
    bg_value_free(back);
  }
  munmap(mid - page, 3 * page);
}

/* A reply's strings of lengths around the reader's fixed 16-byte moves and one-byte lengths,
 * ASCII or ending in a two-byte character, after strings that shift them by 0..2 bytes: read
 * as protobuf-c reads them however the reply is cut (slices of 1, 2, 3, 7 bytes, two slices
 * split at every byte). */
static void test_reply_strings_cut_everywhere(void **state) {
  (void)state;
  static const size_t lengths[] = {0, 1, 2, 15, 16, 17, 18, 31, 32, 33, 64, 65, 127, 128, 300};
  for (size_t i = 0; i < sizeof lengths / sizeof lengths[0]; i++) {
    for (size_t shift = 0; shift <= 2; shift++) {
      for (int non_ascii = 0; non_ascii <= 1; non_ascii++) {
        size_t len = lengths[i];
        char text[300];
        memset(text, 'c', len);
        if (non_ascii && len >= 2)
          memcpy(text + len - 2, "\u00e9", 2);
        bytes s = {.len = 0};
        put_field(&s, BGI_PB_SERIES_STRING_VALUES, "ab", shift);
        put_field(&s, BGI_PB_SERIES_STRING_VALUES, text, len);
        put_text(&s, BGI_PB_SERIES_STRING_VALUES, "z");
        bytes reply = response(BGI_MEMBER_SERIES, &s);
        assert_agree(&reply, BGI_MEMBER_SERIES, BG_DTYPE_DOUBLE, BG_OK);
      }
    }
  }
}

/* A reply's str column keeps its strings' starts in an array that doubles from 8, and the
 * 16-byte string loop takes only as many strings as that array has room for before it grows:
 * a first string of 0..200 bytes, then up to 300 short ones (the array grows inside the loop,
 * again and again), with a NUL or a bad byte in a late one, each read as protobuf-c reads it. */
static void test_reply_string_starts_grow_inside_the_short_string_loop(void **state) {
  (void)state;
  static const size_t first_lengths[] = {0, 1, 16, 17, 100, 127, 200};
  static const size_t counts[] = {1, 7, 8, 9, 40, 300};
  for (size_t f = 0; f < sizeof first_lengths / sizeof first_lengths[0]; f++) {
    for (size_t c = 0; c < sizeof counts / sizeof counts[0]; c++) {
      for (int bad = 0; bad <= 2; bad++) { /* none, a NUL, a byte never in UTF-8 */
        char first[200], text[8];
        memset(first, 'f', first_lengths[f]);
        bytes s = {.len = 0};
        put_field(&s, BGI_PB_SERIES_STRING_VALUES, first, first_lengths[f]);
        size_t count = counts[c];
        for (size_t i = 0; i < count; i++) {
          size_t len = i % 5; /* 0..4 bytes, 2..6 on the wire */
          memset(text, 'a' + (int)(i % 26), len);
          if (len >= 2 && i % 7 == 3)
            memcpy(text + len - 2, "\u00e9", 2);
          if (bad && len >= 1 && i == count - count / 3 - 1) /* late, after any growth */
            text[len - 1] = bad == 1 ? '\0' : (char)0xff;
          put_field(&s, BGI_PB_SERIES_STRING_VALUES, text, len);
        }
        bytes reply = response(BGI_MEMBER_SERIES, &s);
        bool planted = false;
        for (size_t i = 0; bad && i < count; i++)
          planted |= i % 5 >= 1 && i == count - count / 3 - 1;
        /* one slice, and slices of 7 bytes (every cut of the longer replies took minutes
         * under ASan; test_reply_strings_cut_everywhere cuts short ones everywhere) */
        for (size_t cut = 0; cut <= 7; cut += 7) {
          grpc_byte_buffer *bb = in_slices(&reply, cut);
          bg_status direct;
          const char *why = tabular_disagreement(bb, BGI_MEMBER_SERIES, BG_DTYPE_DOUBLE, &direct);
          grpc_byte_buffer_destroy(bb);
          if (why)
            fail_msg("first %zu, %zu more, cut %zu: %s", first_lengths[f], count, cut, why);
          assert_int_equal(direct, planted ? BG_ERR_PROTOCOL : BG_OK);
        }
        if (planted)
          continue;
        bg_value *back = decode(&reply, BGI_MEMBER_SERIES, BG_DTYPE_DOUBLE);
        assert_int_equal(bg_series_count(back), count + 1);
        const char *const *got = bg_series_data(back);
        assert_int_equal(strlen(got[0]), first_lengths[f]);
        for (size_t i = 0; i < count; i++)
          assert_int_equal(strlen(got[i + 1]), i % 5);
        bg_value_free(back);
      }
    }
  }
}

static int setup(void **state) {
  (void)state;
  grpc_init();
  return 0;
}

static int teardown(void **state) {
  (void)state;
  grpc_shutdown();
  return 0;
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_every_dtype_both_ways),
      cmocka_unit_test(test_empty_frames_and_strings),
      cmocka_unit_test(test_unpacked_and_split_repeated_fields),
      cmocka_unit_test(test_unknown_fields_skipped),
      cmocka_unit_test(test_invalid_bytes_left_to_protobuf_c),
      cmocka_unit_test(test_refusals_as_the_tree_decoder),
      cmocka_unit_test(test_series_from_one_block),
      cmocka_unit_test(test_utf8_block_check),
      cmocka_unit_test(test_short_strings_every_length_and_offset),
      cmocka_unit_test(test_short_strings_refused_at_every_position),
      cmocka_unit_test(test_reply_strings_refused_at_every_position),
      cmocka_unit_test(test_short_string_dfa_as_the_sequence_check),
      cmocka_unit_test(test_varints_of_every_length),
      cmocka_unit_test(test_strings_next_to_unreadable_pages),
      cmocka_unit_test(test_reply_strings_cut_everywhere),
      cmocka_unit_test(test_reply_string_starts_grow_inside_the_short_string_loop),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
