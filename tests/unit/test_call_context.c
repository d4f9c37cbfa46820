/* What interceptors see of a call (client/call_context.c): metadata added in a `before` hook
 * and refused once the request left, accessors that answer NULL/0/"" for a NULL context, and
 * the caller's response-metadata sink filled from a reply (binary values keep their length). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <grpc/grpc.h>

#include "test_assert.h"

#include "client/interceptor_internal.h"
#include "client/options_internal.h"

static void test_null_context(void **state) {
  (void)state;
  assert_null(bg_call_context_api(NULL));
  assert_null(bg_call_context_method(NULL));
  assert_null(bg_call_context_target(NULL));
  assert_int_equal(bg_call_context_metadata_count(NULL), 0);
  assert_null(bg_call_context_metadata_key(NULL, 0));
  assert_null(bg_call_context_metadata_value(NULL, 0, NULL));
  assert_int_equal(bg_call_context_status(NULL), BG_ERR_INVALID_ARGUMENT);
  assert_int_equal(bg_call_context_grpc_status(NULL), 0);
  assert_string_equal(bg_call_context_message(NULL), "");
  assert_null(bg_call_context_response_metadata(NULL));
  assert_true(bg_call_context_elapsed_ms(NULL) == 0);
  bg_error err;
  assert_int_equal(bg_call_context_add_metadata(NULL, "k", "v", 1, &err), BG_ERR_INVALID_ARGUMENT);
  assert_string_equal(err.message, "call context is NULL");
}

static void test_metadata_before_and_after_sending(void **state) {
  (void)state;
  grpc_metadata *md = NULL;
  size_t n = 0, capacity = 0;
  bg_call_context ctx = {.api = "predict",
                         .method = "/bentoml.grpc.v1.BentoService/Call",
                         .target = "ipv4:127.0.0.1:3000",
                         .metadata = &md,
                         .n_metadata = &n,
                         .capacity = &capacity,
                         .start_ns = bgi_now_ns()};
  bg_error err;
  assert_string_equal(bg_call_context_api(&ctx), "predict");
  assert_string_equal(bg_call_context_method(&ctx), "/bentoml.grpc.v1.BentoService/Call");
  assert_string_equal(bg_call_context_target(&ctx), "ipv4:127.0.0.1:3000");
  assert_string_equal(bg_call_context_message(&ctx), ""); /* no message yet */
  assert_true(bg_call_context_elapsed_ms(&ctx) >= 0);
  assert_int_equal(bg_call_context_add_metadata(&ctx, "x-trace", "abc", 3, &err), BG_OK);
  assert_int_equal(bg_call_context_add_metadata(&ctx, "x-bin", "a\0b", 3, &err), BG_OK);
  assert_int_equal(bg_call_context_add_metadata(&ctx, "grpc-x", "v", 1, &err),
                   BG_ERR_INVALID_ARGUMENT);
  assert_int_equal(bg_call_context_metadata_count(&ctx), 2);
  assert_string_equal(bg_call_context_metadata_key(&ctx, 0), "x-trace");
  size_t len = 0;
  assert_memory_equal(bg_call_context_metadata_value(&ctx, 1, &len), "a\0b", 3);
  assert_int_equal(len, 3);
  assert_null(bg_call_context_metadata_key(&ctx, 2));
  assert_null(bg_call_context_metadata_value(&ctx, 2, &len));

  ctx.sealed = true; /* the request left: an `after` hook cannot add any */
  assert_int_equal(bg_call_context_add_metadata(&ctx, "late", "v", 1, &err),
                   BG_ERR_INVALID_ARGUMENT);
  assert_string_equal(err.message,
                      "metadata can only be added before the call is sent (in a `before` hook)");
  assert_int_equal(bg_call_context_metadata_count(&ctx), 2);
  ctx.status = BG_ERR_SERVER;
  ctx.grpc_status = 13;
  ctx.message = "boom";
  assert_int_equal(bg_call_context_status(&ctx), BG_ERR_SERVER);
  assert_int_equal(bg_call_context_grpc_status(&ctx), 13);
  assert_string_equal(bg_call_context_message(&ctx), "boom");
  bgi_metadata_free(md, n);
}

static void test_response_metadata_sink(void **state) {
  (void)state;
  grpc_metadata initial_md[2], trailing_md[1];
  memset(initial_md, 0, sizeof initial_md);
  memset(trailing_md, 0, sizeof trailing_md);
  initial_md[0].key = grpc_slice_from_static_string("content-type");
  initial_md[0].value = grpc_slice_from_static_string("application/grpc");
  initial_md[1].key = grpc_slice_from_static_string("x-model");
  initial_md[1].value = grpc_slice_from_static_string("v2");
  trailing_md[0].key = grpc_slice_from_static_string("x-cost-bin");
  trailing_md[0].value = grpc_slice_from_static_buffer("\x01\x00\x02", 3);
  grpc_metadata_array initial = {.count = 2, .capacity = 2, .metadata = initial_md};
  grpc_metadata_array trailing = {.count = 1, .capacity = 1, .metadata = trailing_md};

  bg_response_metadata *sink = bg_response_metadata_new();
  assert_non_null(sink);
  assert_int_equal(bgi_response_metadata_fill(sink, &initial, &trailing), BG_OK);
  assert_int_equal(bg_response_metadata_count(sink, BG_METADATA_INITIAL), 2);
  assert_int_equal(bg_response_metadata_count(sink, BG_METADATA_TRAILING), 1);
  assert_string_equal(bg_response_metadata_key(sink, BG_METADATA_INITIAL, 1), "x-model");
  size_t len = 0;
  assert_memory_equal(bg_response_metadata_value(sink, BG_METADATA_TRAILING, 0, &len),
                      "\x01\x00\x02", 3);
  assert_int_equal(len, 3);
  assert_string_equal(bg_response_metadata_find(sink, BG_METADATA_INITIAL, "x-model", &len), "v2");
  assert_int_equal(len, 2);
  assert_null(bg_response_metadata_find(sink, BG_METADATA_TRAILING, "x-model", NULL));
  assert_null(bg_response_metadata_key(sink, BG_METADATA_INITIAL, 2));
  assert_null(bg_response_metadata_value(sink, BG_METADATA_INITIAL, 2, &len));
  assert_null(bg_response_metadata_key(sink, (bg_metadata_kind)2, 0));
  assert_int_equal(bg_response_metadata_count(sink, (bg_metadata_kind)7), 0);
  assert_int_equal(bg_response_metadata_count(NULL, BG_METADATA_INITIAL), 0);

  /* the next reply replaces the last one's metadata, also with none */
  assert_int_equal(bgi_response_metadata_fill(sink, NULL, &trailing), BG_OK);
  assert_int_equal(bg_response_metadata_count(sink, BG_METADATA_INITIAL), 0);
  assert_int_equal(bg_response_metadata_count(sink, BG_METADATA_TRAILING), 1);
  bg_response_metadata_free(sink);
  bg_response_metadata_free(NULL);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_null_context),
      cmocka_unit_test(test_metadata_before_and_after_sending),
      cmocka_unit_test(test_response_metadata_sink),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
