/* The ndarray value and its codec: every dtype, 0-d, empty, multi-dimensional, borrowed vs
 * copied lifetimes, and clear errors for inconsistent input from the caller or the wire. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "value/value_internal.h"
#include "wire/ndarray_wire.h"

/* value -> NDArray bytes -> NDArray -> value, the path a request and a response take. */
static bg_value *round_trip(const bg_value *in) {
  bgi_arena arena;
  bgi_arena_init(&arena);
  bgi_pb_ndarray *msg;
  assert_int_equal(bgi_ndarray_to_proto(&in->as.ndarray, &arena, &msg, &(bg_error){0}), BG_OK);
  size_t size = protobuf_c_message_get_packed_size(&msg->base);
  uint8_t *buf = malloc(size + 1);
  protobuf_c_message_pack(&msg->base, buf);
  bgi_arena_fini(&arena);
  bgi_pb_ndarray *back = (bgi_pb_ndarray *)protobuf_c_message_unpack(
      &bentoml__grpc__v1__ndarray__descriptor, NULL, size, buf);
  free(buf);
  assert_non_null(back);
  bg_value *out;
  bg_error err;
  assert_int_equal(bgi_ndarray_from_proto(back, &out, &err), BG_OK);
  protobuf_c_message_free_unpacked(&back->base, NULL);
  return out;
}

static void assert_same_array(const bg_value *a, const bg_value *b) {
  assert_int_equal(bg_ndarray_dtype(a), bg_ndarray_dtype(b));
  assert_int_equal(bg_ndarray_ndim(a), bg_ndarray_ndim(b));
  assert_int_equal(bg_ndarray_count(a), bg_ndarray_count(b));
  for (size_t i = 0; i < bg_ndarray_ndim(a); i++)
    assert_int_equal(bg_ndarray_shape(a)[i], bg_ndarray_shape(b)[i]);
  if (bg_ndarray_dtype(a) == BG_DTYPE_STRING) {
    const char *const *sa = bg_ndarray_data(a), *const *sb = bg_ndarray_data(b);
    for (size_t i = 0; i < bg_ndarray_count(a); i++)
      assert_string_equal(sa[i], sb[i]);
  } else if (bg_ndarray_count(a)) {
    assert_memory_equal(bg_ndarray_data(a), bg_ndarray_data(b),
                        bg_ndarray_count(a) * bg_dtype_size(bg_ndarray_dtype(a)));
  }
}

static void check_round_trip(bg_dtype dtype, const void *data, size_t count) {
  int64_t shape[] = {(int64_t)count};
  bg_value *borrowed = bg_ndarray_borrow(dtype, shape, 1, data, count, NULL);
  bg_value *copied = bg_ndarray_copy(dtype, shape, 1, data, count, NULL);
  assert_non_null(borrowed);
  assert_non_null(copied);
  assert_ptr_equal(bg_ndarray_data(borrowed), data);
  assert_ptr_not_equal(bg_ndarray_data(copied), data);
  bg_value *back = round_trip(borrowed);
  assert_same_array(borrowed, back);
  assert_same_array(copied, back);
  bg_value_free(back);
  bg_value_free(copied);
  bg_value_free(borrowed);
}

static void test_every_dtype_round_trips(void **state) {
  (void)state;
  float f[] = {1.5f, -0.0f, 3.4e38f, 1e-45f};
  double d[] = {2.5, -1e308, 4.9e-324, 0.1};
  bool b[] = {true, false, true};
  int32_t i32[] = {INT32_MIN, -1, 0, INT32_MAX};
  int64_t i64[] = {INT64_MIN, -1, 0, INT64_MAX};
  uint32_t u32[] = {0, 1, UINT32_MAX};
  uint64_t u64[] = {0, 1, UINT64_MAX};
  const char *s[] = {"", "a", "héllo 世界", "tab\there"};
  check_round_trip(BG_DTYPE_FLOAT, f, 4);
  check_round_trip(BG_DTYPE_DOUBLE, d, 4);
  check_round_trip(BG_DTYPE_BOOL, b, 3);
  check_round_trip(BG_DTYPE_INT32, i32, 4);
  check_round_trip(BG_DTYPE_INT64, i64, 4);
  check_round_trip(BG_DTYPE_UINT32, u32, 3);
  check_round_trip(BG_DTYPE_UINT64, u64, 3);
  check_round_trip(BG_DTYPE_STRING, s, 4);
}

static void test_multi_dimensional(void **state) {
  (void)state;
  int64_t data[24];
  for (int i = 0; i < 24; i++)
    data[i] = i * 7 - 50;
  int64_t shape[] = {2, 3, 4};
  bg_value *v = bg_ndarray_borrow(BG_DTYPE_INT64, shape, 3, data, 24, NULL);
  bg_value *back = round_trip(v);
  assert_same_array(v, back);
  bg_value_free(back);
  bg_value_free(v);
}

/* A 0-d array has one element; on the wire its shape is empty, which reads back as 1-D [1]
 * (the server's rule for an empty shape). */
static void test_zero_dimensional(void **state) {
  (void)state;
  double x = 42.0;
  bg_value *v = bg_ndarray_borrow(BG_DTYPE_DOUBLE, NULL, 0, &x, 1, NULL);
  assert_non_null(v);
  assert_int_equal(bg_ndarray_ndim(v), 0);
  assert_int_equal(bg_ndarray_count(v), 1);
  bg_value *back = round_trip(v);
  assert_int_equal(bg_ndarray_ndim(back), 1);
  assert_int_equal(bg_ndarray_shape(back)[0], 1);
  assert_true(*(const double *)bg_ndarray_data(back) == 42.0);
  bg_value_free(back);
  bg_value_free(v);
}

static void test_empty(void **state) {
  (void)state;
  int64_t shape[] = {3, 0};
  bg_value *v = bg_ndarray_borrow(BG_DTYPE_FLOAT, shape, 2, NULL, 0, NULL);
  assert_non_null(v);
  bg_value *back = round_trip(v);
  assert_int_equal(bg_ndarray_dtype(back), BG_DTYPE_FLOAT);
  assert_int_equal(bg_ndarray_ndim(back), 2);
  assert_int_equal(bg_ndarray_shape(back)[0], 3);
  assert_int_equal(bg_ndarray_shape(back)[1], 0);
  assert_int_equal(bg_ndarray_count(back), 0);
  bg_value_free(back);
  bg_value_free(v);
}

static void expect_construct_error(bg_dtype dtype, const int64_t *shape, size_t ndim,
                                   const void *data, size_t count, const char *needle) {
  bg_error err;
  assert_null(bg_ndarray_borrow(dtype, shape, ndim, data, count, &err));
  assert_int_equal(err.code, BG_ERR_INVALID_ARGUMENT);
  if (!strstr(err.message, needle))
    fail_msg("message lacks '%s': %s", needle, err.message);
  assert_null(bg_ndarray_copy(dtype, shape, ndim, data, count, &err));
  assert_int_equal(err.code, BG_ERR_INVALID_ARGUMENT);
}

static void test_construction_errors(void **state) {
  (void)state;
  float f[6] = {0};
  int64_t shape23[] = {2, 3}, negative[] = {-1, 3}, huge[] = {(int64_t)INT32_MAX + 1};
  expect_construct_error(BG_DTYPE_FLOAT, shape23, 2, f, 5, "holds 6 elements but 5 were given");
  expect_construct_error(BG_DTYPE_FLOAT, shape23, 2, f, 7, "holds 6 elements but 7 were given");
  expect_construct_error(BG_DTYPE_FLOAT, negative, 2, f, 6, "dimension 0 is -1");
  expect_construct_error(BG_DTYPE_FLOAT, huge, 1, f, 6, "int32");
  expect_construct_error(BG_DTYPE_FLOAT, shape23, 2, NULL, 6, "data is NULL");
  expect_construct_error(BG_DTYPE_FLOAT, NULL, 2, f, 6, "shape is NULL");
  expect_construct_error((bg_dtype)99, shape23, 2, f, 6, "unknown dtype");
  int64_t many[BG_NDARRAY_MAX_DIMS + 1];
  for (size_t i = 0; i < BG_NDARRAY_MAX_DIMS + 1; i++)
    many[i] = 1;
  expect_construct_error(BG_DTYPE_FLOAT, many, BG_NDARRAY_MAX_DIMS + 1, f, 1, "dimensions");
  /* an element count whose byte size would wrap around */
  int64_t vast[] = {(int64_t)1 << 30, (int64_t)1 << 30, 2};
  expect_construct_error(BG_DTYPE_DOUBLE, vast, 3, f, (size_t)1 << 61, "do not fit in memory");
  const char *strings[] = {"a", NULL};
  int64_t two[] = {2};
  expect_construct_error(BG_DTYPE_STRING, two, 1, strings, 2, "string element 1 is NULL");
}

/* ndim 0 is one element whatever `shape` points at (it is not read): NULL or a pointer to
 * values that would be refused as dimensions; every dtype sends one value and an empty shape,
 * borrowed and copied; any other count is refused by the product of no dimensions, 1. */
static void test_zero_dimensional_every_dtype(void **state) {
  (void)state;
  const int64_t not_a_shape[] = {-5, 7};
  float f = 1.5f;
  double d = -2.25;
  bool b = true;
  int32_t i32 = INT32_MIN;
  int64_t i64 = INT64_MAX;
  uint32_t u32 = UINT32_MAX;
  uint64_t u64 = UINT64_MAX;
  const char *str = "é";
  const struct {
    bg_dtype dtype;
    const void *data;
  } cases[] = {{BG_DTYPE_FLOAT, &f},    {BG_DTYPE_DOUBLE, &d},  {BG_DTYPE_BOOL, &b},
               {BG_DTYPE_INT32, &i32},  {BG_DTYPE_INT64, &i64}, {BG_DTYPE_UINT32, &u32},
               {BG_DTYPE_UINT64, &u64}, {BG_DTYPE_STRING, &str}};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    const int64_t *shapes[] = {NULL, not_a_shape};
    for (size_t s = 0; s < 2; s++) {
      bg_error err;
      bg_value *values[] = {bg_ndarray_borrow(cases[i].dtype, shapes[s], 0, cases[i].data, 1, &err),
                            bg_ndarray_copy(cases[i].dtype, shapes[s], 0, cases[i].data, 1, &err)};
      for (size_t k = 0; k < 2; k++) {
        bg_value *v = values[k];
        if (!v)
          fail_msg("dtype %d, shape %s: %s", (int)cases[i].dtype, shapes[s] ? "dummy" : "NULL",
                   err.message);
        assert_int_equal(bg_ndarray_ndim(v), 0);
        assert_int_equal(bg_ndarray_count(v), 1);
        bgi_arena arena;
        bgi_arena_init(&arena);
        bgi_pb_ndarray *msg;
        assert_int_equal(bgi_ndarray_to_proto(&v->as.ndarray, &arena, &msg, &err), BG_OK);
        assert_int_equal(msg->n_shape, 0); /* shape [] on the wire, one value */
        assert_int_equal((int)msg->dtype, (int)cases[i].dtype);
        bgi_arena_fini(&arena);
        bg_value *back = round_trip(v); /* an empty shape reads back as [1] (§4.1 step 4) */
        assert_int_equal(bg_ndarray_ndim(back), 1);
        assert_int_equal(bg_ndarray_shape(back)[0], 1);
        assert_int_equal(bg_ndarray_count(back), 1);
        if (cases[i].dtype == BG_DTYPE_STRING)
          assert_string_equal(*(const char *const *)bg_ndarray_data(back), str);
        else
          assert_memory_equal(bg_ndarray_data(back), cases[i].data, bg_dtype_size(cases[i].dtype));
        bg_value_free(back);
        bg_value_free(v);
      }
    }
  }
  expect_construct_error(BG_DTYPE_DOUBLE, NULL, 0, &d, 0, "holds 1 element but 0 were given");
  expect_construct_error(BG_DTYPE_DOUBLE, not_a_shape, 0, &d, 2,
                         "holds 1 element but 2 were given");
  expect_construct_error(BG_DTYPE_DOUBLE, NULL, 0, &d, 2, "1 for ndim 0");
  expect_construct_error(BG_DTYPE_DOUBLE, NULL, 0, NULL, 1, "data is NULL");
  int64_t one[] = {1};
  expect_construct_error(BG_DTYPE_DOUBLE, one, 1, &d, 2, "holds 1 element but 2 were given");
  int64_t zero[] = {0};
  expect_construct_error(BG_DTYPE_DOUBLE, zero, 1, &d, 1, "holds 0 elements but 1 was given");
}

/* A copied value owns its data: the caller's buffer can change without affecting it. */
static void test_copy_is_independent(void **state) {
  (void)state;
  int32_t data[] = {1, 2, 3};
  char s0[] = "abc";
  const char *strings[] = {s0};
  int64_t shape[] = {3}, one[] = {1};
  bg_value *v = bg_ndarray_copy(BG_DTYPE_INT32, shape, 1, data, 3, NULL);
  bg_value *sv = bg_ndarray_copy(BG_DTYPE_STRING, one, 1, strings, 1, NULL);
  data[0] = 99;
  s0[0] = 'z';
  assert_int_equal(((const int32_t *)bg_ndarray_data(v))[0], 1);
  assert_string_equal(((const char *const *)bg_ndarray_data(sv))[0], "abc");
  bg_value_free(v);
  bg_value_free(sv);
  bg_value_free(NULL); /* accepted, like every destructor */
}

static void test_accessors_on_null(void **state) {
  (void)state;
  assert_int_equal(bg_ndarray_count(NULL), 0);
  assert_null(bg_ndarray_data(NULL));
  assert_null(bg_ndarray_shape(NULL));
  assert_int_equal(bg_ndarray_ndim(NULL), 0);
}

static void test_dtype_names(void **state) {
  (void)state;
  bg_dtype d;
  assert_int_equal(bg_dtype_from_name("float32", &d), BG_OK);
  assert_int_equal(d, BG_DTYPE_FLOAT);
  assert_int_equal(bg_dtype_from_name("f8", &d), BG_OK);
  assert_int_equal(d, BG_DTYPE_DOUBLE);
  assert_int_equal(bg_dtype_from_name("<U5", &d), BG_OK);
  assert_int_equal(d, BG_DTYPE_STRING);
  assert_int_equal(bg_dtype_from_name("float16", &d), BG_ERR_INVALID_ARGUMENT);
  assert_string_equal(bg_dtype_name(BG_DTYPE_UINT64), "uint64");
  assert_null(bg_dtype_name((bg_dtype)0));
}

/* Exactly numpy's spellings (numpy 1.24's np.dtype()), case-sensitive; a name
 * merely starting with "U" is not numpy's unicode kind. */
static void test_dtype_names_exactly_numpy(void **state) {
  (void)state;
  const struct {
    const char *name;
    bg_dtype dtype;
  } good[] = {
      {"float32", BG_DTYPE_FLOAT},  {"single", BG_DTYPE_FLOAT},   {"f", BG_DTYPE_FLOAT},
      {"f4", BG_DTYPE_FLOAT},       {"<f4", BG_DTYPE_FLOAT},      {">f", BG_DTYPE_FLOAT},
      {"float64", BG_DTYPE_DOUBLE}, {"float", BG_DTYPE_DOUBLE},   {"double", BG_DTYPE_DOUBLE},
      {"d", BG_DTYPE_DOUBLE},       {"=f8", BG_DTYPE_DOUBLE},     {"float_", BG_DTYPE_DOUBLE},
      {"bool", BG_DTYPE_BOOL},      {"?", BG_DTYPE_BOOL},         {"|b1", BG_DTYPE_BOOL},
      {"bool_", BG_DTYPE_BOOL},     {"int32", BG_DTYPE_INT32},    {"i", BG_DTYPE_INT32},
      {"<i4", BG_DTYPE_INT32},      {"intc", BG_DTYPE_INT32},     {"int64", BG_DTYPE_INT64},
      {"int", BG_DTYPE_INT64},      {"i8", BG_DTYPE_INT64},       {"l", BG_DTYPE_INT64},
      {"q", BG_DTYPE_INT64},        {"longlong", BG_DTYPE_INT64}, {"uint32", BG_DTYPE_UINT32},
      {"I", BG_DTYPE_UINT32},       {"<u4", BG_DTYPE_UINT32},     {"uint64", BG_DTYPE_UINT64},
      {"uint", BG_DTYPE_UINT64},    {"Q", BG_DTYPE_UINT64},       {">u8", BG_DTYPE_UINT64},
      {"str", BG_DTYPE_STRING},     {"str_", BG_DTYPE_STRING},    {"unicode", BG_DTYPE_STRING},
      {"U", BG_DTYPE_STRING},       {"U5", BG_DTYPE_STRING},      {"<U12", BG_DTYPE_STRING},
      {"<U", BG_DTYPE_STRING},      {"string", BG_DTYPE_STRING}, /* pandas' spelling, found in
                                                                    DataFrame specs */
  };
  for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
    bg_dtype d = 0;
    if (bg_dtype_from_name(good[i].name, &d) != BG_OK || d != good[i].dtype)
      fail_msg("'%s' should be dtype %d, got %d", good[i].name, (int)good[i].dtype, (int)d);
  }
  const char *bad[] = {"UINT16", "Uxyz",    "u16",    "U5x", "<Ux",  "FLOAT32", "Float64",
                       "uint16", "float16", "object", "O",   "<<f4", "f4 ",     "",
                       "<",      "U-1",     "i2",     "b",   "u",    "<str",    "|?x"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    bg_dtype d;
    if (bg_dtype_from_name(bad[i], &d) != BG_ERR_INVALID_ARGUMENT)
      fail_msg("'%s' should be refused", bad[i]);
  }
}

/* What the server sends is checked, never trusted. */
static void test_decode_rejects_inconsistent_wire(void **state) {
  (void)state;
  bg_error err;
  bg_value *out = (bg_value *)1;
  /* shape [2, 2] but three values */
  bgi_pb_ndarray *msg = calloc(1, sizeof *msg);
  bentoml__grpc__v1__ndarray__init(msg);
  msg->dtype = BENTOML__GRPC__V1__NDARRAY__DTYPE__DTYPE_INT32;
  msg->n_shape = 2;
  msg->shape = malloc(2 * sizeof(int32_t));
  msg->shape[0] = msg->shape[1] = 2;
  msg->n_int32_values = 3;
  msg->int32_values = calloc(3, sizeof(int32_t));
  assert_int_equal(bgi_ndarray_from_proto(msg, &out, &err), BG_ERR_PROTOCOL);
  assert_null(out);
  assert_non_null(strstr(err.message, "holds 4 elements but 3"));

  /* negative dimension */
  msg->shape[0] = -4;
  assert_int_equal(bgi_ndarray_from_proto(msg, &out, &err), BG_ERR_PROTOCOL);

  /* unknown dtype */
  msg->dtype = 77;
  assert_int_equal(bgi_ndarray_from_proto(msg, &out, &err), BG_ERR_PROTOCOL);
  assert_non_null(strstr(err.message, "unknown dtype 77"));

  /* dtype 0 with two non-empty values fields */
  msg->dtype = 0;
  msg->shape[0] = 2;
  msg->n_shape = 1;
  msg->n_float_values = 1;
  msg->float_values = calloc(1, sizeof(float));
  assert_int_equal(bgi_ndarray_from_proto(msg, &out, &err), BG_ERR_PROTOCOL);
  assert_non_null(strstr(err.message, "exactly one"));
  protobuf_c_message_free_unpacked(&msg->base, NULL);
}

/* dtype 0 (unspecified) is inferred from the one non-empty field; no shape means 1-D. */
static void test_decode_infers_dtype(void **state) {
  (void)state;
  bgi_pb_ndarray *msg = calloc(1, sizeof *msg);
  bentoml__grpc__v1__ndarray__init(msg);
  msg->n_uint64_values = 2;
  msg->uint64_values = malloc(2 * sizeof(uint64_t));
  msg->uint64_values[0] = 7;
  msg->uint64_values[1] = UINT64_MAX;
  uint64_t *wire_values = msg->uint64_values;
  bg_value *out;
  assert_int_equal(bgi_ndarray_from_proto(msg, &out, &(bg_error){0}), BG_OK);
  assert_int_equal(bg_ndarray_dtype(out), BG_DTYPE_UINT64);
  assert_int_equal(bg_ndarray_ndim(out), 1);
  assert_int_equal(bg_ndarray_shape(out)[0], 2);
  /* the decoded array is taken over, not copied */
  assert_ptr_equal(bg_ndarray_data(out), wire_values);
  assert_null(msg->uint64_values);
  protobuf_c_message_free_unpacked(&msg->base, NULL);
  bg_value_free(out);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_every_dtype_round_trips),
      cmocka_unit_test(test_multi_dimensional),
      cmocka_unit_test(test_zero_dimensional),
      cmocka_unit_test(test_empty),
      cmocka_unit_test(test_construction_errors),
      cmocka_unit_test(test_zero_dimensional_every_dtype),
      cmocka_unit_test(test_copy_is_independent),
      cmocka_unit_test(test_accessors_on_null),
      cmocka_unit_test(test_dtype_names),
      cmocka_unit_test(test_dtype_names_exactly_numpy),
      cmocka_unit_test(test_decode_rejects_inconsistent_wire),
      cmocka_unit_test(test_decode_infers_dtype),
  };
  return cmocka_run_group_tests_name("ndarray", tests, NULL, NULL);
}
