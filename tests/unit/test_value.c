/* The value kinds beyond ndarray: construction rules, accessors, ownership, and the codecs'
 * handling of bad wire input. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "test_assert.h"

#include "descriptors/descriptor.h"
#include "frame_unpack.h"
#include "value/value_internal.h"
#include "wire/tabular_wire.h"

static void test_text_utf8(void **state) {
  (void)state;
  bg_error err;
  const char *good[] = {
      "", "ascii", "caf\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80", "\xef\xbf\xbd"};
  for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
    bg_value *v = bg_text_new(good[i], (size_t)-1, &err);
    assert_non_null(v);
    assert_string_equal(bg_text_data(v), good[i]);
    bg_value_free(v);
  }
  const char *bad[] = {"\xc3", "\xc0\xaf", "\xe0\x80\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80",
                       "\xff", "abc\x80"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    assert_null(bg_text_new(bad[i], (size_t)-1, &err));
    assert_int_equal(err.code, BG_ERR_INVALID_ARGUMENT);
    assert_contains(err.message, "UTF-8");
  }
  assert_null(bg_text_new("a\0b", 3, &err)); /* embedded NUL */
  assert_null(bg_text_new(NULL, 3, &err));
}

/* ASCII is checked 8 bytes at a time: what ends or breaks a run of 8 is still judged, and a
 * NUL or a bad byte is found at every position of a run. */
static void test_text_utf8_ascii_runs(void **state) {
  (void)state;
  bg_error err;
  const char *good[] = {"abcdefgh", "abcdefghijklmnopq", "abcdefghcaf\xc3\xa9xyzxyzxy",
                        "caf\xc3\xa9"
                        "abcdefghijklmnop\xf0\x9f\x98\x80"};
  for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
    bg_value *v = bg_text_new(good[i], (size_t)-1, &err);
    assert_non_null(v);
    assert_int_equal(bg_text_length(v), strlen(good[i]));
    bg_value_free(v);
  }
  /* every length up to 24: the last 8 bytes of a longer text are checked as one word when
   * fewer than 8 are left, so a bad byte in that tail must still be found */
  for (size_t len = 1; len <= 24; len++)
    for (size_t at = 0; at < len; at++) {
      char text[24];
      memset(text, 'a', sizeof text);
      text[at] = '\0';
      assert_null(bg_text_new(text, len, &err)); /* a NUL anywhere */
      assert_int_equal(err.code, BG_ERR_INVALID_ARGUMENT);
      text[at] = (char)0x80; /* a lone continuation byte anywhere */
      assert_null(bg_text_new(text, len, &err));
      text[at] = (char)0xc3; /* a truncated sequence (an ASCII byte, or the end, follows) */
      assert_null(bg_text_new(text, len, &err));
      text[at] = 'b';
      bg_value *fine = bg_text_new(text, len, &err);
      assert_non_null(fine);
      bg_value_free(fine);
    }
  /* a sequence before an ASCII tail shorter than 8 bytes */
  bg_value *v = bg_text_new("abcdefgh\xc3\xa9xy", (size_t)-1, &err);
  assert_non_null(v);
  bg_value_free(v);
}

/* A string array's elements are checked as C strings: the ASCII prefix byte by byte up to the
 * NUL, then the rest as UTF-8, so a bad byte after any prefix is still found. */
static void test_string_elements_utf8(void **state) {
  (void)state;
  bg_error err;
  for (size_t len = 1; len <= 24; len++)
    for (size_t at = 0; at < len; at++) {
      char text[25];
      memset(text, 'a', len);
      text[len] = '\0';
      const char *elements[2] = {"fine", text};
      text[at] = (char)0x80; /* a lone continuation byte */
      assert_null(bg_series_borrow(BG_DTYPE_STRING, elements, 2, &err));
      assert_int_equal(err.code, BG_ERR_INVALID_ARGUMENT);
      assert_contains(err.message, "string element 1 is not valid UTF-8");
      text[at] = (char)0xc3; /* a cut sequence (an ASCII byte or the NUL follows) */
      assert_null(bg_series_borrow(BG_DTYPE_STRING, elements, 2, &err));
      if (at + 1 < len) {
        text[at + 1] = (char)0xa9; /* completed: U+00E9 */
        bg_value *v = bg_series_borrow(BG_DTYPE_STRING, elements, 2, &err);
        assert_non_null(v);
        bg_value_free(v);
      }
    }
}

static void test_json_rules(void **state) {
  (void)state;
  bg_error err;
  bg_value *v = bg_json_parse("{\"b\": [1, 2.5, 0.1, 1e300, -0.0], \"a\": \"\\u00e9\\n\\u0001\"}",
                              (size_t)-1, &err);
  assert_non_null(v);
  /* sorted keys, shortest round-trip numbers, control characters escaped */
  assert_string_equal(bg_json_text(v),
                      "{\"a\":\"\xc3\xa9\\n\\u0001\",\"b\":[1,2.5,0.1,1e+300,-0.0]}");
  bg_value_free(v);

  assert_null(bg_json_parse("NaN", (size_t)-1, &err));
  assert_contains(err.message, "invalid JSON");
  assert_null(bg_json_parse("[1, 2", (size_t)-1, &err));
  assert_contains(err.message, "line 1");
  assert_null(bg_json_parse("9007199254740993", (size_t)-1, &err));
  assert_contains(err.message, "beyond +-2^53");
  v = bg_json_parse("9007199254740992", (size_t)-1, &err); /* 2^53 itself is exact */
  assert_non_null(v);
  bg_value_free(v);
  assert_null(bg_json_parse("{\"a\":1,\"a\":2}", (size_t)-1, &err));
  assert_null(bg_json_parse("1e999", (size_t)-1, &err)); /* overflows to Infinity */

  char deep[200] = "";
  for (int i = 0; i < BG_JSON_MAX_NESTING + 1; i++)
    strcat(deep, "[");
  for (int i = 0; i < BG_JSON_MAX_NESTING + 1; i++)
    strcat(deep, "]");
  assert_null(bg_json_parse(deep, (size_t)-1, &err));
  assert_contains(err.message, "nested deeper than");
  deep[strlen(deep) - 1] = '\0';
  memmove(deep, deep + 1, strlen(deep));
  v = bg_json_parse(deep, (size_t)-1, &err); /* exactly the limit */
  assert_non_null(v);
  bg_value_free(v);
}

static void test_file_values(void **state) {
  (void)state;
  bg_error err;
  const uint8_t data[] = {1, 2, 3};
  bg_value *v = bg_file_borrow(data, 3, "Image/PNG", &err);
  assert_ptr_equal(bg_file_data(v), data); /* borrowed */
  assert_string_equal(bg_file_mime(v), "image/png");
  bg_value_free(v);
  v = bg_file_copy(data, 3, NULL, &err);
  assert_ptr_not_equal(bg_file_data(v), data);
  assert_null(bg_file_mime(v));
  bg_value_free(v);
  assert_null(bg_file_borrow(data, 3, "image/png/x", &err));
  assert_null(bg_file_borrow(data, 3, "image/ png", &err));
  assert_null(bg_file_borrow(NULL, 3, NULL, &err));

  assert_null(bg_file_from_path("/nonexistent/bentogrpc-file", NULL, &err));
  assert_contains(err.message, "cannot open '/nonexistent/bentogrpc-file'");
  char path[] = "/tmp/bentogrpc-unit-XXXXXX";
  int fd = mkstemp(path);
  uint8_t big[100000];
  for (size_t i = 0; i < sizeof big; i++)
    big[i] = (uint8_t)(i * 7);
  assert_int_equal(write(fd, big, sizeof big), (ssize_t)sizeof big);
  close(fd);
  v = bg_file_from_path(path, "application/octet-stream", &err);
  unlink(path);
  assert_int_equal(bg_file_size(v), sizeof big);
  assert_memory_equal(bg_file_data(v), big, sizeof big);
  bg_value_free(v);

  v = bg_bytes_copy("xyz", 3, &err);
  assert_int_equal(bg_value_get_kind(v), BG_VALUE_BYTES);
  assert_int_equal(bg_bytes_size(v), 3);
  assert_null(bg_file_data(v)); /* accessors check the kind */
  bg_value_free(v);
}

static void test_accessors_check_kind(void **state) {
  (void)state;
  bg_value *t = bg_text_new("x", 1, NULL);
  assert_null(bg_json_text(t));
  assert_int_equal(bg_series_count(t), 0);
  assert_int_equal(bg_dataframe_column_count(t), 0);
  assert_null(bg_multipart_find(t, "x"));
  assert_int_equal(bg_ndarray_count(t), 0);
  assert_string_equal(bg_value_kind_name(bg_value_get_kind(t)), "text");
  assert_int_equal(bg_multipart_add(t, "p", bg_text_new("y", 1, NULL), NULL),
                   BG_ERR_INVALID_ARGUMENT); /* and frees the part */
  bg_value_free(t);
}

/* A column with two non-empty values fields ("mixed types") is refused, not guessed at. */
static void test_mixed_type_column_from_wire(void **state) {
  (void)state;
  Bentoml__Grpc__V1__Series *s = calloc(1, sizeof *s);
  bentoml__grpc__v1__series__init(s);
  s->n_int32_values = 1;
  s->int32_values = calloc(1, sizeof(int32_t));
  s->n_int64_values = 1;
  s->int64_values = calloc(1, sizeof(int64_t));
  bg_value *out;
  bg_error err;
  assert_int_equal(bgi_series_from_proto(s, BG_DTYPE_DOUBLE, &out, &err), BG_ERR_PROTOCOL);
  assert_contains(err.message, "mixed types");
  protobuf_c_message_free_unpacked(&s->base, NULL);

  /* an empty Series decodes to an empty series of the given dtype */
  s = calloc(1, sizeof *s);
  bentoml__grpc__v1__series__init(s);
  assert_int_equal(bgi_series_from_proto(s, BG_DTYPE_INT64, &out, &err), BG_OK);
  assert_int_equal(bg_series_dtype(out), BG_DTYPE_INT64);
  assert_int_equal(bg_series_count(out), 0);
  bg_value_free(out);
  protobuf_c_message_free_unpacked(&s->base, NULL);
}

/* Specs come from the network: malformed ones are refused with a reason, never trusted. */
static void test_spec_parsing(void **state) {
  (void)state;
  bg_error err;
  json_t *args = json_loads("{\"dtype\": \"float32\", \"shape\": [-1.0, 4.0], "
                            "\"enforce_dtype\": true, \"enforce_shape\": true}",
                            0, NULL);
  void *spec = bgi_ndarray_descriptor.parse_spec(args, &err);
  assert_non_null(spec);
  bgi_ndarray_descriptor.free_spec(spec);
  json_decref(args);

  args = json_loads("{\"shape\": [2.5]}", 0, NULL);
  assert_null(bgi_ndarray_descriptor.parse_spec(args, &err));
  assert_contains(err.message, "whole numbers");
  json_decref(args);

  args = json_loads("{\"a\": {\"id\": \"bentoml.io.Multipart\"}}", 0, NULL);
  assert_null(bgi_multipart_descriptor.parse_spec(args, &err));
  assert_contains(err.message, "cannot be nested");
  json_decref(args);

  args =
      json_loads("{\"a\": {\"id\": \"acme.io.X\"}, \"b\": {\"id\": \"bentoml.io.Text\"}}", 0, NULL);
  assert_null(bgi_multipart_descriptor.parse_spec(args, &err));
  assert_contains(err.message, "part 'a' has descriptor 'acme.io.X'");
  json_decref(args);

  assert_null(bgi_multipart_descriptor.parse_spec(NULL, &err));
}

/* A server's File kind with parameters keeps its type/subtype; a kind that is no MIME type
 * is dropped instead of failing the whole reply. */
static void test_file_kind_from_server(void **state) {
  (void)state;
  const char *kinds[][2] = {{"text/plain; charset=utf-8", "text/plain"},
                            {"Image/PNG", "image/png"},
                            {"not a mime", NULL}};
  for (size_t i = 0; i < 3; i++) {
    ProtobufCBinaryData bytes = {3, (uint8_t *)malloc(3)};
    memcpy(bytes.data, "abc", 3);
    bgi_content c = {.member = BGI_MEMBER_FILE};
    c.as.file.bytes = &bytes;
    c.as.file.kind = kinds[i][0];
    bgi_codec_ctx ctx = {0};
    bg_value *out;
    bg_error err;
    assert_int_equal(bgi_descriptor_decode(&bgi_file_descriptor, NULL, &c, &ctx, &out, &err),
                     BG_OK);
    if (kinds[i][1])
      assert_string_equal(bg_file_mime(out), kinds[i][1]);
    else
      assert_null(bg_file_mime(out));
    assert_memory_equal(bg_file_data(out), "abc", 3);
    bg_value_free(out);
  }
}

/* The fewest significant digits whose %e text reads back as d, by trying every count. */
static int fewest_digits(double d) {
  char sci[40];
  for (int precision = 0;; precision++) {
    snprintf(sci, sizeof sci, "%.*e", precision, d);
    if (strtod(sci, NULL) == d)
      return precision + 1;
  }
}

/* The significant digits of a printed number (sign, point and exponent left out; leading and
 * trailing zeros are not significant). */
static int significant_digits(const char *text) {
  char digits[64];
  int n = 0;
  for (const char *p = text; *p && *p != 'e'; p++)
    if (*p >= '0' && *p <= '9')
      digits[n++] = *p;
  int first = 0;
  while (first < n - 1 && digits[first] == '0')
    first++;
  while (n - 1 > first && digits[n - 1] == '0')
    n--;
  return n - first;
}

/* Reals print as the shortest text that reads back exactly, the way a person
 * writes them — 10 is "10.0", never "1e+01". */
static void test_json_real_shortest_human(void **state) {
  (void)state;
  char buf[BGI_JSON_REAL_MAX], want[BGI_JSON_REAL_MAX];
  for (int i = 0; i <= 1000000; i++) {
    bgi_json_format_real(buf, sizeof buf, (double)i);
    snprintf(want, sizeof want, "%d.0", i);
    if (strcmp(buf, want) != 0)
      fail_msg("%d printed as %s", i, buf);
  }
  /* Random bit patterns cover every exponent: the text reads back as the same bits. */
  uint64_t x = 0x9E3779B97F4A7C15u;
  for (int i = 0; i < 100000; i++) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    double d;
    memcpy(&d, &x, sizeof d);
    if (!isfinite(d))
      continue;
    bgi_json_format_real(buf, sizeof buf, d);
    double back = strtod(buf, NULL);
    if (memcmp(&back, &d, sizeof d) != 0)
      fail_msg("%.17g printed as %s reads back as %.17g", d, buf, back);
    if (i % 5 == 0 && significant_digits(buf) != fewest_digits(d))
      fail_msg("%.17g printed as %s: %d digits, but %d read back", d, buf, significant_digits(buf),
               fewest_digits(d));
  }
  /* Subnormals (fewer bits: the digit search differs there) and the normals next to them. */
  for (int i = 0; i < 4000; i++) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    uint64_t bits =
        (x & 0x800fffffffffffffu) | (i % 2 ? (uint64_t)1 << 52 : 0); /* exponent 0 or 1 */
    double d;
    memcpy(&d, &bits, sizeof d);
    bgi_json_format_real(buf, sizeof buf, d);
    double back = strtod(buf, NULL);
    if (memcmp(&back, &d, sizeof d) != 0 || significant_digits(buf) != fewest_digits(d))
      fail_msg("%.17g printed as %s (%d digits, %d read back)", d, buf, significant_digits(buf),
               fewest_digits(d));
  }
  const struct {
    double d;
    const char *text;
  } cases[] = {{0.1, "0.1"},
               {-0.0, "-0.0"},
               {2.5, "2.5"},
               {1e16, "1e+16"},
               {1e15, "1000000000000000.0"},
               {0.0001, "0.0001"},
               {1e-05, "1e-05"},
               {1e300, "1e+300"},
               {5e-324, "5e-324"},
               {-1234567.0, "-1234567.0"},
               {1.7976931348623157e308, "1.7976931348623157e+308"},
               {123456789012345680.0, "1.2345678901234568e+17"},
               {0.3, "0.3"}};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    bgi_json_format_real(buf, sizeof buf, cases[i].d);
    assert_string_equal(buf, cases[i].text);
  }
  bg_error err;
  bg_value *v =
      bg_json_parse("{\"n\": 10.0, \"m\": [100.0, 3.0, 20.0, 1234567.0]}", (size_t)-1, &err);
  assert_non_null(v);
  assert_string_equal(bg_json_text(v), "{\"m\":[100.0,3.0,20.0,1234567.0],\"n\":10.0}");
  bg_value_free(v);
}

/* With validation off (and in raw calls) what the caller gave is sent:
 * an empty Series, and a File/Image's own MIME type rather than the descriptor's. */
static void test_unvalidated_input_sent_as_given(void **state) {
  (void)state;
  bg_error err;
  bgi_arena arena;
  bgi_arena_init(&arena);
  json_t *args = json_pack("{s:s}", "dtype", "float64");
  void *series_spec = bgi_series_descriptor.parse_spec(args, &err);
  assert_non_null(series_spec);
  bg_value *empty = bg_series_copy(BG_DTYPE_DOUBLE, NULL, 0, &err);
  assert_non_null(empty);
  bgi_codec_ctx off = {.arena = &arena, .validate = false};
  bgi_content content;
  assert_int_equal(
      bgi_descriptor_encode(&bgi_series_descriptor, series_spec, empty, &off, &content, &err),
      BG_OK);
  assert_int_equal(content.member, BGI_MEMBER_SERIES);
  assert_int_equal(content.as.frame.size, 0); /* an empty Series message: no values field */
  assert_int_equal(bgi_descriptor_encode(&bgi_series_descriptor, NULL, empty, &off, &content, &err),
                   BG_OK); /* raw call */
  bgi_codec_ctx on = {.arena = &arena, .validate = true};
  assert_int_equal(
      bgi_descriptor_encode(&bgi_series_descriptor, series_spec, empty, &on, &content, &err),
      BG_ERR_INVALID_ARGUMENT);
  assert_contains(err.message, "empty");
  bg_value_free(empty);
  bgi_series_descriptor.free_spec(series_spec);
  json_decref(args);

  void *image_spec = bgi_image_descriptor.parse_spec(NULL, &err); /* image/jpeg */
  assert_non_null(image_spec);
  bg_value *png = bg_file_copy("\x89PNG", 4, "image/png", &err);
  assert_non_null(png);
  assert_int_equal(
      bgi_descriptor_encode(&bgi_image_descriptor, image_spec, png, &off, &content, &err), BG_OK);
  assert_int_equal(content.member, BGI_MEMBER_FILE);
  assert_string_equal(content.as.file.kind, "image/png");
  assert_int_equal(
      bgi_descriptor_encode(&bgi_image_descriptor, image_spec, png, &on, &content, &err),
      BG_ERR_INVALID_ARGUMENT);
  bg_value *bare = bg_file_copy("\x89PNG", 4, NULL, &err);
  assert_int_equal(
      bgi_descriptor_encode(&bgi_image_descriptor, image_spec, bare, &off, &content, &err), BG_OK);
  assert_string_equal(content.as.file.kind, "image/jpeg"); /* none given: the descriptor's */
  bg_value_free(bare);
  bg_value_free(png);
  bgi_image_descriptor.free_spec(image_spec);
  bgi_arena_fini(&arena);
}

/* The library side of integer range checks: the one conversion into an integer dtype the library
 * makes (a Series cast to its descriptor's int32) refuses values out of range, naming value and
 * dtype. */
static void test_series_narrowing_refuses_out_of_range(void **state) {
  (void)state;
  bg_error err;
  bgi_arena arena;
  bgi_arena_init(&arena);
  json_t *args = json_pack("{s:s}", "dtype", "int32");
  void *spec = bgi_series_descriptor.parse_spec(args, &err);
  assert_non_null(spec);
  int64_t values[] = {1, 3000000000LL};
  bg_value *s = bg_series_borrow(BG_DTYPE_INT64, values, 2, &err);
  bgi_codec_ctx on = {.arena = &arena, .validate = true};
  bgi_content content;
  assert_int_equal(bgi_descriptor_encode(&bgi_series_descriptor, spec, s, &on, &content, &err),
                   BG_ERR_INVALID_ARGUMENT);
  assert_contains(err.message, "3000000000");
  assert_contains(err.message, "int32");
  values[1] = -5;
  assert_int_equal(bgi_descriptor_encode(&bgi_series_descriptor, spec, s, &on, &content, &err),
                   BG_OK);
  Bentoml__Grpc__V1__Series *sent =
      (Bentoml__Grpc__V1__Series *)bgt_frame_unpack(&content.as.frame, BGI_MEMBER_SERIES);
  assert_int_equal(sent->n_int32_values, 2);
  assert_int_equal(sent->int32_values[1], -5);
  protobuf_c_message_free_unpacked(&sent->base, NULL);
  double fractional[] = {1.5};
  bg_value *d = bg_series_borrow(BG_DTYPE_DOUBLE, fractional, 1, &err);
  assert_int_equal(bgi_descriptor_encode(&bgi_series_descriptor, spec, d, &on, &content, &err),
                   BG_ERR_INVALID_ARGUMENT); /* float never becomes int */
  bg_value_free(d);
  bg_value_free(s);
  bgi_series_descriptor.free_spec(spec);
  json_decref(args);
  bgi_arena_fini(&arena);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_text_utf8),
      cmocka_unit_test(test_text_utf8_ascii_runs),
      cmocka_unit_test(test_string_elements_utf8),
      cmocka_unit_test(test_json_rules),
      cmocka_unit_test(test_file_values),
      cmocka_unit_test(test_accessors_check_kind),
      cmocka_unit_test(test_mixed_type_column_from_wire),
      cmocka_unit_test(test_spec_parsing),
      cmocka_unit_test(test_file_kind_from_server),
      cmocka_unit_test(test_json_real_shortest_human),
      cmocka_unit_test(test_unvalidated_input_sent_as_given),
      cmocka_unit_test(test_series_narrowing_refuses_out_of_range),
  };
  return cmocka_run_group_tests_name("values", tests, NULL, NULL);
}
