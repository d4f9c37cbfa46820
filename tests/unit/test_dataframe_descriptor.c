/* PandasDataFrame (descriptors/dataframe_descriptor.c): a spec from ServiceMetadata read or
 * refused as the server's fault; with validation, the orient BentoML's gRPC server cannot
 * read and an enforced shape checked before sending; the column names that go out (the
 * value's, else the spec's, else "0", "1", ... like pandas). Also the array spec's 'dtype'
 * (descriptors/ndarray_descriptor.c), which NumpyNdarray and PandasSeries share. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "test_assert.h"

#include "descriptors/descriptor.h"
#include "frame_unpack.h"

static void *parse(const bgi_descriptor *d, const char *args_json, bg_error *err) {
  json_t *args = args_json ? json_loads(args_json, 0, NULL) : NULL;
  if (args_json)
    assert_non_null(args);
  void *spec = d->parse_spec(args, err);
  json_decref(args);
  return spec;
}

static void test_malformed_specs_are_the_servers_fault(void **state) {
  (void)state;
  static const char *const bad[] = {
      "{\"columns\": 3}",
      "{\"columns\": [\"a\", 7]}",
      "{\"columns\": {\"a\": 1}}",
      "{\"orient\": \"columns\", \"shape\": \"2x3\"}",
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    bg_error err;
    assert_null(parse(&bgi_dataframe_descriptor, bad[i], &err));
    assert_int_equal(err.code, BG_ERR_PROTOCOL);
    assert_string_equal(err.message,
                        "PandasDataFrame spec: 'columns' or 'shape' is not of the expected form");
  }
  /* no args, null columns, an empty list: a spec that checks nothing but the orient */
  static const char *const fine[] = {NULL, "{}", "{\"columns\": null}", "{\"columns\": []}"};
  for (size_t i = 0; i < sizeof fine / sizeof fine[0]; i++) {
    bg_error err;
    void *spec = parse(&bgi_dataframe_descriptor, fine[i], &err);
    if (!spec)
      fail_msg("%s: %s", fine[i] ? fine[i] : "NULL", err.message);
    bgi_dataframe_descriptor.free_spec(spec);
  }
  bgi_dataframe_descriptor.free_spec(NULL); /* a no-op */

  /* the array spec's dtype: a string, null or a per-column object; nothing else */
  bg_error err;
  assert_null(parse(&bgi_ndarray_descriptor, "{\"dtype\": 5}", &err));
  assert_int_equal(err.code, BG_ERR_PROTOCOL);
  assert_string_equal(err.message, "NumpyNdarray spec: 'dtype' is neither a string nor null");
  assert_null(parse(&bgi_series_descriptor, "{\"dtype\": [\"int64\"]}", &err));
  assert_string_equal(err.message, "PandasSeries spec: 'dtype' is neither a string nor null");
}

/* A 3-row dataframe of `n` float64 columns named by `names` (NULL entries: unnamed). */
static bg_value *dataframe(size_t n, const char *const *names) {
  static const double col[3] = {1, 2, 3};
  bg_error err;
  bg_value *df = bg_dataframe_new(&err);
  assert_non_null(df);
  for (size_t i = 0; i < n; i++)
    assert_int_equal(
        bg_dataframe_add_column(df, names[i], bg_series_copy(BG_DTYPE_DOUBLE, col, 3, &err), &err),
        BG_OK);
  return df;
}

/* The spec of the last encode: the message points at its column names, as a call's request
 * points at its client's spec. Freed by the next encode, and by the tests at their end. */
static void *kept_spec;

/* The DataFrame the last encode sent, read back by protobuf-c; freed with the spec. */
static ProtobufCMessage *last_sent;

static void free_kept_spec(void) {
  bgi_dataframe_descriptor.free_spec(kept_spec);
  kept_spec = NULL;
  protobuf_c_message_free_unpacked(last_sent, NULL);
  last_sent = NULL;
}

static bg_status encode(const char *spec_json, const bg_value *df, bool validate, bgi_arena *arena,
                        Bentoml__Grpc__V1__DataFrame **out, bg_error *err) {
  free_kept_spec();
  void *spec = kept_spec = spec_json ? parse(&bgi_dataframe_descriptor, spec_json, err) : NULL;
  if (spec_json)
    assert_non_null(spec);
  bgi_codec_ctx ctx = {.arena = arena, .validate = validate};
  bgi_content content;
  bg_status st = bgi_descriptor_encode(&bgi_dataframe_descriptor, spec, df, &ctx, &content, err);
  if (st == BG_OK) {
    last_sent = bgt_frame_unpack(&content.as.frame, BGI_MEMBER_DATAFRAME);
    *out = (Bentoml__Grpc__V1__DataFrame *)last_sent;
  }
  return st;
}

static void test_validation(void **state) {
  (void)state;
  bgi_arena arena;
  bgi_arena_init(&arena);
  const char *names[2] = {"a", "b"};
  bg_value *df = dataframe(2, names);
  Bentoml__Grpc__V1__DataFrame *out = NULL;
  bg_error err;
  /* BentoML's default orient is records, which its gRPC server cannot read */
  assert_int_equal(encode("{}", df, true, &arena, &out, &err), BG_ERR_INVALID_ARGUMENT);
  assert_string_equal(err.message,
                      "dataframe: the API's PandasDataFrame has orient='records', and BentoML's "
                      "gRPC server only accepts orient='columns'; the server must be changed");
  /* without validation it is sent as given: the server's answer is the caller's */
  assert_int_equal(encode("{}", df, false, &arena, &out, &err), BG_OK);

  /* an enforced shape: (rows, columns) */
  assert_int_equal(encode("{\"orient\": \"columns\", \"shape\": [3, 2], \"enforce_shape\": true}",
                          df, true, &arena, &out, &err),
                   BG_OK);
  assert_int_equal(encode("{\"orient\": \"columns\", \"shape\": [-1, 2], \"enforce_shape\": true}",
                          df, true, &arena, &out, &err),
                   BG_OK);
  assert_int_equal(encode("{\"orient\": \"columns\", \"shape\": [3, 4], \"enforce_shape\": true}",
                          df, true, &arena, &out, &err),
                   BG_ERR_INVALID_ARGUMENT);
  assert_contains(err.message, "dataframe: expected shape ");
  assert_contains(err.message, "(rows, columns; enforced), but ");
  assert_contains(err.message, "3, 4");
  assert_contains(err.message, "3, 2");
  /* not enforced: any shape goes */
  assert_int_equal(
      encode("{\"orient\": \"columns\", \"shape\": [3, 4]}", df, true, &arena, &out, &err), BG_OK);
  bg_value_free(df);
  free_kept_spec();
  bgi_arena_fini(&arena);
}

static void test_column_names(void **state) {
  (void)state;
  bgi_arena arena;
  bgi_arena_init(&arena);
  bg_error err;
  Bentoml__Grpc__V1__DataFrame *out = NULL;
  const char *mixed[2] = {NULL, "own"};
  bg_value *df = dataframe(2, mixed);
  /* the spec names as many columns as the value has: its names fill the gaps */
  assert_int_equal(encode("{\"orient\": \"columns\", \"columns\": [\"x\", \"y\"]}", df, true,
                          &arena, &out, &err),
                   BG_OK);
  assert_int_equal(out->n_column_names, 2);
  assert_string_equal(out->column_names[0], "x");
  assert_string_equal(out->column_names[1], "own");
  /* a spec with another number of columns: pandas' default labels */
  assert_int_equal(
      encode("{\"orient\": \"columns\", \"columns\": [\"x\"]}", df, true, &arena, &out, &err),
      BG_OK);
  assert_string_equal(out->column_names[0], "0");
  assert_string_equal(out->column_names[1], "own");
  /* no spec (raw calls) */
  assert_int_equal(encode(NULL, df, true, &arena, &out, &err), BG_OK);
  assert_string_equal(out->column_names[0], "0");
  assert_int_equal(out->n_columns, 2);
  assert_int_equal(out->columns[0]->n_double_values, 3);
  bg_value_free(df);
  free_kept_spec();
  bgi_arena_fini(&arena);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_malformed_specs_are_the_servers_fault),
      cmocka_unit_test(test_validation),
      cmocka_unit_test(test_column_names),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
