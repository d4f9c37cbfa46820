/* The operation engine (src/engine/operation.c) with a fake RPC table: what the engine calls,
 * how often and in which order, for a prepare that fails, a call that runs to a status, and
 * repeated fini. The call goes to a closed loopback port with a short deadline, so it ends
 * with a non-OK status without any server. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <grpc/grpc.h>
#include <grpc/grpc_security.h>

#include "engine/operation.h"
#include "error_internal.h"

typedef struct fake_op {
  bgi_operation op; /* first, as every kind embeds it */
  grpc_channel *channel;
  void *method;
  bool fail_prepare;
  int prepared, completed, aborted, finished;
  grpc_status_code seen_status;
} fake_op;

static bg_status fake_prepare(bgi_operation *op, bg_error *err) {
  fake_op *f = (fake_op *)op;
  f->prepared++;
  if (f->fail_prepare)
    return bgi_fail(err, BG_ERR_INVALID_ARGUMENT, 0, "fake prepare refused");
  grpc_slice empty = grpc_empty_slice();
  op->request = grpc_raw_byte_buffer_create(&empty, 1);
  op->call.channel = f->channel;
  op->call.method = f->method;
  op->call.deadline_ms = 300;
  return BG_OK;
}

static bg_status fake_complete(bgi_operation *op, bg_error *err) {
  fake_op *f = (fake_op *)op;
  f->completed++;
  f->seen_status = op->result.status;
  assert_ptr_equal(op->call.request, op->request); /* the engine pointed the call at it */
  return op->result.status == GRPC_STATUS_OK
             ? BG_OK
             : bgi_fail(err, BG_ERR_UNAVAILABLE, (int)op->result.status, "fake call failed");
}

static bg_status fake_abort(bgi_operation *op, bg_status st, bg_error *err) {
  (void)err;
  ((fake_op *)op)->aborted++;
  return st;
}

static void fake_fini(bgi_operation *op) { ((fake_op *)op)->finished++; }

static const bgi_rpc fake_rpc = {.name = "Fake",
                                 .prepare = fake_prepare,
                                 .complete = fake_complete,
                                 .abort = fake_abort,
                                 .fini = fake_fini};

static void fake_init(fake_op *f, grpc_channel *channel, void *method) {
  memset(f, 0, sizeof *f);
  bgi_operation_init(&f->op, &fake_rpc);
  f->channel = channel;
  f->method = method;
}

static void test_prepare_failure_runs_nothing_else(void **state) {
  (void)state;
  bgi_cq_pool pool;
  bgi_cq_pool_init(&pool);
  fake_op f;
  fake_init(&f, NULL, NULL);
  f.fail_prepare = true;
  bg_error err;
  assert_int_equal(bgi_operation_run(&f.op, &pool, &err), BG_ERR_INVALID_ARGUMENT);
  assert_int_equal(f.prepared, 1);
  assert_int_equal(f.completed + f.aborted, 0); /* nothing started: nothing to end */
  bgi_operation_fini(&f.op);
  assert_int_equal(f.finished, 1);
  bgi_cq_pool_fini(&pool);
}

static void test_run_completes_once_with_the_status(void **state) {
  (void)state;
  grpc_init();
  grpc_channel_credentials *creds = grpc_insecure_credentials_create();
  grpc_channel *channel = grpc_channel_create("127.0.0.1:1", creds, NULL);
  grpc_channel_credentials_release(creds);
  void *method = grpc_channel_register_call(channel, "/fake.Service/Call", NULL, NULL);
  bgi_cq_pool pool;
  bgi_cq_pool_init(&pool);
  for (int round = 0; round < 2; round++) { /* the second takes a pooled queue */
    fake_op f;
    fake_init(&f, channel, method);
    bg_error err;
    assert_int_equal(bgi_operation_run(&f.op, &pool, &err), BG_ERR_UNAVAILABLE);
    assert_int_equal(f.prepared, 1);
    assert_int_equal(f.completed, 1);
    assert_int_equal(f.aborted, 0);
    assert_int_not_equal(f.seen_status, GRPC_STATUS_OK);
    assert_int_equal(err.grpc_status, (int)f.seen_status);
    bgi_operation_fini(&f.op);
    bgi_operation_fini(&f.op); /* safe to repeat: the request and result go once */
    assert_null(f.op.request);
    assert_false(f.op.result_live);
    assert_int_equal(f.finished, 2);
  }
  bgi_cq_pool_fini(&pool);
  grpc_channel_destroy(channel);
  grpc_shutdown();
}

static void test_queue_failure_aborts(void **state) {
  (void)state;
  fake_op f;
  fake_init(&f, NULL, NULL);
  bg_error err;
  assert_int_equal(bgi_operation_complete(&f.op, false, &err), BG_ERR_INTERNAL);
  assert_int_equal(f.aborted, 1);
  assert_int_equal(f.completed, 0);
  assert_non_null(strstr(err.message, "Fake"));
  bgi_operation_fini(&f.op);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_prepare_failure_runs_nothing_else),
      cmocka_unit_test(test_run_completes_once_with_the_status),
      cmocka_unit_test(test_queue_failure_aborts),
  };
  return cmocka_run_group_tests_name("operation", tests, NULL, NULL);
}
