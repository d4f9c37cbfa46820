/* JSON values (value/json.c): what the wire cannot carry refused at any depth, the compact and
 * indented renderings with every escape JSON has, and the NULL answers bg_json_text and
 * bg_json_format document for what is not JSON or not a valid indent. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "test_assert.h"

#include "value/value_internal.h"

static bg_value *parse(const char *text, bg_error *err) {
  return bg_json_parse(text, (size_t)-1, err);
}

static void test_refusals(void **state) {
  (void)state;
  bg_error err;
  assert_null(bg_json_parse(NULL, 0, &err));
  assert_int_equal(err.code, BG_ERR_INVALID_ARGUMENT);
  assert_string_equal(err.message, "JSON text is NULL");
  /* an integer a double cannot hold exactly, also deep inside objects and arrays */
  static const char *const too_big[] = {"9007199254740993", "[1, [2, -9007199254740993]]",
                                        "{\"a\": {\"b\": 9007199254740993}}"};
  for (size_t i = 0; i < sizeof too_big / sizeof too_big[0]; i++) {
    assert_null(parse(too_big[i], &err));
    assert_int_equal(err.code, BG_ERR_INVALID_ARGUMENT);
    assert_contains(err.message, "is beyond +-2^53");
  }
  bg_value *v = parse("{\"a\": [9007199254740992]}", &err); /* 2^53 itself is exact */
  assert_non_null(v);
  bg_value_free(v);
}

static void test_renderings(void **state) {
  (void)state;
  bg_error err;
  bg_value *v = parse("{\"s\": \"q\\\" b\\\\ n\\n r\\r t\\t b\\b f\\f u\\u0001 \xc3\xa9\", "
                      "\"f\": false, \"t\": true, \"n\": null, \"i\": -3, \"x\": 0.5}",
                      &err);
  assert_non_null(v);
  assert_string_equal(bg_json_text(v),
                      "{\"f\":false,\"i\":-3,\"n\":null,\"s\":\"q\\\" b\\\\ n\\n r\\r t\\t b\\b "
                      "f\\f u\\u0001 \xc3\xa9\",\"t\":true,\"x\":0.5}");
  assert_ptr_equal(bg_json_text(v), bg_json_text(v)); /* rendered once, kept */
  char *pretty = bg_json_format(v, 2);
  assert_non_null(pretty);
  assert_contains(pretty, "\n  \"f\": false,\n");
  bg_string_free(pretty);
  /* indents 0..16 only */
  assert_null(bg_json_format(v, -1));
  assert_null(bg_json_format(v, 17));
  pretty = bg_json_format(v, 16);
  assert_non_null(pretty);
  bg_string_free(pretty);
  bg_value_free(v);

  /* not JSON: NULL, no crash */
  bg_value *t = bg_text_new("{}", (size_t)-1, &err);
  assert_null(bg_json_text(t));
  assert_null(bg_json_format(t, 0));
  assert_null(bg_json_text(NULL));
  assert_null(bg_json_format(NULL, 0));
  bg_value_free(t);
}

/* Numbers that JSON values never hold still format to something readable (logs, the CLI). */
static void test_nonfinite_reals_format(void **state) {
  (void)state;
  char buf[BGI_JSON_REAL_MAX];
  bgi_json_format_real(buf, sizeof buf, NAN);
  assert_string_equal(buf, "NaN");
  bgi_json_format_real(buf, sizeof buf, INFINITY);
  assert_string_equal(buf, "Infinity");
  bgi_json_format_real(buf, sizeof buf, -INFINITY);
  assert_string_equal(buf, "-Infinity");
  bgi_json_format_real(buf, sizeof buf, 1.0);
  assert_string_equal(buf, "1.0");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_refusals),
      cmocka_unit_test(test_renderings),
      cmocka_unit_test(test_nonfinite_reals_format),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
