/* The serialized_bytes passthrough (descriptors/bytes_descriptor.c) and the registry paths that
 * lead to it: a bytes value goes out borrowed, as serialized_bytes, for every descriptor that
 * accepts raw bytes and is refused by those that do not; a serialized_bytes reply becomes a
 * bytes value that takes the decoded message's buffer, so the message no longer frees it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "test_assert.h"

#include "descriptors/descriptor.h"

static const bgi_codec_ctx ctx = {.protocol = BGI_PROTOCOL_V1, .validate = true};

static void test_encode_borrows_the_bytes(void **state) {
  (void)state;
  static const uint8_t payload[] = {0, 1, 2, 0xff, 0};
  bg_error err;
  bg_value *in = bg_bytes_borrow(payload, sizeof payload, &err);
  assert_non_null(in);
  bgi_content out;
  memset(&out, 0x5a, sizeof out);
  assert_int_equal(bgi_descriptor_encode(&bgi_bytes_descriptor, NULL, in, &ctx, &out, &err), BG_OK);
  assert_int_equal(out.member, BGI_MEMBER_SERIALIZED_BYTES);
  /* no copy: the request points at the caller's bytes */
  assert_ptr_equal(out.as.raw.data, payload);
  assert_int_equal(out.as.raw.len, sizeof payload);
  bg_value_free(in);

  /* empty bytes: an empty field, not an error */
  in = bg_bytes_borrow(NULL, 0, &err);
  assert_non_null(in);
  assert_int_equal(bgi_descriptor_encode(&bgi_bytes_descriptor, NULL, in, &ctx, &out, &err), BG_OK);
  assert_int_equal(out.member, BGI_MEMBER_SERIALIZED_BYTES);
  assert_int_equal(out.as.raw.len, 0);
  bg_value_free(in);
}

/* Descriptors that accept serialized_bytes pass a bytes value through unchanged; the others
 * refuse it before anything is sent, naming the value kind to build instead. */
static void test_bytes_into_other_descriptors(void **state) {
  (void)state;
  static const char json[] = "{\"a\": 1}";
  bg_error err;
  bg_value *in = bg_bytes_borrow(json, sizeof json - 1, &err);
  assert_non_null(in);
  const bgi_descriptor *accepting[] = {&bgi_ndarray_descriptor, &bgi_json_descriptor,
                                       &bgi_text_descriptor,    &bgi_file_descriptor,
                                       &bgi_image_descriptor,   &bgi_bytes_descriptor};
  for (size_t i = 0; i < sizeof accepting / sizeof accepting[0]; i++) {
    bgi_content out;
    assert_int_equal(bgi_descriptor_encode(accepting[i], NULL, in, &ctx, &out, &err), BG_OK);
    assert_int_equal(out.member, BGI_MEMBER_SERIALIZED_BYTES);
    assert_ptr_equal(out.as.raw.data, json);
    assert_int_equal(out.as.raw.len, sizeof json - 1);
  }
  struct {
    const bgi_descriptor *d;
    const char *message;
  } refusing[] = {
      {&bgi_series_descriptor,
       "PandasSeries does not accept raw serialized_bytes; build a series value"},
      {&bgi_dataframe_descriptor,
       "PandasDataFrame does not accept raw serialized_bytes; build a dataframe value"},
      {&bgi_multipart_descriptor,
       "Multipart does not accept raw serialized_bytes; build a multipart value"},
  };
  for (size_t i = 0; i < sizeof refusing / sizeof refusing[0]; i++) {
    bgi_content out;
    assert_int_equal(bgi_descriptor_encode(refusing[i].d, NULL, in, &ctx, &out, &err),
                     BG_ERR_INVALID_ARGUMENT);
    assert_int_equal(err.code, BG_ERR_INVALID_ARGUMENT);
    assert_string_equal(err.message, refusing[i].message);
    assert_int_equal(out.member, BGI_MEMBER_NONE); /* nothing half-filled */
  }
  bg_value_free(in);
}

/* The bytes descriptor encodes bytes values only; a NULL input is the caller's mistake. */
static void test_encode_refuses_other_kinds_and_null(void **state) {
  (void)state;
  bg_error err;
  bgi_content out;
  assert_int_equal(bgi_descriptor_encode(&bgi_bytes_descriptor, NULL, NULL, &ctx, &out, &err),
                   BG_ERR_INVALID_ARGUMENT);
  assert_string_equal(err.message, "the input value is NULL");

  bg_value *text = bg_text_new("hi", (size_t)-1, &err);
  assert_non_null(text);
  assert_int_equal(bgi_descriptor_encode(&bgi_bytes_descriptor, NULL, text, &ctx, &out, &err),
                   BG_ERR_INVALID_ARGUMENT);
  assert_string_equal(err.message,
                      "serialized_bytes expects a bytes value (or raw bytes), but a text value "
                      "was given");
  bg_value_free(text);
}

/* A decoded reply's serialized_bytes: the value takes the buffer, the message keeps none. */
static void test_decode_takes_the_buffer(void **state) {
  (void)state;
  ProtobufCBinaryData field = {4, malloc(4)};
  assert_non_null(field.data);
  memcpy(field.data, "\x00\x01\x02\x03", 4);
  uint8_t *buffer = field.data;
  bgi_content in = {.member = BGI_MEMBER_SERIALIZED_BYTES, .as.bytes = &field};
  bg_value *out = NULL;
  bg_error err;
  assert_int_equal(bgi_descriptor_decode(&bgi_bytes_descriptor, NULL, &in, &ctx, &out, &err),
                   BG_OK);
  assert_non_null(out);
  assert_int_equal(bg_value_get_kind(out), BG_VALUE_BYTES);
  assert_ptr_equal(bg_bytes_data(out), buffer); /* taken, not copied */
  assert_int_equal(bg_bytes_size(out), 4);
  assert_memory_equal(bg_bytes_data(out), "\x00\x01\x02\x03", 4);
  assert_null(field.data); /* the message no longer owns it */
  assert_int_equal(field.len, 0);
  /* a bytes value is neither a file nor anything else */
  assert_null(bg_file_data(out));
  assert_int_equal(bg_file_size(out), 0);
  bg_value_free(out); /* frees the buffer once (ASan/valgrind see a double free otherwise) */

  /* an empty field decodes to empty bytes */
  ProtobufCBinaryData empty = {0, NULL};
  in.as.bytes = &empty;
  assert_int_equal(bgi_content_decode_any(&in, &ctx, &out, &err), BG_OK);
  assert_int_equal(bg_value_get_kind(out), BG_VALUE_BYTES);
  assert_int_equal(bg_bytes_size(out), 0);
  bg_value_free(out);
}

/* A reply in another member is the server's fault (BG_ERR_PROTOCOL), named in the message. */
static void test_decode_refuses_other_members(void **state) {
  (void)state;
  Google__Protobuf__StringValue text = GOOGLE__PROTOBUF__STRING_VALUE__INIT;
  text.value = "hello";
  bgi_content in = {.member = BGI_MEMBER_TEXT, .as.text = &text};
  bg_value *out = (bg_value *)&in;
  bg_error err;
  assert_int_equal(bgi_descriptor_decode(&bgi_bytes_descriptor, NULL, &in, &ctx, &out, &err),
                   BG_ERR_PROTOCOL);
  assert_null(out);
  assert_string_equal(err.message, "the output is serialized_bytes (field 'serialized_bytes') but "
                                   "the server replied with 'text'");

  bgi_content none = {.member = BGI_MEMBER_NONE};
  assert_int_equal(bgi_descriptor_decode(&bgi_bytes_descriptor, NULL, &none, &ctx, &out, &err),
                   BG_ERR_PROTOCOL);
  assert_contains(err.message, "replied with 'nothing'");
  assert_int_equal(bgi_content_decode_any(&none, &ctx, &out, &err), BG_ERR_PROTOCOL);
  assert_string_equal(err.message, "the reply has no content");
}

/* The registry's lookups agree with each other for the bytes descriptor and know no other. */
static void test_registry_lookups(void **state) {
  (void)state;
  assert_ptr_equal(bgi_descriptor_for_member(BGI_MEMBER_SERIALIZED_BYTES), &bgi_bytes_descriptor);
  assert_ptr_equal(bgi_descriptor_for_kind(BG_VALUE_BYTES), &bgi_bytes_descriptor);
  assert_null(bgi_descriptor_for_member(BGI_MEMBER_NONE));
  /* serialized_bytes is no BentoML descriptor id: ServiceMetadata cannot name it */
  assert_null(bgi_descriptor_find("serialized_bytes"));
  assert_null(bgi_descriptor_find(NULL));
  assert_ptr_equal(bgi_descriptor_find("bentoml.io.Image"), &bgi_image_descriptor);
  /* each member and kind maps to the descriptor of that member and kind */
  for (int m = BGI_MEMBER_SERIALIZED_BYTES; m <= BGI_MEMBER_MULTIPART; m++)
    assert_int_equal(bgi_descriptor_for_member((bgi_member)m)->member, m);
  for (int k = BG_VALUE_NDARRAY; k <= BG_VALUE_BYTES; k++) {
    const bgi_descriptor *d = bgi_descriptor_for_kind((bg_value_kind)k);
    assert_non_null(d);
    assert_int_equal(d->kind, k);
  }
  assert_null(bgi_descriptor_for_kind((bg_value_kind)99));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_encode_borrows_the_bytes),
      cmocka_unit_test(test_bytes_into_other_descriptors),
      cmocka_unit_test(test_encode_refuses_other_kinds_and_null),
      cmocka_unit_test(test_decode_takes_the_buffer),
      cmocka_unit_test(test_decode_refuses_other_members),
      cmocka_unit_test(test_registry_lookups),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
