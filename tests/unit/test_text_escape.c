/* bg_text_escape and the escaping bgi_fail applies to every message: server-controlled text
 * never carries terminal control bytes, while printable text (any script) passes unchanged. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "test_assert.h"

#include "bentogrpc/bentogrpc.h"
#include "error_internal.h"

static void expect_escape(const char *in, size_t len, const char *want) {
  char *got = bg_text_escape(in, len);
  assert_non_null(got);
  assert_string_equal(got, want);
  /* Escaping is idempotent: the output holds nothing that needs escaping. */
  char *again = bg_text_escape(got, strlen(got));
  assert_string_equal(again, got);
  bg_string_free(again);
  bg_string_free(got);
}

static void test_every_c0_control_and_del(void **state) {
  (void)state;
  for (unsigned b = 0; b < 0x20; b++) {
    char in = (char)b;
    char want[8];
    if (b == '\t' || b == '\n')
      snprintf(want, sizeof want, "%c", b);
    else
      snprintf(want, sizeof want, "\\x%02x", b);
    expect_escape(&in, 1, want);
  }
  expect_escape("\x7f", 1, "\\x7f");
  expect_escape("\x1b]0;pwned\x07\x1b[2J", 14, "\\x1b]0;pwned\\x07\\x1b[2J");
  expect_escape("a\0b", 3, "a\\x00b");
  expect_escape("tab\there\nnext", 13, "tab\there\nnext");
}

static void test_c1_controls(void **state) {
  (void)state;
  for (unsigned b = 0x80; b <= 0x9f; b++) {
    char in[2] = {(char)0xc2, (char)b};
    char want[16];
    snprintf(want, sizeof want, "\\xc2\\x%02x", b);
    expect_escape(in, 2, want);
  }
  expect_escape("\xc2\xa0", 2, "\xc2\xa0"); /* U+00A0 is printable */
}

static void test_invalid_utf8_per_byte(void **state) {
  (void)state;
  expect_escape("\xff", 1, "\\xff");
  expect_escape("\xc3", 1, "\\xc3");                            /* truncated */
  expect_escape("\xc0\xaf", 2, "\\xc0\\xaf");                   /* overlong */
  expect_escape("\xed\xa0\x80", 3, "\\xed\\xa0\\x80");          /* surrogate */
  expect_escape("\xf4\x90\x80\x80", 4, "\\xf4\\x90\\x80\\x80"); /* above U+10FFFF */
  expect_escape("ok\x80ok", 5, "ok\\x80ok");
  expect_escape("\xe2\x82", 2, "\\xe2\\x82");
}

static void test_valid_text_unchanged(void **state) {
  (void)state;
  const char *good[] = {"",
                        "plain ascii ~!@#",
                        "back\\slash \\x41",
                        "caf\xc3\xa9",
                        "\xe2\x82\xac \xe4\xb8\xad\xe6\x96\x87",
                        "\xf0\x9f\x98\x80 non-BMP",
                        "\xef\xbf\xbd",
                        "\xf4\x8f\xbf\xbf"};
  for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
    expect_escape(good[i], strlen(good[i]), good[i]);
  char *empty = bg_text_escape(NULL, 5);
  assert_string_equal(empty, "");
  bg_string_free(empty);
}

static void test_bg_fail_escapes_messages(void **state) {
  (void)state;
  bg_error err;
  assert_int_equal(
      bgi_fail(&err, BG_ERR_SERVER, 2, "server said: %s", "\x1b]0;title\x07 done\tok\n"),
      BG_ERR_SERVER);
  assert_string_equal(err.message, "server said: \\x1b]0;title\\x07 done\tok\n");
  assert_int_equal(err.code, BG_ERR_SERVER);
  assert_int_equal(err.grpc_status, 2);
  assert_null(strchr(err.message, '\x1b'));

  bgi_error_prefix(&err, "call %s", "\x9b");
  assert_string_equal(err.message, "call \\x9b: server said: \\x1b]0;title\\x07 done\tok\n");
}

static void test_bg_fail_cuts_between_whole_units(void **state) {
  (void)state;
  /* A long message of escapes: cut at the end of a whole escape, never half of one. */
  char *in = malloc(2000);
  memset(in, 0x1b, 1999);
  in[1999] = '\0';
  bg_error err;
  bgi_fail(&err, BG_ERR_SERVER, 0, "%s", in);
  size_t n = strlen(err.message);
  assert_true(n < sizeof err.message);
  assert_int_equal(n % 4, 0);
  assert_string_equal(err.message + n - 4, "\\x1b");
  /* Long UTF-8 text is cut between characters. */
  for (size_t i = 0; i + 1 < 1999; i += 2) {
    in[i] = (char)0xc3;
    in[i + 1] = (char)0xa9;
  }
  in[1998] = '\0';
  bgi_fail(&err, BG_ERR_SERVER, 0, "x%s", in);
  n = strlen(err.message);
  assert_null(strstr(err.message, "\\x"));
  assert_int_equal((n - 1) % 2, 0);
  free(in);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_every_c0_control_and_del),
      cmocka_unit_test(test_c1_controls),
      cmocka_unit_test(test_invalid_utf8_per_byte),
      cmocka_unit_test(test_valid_text_unchanged),
      cmocka_unit_test(test_bg_fail_escapes_messages),
      cmocka_unit_test(test_bg_fail_cuts_between_whole_units),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
