/* wire/content.c, member by member: a bgi_content into and out of Request, Part and Response:
 * each message's own field, File in each protocol version's form (v1: a MIME string; v1alpha1:
 * the File.FileType enum, PROTOCOL.md §2.9), BentoML's misspelt MIME type corrected, and each
 * refusal with its code: the caller's mistakes INVALID_ARGUMENT, the server's PROTOCOL. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "test_assert.h"

#include "bentoml/grpc/v1alpha1/service.pb-c.h"
#include "wire/content.h"
#include "wire/tabular_wire.h"

static void test_member_names(void **state) {
  (void)state;
  static const char *const names[] = {
      "nothing", "serialized_bytes", "ndarray", "dataframe", "series", "file", "text",
      "json",    "multipart"};
  for (int m = BGI_MEMBER_NONE; m <= BGI_MEMBER_MULTIPART; m++)
    assert_string_equal(bgi_member_name((bgi_member)m), names[m]);
  assert_string_equal(bgi_member_name((bgi_member)77), "nothing");
}

static void test_v1alpha1_kinds(void **state) {
  (void)state;
  assert_null(bgi_v1alpha1_kind_mime(0)); /* FILE_TYPE_UNSPECIFIED */
  assert_string_equal(bgi_v1alpha1_kind_mime(1), "text/csv");
  assert_string_equal(bgi_v1alpha1_kind_mime(4), "application/octet-stream");
  assert_string_equal(bgi_v1alpha1_kind_mime(7), "image/jpeg");
  assert_string_equal(bgi_v1alpha1_kind_mime(12), "image/svg+xml");
  assert_null(bgi_v1alpha1_kind_mime(13));
  assert_null(bgi_v1alpha1_kind_mime(-1));
}

/* `got` packs to the same bytes as `want`. */
static void assert_same_packing(const ProtobufCMessage *got, const ProtobufCMessage *want) {
  uint8_t a[64], b[64];
  size_t n = protobuf_c_message_get_packed_size(got);
  assert_true(n <= sizeof a);
  assert_int_equal(protobuf_c_message_pack(got, a), n);
  assert_int_equal(protobuf_c_message_get_packed_size(want), n);
  assert_int_equal(protobuf_c_message_pack(want, b), n);
  assert_memory_equal(a, b, n);
}

/* The JSON member: Value bytes (length prefix first, as a JSON value keeps them) that go out as
 * they are, packing to the bytes of the json member set to that Value. */
static const uint8_t null_value_field[] = {0x02, 0x08, 0x00};
static const bgi_content json_content = {
    .member = BGI_MEMBER_JSON,
    .as.json_bytes = {sizeof null_value_field, (uint8_t *)null_value_field}};

/* A frame to send: one float64 column "a" of {1.5, -2} (a DataFrame), or that column alone
 * (a Series); measured in `arena`. */
static const double frame_values[2] = {1.5, -2};
static const bg_ndarray frame_column = {
    .dtype = BG_DTYPE_DOUBLE, .ndim = 1, .shape = {2}, .count = 2, .data = frame_values};
static const bg_ndarray *const frame_columns[1] = {&frame_column};
static const char *const frame_names[1] = {"a"};

static bgi_content frame_content(bgi_arena *arena, bgi_member member) {
  bg_error err;
  bgi_content c = {.member = member,
                   .as.frame = {.count = 1,
                                .names = member == BGI_MEMBER_DATAFRAME ? frame_names : NULL,
                                .columns = frame_columns}};
  assert_int_equal(bgi_frame_measure(&c.as.frame, arena, &err), BG_OK);
  return c;
}

/* The same frame as protobuf-c messages: `se` the Series, `df` the DataFrame holding it. */
static Bentoml__Grpc__V1__DataFrame *frame_tree(Bentoml__Grpc__V1__DataFrame *df,
                                                Bentoml__Grpc__V1__Series *se) {
  static Bentoml__Grpc__V1__Series *columns[1];
  se->n_double_values = 2;
  se->double_values = (double *)frame_values;
  columns[0] = se;
  df->n_column_names = df->n_columns = 1;
  df->column_names = (char **)frame_names;
  df->columns = columns;
  return df;
}

/* Encodes `c` into *r, which must then have `content_case`; a failure names the member and the
 * caller's line. */
#define assert_encodes(c, arena, r, content_case)                                                  \
  assert_encodes_at((c), (arena), (r), (content_case), __LINE__)
static void assert_encodes_at(const bgi_content *c, bgi_arena *arena, bgi_pb_request *r,
                              int content_case, int line) {
  bg_error err;
  bg_status st = bgi_content_to_request(c, BGI_PROTOCOL_V1, arena, r, &err);
  if (st != BG_OK || (int)r->content_case != content_case)
    print_error("encoding member %s: %s\n", bgi_member_name(c->member),
                st != BG_OK ? err.message : "another content case");
  _assert_int_equal(st, BG_OK, __FILE__, line);
  _assert_int_equal(r->content_case, content_case, __FILE__, line);
}

/* The request a test expects: `api_name`, `content_case` (its member is the caller's to set). */
static bgi_pb_request request_of(const char *api_name,
                                 Bentoml__Grpc__V1__Request__ContentCase content_case) {
  bgi_pb_request r = BENTOML__GRPC__V1__REQUEST__INIT;
  r.api_name = (char *)api_name;
  r.content_case = content_case;
  return r;
}

/* Every member lands in the Request's field of that member, with its content case. */
static void test_to_request_every_member(void **state) {
  (void)state;
  bgi_pb_ndarray nd = BENTOML__GRPC__V1__NDARRAY__INIT;
  Bentoml__Grpc__V1__DataFrame df = BENTOML__GRPC__V1__DATA_FRAME__INIT;
  Bentoml__Grpc__V1__Series se = BENTOML__GRPC__V1__SERIES__INIT;
  Google__Protobuf__StringValue tx = GOOGLE__PROTOBUF__STRING_VALUE__INIT;
  Google__Protobuf__Value js = GOOGLE__PROTOBUF__VALUE__INIT;
  Bentoml__Grpc__V1__Multipart mp = BENTOML__GRPC__V1__MULTIPART__INIT;
  bgi_arena arena;
  bgi_arena_init(&arena);
  bg_error err;
  bgi_pb_request r = BENTOML__GRPC__V1__REQUEST__INIT;

  bgi_content c = {.member = BGI_MEMBER_SERIALIZED_BYTES, .as.raw = {3, (uint8_t *)"abc"}};
  assert_encodes(&c, &arena, &r, BENTOML__GRPC__V1__REQUEST__CONTENT_SERIALIZED_BYTES);
  assert_int_equal(r.serialized_bytes.len, 3);
  assert_ptr_equal(r.serialized_bytes.data, c.as.raw.data);

  c = (bgi_content){.member = BGI_MEMBER_NDARRAY, .as.ndarray = &nd};
  assert_encodes(&c, &arena, &r, BENTOML__GRPC__V1__REQUEST__CONTENT_NDARRAY);
  assert_ptr_equal(r.ndarray, &nd);

  /* DataFrame and Series: the hand-written message as an unknown field of the member's number,
   * packing to the bytes of the member set to the same message */
  r.api_name = "echo_df";
  c = frame_content(&arena, BGI_MEMBER_DATAFRAME);
  assert_encodes(&c, &arena, &r, BENTOML__GRPC__V1__REQUEST__CONTENT__NOT_SET);
  bgi_pb_request want_df = request_of("echo_df", BENTOML__GRPC__V1__REQUEST__CONTENT_DATAFRAME);
  want_df.dataframe = frame_tree(&df, &se);
  assert_same_packing(&r.base, &want_df.base);
  c = frame_content(&arena, BGI_MEMBER_SERIES);
  assert_encodes(&c, &arena, &r, BENTOML__GRPC__V1__REQUEST__CONTENT__NOT_SET);
  bgi_pb_request want_se = request_of("echo_df", BENTOML__GRPC__V1__REQUEST__CONTENT_SERIES);
  want_se.series = &se;
  assert_same_packing(&r.base, &want_se.base);
  r.api_name = (char *)protobuf_c_empty_string;

  c = (bgi_content){.member = BGI_MEMBER_TEXT, .as.text = &tx};
  assert_encodes(&c, &arena, &r, BENTOML__GRPC__V1__REQUEST__CONTENT_TEXT);
  assert_ptr_equal(r.text, &tx);

  r.api_name = "echo_json";
  assert_encodes(&json_content, &arena, &r, BENTOML__GRPC__V1__REQUEST__CONTENT__NOT_SET);
  js.kind_case = GOOGLE__PROTOBUF__VALUE__KIND_NULL_VALUE;
  bgi_pb_request want = request_of("echo_json", BENTOML__GRPC__V1__REQUEST__CONTENT_JSON);
  want.json = &js;
  assert_same_packing(&r.base, &want.base);
  r.api_name = (char *)protobuf_c_empty_string;

  c = (bgi_content){.member = BGI_MEMBER_MULTIPART, .as.multipart = &mp};
  assert_encodes(&c, &arena, &r, BENTOML__GRPC__V1__REQUEST__CONTENT_MULTIPART);
  assert_ptr_equal(r.multipart, &mp);

  c = (bgi_content){.member = BGI_MEMBER_FILE, .as.file = {.data = {2, (uint8_t *)"hi"}}};
  assert_encodes(&c, &arena, &r, BENTOML__GRPC__V1__REQUEST__CONTENT_FILE);
  assert_int_equal(r.file->content.len, 2);
  assert_int_equal(r.file->_kind_case, BENTOML__GRPC__V1__FILE___KIND__NOT_SET); /* no kind */

  /* nothing to send is the library's own bug, never the server's or the caller's */
  bgi_pb_request untouched = BENTOML__GRPC__V1__REQUEST__INIT;
  c = (bgi_content){.member = BGI_MEMBER_NONE};
  assert_int_equal(bgi_content_to_request(&c, BGI_PROTOCOL_V1, &arena, &untouched, &err),
                   BG_ERR_INTERNAL);
  assert_string_equal(err.message, "no content to send");
  assert_int_equal(untouched.content_case, BENTOML__GRPC__V1__REQUEST__CONTENT__NOT_SET);
  bgi_arena_fini(&arena);
}

/* Parts take every member but a nested multipart. */
static void test_to_part(void **state) {
  (void)state;
  bgi_arena arena;
  bgi_arena_init(&arena);
  bg_error err;
  Bentoml__Grpc__V1__Part p = BENTOML__GRPC__V1__PART__INIT;
  Google__Protobuf__Value js = GOOGLE__PROTOBUF__VALUE__INIT;
  Google__Protobuf__StringValue tx = GOOGLE__PROTOBUF__STRING_VALUE__INIT;
  bgi_pb_ndarray nd = BENTOML__GRPC__V1__NDARRAY__INIT;
  Bentoml__Grpc__V1__DataFrame df = BENTOML__GRPC__V1__DATA_FRAME__INIT;
  Bentoml__Grpc__V1__Series se = BENTOML__GRPC__V1__SERIES__INIT;

  struct {
    bgi_content content;
    int representation;
  } cases[] = {
      {{.member = BGI_MEMBER_TEXT, .as.text = &tx}, BENTOML__GRPC__V1__PART__REPRESENTATION_TEXT},
      {{.member = BGI_MEMBER_NDARRAY, .as.ndarray = &nd},
       BENTOML__GRPC__V1__PART__REPRESENTATION_NDARRAY},
      {{.member = BGI_MEMBER_SERIALIZED_BYTES, .as.raw = {1, (uint8_t *)"x"}},
       BENTOML__GRPC__V1__PART__REPRESENTATION_SERIALIZED_BYTES},
      {{.member = BGI_MEMBER_FILE, .as.file = {.data = {1, (uint8_t *)"x"}, .kind = "text/csv"}},
       BENTOML__GRPC__V1__PART__REPRESENTATION_FILE},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    assert_int_equal(bgi_content_to_part(&cases[i].content, BGI_PROTOCOL_V1, &arena, &p, &err),
                     BG_OK);
    assert_int_equal(p.representation_case, cases[i].representation);
  }
  assert_ptr_equal(p.file->base.descriptor, &bentoml__grpc__v1__file__descriptor);
  assert_string_equal(p.file->kind, "text/csv");
  assert_int_equal(bgi_content_to_part(&json_content, BGI_PROTOCOL_V1, &arena, &p, &err), BG_OK);
  js.kind_case = GOOGLE__PROTOBUF__VALUE__KIND_NULL_VALUE;
  Bentoml__Grpc__V1__Part want = BENTOML__GRPC__V1__PART__INIT;
  want.representation_case = BENTOML__GRPC__V1__PART__REPRESENTATION_JSON;
  want.json = &js;
  assert_same_packing(&p.base, &want.base);

  /* DataFrame and Series: as in a Request, under the Part's own numbers */
  bgi_content frame = frame_content(&arena, BGI_MEMBER_DATAFRAME);
  assert_int_equal(bgi_content_to_part(&frame, BGI_PROTOCOL_V1, &arena, &p, &err), BG_OK);
  assert_int_equal(p.representation_case, BENTOML__GRPC__V1__PART__REPRESENTATION__NOT_SET);
  Bentoml__Grpc__V1__Part want_df = BENTOML__GRPC__V1__PART__INIT;
  want_df.representation_case = BENTOML__GRPC__V1__PART__REPRESENTATION_DATAFRAME;
  want_df.dataframe = frame_tree(&df, &se);
  assert_same_packing(&p.base, &want_df.base);
  frame = frame_content(&arena, BGI_MEMBER_SERIES);
  assert_int_equal(bgi_content_to_part(&frame, BGI_PROTOCOL_V1, &arena, &p, &err), BG_OK);
  Bentoml__Grpc__V1__Part want_se = BENTOML__GRPC__V1__PART__INIT;
  want_se.representation_case = BENTOML__GRPC__V1__PART__REPRESENTATION_SERIES;
  want_se.series = &se;
  assert_same_packing(&p.base, &want_se.base);

  Bentoml__Grpc__V1__Multipart mp = BENTOML__GRPC__V1__MULTIPART__INIT;
  Bentoml__Grpc__V1__Part untouched = BENTOML__GRPC__V1__PART__INIT;
  bgi_content c = {.member = BGI_MEMBER_MULTIPART, .as.multipart = &mp};
  assert_int_equal(bgi_content_to_part(&c, BGI_PROTOCOL_V1, &arena, &untouched, &err),
                   BG_ERR_INVALID_ARGUMENT);
  assert_string_equal(err.message, "a multipart cannot be a part");
  assert_int_equal(untouched.representation_case, BENTOML__GRPC__V1__PART__REPRESENTATION__NOT_SET);
  c = (bgi_content){.member = BGI_MEMBER_NONE};
  assert_int_equal(bgi_content_to_part(&c, BGI_PROTOCOL_V1, &arena, &untouched, &err),
                   BG_ERR_INTERNAL);
  bgi_arena_fini(&arena);
}

/* A v1alpha1 request carries File.kind as the enum: packed, then read back by a v1alpha1
 * reader, the MIME type comes back as that enum's number. */
static void test_v1alpha1_file_request_on_the_wire(void **state) {
  (void)state;
  static const struct {
    const char *mime;
    int type;
  } kinds[] = {{"text/csv", 1}, {"application/pdf", 5}, {"image/png", 6}, {"image/svg+xml", 12}};
  for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
    bgi_arena arena;
    bgi_arena_init(&arena);
    bg_error err;
    bgi_pb_request r = BENTOML__GRPC__V1__REQUEST__INIT;
    r.api_name = "classify";
    bgi_content c = {.member = BGI_MEMBER_FILE,
                     .as.file = {.data = {3, (uint8_t *)"\x01\x02\x03"}, .kind = kinds[i].mime}};
    assert_int_equal(bgi_content_to_request(&c, BGI_PROTOCOL_V1ALPHA1, &arena, &r, &err), BG_OK);
    assert_ptr_equal(r.file->base.descriptor, &bentoml__grpc__v1alpha1__file__descriptor);

    uint8_t buf[256];
    assert_true(protobuf_c_message_get_packed_size(&r.base) <= sizeof buf);
    size_t n = protobuf_c_message_pack(&r.base, buf);
    bgi_arena_fini(&arena);
    Bentoml__Grpc__V1alpha1__Request *back = bentoml__grpc__v1alpha1__request__unpack(NULL, n, buf);
    assert_non_null(back);
    assert_string_equal(back->api_name, "classify");
    assert_int_equal(back->content_case, BENTOML__GRPC__V1ALPHA1__REQUEST__CONTENT_FILE);
    assert_int_equal(back->file->_kind_case, BENTOML__GRPC__V1ALPHA1__FILE___KIND_KIND);
    assert_int_equal(back->file->kind, kinds[i].type);
    assert_int_equal(back->file->content.len, 3);
    assert_memory_equal(back->file->content.data, "\x01\x02\x03", 3);
    bentoml__grpc__v1alpha1__request__free_unpacked(back, NULL);
  }

  /* no kind: the field stays unset */
  bgi_arena arena;
  bgi_arena_init(&arena);
  bg_error err;
  bgi_pb_request r = BENTOML__GRPC__V1__REQUEST__INIT;
  bgi_content c = {.member = BGI_MEMBER_FILE, .as.file = {.data = {0, NULL}}};
  assert_int_equal(bgi_content_to_request(&c, BGI_PROTOCOL_V1ALPHA1, &arena, &r, &err), BG_OK);
  Bentoml__Grpc__V1alpha1__File *f = (Bentoml__Grpc__V1alpha1__File *)r.file;
  assert_int_equal(f->_kind_case, BENTOML__GRPC__V1ALPHA1__FILE___KIND__NOT_SET);

  /* a MIME type v1alpha1 has no number for is refused before sending, with the list */
  bgi_pb_request untouched = BENTOML__GRPC__V1__REQUEST__INIT;
  c.as.file.kind = "audio/wav";
  assert_int_equal(bgi_content_to_request(&c, BGI_PROTOCOL_V1ALPHA1, &arena, &untouched, &err),
                   BG_ERR_INVALID_ARGUMENT);
  assert_int_equal(err.code, BG_ERR_INVALID_ARGUMENT);
  assert_contains(err.message, "MIME type 'audio/wav' has no v1alpha1 File kind");
  assert_contains(err.message, "text/csv, text/plain, application/json");
  assert_int_equal(untouched.content_case, BENTOML__GRPC__V1__REQUEST__CONTENT__NOT_SET);
  /* the same type is fine in v1, as a string */
  assert_int_equal(bgi_content_to_request(&c, BGI_PROTOCOL_V1, &arena, &r, &err), BG_OK);
  assert_string_equal(r.file->kind, "audio/wav");
  bgi_arena_fini(&arena);
}

/* The message a decoded content points into, whatever its member (NULL for none or File). */
static const void *decoded_message(const bgi_content *c) {
  switch (c->member) {
  case BGI_MEMBER_SERIALIZED_BYTES: return c->as.bytes;
  case BGI_MEMBER_NDARRAY: return c->as.ndarray;
  case BGI_MEMBER_DATAFRAME: return c->as.dataframe;
  case BGI_MEMBER_SERIES: return c->as.series;
  case BGI_MEMBER_TEXT: return c->as.text;
  case BGI_MEMBER_JSON: return c->as.json;
  case BGI_MEMBER_MULTIPART: return c->as.multipart;
  default: return NULL;
  }
}

/* A decode that must succeed as `member`, pointing at `message` (nothing copied); a failure
 * names the member and the caller's line. */
#define assert_decoded(st, c, member, message)                                                     \
  assert_decoded_at((st), (c), (member), (message), __FILE__, __LINE__)
static void assert_decoded_at(bg_status st, const bgi_content *c, bgi_member member,
                              const void *message, const char *file, int line) {
  if (st != BG_OK || c->member != member || decoded_message(c) != message)
    print_error("decoding member %s: status %d, member %s\n", bgi_member_name(member), (int)st,
                bgi_member_name(c->member));
  _assert_int_equal(st, BG_OK, file, line);
  _assert_int_equal(c->member, member, file, line);
  _assert_int_equal((uintptr_t)decoded_message(c), (uintptr_t)message, file, line);
}

/* The members a Response and a Part both hold as a message field, each as X(content case,
 * field, the test's message of that type, member): the two tests below decode them all. */
#define MEMBERS_OF_BOTH(X)                                                                         \
  X(NDARRAY, ndarray, &nd, BGI_MEMBER_NDARRAY);                                                    \
  X(DATAFRAME, dataframe, &df, BGI_MEMBER_DATAFRAME);                                              \
  X(SERIES, series, &se, BGI_MEMBER_SERIES);                                                       \
  X(TEXT, text, &tx, BGI_MEMBER_TEXT);                                                             \
  X(JSON, json, &js, BGI_MEMBER_JSON)

/* Every member of a Response is found, pointing into the message (nothing copied). */
static void test_from_response_every_member(void **state) {
  (void)state;
  bgi_pb_ndarray nd = BENTOML__GRPC__V1__NDARRAY__INIT;
  Bentoml__Grpc__V1__DataFrame df = BENTOML__GRPC__V1__DATA_FRAME__INIT;
  Bentoml__Grpc__V1__Series se = BENTOML__GRPC__V1__SERIES__INIT;
  Google__Protobuf__StringValue tx = GOOGLE__PROTOBUF__STRING_VALUE__INIT;
  Google__Protobuf__Value js = GOOGLE__PROTOBUF__VALUE__INIT;
  Bentoml__Grpc__V1__Multipart mp = BENTOML__GRPC__V1__MULTIPART__INIT;
  bgi_pb_response r = BENTOML__GRPC__V1__RESPONSE__INIT;
  bgi_content c;
  bg_error err;

  /* the content set to one member, decoded: found as that member, pointing at its message */
#define DECODES(CASE, field, message, member)                                                      \
  (r.content_case = BENTOML__GRPC__V1__RESPONSE__CONTENT_##CASE, r.field = (message),              \
   assert_decoded(bgi_content_from_response(&r.base, BGI_PROTOCOL_V1, &c, &err), &c, (member),     \
                  (message)))
  MEMBERS_OF_BOTH(DECODES);
  DECODES(MULTIPART, multipart, &mp, BGI_MEMBER_MULTIPART);
#undef DECODES
  r.content_case = BENTOML__GRPC__V1__RESPONSE__CONTENT_SERIALIZED_BYTES;
  r.serialized_bytes = (ProtobufCBinaryData){2, (uint8_t *)"ok"};
  /* pointing at the message's own buffer: decoders may take it */
  assert_decoded(bgi_content_from_response(&r.base, BGI_PROTOCOL_V1, &c, &err), &c,
                 BGI_MEMBER_SERIALIZED_BYTES, &r.serialized_bytes);

  /* no content, or a member added to the protocol after this library: the server's fault */
  r.content_case = BENTOML__GRPC__V1__RESPONSE__CONTENT__NOT_SET;
  assert_int_equal(bgi_content_from_response(&r.base, BGI_PROTOCOL_V1, &c, &err), BG_ERR_PROTOCOL);
  assert_string_equal(err.message,
                      "the server's reply has no content (or content field 0, unknown here)");
  assert_int_equal(c.member, BGI_MEMBER_NONE);
  r.content_case = (Bentoml__Grpc__V1__Response__ContentCase)99;
  assert_int_equal(bgi_content_from_response(&r.base, BGI_PROTOCOL_V1, &c, &err), BG_ERR_PROTOCOL);
  assert_contains(err.message, "content field 99, unknown here");
}

/* A File reply that must decode (in `protocol`) pointing at `content`, of MIME type `kind`
 * (NULL: none); a failure names the caller's line. */
#define assert_file_reply(reply, protocol, content, kind)                                          \
  assert_file_reply_at((reply), (protocol), (content), (kind), __FILE__, __LINE__)
static void assert_file_reply_at(const ProtobufCMessage *reply, bgi_protocol protocol,
                                 const ProtobufCBinaryData *content, const char *kind,
                                 const char *file, int line) {
  bgi_content c;
  bg_error err;
  bg_status st = bgi_content_from_response(reply, protocol, &c, &err);
  if (st != BG_OK)
    print_error("%s\n", err.message);
  _assert_int_equal(st, BG_OK, file, line);
  _assert_int_equal(c.member, BGI_MEMBER_FILE, file, line);
  _assert_int_equal((uintptr_t)c.as.file.bytes, (uintptr_t)content, file, line);
  if (!kind || !c.as.file.kind)
    _assert_int_equal((uintptr_t)c.as.file.kind, (uintptr_t)kind, file, line);
  else
    _assert_string_equal(c.as.file.kind, kind, file, line);
}

/* v1 File replies: the MIME string as sent, BentoML's "appliction/octet-stream" corrected. */
static void test_v1_file_replies(void **state) {
  (void)state;
  Bentoml__Grpc__V1__File f = BENTOML__GRPC__V1__FILE__INIT;
  f.content = (ProtobufCBinaryData){3, (uint8_t *)"pdf"};
  bgi_pb_response r = BENTOML__GRPC__V1__RESPONSE__INIT;
  r.content_case = BENTOML__GRPC__V1__RESPONSE__CONTENT_FILE;
  r.file = &f;
  assert_file_reply(&r.base, BGI_PROTOCOL_V1, &f.content, NULL);

  f._kind_case = BENTOML__GRPC__V1__FILE___KIND_KIND;
  f.kind = "application/pdf";
  assert_file_reply(&r.base, BGI_PROTOCOL_V1, &f.content, "application/pdf");
  f.kind = "appliction/octet-stream";
  assert_file_reply(&r.base, BGI_PROTOCOL_V1, &f.content, "application/octet-stream");
}

/* v1alpha1 File replies: the enum mapped to its MIME type; an unknown number is refused. */
static void test_v1alpha1_file_replies(void **state) {
  (void)state;
  Bentoml__Grpc__V1alpha1__File f = BENTOML__GRPC__V1ALPHA1__FILE__INIT;
  f.content = (ProtobufCBinaryData){1, (uint8_t *)"x"};
  Bentoml__Grpc__V1alpha1__Response r = BENTOML__GRPC__V1ALPHA1__RESPONSE__INIT;
  r.content_case = BENTOML__GRPC__V1ALPHA1__RESPONSE__CONTENT_FILE;
  r.file = &f;
  assert_file_reply(&r.base, BGI_PROTOCOL_V1ALPHA1, &f.content, NULL);

  f._kind_case = BENTOML__GRPC__V1ALPHA1__FILE___KIND_KIND;
  f.kind = BENTOML__GRPC__V1ALPHA1__FILE__FILE_TYPE__FILE_TYPE_UNSPECIFIED;
  assert_file_reply(&r.base, BGI_PROTOCOL_V1ALPHA1, &f.content, NULL); /* no MIME type */
  f.kind = BENTOML__GRPC__V1ALPHA1__FILE__FILE_TYPE__FILE_TYPE_WEBP;
  assert_file_reply(&r.base, BGI_PROTOCOL_V1ALPHA1, &f.content, "image/webp");

  bgi_content c;
  bg_error err;
  f.kind = (Bentoml__Grpc__V1alpha1__File__FileType)40;
  assert_int_equal(bgi_content_from_response(&r.base, BGI_PROTOCOL_V1ALPHA1, &c, &err),
                   BG_ERR_PROTOCOL);
  assert_string_equal(err.message, "the server sent unknown v1alpha1 File kind 40");
}

static void test_from_part(void **state) {
  (void)state;
  bgi_pb_ndarray nd = BENTOML__GRPC__V1__NDARRAY__INIT;
  Bentoml__Grpc__V1__DataFrame df = BENTOML__GRPC__V1__DATA_FRAME__INIT;
  Bentoml__Grpc__V1__Series se = BENTOML__GRPC__V1__SERIES__INIT;
  Google__Protobuf__StringValue tx = GOOGLE__PROTOBUF__STRING_VALUE__INIT;
  Google__Protobuf__Value js = GOOGLE__PROTOBUF__VALUE__INIT;
  Bentoml__Grpc__V1__File f = BENTOML__GRPC__V1__FILE__INIT;
  f._kind_case = BENTOML__GRPC__V1__FILE___KIND_KIND;
  f.kind = "image/png";
  Bentoml__Grpc__V1__Part p = BENTOML__GRPC__V1__PART__INIT;
  bgi_content c;
  bg_error err;

#define DECODES(CASE, field, message, member)                                                      \
  (p.representation_case = BENTOML__GRPC__V1__PART__REPRESENTATION_##CASE, p.field = (message),    \
   assert_decoded(bgi_content_from_part(&p, BGI_PROTOCOL_V1, &c, &err), &c, (member), (message)))
  MEMBERS_OF_BOTH(DECODES);
#undef DECODES
  p.representation_case = BENTOML__GRPC__V1__PART__REPRESENTATION_SERIALIZED_BYTES;
  p.serialized_bytes = (ProtobufCBinaryData){1, (uint8_t *)"b"};
  assert_decoded(bgi_content_from_part(&p, BGI_PROTOCOL_V1, &c, &err), &c,
                 BGI_MEMBER_SERIALIZED_BYTES, &p.serialized_bytes);

  p.representation_case = BENTOML__GRPC__V1__PART__REPRESENTATION_FILE;
  p.file = &f;
  assert_int_equal(bgi_content_from_part(&p, BGI_PROTOCOL_V1, &c, &err), BG_OK);
  assert_int_equal(c.member, BGI_MEMBER_FILE);
  assert_string_equal(c.as.file.kind, "image/png");

  p.representation_case = BENTOML__GRPC__V1__PART__REPRESENTATION__NOT_SET;
  assert_int_equal(bgi_content_from_part(&p, BGI_PROTOCOL_V1, &c, &err), BG_ERR_PROTOCOL);
  assert_string_equal(err.message, "a multipart part in the reply has no content");
  assert_int_equal(c.member, BGI_MEMBER_NONE);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_member_names),
      cmocka_unit_test(test_v1alpha1_kinds),
      cmocka_unit_test(test_to_request_every_member),
      cmocka_unit_test(test_to_part),
      cmocka_unit_test(test_v1alpha1_file_request_on_the_wire),
      cmocka_unit_test(test_from_response_every_member),
      cmocka_unit_test(test_v1_file_replies),
      cmocka_unit_test(test_v1alpha1_file_replies),
      cmocka_unit_test(test_from_part),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
