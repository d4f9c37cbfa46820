/* Out of memory, one allocation at a time: each scenario below (building values, parsing
 * descriptor specs, encoding requests and decoding replies, setting options) runs once with
 * its 1st allocation failing, once with its 2nd, ... until it runs with no failure. Every run
 * with a failure must fail with BG_ERR_NO_MEMORY and "out of memory" (never another code,
 * never a success built on a missing piece), and free what it made: the ASan build's leak
 * checker fails the test on a leak, the plain build's run under valgrind likewise.
 *
 * The library's own calls to malloc, calloc, realloc, strdup, strndup and posix_memalign are
 * redirected here by the linker (-Wl,--wrap=..., tests/CMakeLists.txt); jansson's through
 * json_set_alloc_funcs() where the library builds JSON from a reply. gRPC's and protobuf-c's
 * allocations are not: the library hands them no allocator of its own. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <grpc/byte_buffer.h>

#include "test_assert.h"

#include "bentogrpc/bentogrpc.h"
#include "client/interceptor_internal.h"
#include "descriptors/descriptor.h"
#include "wire/byte_buffer.h"
#include "wire/json_value.h"
#include "wire/tabular_wire.h"

void *__real_malloc(size_t size);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t size);
char *__real_strdup(const char *s);
char *__real_strndup(const char *s, size_t n);
int __real_posix_memalign(void **p, size_t alignment, size_t size);

static long countdown; /* > 0: the countdown-th allocation from now fails; 0: none does */
static long allocations;
static bool injected;

static bool fail_now(void) {
  if (countdown <= 0)
    return false;
  allocations++;
  if (--countdown > 0)
    return false;
  injected = true;
  errno = ENOMEM;
  return true;
}

void *__wrap_malloc(size_t size);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t size);
char *__wrap_strdup(const char *s);
char *__wrap_strndup(const char *s, size_t n);
int __wrap_posix_memalign(void **p, size_t alignment, size_t size);

void *__wrap_malloc(size_t size) { return fail_now() ? NULL : __real_malloc(size); }
void *__wrap_calloc(size_t n, size_t size) { return fail_now() ? NULL : __real_calloc(n, size); }
void *__wrap_realloc(void *p, size_t size) { return fail_now() ? NULL : __real_realloc(p, size); }
char *__wrap_strdup(const char *s) { return fail_now() ? NULL : __real_strdup(s); }
char *__wrap_strndup(const char *s, size_t n) { return fail_now() ? NULL : __real_strndup(s, n); }
int __wrap_posix_memalign(void **p, size_t alignment, size_t size) {
  return fail_now() ? ENOMEM : __real_posix_memalign(p, alignment, size);
}
/* jansson's allocations fail only where the library builds JSON itself (decoding replies):
 * jansson's parser reports its own allocation failures without a reason or as a syntax error,
 * which the library cannot tell from bad input (docs/COVERAGE.md). */
static bool jansson_fails;
static void *json_malloc(size_t size) {
  return jansson_fails && fail_now() ? NULL : __real_malloc(size);
}

typedef bg_status (*scenario_fn)(bg_error *err);

/* Runs `fn` with its 1st, 2nd, ... allocation failing, then with none failing. */
static void each_allocation_fails(const char *name, scenario_fn fn) {
  for (long n = 1;; n++) {
    bg_error err;
    memset(&err, 0, sizeof err);
    injected = false;
    allocations = 0;
    countdown = n;
    bg_status st = fn(&err);
    countdown = 0;
    if (!injected) {
      if (st != BG_OK)
        fail_msg("%s, no allocation failing: %s: %s", name, bg_status_name(st), err.message);
      if (n == 1)
        fail_msg("%s allocates nothing: the scenario tests nothing", name);
      return;
    }
    if (st != BG_ERR_NO_MEMORY)
      fail_msg("%s, allocation %ld failing: %s (%s), not BG_ERR_NO_MEMORY", name, n,
               bg_status_name(st),
               st == BG_OK ? "a success built on a missing piece" : err.message);
    if (err.code != BG_ERR_NO_MEMORY || !strstr(err.message, "out of memory"))
      fail_msg("%s, allocation %ld failing: the error says %s '%s'", name, n,
               bg_status_name(err.code), err.message);
  }
}

/* A NULL from a constructor that reports into err. */
static bg_status made(const void *p, bg_error *err) { return p ? BG_OK : err->code; }

/* A NULL from a constructor documented to return NULL only when out of memory. */
static bg_status made_or_oom(const void *p, bg_error *err) {
  if (p)
    return BG_OK;
  snprintf(err->message, sizeof err->message, "out of memory");
  return err->code = BG_ERR_NO_MEMORY;
}

/* ---- values ---- */

static bg_status file_copy(bg_error *err) {
  bg_value *v = bg_file_copy("abc", 3, "Image/PNG", err);
  bg_value_free(v);
  return made(v, err);
}

static char big_file[256];

static bg_status file_from_path(bg_error *err) {
  bg_value *v = bg_file_from_path(big_file, "text/plain", err);
  bg_value_free(v);
  return made(v, err);
}

static bg_status bytes_and_text(bg_error *err) {
  bg_value *b = bg_bytes_copy("raw", 3, err);
  if (!b)
    return err->code;
  bg_value_free(b);
  bg_value *t = bg_text_new("h\xc3\xa9llo", (size_t)-1, err);
  bg_value_free(t);
  return made(t, err);
}

static const char *const words[] = {"alpha", "beta", "", "delta"};

static bg_status string_ndarray(bg_error *err) {
  int64_t shape[2] = {2, 2};
  bg_value *v = bg_ndarray_copy(BG_DTYPE_STRING, shape, 2, words, 4, err);
  if (!v)
    return err->code;
  bg_value *s = bg_series_copy(BG_DTYPE_STRING, words, 4, err);
  /* borrowed: the check keeps the strings' lengths in an allocation of its own */
  bg_value *b = s ? bg_series_borrow(BG_DTYPE_STRING, words, 4, err) : NULL;
  bg_value_free(v);
  bg_value_free(s);
  bg_value_free(b);
  return made(s ? (const void *)b : NULL, err);
}

static bg_status json_value(bg_error *err) {
  static const char text[] =
      "{\"b\": [1, 2.5, true, null, \"x\\n\\t\\\\\"], \"a\": {\"c\": false}}";
  bg_value *v = bg_json_parse(text, sizeof text - 1, err);
  if (!v)
    return err->code;
  const char *compact = bg_json_text(v);
  char *pretty = compact ? bg_json_format(v, 2) : NULL;
  bg_status st = made_or_oom(pretty, err);
  if (st == BG_OK &&
      strcmp(compact, "{\"a\":{\"c\":false},\"b\":[1,2.5,true,null,\"x\\n\\t\\\\\"]}"))
    fail_msg("bg_json_text: %s", compact);
  bg_string_free(pretty);
  bg_value_free(v);
  return st;
}

/* Parses `text` and renders it with `indent`; what it rendered must begin with `start`. */
static bg_status json_parse_and_format(const char *text, int indent, const char *start,
                                       bg_error *err) {
  bg_value *v = bg_json_parse(text, (size_t)-1, err);
  if (!v)
    return err->code;
  char *rendered = bg_json_format(v, indent);
  bg_value_free(v);
  bg_status st = made_or_oom(rendered, err);
  if (st == BG_OK && strncmp(rendered, start, strlen(start)) != 0)
    fail_msg("bg_json_format: %.60s, expected it to begin %s", rendered, start);
  bg_string_free(rendered);
  return st;
}

/* JSON texts past each inline buffer of the encoder and the renderer, each one growing at a
 * different place: the token list (at a string, a number, a container), the key list, the
 * duplicate-key check's sort, the buffer of decoded strings (at a string's first escape and at
 * a later one), the copy of a long number for strtod; the rendered text (at a short string, a
 * long one, a newline) and an object's member list. Made once, by make_json_texts. */
enum { JSON_TEXTS = 8 };
static char *json_texts[JSON_TEXTS];
static const char *const json_starts[JSON_TEXTS] = {
    "[null,",  "[null,",           "[null,",           "{\n  \"k00\": [\n    0,",
    "[\"aaaa", "\"\\u0001\\u0001", "\"\\u0001\\u0001", "[\n                [],"};
static const int json_indents[JSON_TEXTS] = {0, 0, 0, 2, 0, 0, 0, 16};

/* `n` copies of `piece` into t, at *at. */
static void repeat(char *t, size_t *at, const char *piece, int n) {
  for (int i = 0; i < n; i++, *at += strlen(piece))
    memcpy(t + *at, piece, strlen(piece));
}

static int make_json_texts(void **state) {
  (void)state;
  for (int i = 0; i < JSON_TEXTS; i++) {
    json_texts[i] = calloc(40000, 1);
    assert_non_null(json_texts[i]);
  }
  /* 0-2: the 257th token (the inline list holds 256) a string, a number, a container */
  static const char *const last_token[3] = {"\"s\"]", "1.5]", "[]]"};
  for (int i = 0; i < 3; i++) {
    size_t n = 0;
    repeat(json_texts[i], &n, "[", 1);
    repeat(json_texts[i], &n, "null,", 255);
    repeat(json_texts[i], &n, last_token[i], 1);
  }
  /* 3: 70 keys (64 inline; more than 12 are sorted to find a duplicate), a long number */
  size_t n = 0;
  json_texts[3][n++] = '{';
  for (int i = 0; i < 70; i++)
    n += (size_t)snprintf(json_texts[3] + n, 64, "\"k%02d\": [%d, %d], ", i, i, i + 1);
  repeat(json_texts[3], &n, "\"long\": 1.", 1);
  repeat(json_texts[3], &n, "0", 80);
  repeat(json_texts[3], &n, "1}", 1);
  /* 4: decoded strings: past the 512 inline bytes at the first escape, at a later one */
  n = 0;
  repeat(json_texts[4], &n, "[\"", 1);
  repeat(json_texts[4], &n, "a", 600);
  repeat(json_texts[4], &n, "\\n\", \"", 1);
  repeat(json_texts[4], &n, "b", 400);
  repeat(json_texts[4], &n, "\\t", 40);
  repeat(json_texts[4], &n, "\"]", 1);
  /* 5, 6: strings that render six times longer than their bytes, short and long */
  n = 0;
  repeat(json_texts[5], &n, "\"", 1);
  repeat(json_texts[5], &n, "\\u0001", 1000);
  repeat(json_texts[5], &n, "\"", 1);
  n = 0;
  repeat(json_texts[6], &n, "\"", 1);
  repeat(json_texts[6], &n, "\\u0001", 5000);
  repeat(json_texts[6], &n, "\"", 1);
  /* 7: many empty lists, indented by 16: mostly newlines and spaces */
  n = 0;
  repeat(json_texts[7], &n, "[", 1);
  repeat(json_texts[7], &n, "[],", 400);
  repeat(json_texts[7], &n, "[]]", 1);
  return 0;
}

static int free_json_texts(void **state) {
  (void)state;
  for (int i = 0; i < JSON_TEXTS; i++)
    free(json_texts[i]);
  return 0;
}

static bg_status json_large_values(bg_error *err) {
  for (int i = 0; i < JSON_TEXTS; i++) {
    bg_status st = json_parse_and_format(json_texts[i], json_indents[i], json_starts[i], err);
    if (st != BG_OK)
      return st;
  }
  return BG_OK;
}

/* Adds `column` (NULL: its constructor failed, err filled) to `df`; false on failure. */
static bool add_column(bg_value *df, const char *name, bg_value *column, bg_error *err) {
  return column && bg_dataframe_add_column(df, name, column, err) == BG_OK;
}

static bg_value *make_dataframe(bg_error *err) {
  static const double xs[3] = {1, 2, 3};
  static const int64_t ys[3] = {4, 5, 6};
  bg_value *df = bg_dataframe_new(err);
  if (!df)
    return NULL;
  if (!add_column(df, "x", bg_series_copy(BG_DTYPE_DOUBLE, xs, 3, err), err) ||
      !add_column(df, "y", bg_series_copy(BG_DTYPE_INT64, ys, 3, err), err) ||
      !add_column(df, "z", bg_series_copy(BG_DTYPE_STRING, words, 3, err), err)) {
    bg_value_free(df);
    return NULL;
  }
  return df;
}

static bg_status dataframe(bg_error *err) {
  bg_value *df = make_dataframe(err);
  bg_value_free(df);
  return made(df, err);
}

static bg_value *make_multipart(bg_error *err) {
  static const float f[2] = {1.5f, 2.5f};
  int64_t shape[1] = {2};
  bg_value *mp = bg_multipart_new(err);
  if (!mp)
    return NULL;
  bg_value *parts[3] = {NULL, NULL, NULL};
  const char *names[3] = {"image", "note", "arr"};
  bool ok = (parts[0] = bg_file_copy("png", 3, "image/png", err)) &&
            (parts[1] = bg_text_new("hi", (size_t)-1, err)) &&
            (parts[2] = bg_ndarray_copy(BG_DTYPE_FLOAT, shape, 1, f, 2, err));
  for (size_t i = 0; i < 3; i++) {
    if (ok)
      ok = bg_multipart_add(mp, names[i], parts[i], err) == BG_OK; /* taken, also on failure */
    else
      bg_value_free(parts[i]);
  }
  if (!ok) {
    bg_value_free(mp);
    return NULL;
  }
  return mp;
}

static bg_status multipart(bg_error *err) {
  bg_value *mp = make_multipart(err);
  bg_value_free(mp);
  return made(mp, err);
}

/* ---- descriptor specs (from ServiceMetadata) ---- */

static bg_status parse_spec(const bgi_descriptor *d, const char *args_json, bg_error *err) {
  countdown = -countdown; /* the test's own JSON is not under test */
  json_t *args = json_loads(args_json, 0, NULL);
  countdown = -countdown;
  assert_non_null(args);
  void *spec = d->parse_spec(args, err);
  json_decref(args);
  if (spec)
    d->free_spec(spec);
  return made(spec, err);
}

static bg_status specs(bg_error *err) {
  if (parse_spec(&bgi_ndarray_descriptor, "{\"dtype\": \"float32\", \"shape\": [-1, 4]}", err) ||
      parse_spec(&bgi_series_descriptor, "{\"dtype\": \"int64\", \"shape\": [3]}", err) ||
      parse_spec(&bgi_dataframe_descriptor,
                 "{\"orient\": \"records\", \"columns\": [\"x\", \"y\"], "
                 "\"dtype\": {\"x\": \"float64\", \"y\": \"int64\"}}",
                 err) ||
      parse_spec(&bgi_file_descriptor, "{\"mime_type\": \"image/png\"}", err))
    return err->code;
  return parse_spec(&bgi_multipart_descriptor,
                    "{\"a\": {\"id\": \"bentoml.io.NumpyNdarray\", \"args\": {\"dtype\": "
                    "\"float32\"}}, \"b\": {\"id\": \"bentoml.io.Text\", \"args\": null}, "
                    "\"c\": {\"id\": \"bentoml.io.JSON\", \"args\": {}}}",
                    err);
}

/* ---- requests and replies ---- */

/* The content as a Response (what a server replies with the same value). */
static void content_to_response(const bgi_content *c, bgi_arena *arena, bgi_pb_response *r,
                                Bentoml__Grpc__V1__File *file) {
  switch (c->member) {
  case BGI_MEMBER_NDARRAY:
    r->content_case = BENTOML__GRPC__V1__RESPONSE__CONTENT_NDARRAY;
    r->ndarray = c->as.ndarray;
    break;
  case BGI_MEMBER_SERIES:
  case BGI_MEMBER_DATAFRAME: { /* the hand-written message's bytes, as the Request carries them */
    static ProtobufCMessageUnknownField frame_field;
    ProtobufCBinaryData bytes;
    bg_error err;
    assert_int_equal(bgi_frame_field_bytes(&c->as.frame, arena, &bytes, &err), BG_OK);
    frame_field = (ProtobufCMessageUnknownField){.tag = c->member == BGI_MEMBER_SERIES ? 5 : 3,
                                                 .wire_type = PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED,
                                                 .len = bytes.len,
                                                 .data = bytes.data};
    r->base.n_unknown_fields = 1;
    r->base.unknown_fields = &frame_field;
    break;
  }
  case BGI_MEMBER_JSON: { /* the Value's bytes as they are, as the Request carries them */
    static ProtobufCMessageUnknownField json_field;
    json_field = (ProtobufCMessageUnknownField){.tag = 8,
                                                .wire_type = PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED,
                                                .len = c->as.json_bytes.len,
                                                .data = c->as.json_bytes.data};
    r->base.n_unknown_fields = 1;
    r->base.unknown_fields = &json_field;
    break;
  }
  case BGI_MEMBER_TEXT:
    r->content_case = BENTOML__GRPC__V1__RESPONSE__CONTENT_TEXT;
    r->text = c->as.text;
    break;
  case BGI_MEMBER_MULTIPART:
    r->content_case = BENTOML__GRPC__V1__RESPONSE__CONTENT_MULTIPART;
    r->multipart = c->as.multipart;
    break;
  case BGI_MEMBER_FILE:
    file->content = c->as.file.data;
    if (c->as.file.kind) {
      file->_kind_case = BENTOML__GRPC__V1__FILE___KIND_KIND;
      file->kind = (char *)c->as.file.kind;
    }
    r->content_case = BENTOML__GRPC__V1__RESPONSE__CONTENT_FILE;
    r->file = file;
    break;
  default: fail_msg("no Response member for %s", bgi_member_name(c->member));
  }
}

/* Encodes `v` for `d` (spec-less) into a packed Request, or, when `reply` is given, into the
 * packed Response that carries the same content. */
static bg_status encode(const bgi_descriptor *d, const bg_value *v, grpc_byte_buffer **reply,
                        bg_error *err) {
  bgi_arena arena;
  bgi_arena_init(&arena);
  bgi_codec_ctx ctx = {.arena = &arena, .protocol = BGI_PROTOCOL_V1, .validate = true};
  bgi_content content;
  bgi_pb_request request = BENTOML__GRPC__V1__REQUEST__INIT;
  request.api_name = "predict";
  grpc_byte_buffer *bb = NULL;
  bg_status st = bgi_descriptor_encode(d, NULL, v, &ctx, &content, err);
  if (st == BG_OK && reply) {
    bgi_pb_response response = BENTOML__GRPC__V1__RESPONSE__INIT;
    Bentoml__Grpc__V1__File file = BENTOML__GRPC__V1__FILE__INIT;
    content_to_response(&content, &arena, &response, &file);
    st = bgi_wire_pack(&response.base, reply, err);
  } else if (st == BG_OK && (content.member == BGI_MEMBER_DATAFRAME ||
                             content.member == BGI_MEMBER_SERIES)) { /* as the Call packs them */
    st = bgi_frame_request_pack(request.api_name, content.member == BGI_MEMBER_DATAFRAME ? 5 : 6,
                                &content.as.frame, &bb, err);
    if (bb)
      grpc_byte_buffer_destroy(bb);
  } else {
    if (st == BG_OK)
      st = bgi_content_to_request(&content, ctx.protocol, &arena, &request, err);
    if (st == BG_OK)
      st = bgi_wire_pack(&request.base, &bb, err);
    if (bb)
      grpc_byte_buffer_destroy(bb);
  }
  bgi_arena_fini(&arena);
  return st;
}

/* The test's inputs, made once with no failure injected. */
static bg_value *inputs[8];
static const bgi_descriptor *input_descriptors[8];
static size_t n_inputs;
/* The same contents as packed Responses. */
static grpc_byte_buffer *replies[8];

static bg_status encode_requests(bg_error *err) {
  for (size_t i = 0; i < n_inputs; i++) {
    bg_status st = encode(input_descriptors[i], inputs[i], NULL, err);
    if (st != BG_OK)
      return st;
  }
  return BG_OK;
}

static bg_status decode_replies(bg_error *err) {
  jansson_fails = true;
  bg_status st = BG_OK;
  for (size_t i = 0; st == BG_OK && i < n_inputs; i++) {
    ProtobufCMessage *pb = NULL;
    grpc_byte_buffer *copy = grpc_byte_buffer_copy(replies[i]);
    if (input_descriptors[i] == &bgi_json_descriptor) { /* the Call's path for JSON replies */
      bg_value *fast = NULL;
      st = bgi_json_reply_decode(&bentoml__grpc__v1__response__descriptor, copy, &fast, err);
      bg_value_free(fast);
      if (st != BG_OK) {
        grpc_byte_buffer_destroy(copy);
        break;
      }
    }
    if (input_descriptors[i] == &bgi_dataframe_descriptor ||
        input_descriptors[i] == &bgi_series_descriptor) { /* the Call's path for these replies */
      bg_value *fast = NULL;
      st = bgi_tabular_reply_decode(
          copy,
          input_descriptors[i] == &bgi_series_descriptor ? BGI_MEMBER_SERIES : BGI_MEMBER_DATAFRAME,
          BG_DTYPE_DOUBLE, &fast, err);
      bg_value_free(fast);
      if (st != BG_OK) {
        grpc_byte_buffer_destroy(copy);
        break;
      }
    }
    st = bgi_wire_unpack(&bentoml__grpc__v1__response__descriptor, copy, "reply", &pb, err);
    grpc_byte_buffer_destroy(copy);
    if (st != BG_OK)
      break;
    bgi_content content;
    bg_value *out = NULL;
    bgi_codec_ctx ctx = {.protocol = BGI_PROTOCOL_V1, .validate = true};
    st = bgi_content_from_response(pb, BGI_PROTOCOL_V1, &content, err);
    if (st == BG_OK)
      st = bgi_descriptor_decode(input_descriptors[i], NULL, &content, &ctx, &out, err);
    bg_value_free(out);
    protobuf_c_message_free_unpacked(pb, NULL);
  }
  jansson_fails = false;
  return st;
}

static int make_inputs(void **state) {
  (void)state;
  bg_error err;
  static const double d[4] = {1, 2, 3, 4};
  static const int32_t i32[3] = {7, 8, 9};
  int64_t shape[2] = {2, 2};
  n_inputs = 0;
#define ADD(desc, value)                                                                           \
  do {                                                                                             \
    input_descriptors[n_inputs] = (desc);                                                          \
    inputs[n_inputs] = (value);                                                                    \
    if (!inputs[n_inputs])                                                                         \
      fail_msg("input %zu: %s", n_inputs, err.message);                                            \
    n_inputs++;                                                                                    \
  } while (0)
  ADD(&bgi_ndarray_descriptor, bg_ndarray_copy(BG_DTYPE_DOUBLE, shape, 2, d, 4, &err));
  ADD(&bgi_ndarray_descriptor, bg_ndarray_copy(BG_DTYPE_STRING, shape, 2, words, 4, &err));
  ADD(&bgi_series_descriptor, bg_series_copy(BG_DTYPE_INT32, i32, 3, &err));
  ADD(&bgi_dataframe_descriptor, make_dataframe(&err));
  static const char json[] = "{\"k\": [1, \"two\", {\"three\": null}], \"t\": true}";
  ADD(&bgi_json_descriptor, bg_json_parse(json, sizeof json - 1, &err));
  ADD(&bgi_text_descriptor, bg_text_new("some text", (size_t)-1, &err));
  ADD(&bgi_file_descriptor, bg_file_copy("GIF89a", 6, "image/gif", &err));
  ADD(&bgi_multipart_descriptor, make_multipart(&err));
#undef ADD
  for (size_t i = 0; i < n_inputs; i++)
    if (encode(input_descriptors[i], inputs[i], &replies[i], &err) != BG_OK)
      fail_msg("encoding input %zu: %s", i, err.message);
  return 0;
}

static int free_inputs(void **state) {
  (void)state;
  for (size_t i = 0; i < n_inputs; i++) {
    bg_value_free(inputs[i]);
    grpc_byte_buffer_destroy(replies[i]);
  }
  n_inputs = 0;
  return 0;
}

/* ---- options ---- */

static bg_status options(bg_error *err) {
  bg_options *o = bg_options_new();
  if (!o)
    return made_or_oom(o, err);
  bg_status st = BG_OK;
  if (st == BG_OK)
    st = bg_options_set_user_agent(o, "test/1.0", err);
  if (st == BG_OK)
    st = bg_options_set_lb_policy(o, "round_robin", err);
  if (st == BG_OK)
    st = bg_options_set_service_config(o, "{\"methodConfig\": []}", err);
  for (int i = 0; st == BG_OK && i < 3; i++)
    st = bg_options_set_channel_arg_int(o, "grpc.enable_retries", i, err);
  if (st == BG_OK)
    st = bg_options_set_channel_arg_string(o, "grpc.http_proxy", "http://p:3128", err);
  if (st == BG_OK)
    st = bg_options_set_authority(o, "model.example.com", err);
  if (st == BG_OK)
    st = bg_options_set_retry(o, 3, 100, 1000, 2, "UNAVAILABLE", err);
  if (st == BG_OK)
    st = bg_options_set_health_check(o, true, "svc", err);
  bg_options_free(o);
  return st;
}

static bg_status call_options(bg_error *err) {
  bg_call_options *co = bg_call_options_new();
  if (!co)
    return made_or_oom(co, err);
  bg_status st = BG_OK;
  for (int i = 0; st == BG_OK && i < 6; i++) /* past the first capacity of 4 */
    st = bg_call_options_add_metadata(co, "x-key", "value", 5, err);
  if (st == BG_OK)
    st = bg_call_options_set_bearer_token(co, "secret", err);
  bg_call_options_free(co);
  return st;
}

static bg_status hook(void *state, bg_call_context *ctx, bg_error *err) {
  (void)state;
  (void)ctx;
  (void)err;
  return BG_OK;
}

static void log_call(void *user_data, const char *api_name, bg_status status, int grpc_status,
                     double elapsed_ms, const char *message) {
  (void)user_data;
  (void)api_name;
  (void)status;
  (void)grpc_status;
  (void)elapsed_ms;
  (void)message;
}

static bg_status interceptors(bg_error *err) {
  bg_interceptor *a = bg_interceptor_new("a", hook, NULL, NULL, NULL, err);
  if (!a)
    return err->code;
  bg_interceptor_release(a);
  bg_interceptor *t = bg_interceptor_traceparent(err);
  if (!t)
    return err->code;
  bg_interceptor_release(t);
  bg_interceptor *timing = bg_interceptor_timing(log_call, NULL, err);
  bg_interceptor_release(timing);
  return made(timing, err);
}

/* A reply's metadata copied into the caller's sink (bg_call_options_set_response_metadata). */
static bg_status response_metadata(bg_error *err) {
  grpc_metadata md[2];
  memset(md, 0, sizeof md);
  md[0].key = grpc_slice_from_static_string("x-model");
  md[0].value = grpc_slice_from_static_string("v2");
  md[1].key = grpc_slice_from_static_string("x-cost-bin");
  md[1].value = grpc_slice_from_static_buffer("\x01\x00", 2);
  grpc_metadata_array initial = {.count = 1, .capacity = 1, .metadata = md};
  grpc_metadata_array trailing = {.count = 2, .capacity = 2, .metadata = md};
  bg_response_metadata *sink = bg_response_metadata_new();
  if (!sink)
    return made_or_oom(sink, err);
  bg_status st = bgi_response_metadata_fill(sink, &initial, &trailing);
  if (st == BG_OK && bg_response_metadata_count(sink, BG_METADATA_TRAILING) != 2)
    fail_msg("response metadata: %zu trailing entries",
             bg_response_metadata_count(sink, BG_METADATA_TRAILING));
  if (st != BG_OK && bg_response_metadata_count(sink, BG_METADATA_INITIAL) != 0)
    fail_msg("response metadata: a failed fill left entries behind");
  bg_response_metadata_free(sink);
  if (st == BG_ERR_NO_MEMORY)
    return made_or_oom(NULL, err);
  return st;
}

#define SCENARIO(fn)                                                                               \
  static void test_##fn(void **state) {                                                            \
    (void)state;                                                                                   \
    each_allocation_fails(#fn, fn);                                                                \
  }
SCENARIO(file_copy)
SCENARIO(file_from_path)
SCENARIO(bytes_and_text)
SCENARIO(string_ndarray)
SCENARIO(json_value)
SCENARIO(json_large_values)
SCENARIO(dataframe)
SCENARIO(multipart)
SCENARIO(specs)
SCENARIO(encode_requests)
SCENARIO(decode_replies)
SCENARIO(options)
SCENARIO(call_options)
SCENARIO(interceptors)
SCENARIO(response_metadata)

static int make_big_file(void **state) {
  (void)state;
  snprintf(big_file, sizeof big_file, "%s/bgt_alloc_XXXXXX",
           getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
  int fd = mkstemp(big_file);
  assert_true(fd >= 0);
  static char block[70000]; /* past the reader's first 64 KiB: one growth */
  memset(block, 'b', sizeof block);
  assert_int_equal(write(fd, block, sizeof block), (ssize_t)sizeof block);
  close(fd);
  return 0;
}

static int remove_big_file(void **state) {
  (void)state;
  unlink(big_file);
  return 0;
}

int main(void) {
  json_set_alloc_funcs(json_malloc, free); /* before jansson allocates anything */
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_file_copy),
      cmocka_unit_test_setup_teardown(test_file_from_path, make_big_file, remove_big_file),
      cmocka_unit_test(test_bytes_and_text),
      cmocka_unit_test(test_string_ndarray),
      cmocka_unit_test(test_json_value),
      cmocka_unit_test_setup_teardown(test_json_large_values, make_json_texts, free_json_texts),
      cmocka_unit_test(test_dataframe),
      cmocka_unit_test(test_multipart),
      cmocka_unit_test(test_specs),
      cmocka_unit_test_setup_teardown(test_encode_requests, make_inputs, free_inputs),
      cmocka_unit_test_setup_teardown(test_decode_replies, make_inputs, free_inputs),
      cmocka_unit_test(test_options),
      cmocka_unit_test(test_call_options),
      cmocka_unit_test(test_interceptors),
      cmocka_unit_test(test_response_metadata),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
