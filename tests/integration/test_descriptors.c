/* Every descriptor round-tripped against the reference server, each client-side validation
 * error before the call, each server-side error after it, the File fallback to
 * serialized_bytes, raw calls (unsupported descriptors, v1alpha1 servers). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <bentogrpc/bentogrpc.h>

#include "bmp.h"
#include "test_assert.h"
#include "test_fixture.h"

typedef bgt_fixture fixture;

static int setup(void **state) {
  static fixture f;
  const char *const *args = NULL;
  *state = &f;
  return bgt_fixture_start(&f, args);
}

static int teardown(void **state) {
  bgt_fixture_stop(*state);
  return 0;
}

/* Calls and expects `want`; returns the output (caller frees). */
static bg_value *call(bg_client *c, const char *api, bg_value *in, bg_status want, bg_error *err) {
  bg_value *out = NULL;
  bg_status st = bg_client_call(c, api, in, &out, NULL, err);
  if (st != want)
    fail_msg("%s: got %s, want %s: %s", api, bg_status_name(st), bg_status_name(want),
             err->message);
  return out;
}

/* ---- Text ---- */

static void test_text(void **state) {
  fixture *f = *state;
  bg_error err;
  bg_value *in = bg_text_new("BentoML", (size_t)-1, &err);
  bg_value *out = call(f->client, "bonjour", in, BG_OK, &err);
  assert_int_equal(bg_value_get_kind(out), BG_VALUE_TEXT);
  assert_string_equal(bg_text_data(out), "Hello, BentoML!");
  bg_value_free(out);
  bg_value_free(in);

  const char *utf8 = "h\xc3\xa9llo \xe4\xb8\x96\xe7\x95\x8c \xf0\x9f\x8d\xb1"; /* héllo 世界 🍱 */
  in = bg_text_new(utf8, (size_t)-1, &err);
  out = call(f->client, "bonjour", in, BG_OK, &err);
  char want[128];
  snprintf(want, sizeof want, "Hello, %s!", utf8);
  assert_string_equal(bg_text_data(out), want);
  assert_int_equal(bg_text_length(out), strlen(want));
  bg_value_free(out);
  bg_value_free(in);

  /* an API returning None sends text {}: an empty string */
  in = bg_text_new("input_data", (size_t)-1, &err);
  out = call(f->client, "ensure_metrics_are_registered", in, BG_OK, &err);
  assert_string_equal(bg_text_data(out), "");
  assert_int_equal(bg_text_length(out), 0);
  bg_value_free(out);
  bg_value_free(in);
}

/* ---- JSON ---- */

static void test_json_round_trip(void **state) {
  fixture *f = *state;
  bg_error err;
  bg_value *in =
      bg_json_parse("{\"a\": 1, \"b\": [true, null, \"x\", -2.5e-3], \"c\": {}}", (size_t)-1, &err);
  assert_non_null(in);
  bg_value *out = call(f->client, "echo_json", in, BG_OK, &err);
  assert_int_equal(bg_value_get_kind(out), BG_VALUE_JSON);
  /* every number comes back as a double */
  assert_string_equal(bg_json_text(out), "{\"a\":1.0,\"b\":[true,null,\"x\",-0.0025],\"c\":{}}");
  bg_value_free(out);
  bg_value_free(in);

  in = bg_json_parse("\"\\\"hi\\\"\"", (size_t)-1, &err); /* PROTOCOL §8 case 11 */
  out = call(f->client, "echo_json", in, BG_OK, &err);
  assert_string_equal(bg_json_text(out), "\"\\\"hi\\\"\"");
  bg_value_free(out);
  bg_value_free(in);

  in = bg_json_parse("null", (size_t)-1, &err);
  out = call(f->client, "echo_json", in, BG_OK, &err);
  assert_string_equal(bg_json_text(out), "null");
  bg_value_free(out);
  bg_value_free(in);
}

static void test_json_deep_and_large(void **state) {
  fixture *f = *state;
  bg_error err;
  char deep[256] = "";
  for (int i = 0; i < BG_JSON_MAX_NESTING - 1; i++)
    strcat(deep, "{\"k\":");
  strcat(deep, "[1]");
  for (int i = 0; i < BG_JSON_MAX_NESTING - 1; i++)
    strcat(deep, "}");
  bg_value *in = bg_json_parse(deep, (size_t)-1, &err);
  assert_non_null(in);
  bg_value *out = call(f->client, "echo_json", in, BG_OK, &err);
  assert_contains(bg_json_text(out), "{\"k\":{\"k\":");
  assert_contains(bg_json_text(out), "[1.0]");
  bg_value_free(out);
  bg_value_free(in);

  /* 20000 numbers */
  size_t cap = 20000 * 12 + 16, used = 0;
  char *big = malloc(cap);
  used += (size_t)snprintf(big, cap, "[");
  for (int i = 0; i < 20000; i++)
    used += (size_t)snprintf(big + used, cap - used, "%s%d.5", i ? "," : "", i);
  snprintf(big + used, cap - used, "]");
  in = bg_json_parse(big, (size_t)-1, &err);
  assert_non_null(in);
  out = call(f->client, "echo_json", in, BG_OK, &err);
  assert_string_equal(bg_json_text(out), bg_json_text(in));
  bg_value_free(out);
  bg_value_free(in);
  free(big);
}

static void test_json_validation_on_server(void **state) {
  fixture *f = *state;
  bg_error err;
  bg_value *in =
      bg_json_parse("{\"request_id\": \"123\", \"iris_features\": {\"sepal_len\": 2.34, "
                    "\"sepal_width\": 1.58, \"petal_len\": 6.52, \"petal_width\": 3.23}}",
                    (size_t)-1, &err);
  bg_value *out = call(f->client, "echo_json_validate", in, BG_OK, &err);
  /* keys are printed sorted: a Struct's keys have no order on the wire */
  assert_string_equal(bg_json_text(out), "{\"petal_len\":6.52,\"petal_width\":3.23,\"sepal_len\":"
                                         "2.34,\"sepal_width\":1.58}");
  bg_value_free(out);
  bg_value_free(in);

  in = bg_json_parse("{\"request_id\": \"123\", \"iris_features\": {\"sepal_len\": 2.34}}",
                     (size_t)-1, &err);
  out = call(f->client, "echo_json_validate", in, BG_ERR_SERVER, &err);
  assert_int_equal(err.grpc_status, 3);
  assert_contains(err.message, "Invalid JSON input received");
  bg_value_free(in);
}

/* raw serialized_bytes pass through to a descriptor that accepts them */
static void test_serialized_bytes_passthrough(void **state) {
  fixture *f = *state;
  bg_error err;
  const char text[] = "{\"request_id\": \"123\"}";
  bg_value *in = bg_bytes_borrow(text, sizeof text - 1, &err);
  bg_value *out = call(f->client, "echo_json", in, BG_OK, &err);
  assert_string_equal(bg_json_text(out), "{\"request_id\":\"123\"}");
  bg_value_free(out);
  bg_value_free(in);

  in = bg_bytes_borrow("\n?xfa", 5, &err); /* PROTOCOL §8 case 14 */
  out = call(f->client, "echo_json", in, BG_ERR_SERVER, &err);
  assert_int_equal(err.grpc_status, 3);
  assert_contains(err.message, "Invalid JSON input received");
  bg_value_free(in);

  /* NumpyNdarray reads the raw buffer in the descriptor's dtype (float64 from the sample) */
  double d[4] = {1.5, 2.5, 3.5, 4.5};
  in = bg_bytes_borrow(d, sizeof d, &err);
  out = call(f->client, "echo_ndarray_from_sample", in, BG_OK, &err);
  assert_int_equal(bg_ndarray_dtype(out), BG_DTYPE_DOUBLE);
  assert_int_equal(bg_ndarray_ndim(out), 2); /* reshaped to the sample's (2, 2) */
  assert_memory_equal(bg_ndarray_data(out), d, sizeof d);
  bg_value_free(out);
  bg_value_free(in);

  /* Multipart, DataFrame and Series refuse them before the call: the server fails them
   * (PROTOCOL.md §4.2, §4.3, §4.8), with INTERNAL and no useful message for the tabular two */
  const char *refusing[] = {"predict_multi_images", "echo_dataframe", "echo_series_from_sample"};
  for (size_t i = 0; i < 3; i++) {
    in = bg_bytes_borrow(d, sizeof d, &err);
    out = call(f->client, refusing[i], in, BG_ERR_INVALID_ARGUMENT, &err);
    assert_int_equal(err.grpc_status, 0); /* nothing was sent */
    assert_contains(err.message, "does not accept raw serialized_bytes");
    bg_value_free(in);
  }
}

/* ---- DataFrame and Series ---- */

static void test_dataframe(void **state) {
  fixture *f = *state;
  bg_error err;
  int64_t col1[] = {23};
  bg_value *df = bg_dataframe_new(&err);
  assert_int_equal(
      bg_dataframe_add_column(df, "col1", bg_series_borrow(BG_DTYPE_INT64, col1, 1, &err), &err),
      BG_OK);
  bg_value *out = call(f->client, "double_dataframe", df, BG_OK, &err);
  assert_int_equal(bg_value_get_kind(out), BG_VALUE_DATAFRAME);
  assert_int_equal(bg_dataframe_column_count(out), 1);
  assert_string_equal(bg_dataframe_column_name_at(out, 0), "col1");
  const bg_value *c = bg_dataframe_column_find(out, "col1");
  assert_int_equal(bg_series_dtype(c), BG_DTYPE_INT64);
  assert_int_equal(((const int64_t *)bg_series_data(c))[0], 46);
  bg_value_free(out);
  bg_value_free(df);

  /* mixed column types; int32 and float come back as int64 and float64, like pandas */
  int32_t a[] = {1, 2, 3};
  float b[] = {0.5f, 1.5f, -2.0f};
  bool flags[] = {true, false, true};
  df = bg_dataframe_new(&err);
  bg_dataframe_add_column(df, "a", bg_series_copy(BG_DTYPE_INT32, a, 3, &err), &err);
  bg_dataframe_add_column(df, "b", bg_series_copy(BG_DTYPE_FLOAT, b, 3, &err), &err);
  bg_dataframe_add_column(df, "ok", bg_series_copy(BG_DTYPE_BOOL, flags, 3, &err), &err);
  out = call(f->client, "echo_dataframe", df, BG_OK, &err);
  assert_int_equal(bg_dataframe_row_count(out), 3);
  c = bg_dataframe_column_find(out, "a");
  assert_int_equal(bg_series_dtype(c), BG_DTYPE_INT64);
  assert_int_equal(((const int64_t *)bg_series_data(c))[2], 3);
  c = bg_dataframe_column_find(out, "b");
  assert_int_equal(bg_series_dtype(c), BG_DTYPE_DOUBLE);
  assert_true(((const double *)bg_series_data(c))[1] == 1.5);
  c = bg_dataframe_column_find(out, "ok");
  assert_int_equal(bg_series_dtype(c), BG_DTYPE_BOOL);
  assert_memory_equal(bg_series_data(c), flags, 3);
  bg_value_free(out);
  bg_value_free(df);

  /* string columns go in, but BentoML cannot send them back: FAILED_PRECONDITION */
  const char *names[] = {"x", "y"};
  df = bg_dataframe_new(&err);
  bg_dataframe_add_column(df, "a", bg_series_borrow(BG_DTYPE_STRING, names, 2, &err), &err);
  out = call(f->client, "echo_dataframe", df, BG_ERR_SERVER, &err);
  assert_int_equal(err.grpc_status, 9);
  assert_contains(err.message, "is not currently supported");
  bg_value_free(df);
}

/* Unnamed columns take the descriptor's names (from_sample: age, height, weight). */
static void test_dataframe_column_names_from_spec(void **state) {
  fixture *f = *state;
  bg_error err;
  int64_t age[] = {3, 29}, height[] = {94, 170}, weight[] = {31, 115};
  bg_value *df = bg_dataframe_new(&err);
  bg_dataframe_add_column(df, NULL, bg_series_borrow(BG_DTYPE_INT64, age, 2, &err), &err);
  bg_dataframe_add_column(df, NULL, bg_series_borrow(BG_DTYPE_INT64, height, 2, &err), &err);
  bg_dataframe_add_column(df, NULL, bg_series_borrow(BG_DTYPE_INT64, weight, 2, &err), &err);
  bg_value *out = call(f->client, "echo_dataframe_from_sample", df, BG_OK, &err);
  assert_string_equal(bg_dataframe_column_name_at(out, 0), "age");
  assert_string_equal(bg_dataframe_column_name_at(out, 2), "weight");
  assert_int_equal(((const int64_t *)bg_series_data(bg_dataframe_column_at(out, 1)))[1], 170);
  bg_value_free(out);

  /* without descriptor names, pandas' defaults "0", "1", ... */
  out = call(f->client, "echo_dataframe", df, BG_OK, &err);
  assert_string_equal(bg_dataframe_column_name_at(out, 0), "0");
  assert_string_equal(bg_dataframe_column_name_at(out, 2), "2");
  bg_value_free(out);
  bg_value_free(df);
}

static void test_dataframe_client_errors(void **state) {
  fixture *f = *state;
  bg_error err;
  int64_t one[] = {1}, two[] = {1, 2};
  bg_value *df = bg_dataframe_new(&err);
  bg_dataframe_add_column(df, "a", bg_series_borrow(BG_DTYPE_INT64, two, 2, &err), &err);
  /* ragged columns are refused when built */
  assert_int_equal(
      bg_dataframe_add_column(df, "b", bg_series_borrow(BG_DTYPE_INT64, one, 1, &err), &err),
      BG_ERR_INVALID_ARGUMENT);
  assert_contains(err.message, "has 1 rows but the columns before it have 2");
  assert_int_equal(
      bg_dataframe_add_column(df, "a", bg_series_borrow(BG_DTYPE_INT64, two, 2, &err), &err),
      BG_ERR_INVALID_ARGUMENT);
  assert_contains(err.message, "already there");
  /* a non-series column is refused (and freed) */
  assert_int_equal(bg_dataframe_add_column(df, "n", bg_text_new("x", 1, &err), &err),
                   BG_ERR_INVALID_ARGUMENT);
  assert_int_equal(bg_dataframe_column_count(df), 1);
  bg_value_free(df);

  df = bg_dataframe_new(&err);
  bg_dataframe_add_column(df, "e", bg_series_borrow(BG_DTYPE_INT64, NULL, 0, &err), &err);
  bg_value *out = call(f->client, "echo_dataframe", df, BG_ERR_INVALID_ARGUMENT, &err);
  assert_contains(err.message, "API 'echo_dataframe' input");
  assert_contains(err.message, "column 'e' is empty");
  bg_value_free(df);
  /* a dataframe given to an ndarray API */
  df = bg_dataframe_new(&err);
  out = call(f->client, "echo_ndarray", df, BG_ERR_INVALID_ARGUMENT, &err);
  assert_contains(err.message, "NumpyNdarray expects a ndarray value");
  assert_contains(err.message, "dataframe value was given");
  assert_null(out);
  bg_value_free(df);
}

static void test_series(void **state) {
  fixture *f = *state;
  bg_error err;
  int64_t v[] = {1, 2, 3};
  bg_value *s = bg_series_borrow(BG_DTYPE_INT64, v, 3, &err);
  bg_value *out = call(f->client, "echo_series_from_sample", s, BG_OK, &err);
  assert_int_equal(bg_value_get_kind(out), BG_VALUE_SERIES);
  assert_int_equal(bg_series_dtype(out), BG_DTYPE_INT64);
  assert_int_equal(bg_series_count(out), 3);
  assert_memory_equal(bg_series_data(out), v, sizeof v);
  bg_value_free(out);
  bg_value_free(s);

  /* int32 is widened to the descriptor's int64, which is the only field the server reads */
  int32_t w[] = {7, -8, 9};
  s = bg_series_borrow(BG_DTYPE_INT32, w, 3, &err);
  out = call(f->client, "echo_series_from_sample", s, BG_OK, &err);
  assert_int_equal(bg_series_dtype(out), BG_DTYPE_INT64);
  assert_int_equal(((const int64_t *)bg_series_data(out))[1], -8);
  bg_value_free(out);
  bg_value_free(s);

  /* float cannot become int64: refused rather than arriving empty (PROTOCOL §8 case 29) */
  double d[] = {1.0, 2.0, 3.0};
  s = bg_series_borrow(BG_DTYPE_DOUBLE, d, 3, &err);
  out = call(f->client, "echo_series_from_sample", s, BG_ERR_INVALID_ARGUMENT, &err);
  assert_contains(err.message, "reads only int64 values");
  bg_value_free(s);

  uint32_t u[] = {1};
  assert_null(bg_series_borrow(BG_DTYPE_UINT32, u, 1, &err));
  assert_contains(err.message, "cannot be sent");
}

/* ---- File and Image ---- */

/* The reference server behaves like BentoML at HEAD by default: `file` is refused, so the
 * client falls back to serialized_bytes; the File output then fails on the server. */
static void test_file_against_broken_server(void **state) {
  fixture *f = *state;
  bg_error err;
  const uint8_t content[] = {0x81, 0x30, 0x89, 0x39};
  bg_value *in = bg_file_borrow(content, sizeof content, NULL, &err);
  bg_value *out = call(f->client, "predict_file", in, BG_ERR_SERVER, &err);
  /* not the INVALID_ARGUMENT "got 'file' instead": the retry got past decoding */
  assert_int_equal(err.grpc_status, 13);
  assert_contains(err.message, "An error has occurred in BentoML user code");
  /* later calls go straight to serialized_bytes and meet the same output failure */
  out = call(f->client, "predict_file", in, BG_ERR_SERVER, &err);
  assert_int_equal(err.grpc_status, 13);
  bg_value_free(in);

  in = bg_file_borrow(content, 0, NULL, &err);
  out = call(f->client, "predict_file", in, BG_ERR_INVALID_ARGUMENT, &err);
  assert_contains(err.message, "empty");
  assert_null(out);
  bg_value_free(in);
}

static void test_file_against_intended_server(void **state) {
  (void)state;
  bgt_server s;
  const char *args[] = {"--file-mode", "intended", NULL};
  assert_int_equal(bgt_server_start(&s, args), 0);
  bg_error err;
  bg_client *c = bg_client_from_url(s.url, NULL, &err);
  assert_non_null(c);
  const uint8_t content[] = {0x81, 0x30, 0x89, 0x39};
  bg_value *in = bg_file_borrow(content, sizeof content, "application/pdf", &err);
  bg_value *out = call(c, "predict_file", in, BG_OK, &err);
  assert_int_equal(bg_value_get_kind(out), BG_VALUE_FILE);
  assert_int_equal(bg_file_size(out), 4);
  assert_memory_equal(bg_file_data(out), content, 4);
  /* the server's misspelt "appliction/octet-stream" is repaired */
  assert_string_equal(bg_file_mime(out), "application/octet-stream");
  bg_value_free(out);
  bg_value_free(in);
  bg_client_close(c);
  bgt_server_stop(&s);
}

static void test_image(void **state) {
  fixture *f = *state;
  bg_error err;
  uint8_t bmp[256];
  size_t n = bgt_bmp(4, 3, 10, bmp);
  bg_value *in = bg_file_borrow(bmp, n, "image/bmp", &err);
  bg_value *out = call(f->client, "echo_image", in, BG_OK, &err);
  assert_string_equal(bg_file_mime(out), "image/bmp");
  assert_true(bg_file_size(out) > 54);
  assert_memory_equal(bg_file_data(out), "BM", 2);
  bg_value_free(out);
  bg_value_free(in);

  /* no MIME type on the value: the descriptor's is sent */
  in = bg_file_borrow(bmp, n, NULL, &err);
  out = call(f->client, "echo_image", in, BG_OK, &err);
  assert_string_equal(bg_file_mime(out), "image/bmp");
  bg_value_free(out);
  bg_value_free(in);

  /* the wrong MIME type is refused before the call, and by the server without validation */
  in = bg_file_borrow(bmp, n, "IMAGE/PNG", &err);
  out = call(f->client, "echo_image", in, BG_ERR_INVALID_ARGUMENT, &err);
  assert_contains(err.message, "expects MIME type image/bmp, but the file is image/png");
  bg_value_free(in);

  assert_null(bg_file_borrow(bmp, n, "png", &err));
  assert_contains(err.message, "type/subtype");
}

/* ---- Multipart ---- */

static bg_value *bmp_part(uint8_t seed) {
  uint8_t bmp[256];
  size_t n = bgt_bmp(4, 3, seed, bmp);
  return bg_file_copy(bmp, n, "image/bmp", NULL);
}

static void test_multipart(void **state) {
  fixture *f = *state;
  bg_error err;
  bg_value *mp = bg_multipart_new(&err);
  assert_int_equal(bg_multipart_add(mp, "original", bmp_part(1), &err), BG_OK);
  assert_int_equal(bg_multipart_add(mp, "compared", bmp_part(2), &err), BG_OK);
  bg_value *out = call(f->client, "predict_multi_images", mp, BG_OK, &err);
  assert_int_equal(bg_value_get_kind(out), BG_VALUE_MULTIPART);
  assert_int_equal(bg_multipart_count(out), 2);
  assert_string_equal(bg_text_data(bg_multipart_find(out, "meta")), "success");
  const bg_value *result = bg_multipart_find(out, "result");
  assert_string_equal(bg_file_mime(result), "image/bmp");
  assert_memory_equal(bg_file_data(result), "BM", 2);
  bg_value_free(out);
  bg_value_free(mp);
}

static void test_multipart_client_errors(void **state) {
  fixture *f = *state;
  bg_error err;
  bg_value *mp = bg_multipart_new(&err);
  bg_multipart_add(mp, "original", bmp_part(1), &err);
  bg_value *out = call(f->client, "predict_multi_images", mp, BG_ERR_INVALID_ARGUMENT, &err);
  assert_contains(err.message, "part 'compared' is missing");
  bg_multipart_add(mp, "compared", bmp_part(2), &err);
  bg_multipart_add(mp, "x", bmp_part(3), &err);
  out = call(f->client, "predict_multi_images", mp, BG_ERR_INVALID_ARGUMENT, &err);
  assert_contains(err.message, "unknown part 'x'");
  assert_null(out);
  /* nested multiparts and duplicate names are refused when built */
  assert_int_equal(bg_multipart_add(mp, "inner", bg_multipart_new(NULL), &err),
                   BG_ERR_INVALID_ARGUMENT);
  assert_contains(err.message, "cannot nest");
  assert_int_equal(bg_multipart_add(mp, "x", bmp_part(4), &err), BG_ERR_INVALID_ARGUMENT);
  bg_value_free(mp);

  /* a part of the wrong kind names the part */
  mp = bg_multipart_new(&err);
  bg_multipart_add(mp, "original", bmp_part(1), &err);
  bg_multipart_add(mp, "compared", bg_text_new("not an image", (size_t)-1, NULL), &err);
  out = call(f->client, "predict_multi_images", mp, BG_ERR_INVALID_ARGUMENT, &err);
  assert_contains(err.message, "multipart part 'compared'");
  assert_contains(err.message, "Image expects a file value");
  bg_value_free(mp);
}

/* ---- raw calls ---- */

static void test_raw_calls(void **state) {
  fixture *f = *state;
  bg_error err;
  /* an API with a descriptor this library does not know */
  bg_value *in = bg_bytes_copy("abcdef", 6, &err);
  bg_value *out = NULL;
  assert_int_equal(bg_client_call_raw(f->client, "custom_io", in, &out, NULL, &err), BG_OK);
  assert_string_equal(bg_text_data(out), "custom:6");
  bg_value_free(out);
  bg_value_free(in);

  /* an API whose descriptor has no spec at all */
  in = bg_text_new("hi", (size_t)-1, &err);
  assert_int_equal(bg_client_call_raw(f->client, "no_spec", in, &out, NULL, &err), BG_OK);
  assert_string_equal(bg_text_data(out), "ok");
  bg_value_free(out);
  /* the server's own unknown-API answer (INTERNAL, PROTOCOL §5.2) maps to UNKNOWN_API */
  assert_int_equal(bg_client_call_raw(f->client, "nope", in, &out, NULL, &err), BG_ERR_UNKNOWN_API);
  assert_int_equal(err.grpc_status, 13);
  assert_contains(err.message, "given 'api_name' is not defined in");
  bg_value_free(in);

  /* the wrong field for a known API: the server's message reaches the caller */
  in = bg_text_new("asdf", (size_t)-1, &err);
  assert_int_equal(bg_client_call_raw(f->client, "double_ndarray", in, &out, NULL, &err),
                   BG_ERR_SERVER);
  assert_contains(err.message, "'NumpyNdarray' accepts one of the following fields: "
                               "'ndarray,serialized_bytes' got 'text' instead.");
  bg_value_free(in);
}

static void test_unknown_api_without_access_log(void **state) {
  (void)state;
  bgt_server s;
  const char *args[] = {"--no-access-log", NULL};
  assert_int_equal(bgt_server_start(&s, args), 0);
  bg_error err;
  bg_client *c = bg_client_open(s.url, NULL, &err);
  bg_value *in = bg_text_new("x", 1, &err), *out = NULL;
  assert_int_equal(bg_client_call_raw(c, "nope", in, &out, NULL, &err), BG_ERR_UNKNOWN_API);
  assert_int_equal(err.grpc_status, 2); /* UNKNOWN */
  bg_value_free(in);
  bg_client_close(c);
  bgt_server_stop(&s);
}

static void test_v1alpha1_server(void **state) {
  (void)state;
  bgt_server s;
  const char *args[] = {"--protocol-version", "v1alpha1", NULL};
  assert_int_equal(bgt_server_start(&s, args), 0);
  bg_options *o = bg_options_new();
  bg_options_set_protocol_version(o, "v1alpha1", NULL);
  bg_error err;
  assert_null(bg_client_from_url(s.url, o, &err));
  assert_int_equal(err.code, BG_ERR_UNSUPPORTED);
  assert_contains(err.message, "bg_client_call_raw");

  bg_client *c = bg_client_open(s.url, o, &err);
  assert_non_null(c);
  /* without discovery there are no descriptors to call through */
  bg_value *probe = bg_text_new("x", 1, NULL), *none = NULL;
  assert_int_equal(bg_client_call(c, "bonjour", probe, &none, NULL, &err), BG_ERR_UNSUPPORTED);
  assert_contains(err.message, "bg_client_call_raw");
  bg_value_free(probe);
  int32_t x[] = {1, 2, 3, 4};
  int64_t shape[] = {2, 2};
  bg_value *in = bg_ndarray_borrow(BG_DTYPE_INT32, shape, 2, x, 4, &err), *out = NULL;
  assert_int_equal(bg_client_call_raw(c, "double_ndarray", in, &out, NULL, &err), BG_OK);
  assert_int_equal(((const int32_t *)bg_ndarray_data(out))[3], 8);
  bg_value_free(out);
  bg_value_free(in);

  /* File.kind travels as the v1alpha1 enum and comes back as a MIME type */
  uint8_t bmp[256];
  size_t n = bgt_bmp(2, 2, 5, bmp);
  in = bg_file_borrow(bmp, n, "image/bmp", &err);
  assert_int_equal(bg_client_call_raw(c, "echo_image", in, &out, NULL, &err), BG_OK);
  assert_string_equal(bg_file_mime(out), "image/bmp");
  assert_memory_equal(bg_file_data(out), "BM", 2);
  bg_value_free(out);
  bg_value_free(in);
  /* a MIME type v1alpha1 has no enum for is refused before sending */
  in = bg_file_borrow(bmp, n, "image/x-icon", &err);
  assert_int_equal(bg_client_call_raw(c, "echo_image", in, &out, NULL, &err),
                   BG_ERR_INVALID_ARGUMENT);
  assert_contains(err.message, "has no v1alpha1 File kind");
  bg_value_free(in);

  bg_health_status status;
  assert_int_equal(bg_client_health(c, NULL, 5000, &status, &err), BG_OK);
  assert_int_equal(status, BG_HEALTH_SERVING);
  bg_client_close(c);
  bg_options_free(o);
  bgt_server_stop(&s);
}

/* Without validation the input goes out as given and the server judges it:
 * an empty Series is answered, and the Image's own MIME type meets the server's check. */
static void test_unvalidated_inputs_reach_the_server(void **state) {
  fixture *f = *state;
  bg_error err;
  bg_call_options *no_validate = bg_call_options_new();
  assert_int_equal(bg_call_options_set_validate(no_validate, false, &err), BG_OK);

  bg_value *empty = bg_series_borrow(BG_DTYPE_DOUBLE, NULL, 0, &err);
  bg_value *out = NULL;
  bg_status st =
      bg_client_call(f->client, "echo_series_from_sample", empty, &out, no_validate, &err);
  if (st != BG_OK)
    fail_msg("empty Series without validation: %s: %s", bg_status_name(st), err.message);
  assert_int_equal(bg_series_count(out), 0);
  bg_value_free(out);
  out = NULL;
  st = bg_client_call_raw(f->client, "echo_series_from_sample", empty, &out, NULL, &err);
  if (st != BG_OK)
    fail_msg("empty Series in a raw call: %s: %s", bg_status_name(st), err.message);
  bg_value_free(out);
  bg_value_free(empty);

  uint8_t bmp[256];
  size_t n = bgt_bmp(4, 3, 10, bmp);
  bg_value *png = bg_file_borrow(bmp, n, "image/png", &err);
  out = NULL;
  st = bg_client_call(f->client, "echo_image", png, &out, no_validate, &err);
  assert_int_equal(st, BG_ERR_SERVER); /* the server's own MIME check saw image/png */
  assert_contains(err.message, "image/png");
  assert_null(out);
  bg_value_free(png);
  bg_call_options_free(no_validate);
}

/* ---- 0-d NumpyNdarray ---- */

/* A 0-d value (ndim 0, shape not read) of each dtype the server can return goes out as one
 * value with an empty shape, which BentoML reads as (1,) (PROTOCOL.md §4.1 step 4): the echo
 * is shape [1] and the same value, and the server computes on it. The client checks an
 * enforced spec shape against (1,) as the server does: refused before sending with it, and by
 * the server with the same shape without it. */
static void test_zero_d_ndarray(void **state) {
  fixture *f = *state;
  bg_error err;
  const int64_t not_a_shape[] = {-3};
  float x = 2.5f; /* the hand-packed float path */
  double d = -1.25;
  bool b = true;
  int32_t i32 = -7;
  uint64_t u64 = UINT64_MAX;
  const struct {
    bg_dtype dtype;
    const void *data;
  } cases[] = {{BG_DTYPE_FLOAT, &x},
               {BG_DTYPE_DOUBLE, &d},
               {BG_DTYPE_BOOL, &b},
               {BG_DTYPE_INT32, &i32},
               {BG_DTYPE_UINT64, &u64}};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    bg_value *in =
        bg_ndarray_borrow(cases[i].dtype, i % 2 ? not_a_shape : NULL, 0, cases[i].data, 1, &err);
    assert_non_null(in);
    bg_value *out = call(f->client, "echo_ndarray", in, BG_OK, &err);
    assert_int_equal(bg_ndarray_dtype(out), cases[i].dtype);
    assert_int_equal(bg_ndarray_ndim(out), 1);
    assert_int_equal(bg_ndarray_shape(out)[0], 1);
    assert_int_equal(bg_ndarray_count(out), 1);
    assert_memory_equal(bg_ndarray_data(out), cases[i].data, bg_dtype_size(cases[i].dtype));
    bg_value_free(out);
    bg_value_free(in);
  }

  bg_value *in = bg_ndarray_copy(BG_DTYPE_DOUBLE, NULL, 0, &d, 1, &err);
  bg_value *out = call(f->client, "double_ndarray", in, BG_OK, &err);
  assert_int_equal(bg_ndarray_count(out), 1);
  assert_true(*(const double *)bg_ndarray_data(out) == -2.5);
  bg_value_free(out);
  bg_value_free(in);

  /* predict enforces shape (-1, 4): the 0-d input reaches it as (1,) */
  in = bg_ndarray_borrow(BG_DTYPE_FLOAT, NULL, 0, &x, 1, &err);
  assert_null(call(f->client, "predict", in, BG_ERR_INVALID_ARGUMENT, &err));
  assert_contains(err.message, "expected shape (-1, 4)");
  assert_contains(err.message, "but (1,) was given");
  bg_call_options *no_validate = bg_call_options_new();
  assert_int_equal(bg_call_options_set_validate(no_validate, false, &err), BG_OK);
  out = NULL;
  assert_int_equal(bg_client_call(f->client, "predict", in, &out, no_validate, &err),
                   BG_ERR_SERVER);
  assert_contains(err.message, "Expecting ndarray of shape \"(-1, 4)\", but \"(1,)\"");
  assert_null(out);
  bg_call_options_free(no_validate);
  bg_value_free(in);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_text),
      cmocka_unit_test(test_json_round_trip),
      cmocka_unit_test(test_json_deep_and_large),
      cmocka_unit_test(test_json_validation_on_server),
      cmocka_unit_test(test_serialized_bytes_passthrough),
      cmocka_unit_test(test_dataframe),
      cmocka_unit_test(test_dataframe_column_names_from_spec),
      cmocka_unit_test(test_dataframe_client_errors),
      cmocka_unit_test(test_series),
      cmocka_unit_test(test_file_against_broken_server),
      cmocka_unit_test(test_file_against_intended_server),
      cmocka_unit_test(test_image),
      cmocka_unit_test(test_multipart),
      cmocka_unit_test(test_multipart_client_errors),
      cmocka_unit_test(test_raw_calls),
      cmocka_unit_test(test_unknown_api_without_access_log),
      cmocka_unit_test(test_v1alpha1_server),
      cmocka_unit_test(test_unvalidated_inputs_reach_the_server),
      cmocka_unit_test(test_zero_d_ndarray),
  };
  return cmocka_run_group_tests_name("descriptors", tests, setup, teardown);
}
