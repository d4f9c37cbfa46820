/* Wire compatibility: our .proto files, compiled by protoc-c, produce exactly the golden
 * encodings of PROTOCOL.md §2.13, including the proto3 `optional` fields that we spell as
 * one-member oneofs (File.kind, DescriptorMetadata.descriptor_id, ...). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "bentoml/grpc/v1alpha1/service.pb-c.h"
#include "google/protobuf/wrappers.pb-c.h"
#include "value/value_internal.h"
#include "wire/ndarray_wire.h"
#include "wire/proto.h"

static void assert_packs_to(const ProtobufCMessage *msg, const char *hex) {
  size_t size = protobuf_c_message_get_packed_size(msg);
  uint8_t *buf = malloc(size + 1);
  assert_int_equal(protobuf_c_message_pack(msg, buf), size);
  char *got = malloc(size * 2 + 1);
  for (size_t i = 0; i < size; i++)
    sprintf(got + 2 * i, "%02x", buf[i]);
  got[size * 2] = '\0';
  if (strcmp(got, hex) != 0)
    fail_msg("%s encodes to\n  %s\nexpected\n  %s", msg->descriptor->name, got, hex);
  free(got);
  free(buf);
}

static size_t unhex(const char *hex, uint8_t *out) {
  size_t n = strlen(hex) / 2;
  for (size_t i = 0; i < n; i++) {
    unsigned byte;
    sscanf(hex + 2 * i, "%2x", &byte);
    out[i] = (uint8_t)byte;
  }
  return n;
}

static ProtobufCMessage *unpack_hex(const ProtobufCMessageDescriptor *d, const char *hex) {
  uint8_t buf[256];
  size_t n = unhex(hex, buf);
  ProtobufCMessage *msg = protobuf_c_message_unpack(d, NULL, n, buf);
  assert_non_null(msg);
  return msg;
}

static void test_text_request_and_response(void **state) {
  (void)state;
  Google__Protobuf__StringValue text = GOOGLE__PROTOBUF__STRING_VALUE__INIT;
  text.value = "BentoML";
  bgi_pb_request req = BENTOML__GRPC__V1__REQUEST__INIT;
  req.api_name = "bonjour";
  req.content_case = BENTOML__GRPC__V1__REQUEST__CONTENT_TEXT;
  req.text = &text;
  assert_packs_to(&req.base, "0a07626f6e6a6f757242090a0742656e746f4d4c");

  Google__Protobuf__StringValue hello = GOOGLE__PROTOBUF__STRING_VALUE__INIT;
  hello.value = "Hello, BentoML!";
  bgi_pb_response resp = BENTOML__GRPC__V1__RESPONSE__INIT;
  resp.content_case = BENTOML__GRPC__V1__RESPONSE__CONTENT_TEXT;
  resp.text = &hello;
  assert_packs_to(&resp.base, "3a110a0f48656c6c6f2c2042656e746f4d4c21");

  /* An empty text{} is still written: it is a oneof member. */
  Google__Protobuf__StringValue empty = GOOGLE__PROTOBUF__STRING_VALUE__INIT;
  resp.text = &empty;
  assert_packs_to(&resp.base, "3a00");
}

static void test_ndarray_requests(void **state) {
  (void)state;
  int32_t shape[] = {2, 2}, values[] = {1, 2, 3, 4};
  bgi_pb_ndarray nd = BENTOML__GRPC__V1__NDARRAY__INIT;
  nd.n_shape = 2;
  nd.shape = shape;
  nd.n_int32_values = 4;
  nd.int32_values = values;
  bgi_pb_request req = BENTOML__GRPC__V1__REQUEST__INIT;
  req.api_name = "double_ndarray";
  req.content_case = BENTOML__GRPC__V1__REQUEST__CONTENT_NDARRAY;
  req.ndarray = &nd;
  assert_packs_to(&req.base, "0a0e646f75626c655f6e6461727261791a0a120202023a0401020304");

  uint8_t raw[] = {1, 2};
  req.content_case = BENTOML__GRPC__V1__REQUEST__CONTENT_SERIALIZED_BYTES;
  req.serialized_bytes = (ProtobufCBinaryData){2, raw};
  assert_packs_to(&req.base, "0a0e646f75626c655f6e64617272617912020102");
}

/* Our own codec (value -> NDArray) produces the golden `classify` request byte for byte. */
static void test_codec_matches_golden_classify(void **state) {
  (void)state;
  float x[] = {5.9f, 3.0f, 5.1f, 1.8f};
  int64_t shape[] = {1, 4};
  bg_value *v = bg_ndarray_borrow(BG_DTYPE_FLOAT, shape, 2, x, 4, NULL);
  assert_non_null(v);
  bgi_arena arena;
  bgi_arena_init(&arena);
  bgi_pb_ndarray *nd;
  assert_int_equal(bgi_ndarray_to_proto(&v->as.ndarray, &arena, &nd, &(bg_error){0}), BG_OK);
  assert_ptr_equal(nd->float_values, x); /* borrowed: no copy before packing */
  bgi_pb_request req = BENTOML__GRPC__V1__REQUEST__INIT;
  req.api_name = "classify";
  req.content_case = BENTOML__GRPC__V1__REQUEST__CONTENT_NDARRAY;
  req.ndarray = nd;
  assert_packs_to(&req.base,
                  "0a08636c6173736966791a180801120201041a10cdccbc40000040403333a3406666e63f");
  bgi_arena_fini(&arena);
  bg_value_free(v);
}

static void test_ndarray_messages(void **state) {
  (void)state;
  int32_t shape2[] = {2}, shape1[] = {1};
  protobuf_c_boolean bools[] = {1, 0};
  bgi_pb_ndarray nd = BENTOML__GRPC__V1__NDARRAY__INIT;
  nd.dtype = BENTOML__GRPC__V1__NDARRAY__DTYPE__DTYPE_BOOL;
  nd.n_shape = 1;
  nd.shape = shape2;
  nd.n_bool_values = 2;
  nd.bool_values = bools;
  assert_packs_to(&nd.base, "080312010232020100");

  int64_t minus_one[] = {-1};
  bgi_pb_ndarray nd64 = BENTOML__GRPC__V1__NDARRAY__INIT;
  nd64.dtype = BENTOML__GRPC__V1__NDARRAY__DTYPE__DTYPE_INT64;
  nd64.n_shape = 1;
  nd64.shape = shape1;
  nd64.n_int64_values = 1;
  nd64.int64_values = minus_one;
  assert_packs_to(&nd64.base, "0805120101420affffffffffffffffff01");
}

static void test_ndarray_response_decodes(void **state) {
  (void)state;
  bgi_pb_response *resp = (bgi_pb_response *)unpack_hex(&bentoml__grpc__v1__response__descriptor,
                                                        "0a0c0804120202023a0402040608");
  assert_int_equal(resp->content_case, BENTOML__GRPC__V1__RESPONSE__CONTENT_NDARRAY);
  bg_value *v;
  assert_int_equal(bgi_ndarray_from_proto(resp->ndarray, &v, &(bg_error){0}), BG_OK);
  protobuf_c_message_free_unpacked(&resp->base, NULL);
  assert_int_equal(bg_ndarray_dtype(v), BG_DTYPE_INT32);
  assert_int_equal(bg_ndarray_ndim(v), 2);
  assert_int_equal(bg_ndarray_shape(v)[0], 2);
  assert_int_equal(bg_ndarray_shape(v)[1], 2);
  const int32_t *data = bg_ndarray_data(v);
  assert_int_equal(data[0], 2);
  assert_int_equal(data[3], 8);
  bg_value_free(v);
}

static void test_dataframe(void **state) {
  (void)state;
  int64_t v23[] = {23}, v46[] = {46};
  Bentoml__Grpc__V1__Series col = BENTOML__GRPC__V1__SERIES__INIT;
  col.n_int64_values = 1;
  col.int64_values = v23;
  Bentoml__Grpc__V1__Series *cols[] = {&col};
  char *names[] = {"col1"};
  Bentoml__Grpc__V1__DataFrame df = BENTOML__GRPC__V1__DATA_FRAME__INIT;
  df.n_column_names = 1;
  df.column_names = names;
  df.n_columns = 1;
  df.columns = cols;
  bgi_pb_request req = BENTOML__GRPC__V1__REQUEST__INIT;
  req.api_name = "double_dataframe";
  req.content_case = BENTOML__GRPC__V1__REQUEST__CONTENT_DATAFRAME;
  req.dataframe = &df;
  assert_packs_to(&req.base, "0a10646f75626c655f646174616672616d652a0b0a04636f6c311203320117");
  col.int64_values = v46;
  bgi_pb_response resp = BENTOML__GRPC__V1__RESPONSE__INIT;
  resp.content_case = BENTOML__GRPC__V1__RESPONSE__CONTENT_DATAFRAME;
  resp.dataframe = &df;
  assert_packs_to(&resp.base, "1a0b0a04636f6c31120332012e");
}

static void test_json(void **state) {
  (void)state;
  Google__Protobuf__Value hi = GOOGLE__PROTOBUF__VALUE__INIT;
  hi.kind_case = GOOGLE__PROTOBUF__VALUE__KIND_STRING_VALUE;
  hi.string_value = "\"hi\"";
  bgi_pb_request req = BENTOML__GRPC__V1__REQUEST__INIT;
  req.api_name = "echo_json";
  req.content_case = BENTOML__GRPC__V1__REQUEST__CONTENT_JSON;
  req.json = &hi;
  assert_packs_to(&req.base, "0a096563686f5f6a736f6e4a061a0422686922");

  /* {"a": 1, "b": [true, null, "x"]}; null_value 0 is written because it is a oneof member */
  Google__Protobuf__Value one = GOOGLE__PROTOBUF__VALUE__INIT, t = GOOGLE__PROTOBUF__VALUE__INIT,
                          null = GOOGLE__PROTOBUF__VALUE__INIT, x = GOOGLE__PROTOBUF__VALUE__INIT,
                          list_v = GOOGLE__PROTOBUF__VALUE__INIT,
                          root = GOOGLE__PROTOBUF__VALUE__INIT;
  one.kind_case = GOOGLE__PROTOBUF__VALUE__KIND_NUMBER_VALUE;
  one.number_value = 1;
  t.kind_case = GOOGLE__PROTOBUF__VALUE__KIND_BOOL_VALUE;
  t.bool_value = 1;
  null.kind_case = GOOGLE__PROTOBUF__VALUE__KIND_NULL_VALUE;
  x.kind_case = GOOGLE__PROTOBUF__VALUE__KIND_STRING_VALUE;
  x.string_value = "x";
  Google__Protobuf__Value *items[] = {&t, &null, &x};
  Google__Protobuf__ListValue list = GOOGLE__PROTOBUF__LIST_VALUE__INIT;
  list.n_values = 3;
  list.values = items;
  list_v.kind_case = GOOGLE__PROTOBUF__VALUE__KIND_LIST_VALUE;
  list_v.list_value = &list;
  Google__Protobuf__Struct__FieldsEntry a = GOOGLE__PROTOBUF__STRUCT__FIELDS_ENTRY__INIT,
                                        b = GOOGLE__PROTOBUF__STRUCT__FIELDS_ENTRY__INIT;
  a.key = "a";
  a.value = &one;
  b.key = "b";
  b.value = &list_v;
  Google__Protobuf__Struct__FieldsEntry *entries[] = {&a, &b};
  Google__Protobuf__Struct st = GOOGLE__PROTOBUF__STRUCT__INIT;
  st.n_fields = 2;
  st.fields = entries;
  root.kind_case = GOOGLE__PROTOBUF__VALUE__KIND_STRUCT_VALUE;
  root.struct_value = &st;
  bgi_pb_response resp = BENTOML__GRPC__V1__RESPONSE__INIT;
  resp.content_case = BENTOML__GRPC__V1__RESPONSE__CONTENT_JSON;
  resp.json = &root;
  assert_packs_to(
      &resp.base,
      "42282a260a0e0a0161120911000000000000f03f0a140a0162120f320d0a0220010a0208000a031a0178");

  Google__Protobuf__Value nothing = GOOGLE__PROTOBUF__VALUE__INIT;
  resp.json = &nothing;
  assert_packs_to(&resp.base, "4200");
}

static void test_file_kind_presence(void **state) {
  (void)state;
  uint8_t content[] = {0x81, 0x30, 0x89, 0x39};
  Bentoml__Grpc__V1__File file = BENTOML__GRPC__V1__FILE__INIT;
  file.content = (ProtobufCBinaryData){4, content};
  file._kind_case = BENTOML__GRPC__V1__FILE___KIND_KIND;
  file.kind = "application/octet-stream";
  bgi_pb_request req = BENTOML__GRPC__V1__REQUEST__INIT;
  req.api_name = "predict_file";
  req.content_case = BENTOML__GRPC__V1__REQUEST__CONTENT_FILE;
  req.file = &file;
  assert_packs_to(&req.base, "0a0c707265646963745f66696c653a201204813089391a186170706c69636174696f6"
                             "e2f6f637465742d73747265616d");

  /* proto3 `optional`: an explicitly empty kind is present on the wire; an unset one is not. */
  Bentoml__Grpc__V1__File f2 = BENTOML__GRPC__V1__FILE__INIT;
  f2._kind_case = BENTOML__GRPC__V1__FILE___KIND_KIND;
  f2.kind = "";
  assert_packs_to(&f2.base, "1a00");
  f2._kind_case = BENTOML__GRPC__V1__FILE___KIND__NOT_SET;
  assert_packs_to(&f2.base, "");

  Bentoml__Grpc__V1alpha1__File old = BENTOML__GRPC__V1ALPHA1__FILE__INIT;
  old._kind_case = BENTOML__GRPC__V1ALPHA1__FILE___KIND_KIND;
  old.kind = BENTOML__GRPC__V1ALPHA1__FILE__FILE_TYPE__FILE_TYPE_BMP;
  old.content = (ProtobufCBinaryData){2, (uint8_t *)"BM"};
  Bentoml__Grpc__V1alpha1__Request old_req = BENTOML__GRPC__V1ALPHA1__REQUEST__INIT;
  old_req.api_name = "echo_image";
  old_req.content_case = BENTOML__GRPC__V1ALPHA1__REQUEST__CONTENT_FILE;
  old_req.file = &old;
  assert_packs_to(&old_req.base, "0a0a6563686f5f696d6167653a0608091202424d");
}

static void test_multipart(void **state) {
  (void)state;
  int32_t shape[] = {2};
  float values[] = {1, 2};
  bgi_pb_ndarray nd = BENTOML__GRPC__V1__NDARRAY__INIT;
  nd.dtype = BENTOML__GRPC__V1__NDARRAY__DTYPE__DTYPE_FLOAT;
  nd.n_shape = 1;
  nd.shape = shape;
  nd.n_float_values = 2;
  nd.float_values = values;
  Google__Protobuf__StringValue nlp = GOOGLE__PROTOBUF__STRING_VALUE__INIT;
  nlp.value = "nlp";
  Bentoml__Grpc__V1__Part arr = BENTOML__GRPC__V1__PART__INIT, meta = BENTOML__GRPC__V1__PART__INIT;
  arr.representation_case = BENTOML__GRPC__V1__PART__REPRESENTATION_NDARRAY;
  arr.ndarray = &nd;
  meta.representation_case = BENTOML__GRPC__V1__PART__REPRESENTATION_TEXT;
  meta.text = &nlp;
  Bentoml__Grpc__V1__Multipart__FieldsEntry e1 = BENTOML__GRPC__V1__MULTIPART__FIELDS_ENTRY__INIT,
                                            e2 = BENTOML__GRPC__V1__MULTIPART__FIELDS_ENTRY__INIT;
  e1.key = "arr";
  e1.value = &arr;
  e2.key = "meta";
  e2.value = &meta;
  Bentoml__Grpc__V1__Multipart__FieldsEntry *entries[] = {&e1, &e2};
  Bentoml__Grpc__V1__Multipart mp = BENTOML__GRPC__V1__MULTIPART__INIT;
  mp.n_fields = 2;
  mp.fields = entries;
  bgi_pb_request req = BENTOML__GRPC__V1__REQUEST__INIT;
  req.api_name = "m";
  req.content_case = BENTOML__GRPC__V1__REQUEST__CONTENT_MULTIPART;
  req.multipart = &mp;
  assert_packs_to(&req.base, "0a016d522b0a180a0361727212110a0f08011201021a080000803f000000400a0f0a0"
                             "46d65746112073a050a036e6c70");
}

static void test_health_and_metadata(void **state) {
  (void)state;
  Grpc__Health__V1__HealthCheckRequest hreq = GRPC__HEALTH__V1__HEALTH_CHECK_REQUEST__INIT;
  hreq.service = "bentoml.grpc.v1.BentoService";
  assert_packs_to(&hreq.base, "0a1c62656e746f6d6c2e677270632e76312e42656e746f53657276696365");
  Grpc__Health__V1__HealthCheckResponse hresp = GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__INIT;
  hresp.status = GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING;
  assert_packs_to(&hresp.base, "0801");
  Bentoml__Grpc__V1__ServiceMetadataRequest mreq =
      BENTOML__GRPC__V1__SERVICE_METADATA_REQUEST__INIT;
  assert_packs_to(&mreq.base, "");
}

/* Presence of the `optional` descriptor_id and docs survives a decode. */
static void test_metadata_presence_decodes(void **state) {
  (void)state;
  /* apis { name: "a" input { descriptor_id: "" } } : explicitly empty id, no docs */
  bgi_pb_metadata *m = (bgi_pb_metadata *)unpack_hex(
      &bentoml__grpc__v1__service_metadata_response__descriptor, "12070a016112020a00");
  assert_int_equal(m->n_apis, 1);
  assert_int_equal(m->apis[0]->_input_case,
                   BENTOML__GRPC__V1__SERVICE_METADATA_RESPONSE__INFERENCE_API___INPUT_INPUT);
  assert_int_equal(
      m->apis[0]->input->_descriptor_id_case,
      BENTOML__GRPC__V1__SERVICE_METADATA_RESPONSE__DESCRIPTOR_METADATA___DESCRIPTOR_ID_DESCRIPTOR_ID);
  assert_string_equal(m->apis[0]->input->descriptor_id, "");
  assert_int_equal(m->apis[0]->_docs_case,
                   BENTOML__GRPC__V1__SERVICE_METADATA_RESPONSE__INFERENCE_API___DOCS__NOT_SET);
  assert_int_equal(m->apis[0]->_output_case,
                   BENTOML__GRPC__V1__SERVICE_METADATA_RESPONSE__INFERENCE_API___OUTPUT__NOT_SET);
  protobuf_c_message_free_unpacked(&m->base, NULL);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_text_request_and_response),
      cmocka_unit_test(test_ndarray_requests),
      cmocka_unit_test(test_codec_matches_golden_classify),
      cmocka_unit_test(test_ndarray_messages),
      cmocka_unit_test(test_ndarray_response_decodes),
      cmocka_unit_test(test_dataframe),
      cmocka_unit_test(test_json),
      cmocka_unit_test(test_file_kind_presence),
      cmocka_unit_test(test_multipart),
      cmocka_unit_test(test_health_and_metadata),
      cmocka_unit_test(test_metadata_presence_decodes),
  };
  return cmocka_run_group_tests_name("golden", tests, NULL, NULL);
}
