/* bg_error_reason(): the machine-readable reason kept in the last 3 bytes of bg_error::message.
 * It survives a struct copy and a prefix, clear resets it, a message of the longest length
 * never overwrites it; the library records it where a front end's remedy differs (credentials,
 * TLS settings); and the CLI chooses its advice by the reason alone, whatever the message. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "bentogrpc/bentogrpc.h"
#include "cli_exit.h"
#include "error_internal.h"

static void test_fail_records_the_reason(void **state) {
  (void)state;
  bg_error err;
  memset(&err, 0x5a, sizeof err); /* whatever the caller's stack held */
  assert_int_equal(bgi_fail_reason(&err, BG_ERR_SERVER, 12, BG_REASON_NO_DISCOVERY_V1, "x %d", 1),
                   BG_ERR_SERVER);
  assert_int_equal(bg_error_reason(&err), BG_REASON_NO_DISCOVERY_V1);
  assert_string_equal(err.message, "x 1");
  /* a later failure without a reason does not inherit the earlier one */
  bgi_fail(&err, BG_ERR_UNAVAILABLE, 14, "later");
  assert_int_equal(bg_error_reason(&err), BG_REASON_NONE);
}

static void test_copy_and_prefix_keep_it(void **state) {
  (void)state;
  bg_error err = {0};
  bgi_fail_reason(&err, BG_ERR_INVALID_ARGUMENT, 0, BG_REASON_TLS_CONFLICT, "conflict");
  bg_error copy = err;
  assert_int_equal(bg_error_reason(&copy), BG_REASON_TLS_CONFLICT);
  bgi_error_prefix(&copy, "while %s", "opening");
  assert_string_equal(copy.message, "while opening: conflict");
  assert_int_equal(bg_error_reason(&copy), BG_REASON_TLS_CONFLICT);
  bgi_as_protocol(&copy, BG_ERR_SERVER);
  assert_int_equal(bg_error_reason(&copy), BG_REASON_TLS_CONFLICT);
}

static void test_clear_resets_it(void **state) {
  (void)state;
  bg_error err = {0};
  bgi_fail_reason(&err, BG_ERR_SERVER, 5, BG_REASON_HEALTH_SERVICE_UNKNOWN, "no service");
  bgi_error_clear(&err);
  assert_int_equal(bg_error_reason(&err), BG_REASON_NONE);
  /* even with the code set again by hand, the cleared record holds no reason */
  err.code = BG_ERR_SERVER;
  assert_int_equal(bg_error_reason(&err), BG_REASON_NONE);
  assert_int_equal(bg_error_reason(NULL), BG_REASON_NONE);
}

static void test_longest_message_keeps_it(void **state) {
  (void)state;
  char long_text[4 * BG_ERROR_MESSAGE_SIZE];
  memset(long_text, 'a', sizeof long_text - 1);
  long_text[sizeof long_text - 1] = '\0';
  bg_error err;
  bgi_fail_reason(&err, BG_ERR_UNAVAILABLE, 14, BG_REASON_TLS_HANDSHAKE, "%s", long_text);
  assert_int_equal(strlen(err.message), BG_ERROR_MESSAGE_SIZE - 4);
  assert_int_equal(bg_error_reason(&err), BG_REASON_TLS_HANDSHAKE);
  /* a prefix on a message already at the longest length cuts the text, not the reason */
  bgi_error_prefix(&err, "%s", "prefix");
  assert_int_equal(strlen(err.message), BG_ERROR_MESSAGE_SIZE - 4);
  assert_int_equal(bg_error_reason(&err), BG_REASON_TLS_HANDSHAKE);
  /* control bytes escaped (\xHH grows 4-fold) are cut before the reason as well */
  char controls[BG_ERROR_MESSAGE_SIZE];
  memset(controls, '\x01', sizeof controls - 1);
  controls[sizeof controls - 1] = '\0';
  bgi_fail_reason(&err, BG_ERR_SERVER, 2, BG_REASON_VALIDATION, "%s", controls);
  assert_true(strlen(err.message) <= BG_ERROR_MESSAGE_SIZE - 4);
  assert_int_equal(bg_error_reason(&err), BG_REASON_VALIDATION);
}

static void test_bytes_a_caller_wrote_are_no_reason(void **state) {
  (void)state;
  bg_error err;
  memset(&err, 0xb7, sizeof err); /* the tag byte everywhere, but no valid check byte */
  err.code = BG_ERR_SERVER;
  assert_int_equal(bg_error_reason(&err), BG_REASON_NONE);
}

/* The library records the reasons where it refuses: no server is needed for these. */
static void test_library_sets_reasons(void **state) {
  (void)state;
  bg_error err = {0};
  assert_null(bg_client_from_url("grpc://alice:s3cr3t@127.0.0.1:1", NULL, &err));
  assert_int_equal(err.code, BG_ERR_INVALID_ARGUMENT);
  assert_int_equal(bg_error_reason(&err), BG_REASON_CREDENTIALS_IN_ADDRESS);

  bg_options *o = bg_options_new();
  assert_int_equal(bg_options_set_tls(o, false, &err), BG_OK);
  assert_int_not_equal(bg_options_set_root_certs_pem(o, "x", 1, &err), BG_OK);
  assert_int_equal(bg_error_reason(&err), BG_REASON_TLS_CONFLICT);
  bg_options_free(o);

  /* credentials on a plaintext channel: refused before anything is sent (no server needed) */
  const char *targets[] = {"127.0.0.1:1", "192.0.2.1:1"};
  const bg_reason want[] = {BG_REASON_INSECURE_CREDENTIALS, BG_REASON_INSECURE_CREDENTIALS_REMOTE};
  for (int i = 0; i < 2; i++) {
    bg_client *c = bg_client_open(targets[i], NULL, &err);
    assert_non_null(c);
    bg_call_options *co = bg_call_options_new();
    assert_int_equal(bg_call_options_set_bearer_token(co, "T", &err), BG_OK);
    bg_value *in = bg_text_new("hi", 2, &err);
    bg_value *out = NULL;
    assert_int_equal(bg_client_call_raw(c, "api", in, &out, co, &err), BG_ERR_INVALID_ARGUMENT);
    assert_int_equal(bg_error_reason(&err), want[i]);
    bg_value_free(in);
    bg_call_options_free(co);
    bg_client_close(c);
  }
}

/* The CLI's advice follows the reason, whatever the library's sentence says: a reworded (here,
 * arbitrary) message gives the same advice, and a message with the old phrases but no reason
 * gives none. */
static void test_cli_advice_by_reason_not_wording(void **state) {
  (void)state;
  cli_set_command_line("describe", "127.0.0.1:1", 0, NULL);
  const char *a = cli_error_advice(BG_ERR_INVALID_ARGUMENT, BG_REASON_INSECURE_CREDENTIALS);
  assert_non_null(strstr(a, "--allow-insecure-credentials to send them"));
  a = cli_error_advice(BG_ERR_INVALID_ARGUMENT, BG_REASON_INSECURE_CREDENTIALS_REMOTE);
  assert_non_null(strstr(a, "covers only loopback"));
  a = cli_error_advice(BG_ERR_INVALID_ARGUMENT, BG_REASON_CREDENTIALS_IN_ADDRESS);
  assert_non_null(strstr(a, "-H 'authorization: Bearer TOKEN'"));
  a = cli_error_advice(BG_ERR_SERVER, BG_REASON_NO_DISCOVERY_V1);
  assert_non_null(strstr(a, "bentogrpc call 127.0.0.1:1 API --raw"));
  a = cli_error_advice(BG_ERR_SERVER, BG_REASON_NO_DISCOVERY_V1ALPHA1_ONLY);
  assert_non_null(strstr(a, "--protocol-version v1alpha1"));
  a = cli_error_advice(BG_ERR_SERVER, BG_REASON_NO_DISCOVERY_UNKNOWN);
  assert_non_null(strstr(a, "1.0.6 to 1.0.10"));
  assert_non_null(strstr(cli_error_advice(BG_ERR_PROTOCOL, BG_REASON_VALIDATION), "--no-validate"));
  assert_non_null(
      strstr(cli_error_advice(BG_ERR_SERVER, BG_REASON_REPLY_TOO_LARGE), "--max-recv-bytes"));
  assert_non_null(
      strstr(cli_error_advice(BG_ERR_UNAVAILABLE, BG_REASON_TLS_HANDSHAKE), "--cacert"));
  assert_non_null(strstr(cli_error_advice(BG_ERR_UNAVAILABLE, BG_REASON_TLS_REQUIRED), "--tls"));
  assert_non_null(
      strstr(cli_error_advice(BG_ERR_INVALID_ARGUMENT, BG_REASON_TLS_CONFLICT), "--plaintext"));
  assert_non_null(
      strstr(cli_error_advice(BG_ERR_SERVER, BG_REASON_HEALTH_SERVICE_UNKNOWN), "--service"));
  assert_string_equal(cli_error_advice(BG_ERR_SERVER, BG_REASON_NONE), "");
  assert_string_equal(cli_error_advice(BG_OK, BG_REASON_TLS_HANDSHAKE), "");

  /* the whole report: a record whose sentence is unrelated still gets the reason's advice, and
   * one with the library's old phrases but no reason gets none */
  bg_error err = {0};
  bgi_fail_reason(&err, BG_ERR_INVALID_ARGUMENT, 0, BG_REASON_INSECURE_CREDENTIALS,
                  "entirely different wording");
  assert_non_null(
      strstr(cli_error_advice(err.code, bg_error_reason(&err)), "--allow-insecure-credentials"));
  bgi_fail(&err, BG_ERR_INVALID_ARGUMENT, 0,
           "refusing to send credentials ... carries user credentials ... without the "
           "ServiceMetadata RPC");
  assert_string_equal(cli_error_advice(err.code, bg_error_reason(&err)), "");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_fail_records_the_reason),
      cmocka_unit_test(test_copy_and_prefix_keep_it),
      cmocka_unit_test(test_clear_resets_it),
      cmocka_unit_test(test_longest_message_keeps_it),
      cmocka_unit_test(test_bytes_a_caller_wrote_are_no_reason),
      cmocka_unit_test(test_library_sets_reasons),
      cmocka_unit_test(test_cli_advice_by_reason_not_wording),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
