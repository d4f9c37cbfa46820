/* wire/pb_raw.h: the one varint reader and writer and the tag macro. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "wire/pb_raw.h"

static void test_varint_round_trip(void **state) {
  (void)state;
  const uint64_t values[] = {0, 1, 127, 128, 300, 16383, 16384, UINT32_MAX, UINT64_MAX};
  const size_t lengths[] = {1, 1, 1, 2, 2, 2, 3, 5, 10};
  for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
    uint8_t buf[10];
    size_t n = bgi_pb_put_varint(buf, values[i]);
    assert_int_equal(n, lengths[i]);
    assert_int_equal(bgi_pb_varint_size(values[i]), n);
    const uint8_t *p = buf;
    uint64_t got = 0;
    assert_true(bgi_pb_read_varint(&p, buf + n, &got));
    assert_true(got == values[i]);
    assert_ptr_equal(p, buf + n);
    /* the same bytes one at a time, as the slice-spanning reader feeds them */
    bgi_pb_varint acc = {0};
    for (size_t k = 0; k < n; k++)
      assert_int_equal(bgi_pb_varint_push(&acc, buf[k]), k + 1 == n ? 1 : 0);
    assert_true(acc.value == values[i]);
  }
}

static void test_varint_refuses_bad_bytes(void **state) {
  (void)state;
  const uint8_t cut[] = {0x80, 0x80}; /* continuation bits to the end */
  const uint8_t *p = cut;
  uint64_t v;
  assert_false(bgi_pb_read_varint(&p, cut + sizeof cut, &v));
  uint8_t eleven[11];
  for (int i = 0; i < 10; i++)
    eleven[i] = 0xff;
  eleven[10] = 0x01;
  p = eleven;
  assert_false(bgi_pb_read_varint(&p, eleven + sizeof eleven, &v)); /* longer than 10 bytes */
}

static void test_tags(void **state) {
  (void)state;
  assert_int_equal(BGI_PB_TAG(BGI_PB_REQUEST_API_NAME, BGI_PB_LEN), 0x0a);
  assert_int_equal(BGI_PB_TAG(BGI_PB_REQUEST_NDARRAY, BGI_PB_LEN), 0x1a);
  assert_int_equal(BGI_PB_TAG(BGI_PB_NDARRAY_DTYPE, BGI_PB_VARINT), 0x08);
  assert_int_equal(BGI_PB_TAG(BGI_PB_NDARRAY_DOUBLE_VALUES, BGI_PB_LEN), 0x22);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_varint_round_trip),
      cmocka_unit_test(test_varint_refuses_bad_bytes),
      cmocka_unit_test(test_tags),
  };
  return cmocka_run_group_tests_name("pb_raw", tests, NULL, NULL);
}
