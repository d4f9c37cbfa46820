/* wire/file_as_bytes.h: the resend of a File input refused as `file` (PROTOCOL.md §4.6), built
 * from the packed Request alone, in both protocol versions; anything but a File Request is
 * refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <grpc/byte_buffer_reader.h>
#include <grpc/grpc.h>

#include "bentoml/grpc/v1alpha1/service.pb-c.h"
#include "wire/byte_buffer.h"
#include "wire/file_as_bytes.h"

static const uint8_t pdf[] = {'%', 'P', 'D', 'F', '-', '1', 0x00, 0x81, 0xff};

/* A packed Request of `protocol` with `content`, as the Call prepare packs it. */
static grpc_byte_buffer *pack(const char *api, const bgi_content *content, bgi_protocol protocol) {
  bgi_arena arena;
  bgi_arena_init(&arena);
  bgi_pb_request request = BENTOML__GRPC__V1__REQUEST__INIT;
  request.api_name = (char *)api;
  bg_error err;
  assert_int_equal(bgi_content_to_request(content, protocol, &arena, &request, &err), BG_OK);
  grpc_byte_buffer *bb;
  assert_int_equal(bgi_wire_pack(&request.base, &bb, &err), BG_OK);
  bgi_arena_fini(&arena);
  return bb;
}

static grpc_slice bytes_of(grpc_byte_buffer *bb) {
  grpc_byte_buffer_reader reader;
  assert_true(grpc_byte_buffer_reader_init(&reader, bb));
  grpc_slice all = grpc_byte_buffer_reader_readall(&reader);
  grpc_byte_buffer_reader_destroy(&reader);
  return all;
}

static void assert_same_bytes(grpc_byte_buffer *a, grpc_byte_buffer *b) {
  grpc_slice x = bytes_of(a), y = bytes_of(b);
  assert_int_equal(GRPC_SLICE_LENGTH(x), GRPC_SLICE_LENGTH(y));
  assert_memory_equal(GRPC_SLICE_START_PTR(x), GRPC_SLICE_START_PTR(y), GRPC_SLICE_LENGTH(x));
  grpc_slice_unref(x);
  grpc_slice_unref(y);
}

static void resend_in(bgi_protocol protocol) {
  bgi_content file = {.member = BGI_MEMBER_FILE,
                      .as.file = {.data = {sizeof pdf, (uint8_t *)pdf}, .kind = "application/pdf"}};
  grpc_byte_buffer *refused = pack("predict_file", &file, protocol);
  size_t sent = grpc_byte_buffer_length(refused);
  grpc_byte_buffer *again = NULL;
  bg_error err;
  assert_int_equal(bgi_wire_request_file_as_bytes(refused, protocol, &again, &err), BG_OK);
  assert_non_null(again);
  assert_int_equal(grpc_byte_buffer_length(refused), sent); /* only read */

  /* byte for byte what a later call of the API sends (the descriptor's file_as_bytes) */
  bgi_content raw = {.member = BGI_MEMBER_SERIALIZED_BYTES, .as.raw = {sizeof pdf, (uint8_t *)pdf}};
  grpc_byte_buffer *later = pack("predict_file", &raw, protocol);
  assert_same_bytes(again, later);

  /* and read back with the version's own descriptor: the name, the bytes, no file */
  grpc_slice s = bytes_of(again);
  if (protocol == BGI_PROTOCOL_V1) {
    bgi_pb_request *r =
        bentoml__grpc__v1__request__unpack(NULL, GRPC_SLICE_LENGTH(s), GRPC_SLICE_START_PTR(s));
    assert_non_null(r);
    assert_string_equal(r->api_name, "predict_file");
    assert_int_equal(r->content_case, BENTOML__GRPC__V1__REQUEST__CONTENT_SERIALIZED_BYTES);
    assert_int_equal(r->serialized_bytes.len, sizeof pdf);
    assert_memory_equal(r->serialized_bytes.data, pdf, sizeof pdf);
    bentoml__grpc__v1__request__free_unpacked(r, NULL);
  } else {
    Bentoml__Grpc__V1alpha1__Request *r = bentoml__grpc__v1alpha1__request__unpack(
        NULL, GRPC_SLICE_LENGTH(s), GRPC_SLICE_START_PTR(s));
    assert_non_null(r);
    assert_string_equal(r->api_name, "predict_file");
    assert_int_equal(r->content_case, BENTOML__GRPC__V1ALPHA1__REQUEST__CONTENT_SERIALIZED_BYTES);
    assert_int_equal(r->serialized_bytes.len, sizeof pdf);
    assert_memory_equal(r->serialized_bytes.data, pdf, sizeof pdf);
    bentoml__grpc__v1alpha1__request__free_unpacked(r, NULL);
  }
  grpc_slice_unref(s);
  grpc_byte_buffer_destroy(later);
  grpc_byte_buffer_destroy(again);
  grpc_byte_buffer_destroy(refused);
}

static void test_v1(void **state) {
  (void)state;
  resend_in(BGI_PROTOCOL_V1);
}

static void test_v1alpha1(void **state) {
  (void)state;
  resend_in(BGI_PROTOCOL_V1ALPHA1);
}

/* A File without kind, a large payload, and a request spread over several slices (the reader
 * joins them). */
static void test_large_file_over_several_slices(void **state) {
  (void)state;
  size_t n = 300000;
  uint8_t *data = malloc(n);
  for (size_t i = 0; i < n; i++)
    data[i] = (uint8_t)(i * 7);
  bgi_content file = {.member = BGI_MEMBER_FILE, .as.file = {.data = {n, data}}};
  grpc_byte_buffer *whole = pack("f", &file, BGI_PROTOCOL_V1);
  grpc_slice all = bytes_of(whole);
  grpc_slice parts[3] = {grpc_slice_sub(all, 0, 5), grpc_slice_sub(all, 5, 1000),
                         grpc_slice_sub(all, 1000, GRPC_SLICE_LENGTH(all))};
  grpc_byte_buffer *split = grpc_raw_byte_buffer_create(parts, 3);
  grpc_byte_buffer *again = NULL;
  bg_error err;
  assert_int_equal(bgi_wire_request_file_as_bytes(split, BGI_PROTOCOL_V1, &again, &err), BG_OK);
  bgi_content raw = {.member = BGI_MEMBER_SERIALIZED_BYTES, .as.raw = {n, data}};
  grpc_byte_buffer *later = pack("f", &raw, BGI_PROTOCOL_V1);
  assert_same_bytes(again, later);
  for (int i = 0; i < 3; i++)
    grpc_slice_unref(parts[i]);
  grpc_slice_unref(all);
  grpc_byte_buffer_destroy(later);
  grpc_byte_buffer_destroy(again);
  grpc_byte_buffer_destroy(split);
  grpc_byte_buffer_destroy(whole);
  free(data);
}

/* Anything but a File Request is the library's own bug: refused, nothing made. */
static void test_refuses_other_requests(void **state) {
  (void)state;
  bgi_content raw = {.member = BGI_MEMBER_SERIALIZED_BYTES, .as.raw = {sizeof pdf, (uint8_t *)pdf}};
  Google__Protobuf__StringValue text = GOOGLE__PROTOBUF__STRING_VALUE__INIT;
  text.value = "BentoML";
  bgi_content txt = {.member = BGI_MEMBER_TEXT, .as.text = &text};
  const bgi_content *others[] = {&raw, &txt};
  for (size_t i = 0; i < 2; i++)
    for (int p = BGI_PROTOCOL_V1; p <= BGI_PROTOCOL_V1ALPHA1; p++) {
      grpc_byte_buffer *bb = pack("bonjour", others[i], (bgi_protocol)p);
      grpc_byte_buffer *again = (grpc_byte_buffer *)&raw;
      bg_error err;
      assert_int_equal(bgi_wire_request_file_as_bytes(bb, (bgi_protocol)p, &again, &err),
                       BG_ERR_INTERNAL);
      assert_int_equal(err.code, BG_ERR_INTERNAL);
      assert_non_null(strstr(err.message, "does not hold a File input"));
      assert_null(again);
      grpc_byte_buffer_destroy(bb);
    }
  /* what gRPC leaves of a buffer it sent: nothing */
  grpc_byte_buffer *sent = grpc_raw_byte_buffer_create(NULL, 0);
  grpc_byte_buffer *again = NULL;
  bg_error err;
  assert_int_equal(bgi_wire_request_file_as_bytes(sent, BGI_PROTOCOL_V1, &again, &err),
                   BG_ERR_INTERNAL);
  assert_null(again);
  grpc_byte_buffer_destroy(sent);
  /* bytes that are no Request at all */
  grpc_slice junk = grpc_slice_from_static_string("\x0a\xff\xff");
  grpc_byte_buffer *bad = grpc_raw_byte_buffer_create(&junk, 1);
  assert_int_equal(bgi_wire_request_file_as_bytes(bad, BGI_PROTOCOL_V1, &again, &err),
                   BG_ERR_INTERNAL);
  assert_null(again);
  grpc_byte_buffer_destroy(bad);
}

/* The async call keeps grpc_byte_buffer_copy() of its Request for the resend, because gRPC
 * empties the buffer it sends: that copy shares the packed bytes rather than copying them. */
static void test_copy_shares_the_packed_bytes(void **state) {
  (void)state;
  bgi_content file = {.member = BGI_MEMBER_FILE, .as.file = {.data = {sizeof pdf, (uint8_t *)pdf}}};
  grpc_byte_buffer *bb = pack("predict_file", &file, BGI_PROTOCOL_V1);
  grpc_byte_buffer *kept = grpc_byte_buffer_copy(bb);
  assert_int_equal(kept->data.raw.slice_buffer.count, 1);
  assert_ptr_equal(GRPC_SLICE_START_PTR(kept->data.raw.slice_buffer.slices[0]),
                   GRPC_SLICE_START_PTR(bb->data.raw.slice_buffer.slices[0]));
  grpc_byte_buffer_destroy(bb); /* the kept reference alone holds the bytes now */
  grpc_byte_buffer *again = NULL;
  bg_error err;
  assert_int_equal(bgi_wire_request_file_as_bytes(kept, BGI_PROTOCOL_V1, &again, &err), BG_OK);
  grpc_byte_buffer_destroy(again);
  grpc_byte_buffer_destroy(kept);
}

int main(void) {
  grpc_init();
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_v1),
      cmocka_unit_test(test_v1alpha1),
      cmocka_unit_test(test_large_file_over_several_slices),
      cmocka_unit_test(test_refuses_other_requests),
      cmocka_unit_test(test_copy_shares_the_packed_bytes),
  };
  int failed = cmocka_run_group_tests_name("file_as_bytes", tests, NULL, NULL);
  grpc_shutdown();
  return failed;
}
