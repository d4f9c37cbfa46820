/* The error record (src/error.c): every status and gRPC status has its own name, unknown ones
 * a name that says so; a prefix keeps the recorded reason; bgi_as_protocol blames the server
 * for anything but running out of memory; the NULL record is tolerated where documented. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "error_internal.h"

static void test_status_names(void **state) {
  (void)state;
  static const struct {
    bg_status code;
    const char *name;
  } names[] = {{BG_OK, "BG_OK"},
               {BG_ERR_INVALID_ARGUMENT, "BG_ERR_INVALID_ARGUMENT"},
               {BG_ERR_NO_MEMORY, "BG_ERR_NO_MEMORY"},
               {BG_ERR_UNAVAILABLE, "BG_ERR_UNAVAILABLE"},
               {BG_ERR_DEADLINE, "BG_ERR_DEADLINE"},
               {BG_ERR_SERVER, "BG_ERR_SERVER"},
               {BG_ERR_PROTOCOL, "BG_ERR_PROTOCOL"},
               {BG_ERR_UNKNOWN_API, "BG_ERR_UNKNOWN_API"},
               {BG_ERR_UNSUPPORTED, "BG_ERR_UNSUPPORTED"},
               {BG_ERR_TIMEOUT, "BG_ERR_TIMEOUT"},
               {BG_ERR_CANCELLED, "BG_ERR_CANCELLED"},
               {BG_ERR_INTERNAL, "BG_ERR_INTERNAL"},
               {BG_ERR_FORKED, "BG_ERR_FORKED"}};
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
    assert_string_equal(bg_status_name(names[i].code), names[i].name);
  assert_string_equal(bg_status_name((bg_status)-5), "BG_ERR_(unknown code)");
  assert_string_equal(bg_status_name((bg_status)1000), "BG_ERR_(unknown code)");
}

static void test_grpc_status_names(void **state) {
  (void)state;
  assert_string_equal(bg_grpc_status_name(0), "OK");
  assert_string_equal(bg_grpc_status_name(4), "DEADLINE_EXCEEDED");
  assert_string_equal(bg_grpc_status_name(14), "UNAVAILABLE");
  assert_string_equal(bg_grpc_status_name(16), "UNAUTHENTICATED");
  assert_string_equal(bg_grpc_status_name(17), "UNKNOWN_STATUS");
  assert_string_equal(bg_grpc_status_name(-1), "UNKNOWN_STATUS");
}

static void test_prefix_keeps_code_and_reason(void **state) {
  (void)state;
  bg_error err;
  assert_int_equal(
      bgi_fail_reason(&err, BG_ERR_INVALID_ARGUMENT, 3, BG_REASON_TLS_CONFLICT, "bad %s", "thing"),
      BG_ERR_INVALID_ARGUMENT);
  bgi_error_prefix(&err, "part '%s'", "a");
  assert_string_equal(err.message, "part 'a': bad thing");
  assert_int_equal(err.code, BG_ERR_INVALID_ARGUMENT);
  assert_int_equal(err.grpc_status, 3);
  assert_int_equal(bg_error_reason(&err), BG_REASON_TLS_CONFLICT);

  /* a reason set afterwards, and cleared with the record */
  bgi_fail(&err, BG_ERR_SERVER, 13, "failed");
  assert_int_equal(bg_error_reason(&err), BG_REASON_NONE);
  bgi_error_set_reason(&err, BG_REASON_VALIDATION);
  assert_int_equal(bg_error_reason(&err), BG_REASON_VALIDATION);
  bgi_error_clear(&err);
  assert_int_equal(err.code, BG_OK);
  assert_string_equal(err.message, "");
  assert_int_equal(bg_error_reason(&err), BG_REASON_NONE);
  assert_int_equal(bg_error_reason(NULL), BG_REASON_NONE);

  /* a message the caller wrote over the whole record is not read as a reason */
  memset(err.message, 'x', sizeof err.message);
  err.code = BG_ERR_SERVER;
  assert_int_equal(bg_error_reason(&err), BG_REASON_NONE);

  /* control bytes a server sent are escaped in the text (TAB and LF are kept) */
  bgi_fail(&err, BG_ERR_PROTOCOL, 0, "server said '%s'", "a\nb\x1b[31m");
  assert_non_null(strchr(err.message, '\n'));
  assert_null(strchr(err.message, '\x1b'));
}

/* What a decoder reports about a reply is the server's fault, unless memory ran out. */
static void test_as_protocol(void **state) {
  (void)state;
  bg_error err;
  bgi_fail(&err, BG_ERR_INVALID_ARGUMENT, 0, "a string holds a NUL");
  assert_int_equal(bgi_as_protocol(&err, err.code), BG_ERR_PROTOCOL);
  assert_int_equal(err.code, BG_ERR_PROTOCOL);
  assert_string_equal(err.message, "a string holds a NUL");
  bgi_fail(&err, BG_ERR_NO_MEMORY, 0, "out of memory");
  assert_int_equal(bgi_as_protocol(&err, err.code), BG_ERR_NO_MEMORY);
  assert_int_equal(err.code, BG_ERR_NO_MEMORY);
}

/* Internal helpers take a NULL record (callers that want no detail) without crashing. */
static void test_null_record(void **state) {
  (void)state;
  assert_int_equal(bgi_fail(NULL, BG_ERR_SERVER, 2, "x"), BG_ERR_SERVER);
  assert_int_equal(bgi_fail_reason(NULL, BG_ERR_SERVER, 2, BG_REASON_VALIDATION, "x"),
                   BG_ERR_SERVER);
  bgi_error_set_reason(NULL, BG_REASON_VALIDATION);
  bgi_error_prefix(NULL, "p");
  bgi_error_clear(NULL);
  assert_int_equal(bgi_as_protocol(NULL, BG_ERR_INVALID_ARGUMENT), BG_ERR_PROTOCOL);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_status_names),
      cmocka_unit_test(test_grpc_status_names),
      cmocka_unit_test(test_prefix_keeps_code_and_reason),
      cmocka_unit_test(test_as_protocol),
      cmocka_unit_test(test_null_record),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
