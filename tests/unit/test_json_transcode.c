/* JSON text <-> google.protobuf.Value bytes without trees (wire/json_transcode.c,
 * wire/json_value.c), each result compared with the tree-based pipeline the library had
 * (tests/fuzz/json_oracle.c): the same acceptance, error message, bytes and text, for every
 * value kind and edge: nesting at the limit and one past, surrogates, -0.0, 1e308, integers
 * around 2^53, empty containers and strings, duplicate keys, invalid UTF-8, and a server's
 * truncated, mistyped or otherwise unusual bytes. */
#include <float.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <grpc/byte_buffer.h>
#include <grpc/grpc.h>
#include <grpc/slice.h>

#include "test_assert.h"

#include "descriptors/descriptor.h"
#include "json_oracle.h"
#include "value/value_internal.h"
#include "wire/byte_buffer.h"
#include "wire/json_value.h"
#include "wire/pb_raw.h"

/* ---- text ---- */

/* bg_json_parse of `text` agrees with the old pipeline; returns whether it took it. */
static bool parse_agrees(const char *text, size_t len) {
  char want_msg[1024] = "";
  oracle_json want;
  bool want_ok = oracle_parse(text, len, &want, want_msg, sizeof want_msg);
  bg_error err;
  bg_value *v = bg_json_parse(text, len, &err);
  if (!want_ok) {
    if (v)
      fail_msg("'%.*s' was refused (%s) and is now taken", (int)len, text, want_msg);
    assert_int_equal(err.code, BG_ERR_INVALID_ARGUMENT);
    assert_string_equal(err.message, want_msg);
    return false;
  }
  if (!v)
    fail_msg("'%.*s' was taken and is now refused: %s", (int)len, text, err.message);
  const uint8_t *field;
  size_t n;
  bgi_json_value_field(v, &field, &n);
  size_t prefix = n - v->as.json.size;
  assert_int_equal(v->as.json.size, want.size);
  assert_memory_equal(field + prefix, want.bytes, want.size); /* byte for byte protobuf-c's */
  uint64_t length = 0;
  const uint8_t *p = field;
  assert_true(bgi_pb_read_varint(&p, field + prefix, &length));
  assert_int_equal(length, want.size);
  assert_string_equal(bg_json_text(v), want.compact);
  char *pretty = bg_json_format(v, 2);
  assert_string_equal(pretty, want.pretty);
  bg_string_free(pretty);
  bg_value_free(v);
  oracle_json_fini(&want);
  return true;
}

static bool parse_agrees_s(const char *text) { return parse_agrees(text, strlen(text)); }

static void expect_parse(const char *text, const char *compact) {
  assert_true(parse_agrees_s(text));
  bg_value *v = bg_json_parse(text, (size_t)-1, NULL);
  assert_string_equal(bg_json_text(v), compact);
  bg_value_free(v);
}

static void expect_refused(const char *text, size_t len, const char *message_part) {
  assert_false(parse_agrees(text, len));
  bg_error err;
  assert_null(bg_json_parse(text, len, &err));
  assert_contains(err.message, message_part);
}

/* A string literal's bytes, its length taken from the literal (NULs and all). */
#define EXPECT_REFUSED(literal, message_part)                                                      \
  expect_refused(literal, sizeof literal - 1, message_part)

static void test_every_kind_from_text(void **state) {
  (void)state;
  expect_parse("null", "null");
  expect_parse(" true ", "true");
  expect_parse("false", "false");
  expect_parse("0", "0");
  expect_parse("-0", "0"); /* an integer: jansson's 0 */
  expect_parse("-0.0", "-0.0");
  expect_parse("7", "7");
  expect_parse("7.0", "7.0");
  expect_parse("1e2", "100.0");
  expect_parse("0.1", "0.1");
  expect_parse("1e308", "1e+308");
  expect_parse("1.7976931348623157e308", "1.7976931348623157e+308");
  expect_parse("5e-324", "5e-324");
  expect_parse("2.2250738585072014e-308", "2.2250738585072014e-308");
  expect_parse("1e-400", "0.0"); /* underflow: jansson's strtod gives 0 */
  expect_parse("123456789.123456789", "123456789.12345679");
  expect_parse("0.30000000000000004", "0.30000000000000004");
  expect_parse("9007199254740992", "9007199254740992");
  expect_parse("-9007199254740992", "-9007199254740992");
  expect_parse("9007199254740993.0", "9007199254740992.0"); /* a real: rounded, as before */
  expect_parse("\"\"", "\"\"");
  expect_parse("[]", "[]");
  expect_parse("{}", "{}");
  expect_parse("[ ]", "[]");
  expect_parse("{ }", "{}");
  expect_parse("{\"\": 1}", "{\"\":1}"); /* the empty key: no key field on the wire */
  expect_parse("{\"b\": [1, 2.5, \"x\", null, true, {}], \"a\": {\"c\": []}}",
               "{\"a\":{\"c\":[]},\"b\":[1,2.5,\"x\",null,true,{}]}");
  expect_parse("\"\\ud834\\udd1e \\u00e9 \\/ \\\" \\\\ \\b\\f\\n\\r\\t \\u001f\"",
               "\"\xf0\x9d\x84\x9e \xc3\xa9 / \\\" \\\\ \\b\\f\\n\\r\\t \\u001f\"");
  expect_parse("\"\xf0\x9d\x84\x9e\xc3\xa9\"", "\"\xf0\x9d\x84\x9e\xc3\xa9\"");
  /* the protocol's golden Value (PROTOCOL.md §2.13) */
  bg_value *v = bg_json_parse("{\"a\": 1, \"b\": [true, null, \"x\"]}", (size_t)-1, NULL);
  static const uint8_t golden[] = {0x2a, 0x26, 0x0a, 0x0e, 0x0a, 0x01, 0x61, 0x12, 0x09, 0x11,
                                   0,    0,    0,    0,    0,    0,    0xf0, 0x3f, 0x0a, 0x14,
                                   0x0a, 0x01, 0x62, 0x12, 0x0f, 0x32, 0x0d, 0x0a, 0x02, 0x20,
                                   0x01, 0x0a, 0x02, 0x08, 0x00, 0x0a, 0x03, 0x1a, 0x01, 0x78};
  assert_int_equal(v->as.json.size, sizeof golden);
  assert_memory_equal(v->as.json.bytes, golden, sizeof golden);
  bg_value_free(v);
}

static void test_refused_text(void **state) {
  (void)state;
  expect_refused("9007199254740993", 16, "beyond +-2^53");
  expect_refused("-9007199254740993", 17, "beyond +-2^53");
  expect_refused("[1, 99999999999999999999]", 25, "invalid JSON"); /* too big integer */
  expect_refused("1e400", 5, "invalid JSON");
  expect_refused("-1e400", 6, "invalid JSON");
  expect_refused("\"\\ud800\"", 8, "invalid JSON"); /* lone high surrogate */
  expect_refused("\"\\udc00\"", 8, "invalid JSON"); /* lone low surrogate */
  expect_refused("\"\\ud800\\u0041\"", 14, "invalid JSON");
  expect_refused("\"\\u0000\"", 8, "invalid JSON");      /* NUL */
  expect_refused("\"a\xff\"", 4, "invalid JSON");        /* not UTF-8 */
  expect_refused("\"\xc0\xaf\"", 4, "invalid JSON");     /* overlong */
  expect_refused("\"\xed\xa0\x80\"", 5, "invalid JSON"); /* a surrogate in UTF-8 */
  expect_refused("\"a\nb\"", 5, "invalid JSON");         /* a raw control character */
  expect_refused("{\"a\": 1, \"a\": 2}", 16, "invalid JSON");
  expect_refused("{\"a\": 1, \"\\u0061\": 2}", 21, "invalid JSON"); /* the same key, escaped */
  expect_refused("", 0, "invalid JSON");
  expect_refused("01", 2, "invalid JSON");
  expect_refused("1.", 2, "invalid JSON");
  expect_refused(".5", 2, "invalid JSON");
  expect_refused("+1", 2, "invalid JSON");
  expect_refused("1e", 2, "invalid JSON");
  expect_refused("[1,]", 4, "invalid JSON");
  expect_refused("{\"a\" 1}", 7, "invalid JSON");
  expect_refused("nul", 3, "invalid JSON");
  expect_refused("truex", 5, "invalid JSON");
  expect_refused("1 2", 3, "invalid JSON");
  expect_refused("[1]\0", 4, "invalid JSON");
  expect_refused("\"\\x\"", 4, "invalid JSON");
  expect_refused("\"\\u12\"", 6, "invalid JSON");
  EXPECT_REFUSED("\"\\u12G4\"", "invalid JSON");         /* not a hex digit */
  EXPECT_REFUSED("\"abc", "invalid JSON");               /* the text ends in a string */
  EXPECT_REFUSED("\"a\\n", "invalid JSON");              /* ... after an escape */
  EXPECT_REFUSED("\"a\\", "invalid JSON");               /* ... inside an escape */
  EXPECT_REFUSED("\"\\n\xff\"", "invalid JSON");         /* not UTF-8 after an escape */
  EXPECT_REFUSED("\"\\n\x01\"", "invalid JSON");         /* a raw control after one */
  EXPECT_REFUSED("{\"a\\x\": 1}", "invalid JSON");       /* a bad escape in a key */
  EXPECT_REFUSED("{\"a\": 1,}", "invalid JSON");         /* no key after a comma */
  EXPECT_REFUSED("{\"a\": 1 \"b\": 2}", "invalid JSON"); /* no comma */
  EXPECT_REFUSED("[1}", "invalid JSON");                 /* the wrong closer */
  EXPECT_REFUSED("{\"a\": 1]", "invalid JSON");
  EXPECT_REFUSED("[1", "invalid JSON"); /* the text ends inside a container */
  /* duplicate keys among many: found by sorting */
  char big[2048];
  size_t n = 0;
  n += (size_t)snprintf(big + n, sizeof big - n, "{");
  for (int i = 0; i < 40; i++)
    n += (size_t)snprintf(big + n, sizeof big - n, "\"k%d\": %d,", i, i);
  n += (size_t)snprintf(big + n, sizeof big - n, "\"k17\": 0}");
  expect_refused(big, n, "invalid JSON");
  big[n - 7] = '7'; /* "k77": unique */
  assert_true(parse_agrees(big, n));
}

/* The encoder itself takes `text`: what it refuses goes to jansson, whose value is the same,
 * so a refusal it should not make would show only here. */
static void encoder_takes(const char *text, size_t len) {
  bgi_json_wire wire;
  if (bgi_json_encode_text(text, len, BG_JSON_MAX_NESTING, false, &wire) != BGI_JSON_DONE)
    fail_msg("the encoder left '%.40s' (%zu bytes) to jansson", text, len);
  free(wire.block);
}

static void expect_encoded(const char *text, const char *compact) {
  encoder_takes(text, strlen(text));
  expect_parse(text, compact);
}

/* Text off the common path: upper-case hex escapes and a three-byte character, a fraction of
 * more significant digits than the fast path reads, a number too long for the strtod copy on
 * the stack, an object of more keys than the key list holds inline (and of more tokens than
 * the token list does), a long string of backslashes and quotes: all taken, as the old
 * pipeline took them, and by the encoder itself. */
static void test_uncommon_text(void **state) {
  (void)state;
  expect_encoded("\"\\u20AC\\u00E9\\uFFFD\"", "\"\xe2\x82\xac\xc3\xa9\xef\xbf\xbd\"");
  expect_encoded("[\"\\u0800\", \"\\u07ff\"]", "[\"\xe0\xa0\x80\",\"\xdf\xbf\"]");
  expect_encoded("0.12345678901234567890123", "0.12345678901234568");
  expect_encoded("-1234567890.1234567890123e-5", "-12345.678901234567");
  char text[12000];
  size_t n = (size_t)snprintf(text, sizeof text, "1.");
  for (int i = 0; i < 80; i++)
    text[n++] = '0';
  memcpy(text + n, "1e2", 4); /* 85 characters */
  expect_encoded(text, "100.0");
  n = 0;
  text[n++] = '{';
  for (int i = 0; i < 70; i++) /* 70 keys, 350 tokens */
    n += (size_t)snprintf(text + n, sizeof text - n, "%s\"k%02d\": [%d, -%d, %d.5]", i ? ", " : "",
                          i, i, i, i);
  text[n++] = '}';
  text[n] = '\0';
  encoder_takes(text, n);
  assert_true(parse_agrees(text, n));
  bg_value *v = bg_json_parse(text, n, NULL);
  assert_non_null(v);
  static const char start[] = "{\"k00\":[0,0,0.5],\"k01\":[1,-1,1.5],\"k02\":";
  assert_memory_equal(bg_json_text(v), start, sizeof start - 1);
  bg_value_free(v);
  /* a string of 5000 backslashes and quotes, past the renderer's 4 KB short path */
  n = 0;
  text[n++] = '"';
  for (int i = 0; i < 2500; i++, n += 4)
    memcpy(text + n, "\\\\\\\"", 4);
  text[n++] = '"';
  encoder_takes(text, n);
  assert_true(parse_agrees(text, n));
  v = bg_json_parse(text, n, NULL);
  assert_non_null(v);
  assert_int_equal(strlen(bg_json_text(v)), n); /* escaped again as it came */
  assert_memory_equal(bg_json_text(v), text, n);
  bg_value_free(v);
}

/* Numbers where the encoder reads them without bound checks (at least 24 bytes of text from
 * the number on) and where it cannot (at the end of the text): the same values, integer-ness,
 * refusals and messages as the old pipeline at the edges of the short path (15 digits, 2^53,
 * -0, fractions, exponents, leading zeros, a bad end). */
static void test_short_numbers_in_every_position(void **state) {
  (void)state;
  static const struct {
    const char *text, *compact; /* compact NULL: refused */
  } cases[] = {
      {"0", "0"},
      {"-0", "0"},
      {"0.0", "0.0"},
      {"-0.0", "-0.0"},
      {"7", "7"},
      {"-7", "-7"},
      {"0.1", "0.1"},
      {"-0.25", "-0.25"},
      {"5.1", "5.1"},
      {"1714460000", "1714460000"},
      {"123456789012345", "123456789012345"},   /* 15 digits: the short path's last */
      {"1234567890123456", "1234567890123456"}, /* 16: the general path */
      {"-999999999999999", "-999999999999999"},
      {"9007199254740991", "9007199254740991"}, /* 2^53 - 1 */
      {"9007199254740992", "9007199254740992"}, /* 2^53 */
      {"9007199254740993", NULL},               /* 2^53 + 1: refused */
      {"-9007199254740993", NULL},
      {"12345678901234.5", "12345678901234.5"},   /* 15 digits with a fraction */
      {"123456789012345.5", "123456789012345.5"}, /* 16 */
      {"0.000000000000001", "1e-15"},             /* 15 fraction digits */
      {"0.0000000000000001", "1e-16"},
      {"0.100000000000000", "0.1"},
      {"1000000000000000", "1000000000000000"}, /* 1e15 as an integer */
      {"1e15", "1000000000000000.0"},
      {"1e16", "1e+16"},
      {"1e21", "1e+21"},
      {"1.5e3", "1500.0"},
      {"2E-2", "0.02"},
      {"1.0e+2", "100.0"},
      {"00", NULL},
      {"01", NULL},
      {"-01.5", NULL},
      {"1.", NULL},
      {"1.e5", NULL},
      {".5", NULL},
      {"-", NULL},
      {"-a", NULL},
      {"+1", NULL},
      {"1.5.", NULL},
      {"1e", NULL},
      {"0x10", NULL},
  };
  char text[128];
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    const char *t = cases[i].text;
    const char *at[] = {"%s", "[%s,                          0]",
                        "{\"k\": %s                      }", "[%s]"};
    for (size_t j = 0; j < sizeof at / sizeof at[0]; j++) {
      size_t n = (size_t)snprintf(text, sizeof text, at[j], t);
      if (cases[i].compact)
        encoder_takes(text, n);
      if (parse_agrees(text, n) != (cases[i].compact != NULL))
        fail_msg("'%s' was %s", text, cases[i].compact ? "refused" : "taken");
    }
    if (cases[i].compact)
      expect_parse(t, cases[i].compact);
  }
}

static void test_nesting_limit_in_text(void **state) {
  (void)state;
  char text[200];
  for (int depth = BG_JSON_MAX_NESTING; depth <= BG_JSON_MAX_NESTING + 1; depth++) {
    /* arrays, then objects, alternating, `depth` containers */
    size_t n = 0;
    for (int i = 0; i < depth; i++)
      n += (size_t)snprintf(text + n, sizeof text - n, i % 2 ? "{\"k\":" : "[");
    text[n++] = '1';
    for (int i = depth - 1; i >= 0; i--)
      text[n++] = i % 2 ? '}' : ']';
    if (depth == BG_JSON_MAX_NESTING)
      assert_true(parse_agrees(text, n));
    else
      expect_refused(text, n, "nested deeper than 32 levels");
  }
}

/* ---- a server's bytes ---- */

static grpc_byte_buffer *response_of(const uint8_t *value, size_t size, size_t cut) {
  /* Response{json (8) = value}, in two slices cut at `cut` (0: one slice) */
  uint8_t *msg = malloc(size + 6);
  assert_non_null(msg);
  size_t head = 0;
  msg[head++] = 0x42;
  size_t v = size;
  do {
    msg[head++] = (uint8_t)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
    v >>= 7;
  } while (v);
  if (size)
    memcpy(msg + head, value, size);
  size_t total = head + size;
  if (!cut || cut >= total)
    cut = total;
  grpc_slice slices[2] = {grpc_slice_from_copied_buffer((const char *)msg, cut),
                          grpc_slice_from_copied_buffer((const char *)msg + cut, total - cut)};
  grpc_byte_buffer *bb = grpc_raw_byte_buffer_create(slices, cut < total ? 2 : 1);
  grpc_slice_unref(slices[0]);
  grpc_slice_unref(slices[1]);
  free(msg);
  return bb;
}

/* What a Call does with a JSON reply (client/call.c, decode_response), taking `bb`; *fast says
 * whether the bytes went the fast way. */
static bg_status decode_buffer(grpc_byte_buffer *bb, bool *fast, bg_value **out, bg_error *err) {
  *out = NULL;
  bg_status st = bgi_json_reply_decode(&bentoml__grpc__v1__response__descriptor, bb, out, err);
  *fast = st != BG_ERR_UNSUPPORTED;
  if (*fast) {
    grpc_byte_buffer_destroy(bb);
    return st;
  }
  ProtobufCMessage *msg = NULL;
  st = bgi_wire_unpack(&bentoml__grpc__v1__response__descriptor, bb, "Call reply", &msg, err);
  grpc_byte_buffer_destroy(bb);
  if (st != BG_OK)
    return st;
  bgi_content content;
  bgi_codec_ctx ctx = {.protocol = BGI_PROTOCOL_V1};
  st = bgi_content_from_response(msg, BGI_PROTOCOL_V1, &content, err);
  if (st == BG_OK)
    st = bgi_descriptor_decode(&bgi_json_descriptor, NULL, &content, &ctx, out, err);
  protobuf_c_message_free_unpacked(msg, NULL);
  return st;
}

static bg_status decode_reply(const uint8_t *value, size_t size, size_t cut, bool *fast,
                              bg_value **out, bg_error *err) {
  return decode_buffer(response_of(value, size, cut), fast, out, err);
}

/* The reply agrees with the tree-based reader; `fast_expected`: it went the fast way.
 * Returns the compact text (or NULL when refused), malloc'd. */
static char *reply_agrees(const uint8_t *value, size_t size, bool fast_expected) {
  char want_msg[1024] = "";
  oracle_json want;
  bool want_ok = oracle_read(value, size, &want, want_msg, sizeof want_msg);
  char *got = NULL;
  for (size_t cut = 0; cut <= size + 2; cut += (size > 40 ? size / 7 : 1)) {
    bool fast;
    bg_value *v;
    bg_error err;
    bg_status st = decode_reply(value, size, cut, &fast, &v, &err);
    if (cut == 0 && fast != fast_expected)
      fail_msg("the fast reader %s these %zu bytes", fast ? "took" : "left", size);
    if (!want_ok) {
      if (st == BG_OK)
        fail_msg("bytes refused before (%s) are taken now: %s", want_msg, bg_json_text(v));
      assert_int_equal(st, BG_ERR_PROTOCOL);
      assert_int_equal(err.code, BG_ERR_PROTOCOL);
      bg_value_free(v);
      continue;
    }
    if (st != BG_OK)
      fail_msg("bytes taken before are refused now: %s", err.message);
    assert_string_equal(bg_json_text(v), want.compact);
    char *pretty = bg_json_format(v, 2);
    assert_string_equal(pretty, want.pretty);
    bg_string_free(pretty);
    if (!got)
      got = strdup(want.compact);
    bg_value_free(v);
  }
  oracle_json_fini(&want);
  return got;
}

static void expect_reply(const uint8_t *value, size_t size, bool fast, const char *text) {
  char *got = reply_agrees(value, size, fast);
  if (text) {
    if (!got)
      fail_msg("refused, expected %s (%zu bytes, first 0x%02x)", text, size, size ? value[0] : 0);
    assert_string_equal(got, text);
  } else if (got) {
    fail_msg("taken as %s (%zu bytes, first 0x%02x), expected refused", got, size,
             size ? value[0] : 0);
  }
  free(got);
}

#define REPLY(fast, text, ...)                                                                     \
  do {                                                                                             \
    static const uint8_t bytes_[] = {__VA_ARGS__};                                                 \
    expect_reply(bytes_, sizeof bytes_, fast, text);                                               \
  } while (0)

static void test_every_kind_from_the_wire(void **state) {
  (void)state;
  expect_reply(NULL, 0, true, "null"); /* no member: BentoML's None */
  REPLY(true, "null", 0x08, 0x00);
  REPLY(true, "null", 0x08, 0x05); /* any NullValue number */
  REPLY(true, "true", 0x20, 0x01);
  REPLY(true, "true", 0x20, 0x80, 0x01); /* a varint of 128: not 0 */
  REPLY(true, "false", 0x20, 0x00);
  REPLY(true, "2.5", 0x11, 0, 0, 0, 0, 0, 0, 0x04, 0x40);
  REPLY(true, "-0.0", 0x11, 0, 0, 0, 0, 0, 0, 0, 0x80);
  REPLY(true, "1e+308", 0x11, 0xa0, 0xc8, 0xeb, 0x85, 0xf3, 0xcc, 0xe1, 0x7f);
  REPLY(true, "9007199254740994.0", 0x11, 1, 0, 0, 0, 0, 0, 0x40, 0x43); /* 2^53 + 2 */
  REPLY(true, "\"\"", 0x1a, 0x00);
  REPLY(true, "\"a\\u0000b\"", 0x1a, 0x03, 'a', 0, 'b'); /* NUL kept in a string value */
  REPLY(true, "[]", 0x32, 0x00);
  REPLY(true, "{}", 0x2a, 0x00);
  REPLY(true, "[null]", 0x32, 0x02, 0x0a, 0x00);      /* an empty item: null */
  REPLY(true, "{\"\":null}", 0x2a, 0x02, 0x0a, 0x00); /* an entry without key or value */
  /* duplicate keys: the last wins; keys sorted */
  REPLY(true, "{\"a\":true,\"b\":false}", 0x2a, 0x1b, 0x0a, 0x07, 0x0a, 0x01, 'b', 0x12, 0x02, 0x20,
        0x00, 0x0a, 0x07, 0x0a, 0x01, 'a', 0x12, 0x02, 0x20, 0x00, 0x0a, 0x07, 0x12, 0x02, 0x20,
        0x01, 0x0a, 0x01, 'a');
  /* the protocol's golden Value */
  REPLY(true, "{\"a\":1.0,\"b\":[true,null,\"x\"]}", 0x2a, 0x26, 0x0a, 0x0e, 0x0a, 0x01, 0x61, 0x12,
        0x09, 0x11, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f, 0x0a, 0x14, 0x0a, 0x01, 0x62, 0x12, 0x0f, 0x32,
        0x0d, 0x0a, 0x02, 0x20, 0x01, 0x0a, 0x02, 0x08, 0x00, 0x0a, 0x03, 0x1a, 0x01, 0x78);
  /* a non-minimal length prefix is still a length */
  REPLY(true, "\"x\"", 0x1a, 0x81, 0x00, 'x');
}

static size_t put_varint_at(uint8_t *p, size_t v) {
  size_t n = 0;
  do {
    p[n++] = (uint8_t)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
    v >>= 7;
  } while (v);
  return n;
}

/* A server's Struct Value of the members keys[i] = i + 1, in that order on the wire: taken the
 * fast way, its text the old reader's, and `text` when given. */
static void expect_object(const char *const *keys, size_t n, const char *text) {
  uint8_t body[4096], value[4200];
  size_t used = 0;
  for (size_t i = 0; i < n; i++) {
    size_t kl = strlen(keys[i]);
    uint8_t entry[300];
    size_t e = 0;
    if (kl) {
      entry[e++] = 0x0a;
      e += put_varint_at(entry + e, kl);
      memcpy(entry + e, keys[i], kl);
      e += kl;
    }
    double d = (double)(i + 1);
    entry[e++] = 0x12;
    entry[e++] = 0x09;
    entry[e++] = 0x11;
    memcpy(entry + e, &d, 8);
    e += 8;
    body[used++] = 0x0a;
    used += put_varint_at(body + used, e);
    memcpy(body + used, entry, e);
    used += e;
  }
  size_t size = 0;
  value[size++] = 0x2a;
  size += put_varint_at(value + size, used);
  memcpy(value + size, body, used);
  size += used;
  char *got = reply_agrees(value, size, true);
  assert_non_null(got);
  if (text)
    assert_string_equal(got, text);
  free(got);
}

#define OBJECT(text, ...)                                                                          \
  do {                                                                                             \
    static const char *const keys_[] = {__VA_ARGS__};                                              \
    expect_object(keys_, sizeof keys_ / sizeof *keys_, text);                                      \
  } while (0)

/* Members are rendered in key order whatever order they came in (integers of the text still
 * printed as integers, reals as reals): keys already in order
 * (rendered as they are), in any other order (sorted), with equal heads (a shared prefix of
 * 8 bytes or more, a key a prefix of another), repeated (the last wins, also among keys in
 * order), and many (past the insertion sort). */
static void test_member_order_sorted_or_not(void **state) {
  (void)state;
  OBJECT("{\"a\":1.0,\"b\":2.0,\"c\":3.0}", "a", "b", "c");
  OBJECT("{\"a\":3.0,\"b\":2.0,\"c\":1.0}", "c", "b", "a");
  OBJECT("{\"a\":2.0,\"b\":1.0,\"c\":3.0}", "b", "a", "c");
  OBJECT("{\"a\":1.0,\"b\":3.0}", "a", "b", "b"); /* in order but for the repeat: the last */
  OBJECT("{\"a\":3.0,\"b\":2.0}", "a", "b", "a");
  OBJECT("{\"\":1.0,\"a\":2.0}", "", "a"); /* the empty key: no key field */
  OBJECT("{\"\":2.0,\"a\":1.0}", "a", "");
  OBJECT("{\"x\":1.0}", "x");
  OBJECT("{\"prefix__a\":1.0,\"prefix__b\":2.0}", "prefix__a", "prefix__b");
  OBJECT("{\"prefix__a\":2.0,\"prefix__b\":1.0}", "prefix__b", "prefix__a");
  OBJECT("{\"prefix__\":1.0,\"prefix__a\":2.0}", "prefix__", "prefix__a");
  OBJECT("{\"prefix__\":2.0,\"prefix__a\":1.0}", "prefix__a", "prefix__");
  OBJECT("{\"prefix\":1.0,\"prefix_\":2.0}", "prefix", "prefix_"); /* heads differ by length */
  OBJECT("{\"prefix\":2.0,\"prefix_\":1.0}", "prefix_", "prefix");
  OBJECT("{\"abcdefghij\":2.0}", "abcdefghij", "abcdefghij");
  OBJECT("{\"abcdefgh\":1.0,\"abcdefgh\\u0001\":2.0}", "abcdefgh", "abcdefgh\x01");
  OBJECT("{\"a\\u0001\":2.0,\"a\\u0002\":1.0}", "a\x02", "a\x01");
  OBJECT("{\"b\":1.0,\"\u00e9\":2.0}", "b", "\xc3\xa9"); /* bytewise: UTF-8 after ASCII */
  OBJECT("{\"b\":2.0,\"\u00e9\":1.0}", "\xc3\xa9", "b");
  OBJECT("{\"k00\":1.0,\"k01\":2.0,\"k02\":3.0,\"k03\":4.0,\"k04\":5.0,\"k05\":6.0,\"k06\":7.0,"
         "\"k07\":8.0,\"k08\":9.0,\"k09\":10.0,\"k10\":11.0,\"k11\":12.0,\"k12\":13.0,\"k13\":14.0,"
         "\"k14\":15.0,\"k15\":16.0,\"k16\":17.0,\"k17\":18.0,\"k18\":19.0,\"k19\":20.0}",
         "k00", "k01", "k02", "k03", "k04", "k05", "k06", "k07", "k08", "k09", "k10", "k11", "k12",
         "k13", "k14", "k15", "k16", "k17", "k18", "k19");
  OBJECT("{\"k00\":20.0,\"k01\":19.0,\"k02\":18.0,\"k03\":17.0,\"k04\":16.0,\"k05\":15.0,"
         "\"k06\":14.0,\"k07\":21.0,\"k08\":12.0,\"k09\":11.0,\"k10\":10.0,\"k11\":9.0,\"k12\":8.0,"
         "\"k13\":7.0,\"k14\":6.0,\"k15\":5.0,\"k16\":4.0,\"k17\":3.0,\"k18\":2.0,\"k19\":1.0}",
         "k19", "k18", "k17", "k16", "k15", "k14", "k13", "k12", "k11", "k10", "k09", "k08", "k07",
         "k06", "k05", "k04", "k03", "k02", "k01", "k00", "k07");
  /* text in order, and not */
  expect_parse("{\"a\": 1, \"b\": {}, \"c\": {\"d\": [], \"e\": null}}",
               "{\"a\":1,\"b\":{},\"c\":{\"d\":[],\"e\":null}}");
  expect_parse("{\"c\": 1, \"b\": {}, \"a\": {\"e\": [], \"d\": null}}",
               "{\"a\":{\"d\":null,\"e\":[]},\"b\":{},\"c\":1}");
  /* integers of the text stay integers wherever sorting moves them (and reals stay reals) */
  expect_parse(
      "{\"z\": [1, 2.0, 3], \"y\": 4, \"x\": {\"w\": 5.0, \"v\": 6}, \"u\": 7.0, \"t\": 8}",
      "{\"t\":8,\"u\":7.0,\"x\":{\"v\":6,\"w\":5.0},\"y\":4,\"z\":[1,2.0,3]}");
  expect_parse("[1, 2.0, {\"b\": 3, \"a\": 4.0}, 5, 6.0, 7]",
               "[1,2.0,{\"a\":4.0,\"b\":3},5,6.0,7]");
  expect_parse("[1.0, 2.0, 3]", "[1.0,2.0,3]");
  expect_parse("[1, 2, 3.0, 4.0]", "[1,2,3.0,4.0]");
}

/* A server's strings and keys of 1 to 20 bytes with one unusual byte at each position: a NUL
 * (kept in a string value, refused in a key), a two-byte character, a lone continuation
 * byte, 0xff: taken or refused as the old reader did, whichever word of the check sees it. */
static void test_string_bytes_at_every_position(void **state) {
  (void)state;
  static const uint8_t odd[][2] = {{0x00, 0}, {0xc3, 0xa9}, {0x80, 0}, {0xff, 0}, {0xc3, 0}};
  for (size_t len = 1; len <= 20; len++) {
    for (size_t at = 0; at < len; at++) {
      for (size_t k = 0; k < sizeof odd / sizeof odd[0]; k++) {
        uint8_t text[24];
        memset(text, 'a', sizeof text);
        text[at] = odd[k][0];
        if (odd[k][1]) {
          if (at + 1 >= len)
            continue;
          text[at + 1] = odd[k][1];
        }
        bool utf8 = odd[k][0] < 0x80 || odd[k][1]; /* NUL, or the whole character */
        uint8_t value[64];
        size_t n = 0;
        value[n++] = 0x1a; /* a string value */
        value[n++] = (uint8_t)len;
        memcpy(value + n, text, len);
        n += len;
        char *got = reply_agrees(value, n, utf8);
        assert_true((got != NULL) == utf8);
        free(got);
        n = 0; /* {text: null} */
        value[n++] = 0x2a;
        value[n++] = (uint8_t)(len + 8);
        value[n++] = 0x0a;
        value[n++] = (uint8_t)(len + 6);
        value[n++] = 0x0a;
        value[n++] = (uint8_t)len;
        memcpy(value + n, text, len);
        n += len;
        value[n++] = 0x12;
        value[n++] = 0x02;
        value[n++] = 0x08;
        value[n++] = 0x00;
        bool key_ok = utf8 && odd[k][0] != 0;
        got = reply_agrees(value, n, key_ok);
        assert_true((got != NULL) == key_ok);
        free(got);
      }
    }
  }
}

static void test_unusual_or_bad_bytes(void **state) {
  (void)state;
  /* refused by both readers, as BG_ERR_PROTOCOL */
  REPLY(false, NULL, 0x11, 0, 0, 0, 0, 0, 0, 0xf8, 0x7f);              /* NaN */
  REPLY(false, NULL, 0x11, 0, 0, 0, 0, 0, 0, 0xf0, 0xff);              /* -Infinity */
  REPLY(false, NULL, 0x1a, 0x02, 0xc3, 0x28);                          /* not UTF-8 */
  REPLY(false, NULL, 0x1a, 0x03, 0xed, 0xa0, 0x80);                    /* a surrogate */
  REPLY(false, NULL, 0x2a, 0x07, 0x0a, 0x05, 0x0a, 0x03, 'a', 0, 'b'); /* NUL in a key */
  REPLY(false, NULL, 0x2a, 0x06, 0x0a, 0x04, 0x0a, 0x02, 0xc3, 0x28);  /* key not UTF-8 */
  REPLY(false, NULL, 0x11, 0, 0, 0);                                   /* truncated number */
  REPLY(false, NULL, 0x1a, 0x05, 'a');                                 /* truncated string */
  REPLY(false, NULL, 0x2a, 0x04, 0x0a, 0x02);                          /* truncated struct */
  REPLY(false, NULL, 0x32, 0x03, 0x0a, 0x05, 0x08);                    /* item past its list */
  REPLY(false, NULL, 0x10, 0x01);                                      /* number as a varint */
  REPLY(false, NULL, 0x28, 0x01);                                      /* struct as a varint */
  REPLY(false, NULL, 0x2a, 0x02, 0x08, 0x01);                          /* fields as a varint */
  REPLY(false, NULL, 0x20);                                            /* varint cut short */
  REPLY(false, NULL, 0x20, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01);
  REPLY(false, NULL, 0x1a, 0x80, 0x01, 'x');        /* a two-byte length past the end */
  REPLY(false, NULL, 0x1a, 0x80);                   /* a length cut short */
  REPLY(false, NULL, 0x32, 0x03, 0x0a, 0x81, 0x80); /* ... inside a list */
  REPLY(false, NULL, 0x2a, 0x0d, 0x0a, 0x0b, 0x12, 0x09, 0x11, 0, 0, 0, 0, 0, 0, 0xf8,
        0x7f); /* NaN as a member's value */
  /* taken by the tree-based reader only, with its meaning: unknown fields, members twice,
   * a bool as bytes (protobuf-c reads it) */
  REPLY(false, "false", 0x22, 0x00);
  REPLY(false, "null", 0x38, 0x01); /* an unknown field */
  REPLY(false, "true", 0x20, 0x01, 0x38, 0x01);
  REPLY(false, "\"b\"", 0x1a, 0x01, 'a', 0x1a, 0x01, 'b'); /* the last member wins */
  REPLY(false, "2.0", 0x20, 0x01, 0x11, 0, 0, 0, 0, 0, 0, 0, 0x40);
  REPLY(false, "{\"k\":\"v\"}", 0x2a, 0x0d, 0x0a, 0x0b, 0x0a, 0x01, 'j', 0x0a, 0x01, 'k', 0x12,
        0x03, 0x1a, 0x01, 'v');                                    /* the key twice: the last */
  REPLY(false, "{\"\":null}", 0x2a, 0x04, 0x0a, 0x02, 0x1a, 0x00); /* an unknown entry field */
}

/* Nested lists: each level a Value and a ListValue (two levels as the reader counts). */
static uint8_t *nested_lists(int lists, size_t *size) {
  /* built inside out: leaf 0x08 0x00, then 0x32 L (0x0a M inner) around it */
  size_t cap = 16 + (size_t)lists * 8;
  uint8_t *buf = malloc(cap), *tmp = malloc(cap);
  assert_true(buf && tmp);
  size_t n = 2;
  buf[0] = 0x08;
  buf[1] = 0x00;
  for (int i = 0; i < lists; i++) {
    size_t m = 0;
    uint8_t item_len[5], list_len[5];
    size_t a = 0, b = 0, v = n;
    do {
      item_len[a++] = (uint8_t)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
      v >>= 7;
    } while (v);
    size_t list = 1 + a + n;
    v = list;
    do {
      list_len[b++] = (uint8_t)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
      v >>= 7;
    } while (v);
    tmp[m++] = 0x32;
    memcpy(tmp + m, list_len, b);
    m += b;
    tmp[m++] = 0x0a;
    memcpy(tmp + m, item_len, a);
    m += a;
    memcpy(tmp + m, buf, n);
    m += n;
    memcpy(buf, tmp, m);
    n = m;
  }
  free(tmp);
  *size = n;
  return buf;
}

static void test_nesting_limit_on_the_wire(void **state) {
  (void)state;
  size_t size;
  /* 32 lists: the leaf Value at level 64, the deepest taken */
  uint8_t *ok = nested_lists(BGI_JSON_WIRE_MAX_DEPTH / 2, &size);
  char *text = reply_agrees(ok, size, true);
  assert_non_null(text);
  free(text);
  free(ok);
  uint8_t *deep = nested_lists(BGI_JSON_WIRE_MAX_DEPTH / 2 + 1, &size); /* leaf at 66 */
  expect_reply(deep, size, false, NULL);
  free(deep);
  /* an empty list at level 65 is taken, as the tree-based reader took it */
  uint8_t *edge = nested_lists(BGI_JSON_WIRE_MAX_DEPTH / 2, &size);
  edge[size - 2] = 0x32; /* the leaf null becomes an empty list */
  text = reply_agrees(edge, size, true);
  assert_non_null(text);
  free(text);
  edge[size - 2] = 0x2a; /* an empty struct there is not: a Struct counts, a ListValue not */
  expect_reply(edge, size, false, NULL);
  free(edge);
}

/* `n` bytes of `msg` as a one-slice byte buffer. */
static grpc_byte_buffer *buffer_of(const uint8_t *msg, size_t n) {
  grpc_slice slice = grpc_slice_from_copied_buffer((const char *)msg, n);
  grpc_byte_buffer *bb = grpc_raw_byte_buffer_create(&slice, n ? 1 : 0);
  grpc_slice_unref(slice);
  return bb;
}

/* Replies that are not exactly Response{json}: left to protobuf-c, which reads them. */
static void test_replies_not_only_json(void **state) {
  (void)state;
  static const uint8_t json_then_unknown[] = {0x42, 0x02, 0x20, 0x01, 0x78, 0x01};
  static const uint8_t text_reply[] = {0x3a, 0x02, 'h', 'i'};
  bool fast;
  bg_value *v;
  bg_error err;
  /* the json field, then an unknown one (a newer server's): the value as protobuf-c read it */
  assert_int_equal(
      decode_buffer(buffer_of(json_then_unknown, sizeof json_then_unknown), &fast, &v, &err),
      BG_OK);
  assert_false(fast);
  assert_string_equal(bg_json_text(v), "true");
  bg_value_free(v);
  /* no bytes at all, and a text reply where JSON is expected: the server's fault */
  assert_int_equal(decode_buffer(buffer_of(NULL, 0), &fast, &v, &err), BG_ERR_PROTOCOL);
  assert_false(fast);
  assert_null(v);
  assert_int_equal(err.code, BG_ERR_PROTOCOL);
  assert_int_equal(decode_buffer(buffer_of(text_reply, sizeof text_reply), &fast, &v, &err),
                   BG_ERR_PROTOCOL);
  assert_false(fast);
  assert_null(v);
  assert_int_equal(err.code, BG_ERR_PROTOCOL);
}

/* The renderer gets only bytes the encoder wrote or the checker took; given others it renders
 * nothing (NULL) and reads no byte past them (the ASan build checks). */
static void test_render_refuses_bytes_of_no_json_value(void **state) {
  (void)state;
  static const struct {
    const char *what;
    uint8_t bytes[8];
    size_t size;
  } cases[] = {
      {"a bool cut short", {0x20}, 1},
      {"a number cut short", {0x11, 0, 0, 0}, 4},
      {"a string longer than the bytes", {0x1a, 0x05, 'a'}, 3},
      {"an unknown field", {0x38, 0x01}, 2},
      {"a list item of another field", {0x32, 0x02, 0x12, 0x00}, 4},
      {"a list item longer than the list", {0x32, 0x02, 0x0a, 0x05}, 4},
      {"a struct entry of another field", {0x2a, 0x02, 0x12, 0x00}, 4},
      {"a key longer than its entry", {0x2a, 0x04, 0x0a, 0x02, 0x0a, 0x05}, 6},
      {"a bad value inside a list", {0x32, 0x03, 0x0a, 0x01, 0x38}, 5},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    uint8_t *copy = malloc(cases[i].size); /* exactly as long: a read past it is caught */
    assert_non_null(copy);
    memcpy(copy, cases[i].bytes, cases[i].size);
    bgi_json_wire wire = {.bytes = copy, .size = cases[i].size};
    for (int indent = 0; indent <= 2; indent += 2) {
      char *text = bgi_json_render(&wire, indent);
      if (text)
        fail_msg("%s, indent %d: rendered as %s", cases[i].what, indent, text);
    }
    free(copy);
  }
  /* the same shapes well formed render */
  static const uint8_t good[] = {0x32, 0x04, 0x0a, 0x02, 0x20, 0x01};
  bgi_json_wire wire = {.bytes = good, .size = sizeof good};
  char *text = bgi_json_render(&wire, 0);
  assert_string_equal(text, "[true]");
  free(text);
}

/* What the library sends comes back as the same text, numbers as the wire's doubles. */
static void test_round_trip(void **state) {
  (void)state;
  bg_value *in = bg_json_parse("{\"n\": [1, -2.5, 1e308, -0.0, 9007199254740992], \"s\": \"\\ud83d"
                               "\\ude00\", \"e\": {}, \"l\": [], \"z\": \"\"}",
                               (size_t)-1, NULL);
  assert_non_null(in);
  bool fast;
  bg_value *out;
  bg_error err;
  assert_int_equal(decode_reply(in->as.json.bytes, in->as.json.size, 0, &fast, &out, &err), BG_OK);
  assert_true(fast);
  assert_string_equal(bg_json_text(out),
                      "{\"e\":{},\"l\":[],\"n\":[1.0,-2.5,1e+308,-0.0,"
                      "9007199254740992.0],\"s\":\"\xf0\x9f\x98\x80\",\"z\":\"\"}");
  bg_value_free(in);
  bg_value_free(out);
}

/* Strings longer than the renderer's short-string path (4 KB), with every character JSON
 * escapes, as a value and as a key: the text and the bytes agree with the old pipeline, and
 * the wire bytes render to the same text. */
static void test_long_strings_with_escapes(void **state) {
  (void)state;
  static const char piece[] = "ab\\\"\\n\\r\\t\\b\\f\\u0001\\u001fz\\u00e9\\ud83d\\ude00";
  size_t reps = 400; /* 17 bytes each once unescaped: ~6.8 KB, past the 4 KB short path */
  size_t cap = 2 * reps * (sizeof piece - 1) + 64;
  char *text = malloc(cap);
  assert_non_null(text);
  size_t n = 0;
  text[n++] = '{';
  text[n++] = '"';
  for (size_t i = 0; i < reps; i++, n += sizeof piece - 1)
    memcpy(text + n, piece, sizeof piece - 1);
  memcpy(text + n, "\": \"", 4);
  n += 4;
  for (size_t i = 0; i < reps; i++, n += sizeof piece - 1)
    memcpy(text + n, piece, sizeof piece - 1);
  memcpy(text + n, "\"}", 2);
  n += 2;
  assert_true(parse_agrees(text, n));
  bg_value *in = bg_json_parse(text, n, NULL);
  assert_non_null(in);
  bool fast;
  bg_value *out;
  bg_error err;
  assert_int_equal(decode_reply(in->as.json.bytes, in->as.json.size, 0, &fast, &out, &err), BG_OK);
  assert_string_equal(bg_json_text(out), bg_json_text(in));
  bg_value_free(in);
  bg_value_free(out);
  free(text);
}

/* Containers whose lengths need varints of 1, 2, 3 and 4 bytes (the encoder leaves one byte and
 * moves what follows when more are needed), with integers and keys inside and after them at
 * every level, and a duplicate key after a long member: bytes, texts and refusals agree with
 * the old pipeline. */
static void test_long_lengths_at_every_level(void **state) {
  (void)state;
  /* each integer item is 11 bytes of ListValue: 11 and 12 items straddle 128, 1489 and 1490
   * straddle 16384, 190650 passes 2^21 */
  static const size_t counts[] = {11, 12, 1489, 1490, 190650};
  for (size_t c = 0; c < sizeof counts / sizeof *counts; c++) {
    size_t n = counts[c];
    char *ints = malloc(3 * n + 3);
    assert_non_null(ints);
    size_t k = 0;
    ints[k++] = '[';
    for (size_t i = 0; i < n; i++) {
      if (i)
        ints[k++] = ',';
      ints[k++] = (char)('1' + i % 9);
    }
    ints[k++] = ']';
    ints[k] = '\0';
    size_t cap = 4 * k + 256;
    char *text = malloc(cap);
    assert_non_null(text);
    snprintf(text, cap,
             "{\"k\": %s, \"m\": {\"x\": %s, \"y\": 5, \"\\u00e9\": [%s, 7]}, \"z\": -3, "
             "\"\": [true, %s, {\"q\": 1}]}",
             ints, ints, ints, ints);
    assert_true(parse_agrees_s(text));
    snprintf(text, cap, "[%s, {\"a\": %s, \"b\": 2, \"a\": 1}]", ints, ints);
    assert_false(parse_agrees_s(text)); /* the duplicate key, found after the long member */
    free(text);
    free(ints);
  }
}

/* Strings and keys of 1 to 20 bytes (the renderer's one-load path takes 1 to 16 with nothing
 * to escape) with a byte to escape at each position or none, where the wire bytes go on for 16
 * more or end right after them, and before bytes that would need escaping (the tags that
 * follow): rendered as the old pipeline did, compact and indented. */
static void test_short_strings_escaped_at_every_position(void **state) {
  (void)state;
  static const char *const escaped[] = {"\\\"",    "\\\\",     "\\n", "\\u0001", "\\u001f",
                                        "\\u007f", "\xc3\xa9", "/",   NULL};
  char str[64], text[256];
  for (size_t len = 1; len <= 20; len++) {
    for (size_t at = 0; at <= len; at++) {
      for (size_t k = 0; k < sizeof escaped / sizeof *escaped; k++) {
        if ((at == len) != (escaped[k] == NULL))
          continue; /* at == len: nothing to escape */
        size_t n = 0;
        for (size_t i = 0; i < len; i++) {
          const char *c = i == at ? escaped[k] : "a";
          n += (size_t)snprintf(str + n, sizeof str - n, "%s", c);
          if (i == at && !strcmp(c, "\xc3\xa9"))
            i++; /* a two-byte character */
        }
        static const char *const shapes[] = {
            "[\"%s\", \"\\n\"]",            /* more bytes after it */
            "[1, \"%s\"]",                  /* the last bytes */
            "{\"%s\": \"\\\"\", \"z\": 1}", /* a key, a quote after it */
            "{\"b\": 1, \"%s\": 2}"};
        for (size_t j = 0; j < sizeof shapes / sizeof *shapes; j++) {
          snprintf(text, sizeof text, shapes[j], str);
          if (!parse_agrees_s(text))
            fail_msg("%s refused", text);
        }
      }
    }
  }
}

/* The fast number formatting gives the old text for every double tried. */
static void test_number_formatting(void **state) {
  (void)state;
  uint64_t x = 0x9E3779B97F4A7C15u;
  char got[BGI_JSON_REAL_MAX], want[64];
  for (int i = 0; i < 300000; i++) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    double d;
    switch (i % 4) {
    case 0: memcpy(&d, &x, 8); break;                                        /* any bits */
    case 1: d = (double)(x % 100000000) / pow(10, (double)(x >> 59)); break; /* short decimals */
    case 2: d = (double)(int64_t)(x >> 11) * pow(10, (double)((int)(x % 40) - 25)); break;
    default: d = ldexp((double)(x >> 12), (int)(x % 120) - 80); break;
    }
    if (i & 1)
      d = -d;
    if (!isfinite(d))
      continue;
    bgi_json_format_real(got, sizeof got, d);
    oracle_format_real(want, sizeof want, d);
    if (strcmp(got, want) != 0)
      fail_msg("%.17g: %s, was %s", d, got, want);
  }
  static const double edges[] = {
      0.0, -0.0, 1e-4, 9.9999e-5, 1e15, 999999999999999.0, 1e15 - 0.5, 0.1, 1.0 / 3, 123.456, 1e-5,
      5e-324, DBL_MAX, DBL_MIN, 4.35, 0.0001234567890123,
      /* integer-valued doubles (the short path's first try) and the layouts' boundaries */
      9007199254740991.0, 9007199254740992.0, -9007199254740991.0, 1e15 - 1, 1e16, 1e21, 1e22,
      100.0, -7.0, 1714460000.0, 0.5, 0.25, 1e-4 - 1e-20, 99999999999999.9};
  for (size_t i = 0; i < sizeof edges / sizeof edges[0]; i++) {
    bgi_json_format_real(got, sizeof got, edges[i]);
    oracle_format_real(want, sizeof want, edges[i]);
    assert_string_equal(got, want);
  }
}

/* Numbers of one or two digits with at most two after the point (the formatter's direct
 * layouts: "7.0", "42.0", "0.5", "5.1", "0.05", "0.25"), their neighbours one double away and
 * the first integers give the old text: every layout and its boundaries (v = 9/10, 99/100,
 * q = 2/3) in both signs. */
static void test_number_formatting_short_layouts(void **state) {
  (void)state;
  char got[BGI_JSON_REAL_MAX], want[64];
  for (int v = 0; v <= 1000; v++) {
    for (int q = 0; q <= 4; q++) {
      double base = (double)v / pow(10, q);
      const double tries[] = {base, nextafter(base, 0), nextafter(base, 1e300)};
      for (int t = 0; t < 3; t++) {
        for (int sign = 0; sign < 2; sign++) {
          double d = sign ? -tries[t] : tries[t];
          bgi_json_format_real(got, sizeof got, d);
          oracle_format_real(want, sizeof want, d);
          if (strcmp(got, want) != 0)
            fail_msg("%.17g: %s, was %s", d, got, want);
          size_t n = bgi_json_format_real_n(got, d); /* the renderer's entry: same text, length */
          if (n != strlen(want) || memcmp(got, want, n) != 0)
            fail_msg("%.17g: %.*s (%zu bytes), was %s", d, (int)n, got, n, want);
        }
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
      cmocka_unit_test(test_every_kind_from_text),
      cmocka_unit_test(test_refused_text),
      cmocka_unit_test(test_uncommon_text),
      cmocka_unit_test(test_short_numbers_in_every_position),
      cmocka_unit_test(test_nesting_limit_in_text),
      cmocka_unit_test(test_every_kind_from_the_wire),
      cmocka_unit_test(test_member_order_sorted_or_not),
      cmocka_unit_test(test_string_bytes_at_every_position),
      cmocka_unit_test(test_unusual_or_bad_bytes),
      cmocka_unit_test(test_nesting_limit_on_the_wire),
      cmocka_unit_test(test_replies_not_only_json),
      cmocka_unit_test(test_render_refuses_bytes_of_no_json_value),
      cmocka_unit_test(test_round_trip),
      cmocka_unit_test(test_long_strings_with_escapes),
      cmocka_unit_test(test_long_lengths_at_every_level),
      cmocka_unit_test(test_short_strings_escaped_at_every_position),
      cmocka_unit_test(test_number_formatting),
      cmocka_unit_test(test_number_formatting_short_layouts),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
