/* What a hostile or broken server sends: crafted Response bytes go through the same path as a
 * Call reply (bgi_wire_unpack, bgi_content_from_response, the descriptor's decode). Anything
 * wrong is BG_ERR_PROTOCOL, never the caller's BG_ERR_INVALID_ARGUMENT, and nothing is
 * silently dropped or cut. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <grpc/byte_buffer.h>
#include <grpc/slice.h>

#include "test_assert.h"

#include "descriptors/descriptor.h"
#include "wire/byte_buffer.h"
#include "wire/content.h"

/* A protobuf message under construction. */
typedef struct msg {
  uint8_t b[512];
  size_t n;
} msg;

static void put_varint(msg *m, uint64_t v) {
  do {
    m->b[m->n++] = (uint8_t)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
    v >>= 7;
  } while (v);
}

static void put_bytes(msg *m, unsigned field, const void *data, size_t len) {
  put_varint(m, (uint64_t)field << 3 | 2);
  put_varint(m, len);
  memcpy(m->b + m->n, data, len);
  m->n += len;
}

static void put_msg(msg *m, unsigned field, const msg *sub) { put_bytes(m, field, sub->b, sub->n); }

static void put_uint(msg *m, unsigned field, uint64_t v) {
  put_varint(m, (uint64_t)field << 3);
  put_varint(m, v);
}

/* Decodes Response bytes as a Call reply for descriptor `d` (NULL: by member, as raw calls). */
static bg_status decode(const msg *response, const bgi_descriptor *d, bg_value **out,
                        bg_error *err) {
  grpc_slice slice = grpc_slice_from_copied_buffer((const char *)response->b, response->n);
  grpc_byte_buffer *bb = grpc_raw_byte_buffer_create(&slice, 1);
  grpc_slice_unref(slice);
  ProtobufCMessage *pb = NULL;
  *out = NULL;
  bg_status st =
      bgi_wire_unpack(&bentoml__grpc__v1__response__descriptor, bb, "Call reply", &pb, err);
  bgi_content content;
  if (st == BG_OK)
    st = bgi_content_from_response(pb, BGI_PROTOCOL_V1, &content, err);
  bgi_codec_ctx ctx = {.validate = true};
  if (st == BG_OK)
    st = d ? bgi_descriptor_decode(d, NULL, &content, &ctx, out, err)
           : bgi_content_decode_any(&content, &ctx, out, err);
  if (pb)
    protobuf_c_message_free_unpacked(pb, NULL);
  grpc_byte_buffer_destroy(bb);
  return st;
}

static void expect_protocol(const msg *response, const bgi_descriptor *d, const char *needle) {
  bg_value *out = (bg_value *)1;
  bg_error err;
  bg_status st = decode(response, d, &out, &err);
  if (st != BG_ERR_PROTOCOL)
    fail_msg("expected BG_ERR_PROTOCOL, got %s: %s", bg_status_name(st),
             st == BG_OK ? "(ok)" : err.message);
  assert_int_equal(err.code, BG_ERR_PROTOCOL);
  assert_null(out);
  assert_contains(err.message, needle);
}

static void test_text_reply_keeps_nul_bytes(void **state) {
  (void)state;
  msg sv = {.n = 0}, r = {.n = 0};
  put_bytes(&sv, 1, "abc\0def", 7);
  put_msg(&r, 7, &sv);
  bg_value *out;
  bg_error err;
  assert_int_equal(decode(&r, &bgi_text_descriptor, &out, &err), BG_OK);
  assert_int_equal(bg_text_length(out), 7);
  assert_memory_equal(bg_text_data(out), "abc\0def", 8);
  bg_value_free(out);

  /* still UTF-8 only */
  msg bad_sv = {.n = 0}, bad = {.n = 0};
  put_bytes(&bad_sv, 1, "ab\0\xff", 4);
  put_msg(&bad, 7, &bad_sv);
  expect_protocol(&bad, &bgi_text_descriptor, "UTF-8");
}

/* A server's MIME type of any length comes back whole (it was cut at 127 bytes). */
static void test_file_reply_long_mime_kept_whole(void **state) {
  (void)state;
  char kind[256] = "application/";
  memset(kind + strlen(kind), 'x', 200);
  msg file = {.n = 0}, r = {.n = 0};
  put_bytes(&file, 2, "hi", 2);
  put_bytes(&file, 3, kind, strlen(kind));
  put_msg(&r, 6, &file);
  bg_value *out;
  bg_error err;
  assert_int_equal(decode(&r, &bgi_file_descriptor, &out, &err), BG_OK);
  assert_string_equal(bg_file_mime(out), kind);
  assert_int_equal(bg_file_size(out), 2);
  bg_value_free(out);
}

static void test_ndarray_dtype_field_mismatch(void **state) {
  (void)state;
  double one = 1.0;
  float two = 2.0f;
  msg nd = {.n = 0}, r = {.n = 0};
  put_uint(&nd, 1, 1); /* DTYPE_FLOAT */
  put_bytes(&nd, 4, &one, sizeof one);
  put_msg(&r, 1, &nd);
  expect_protocol(&r, &bgi_ndarray_descriptor, "float64");
  expect_protocol(&r, NULL, "says dtype float32");

  /* dtype INT64 with its own values and a string besides */
  msg nd2 = {.n = 0}, r2 = {.n = 0};
  put_uint(&nd2, 1, 5);
  put_bytes(&nd2, 8, "\x01", 1);
  put_bytes(&nd2, 5, "a", 1);
  put_msg(&r2, 1, &nd2);
  expect_protocol(&r2, &bgi_ndarray_descriptor, "str");

  /* DOUBLE with float values, with a shape */
  msg nd3 = {.n = 0}, r3 = {.n = 0};
  put_uint(&nd3, 1, 2);
  put_bytes(&nd3, 2, "\x01", 1);
  put_bytes(&nd3, 3, &two, sizeof two);
  put_msg(&r3, 1, &nd3);
  expect_protocol(&r3, &bgi_ndarray_descriptor, "float32");
}

static void test_string_replies_must_be_utf8(void **state) {
  (void)state;
  msg nd = {.n = 0}, r = {.n = 0};
  put_uint(&nd, 1, 8); /* DTYPE_STRING, no shape */
  put_bytes(&nd, 5, "ok", 2);
  put_bytes(&nd, 5, "\xc3\x28", 2);
  put_msg(&r, 1, &nd);
  expect_protocol(&r, &bgi_ndarray_descriptor, "element 1");

  msg nul = {.n = 0}, rn = {.n = 0};
  put_uint(&nul, 1, 8);
  put_bytes(&nul, 5, "a\0b", 3);
  put_msg(&rn, 1, &nul);
  expect_protocol(&rn, &bgi_ndarray_descriptor, "NUL");

  msg s = {.n = 0}, rs = {.n = 0};
  put_bytes(&s, 5, "\xff", 1);
  put_msg(&rs, 5, &s);
  expect_protocol(&rs, &bgi_series_descriptor, "UTF-8");
  expect_protocol(&rs, NULL, "UTF-8");

  /* the same inside a DataFrame column */
  msg df = {.n = 0}, rd = {.n = 0};
  put_bytes(&df, 1, "c", 1);
  put_msg(&df, 2, &s);
  put_msg(&rd, 3, &df);
  expect_protocol(&rd, &bgi_dataframe_descriptor, "UTF-8");
}

static void test_multipart_reply_duplicate_names(void **state) {
  (void)state;
  msg sv = {.n = 0}, part = {.n = 0}, entry = {.n = 0}, mp = {.n = 0}, r = {.n = 0};
  put_bytes(&sv, 1, "a", 1);
  put_msg(&part, 7, &sv);
  put_bytes(&entry, 1, "dup", 3);
  put_msg(&entry, 2, &part);
  put_msg(&mp, 1, &entry);
  put_msg(&mp, 1, &entry);
  put_msg(&r, 9, &mp);
  expect_protocol(&r, NULL, "'dup'");
  expect_protocol(&r, &bgi_multipart_descriptor, "already there");

  /* a part without a name */
  msg noname = {.n = 0}, mp2 = {.n = 0}, r2 = {.n = 0};
  put_msg(&noname, 2, &part);
  put_msg(&mp2, 1, &noname);
  put_msg(&r2, 9, &mp2);
  expect_protocol(&r2, NULL, "name");

  /* a name with a NUL byte would be cut (and could collide): refused */
  msg nul_entry = {.n = 0}, mp3 = {.n = 0}, r3 = {.n = 0};
  put_bytes(&nul_entry, 1, "a\0b", 3);
  put_msg(&nul_entry, 2, &part);
  put_msg(&mp3, 1, &nul_entry);
  put_msg(&r3, 9, &mp3);
  expect_protocol(&r3, NULL, "NUL");

  /* and a DataFrame column name with one */
  msg col = {.n = 0}, df = {.n = 0}, r4 = {.n = 0};
  put_bytes(&col, 4, "\0\0\0\0\0\0\xf0\x3f", 8); /* double_values [1.0] */
  put_bytes(&df, 1, "c\0d", 3);
  put_msg(&df, 2, &col);
  put_msg(&r4, 3, &df);
  expect_protocol(&r4, NULL, "NUL");
}

static void test_json_string_keeps_nul_bytes(void **state) {
  (void)state;
  msg v = {.n = 0}, r = {.n = 0};
  put_bytes(&v, 3, "a\0b", 3);
  put_msg(&r, 8, &v);
  bg_value *out;
  bg_error err;
  assert_int_equal(decode(&r, &bgi_json_descriptor, &out, &err), BG_OK);
  assert_string_equal(bg_json_text(out), "\"a\\u0000b\"");
  bg_value_free(out);
}

static void test_copy_of_strings_checks_utf8(void **state) {
  (void)state;
  const char *strings[] = {"fine", "caf\xc3\xa9", "bad\xe2\x82"};
  int64_t shape[] = {3};
  bg_error err;
  assert_null(bg_ndarray_copy(BG_DTYPE_STRING, shape, 1, strings, 3, &err));
  assert_int_equal(err.code, BG_ERR_INVALID_ARGUMENT);
  assert_contains(err.message, "element 2");
  assert_contains(err.message, "UTF-8");
  assert_null(bg_ndarray_borrow(BG_DTYPE_STRING, shape, 1, strings, 3, &err));
  assert_contains(err.message, "element 2");
  assert_null(bg_series_copy(BG_DTYPE_STRING, strings, 3, &err));
  assert_contains(err.message, "element 2");
  bg_value *ok = bg_ndarray_copy(BG_DTYPE_STRING, shape, 1, strings, 2 + 0 * 1, &err);
  assert_null(ok); /* 2 elements for a shape of 3 */
  int64_t two[] = {2};
  ok = bg_ndarray_copy(BG_DTYPE_STRING, two, 1, strings, 2, &err);
  assert_non_null(ok);
  bg_value_free(ok);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_text_reply_keeps_nul_bytes),
      cmocka_unit_test(test_file_reply_long_mime_kept_whole),
      cmocka_unit_test(test_ndarray_dtype_field_mismatch),
      cmocka_unit_test(test_string_replies_must_be_utf8),
      cmocka_unit_test(test_multipart_reply_duplicate_names),
      cmocka_unit_test(test_json_string_keeps_nul_bytes),
      cmocka_unit_test(test_copy_of_strings_checks_utf8),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
