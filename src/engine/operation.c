#include <errno.h>
#include <string.h>
#include <time.h>

#include "engine/operation.h"
#include "error_internal.h"
#include "transport/fork.h"

void bgi_operation_init(bgi_operation *op, const bgi_rpc *rpc) {
  memset(op, 0, sizeof *op);
  op->rpc = rpc;
}

bg_status bgi_operation_prepare(bgi_operation *op, bg_error *err) {
  bg_status st = op->rpc->prepare(op, err);
  op->call.request = op->request;
  return st;
}

bg_status bgi_operation_abort(bgi_operation *op, bg_status st, bg_error *err) {
  return op->rpc->abort ? op->rpc->abort(op, st, err) : st;
}

bg_status bgi_operation_complete(bgi_operation *op, bool ok, bg_error *err) {
  if (!ok)
    return bgi_operation_abort(op,
                               bgi_fail(err, BG_ERR_INTERNAL, 0,
                                        "gRPC completion queue reported a failed %s batch",
                                        op->rpc->name),
                               err);
  return op->rpc->complete(op, err);
}

bgi_next bgi_operation_next(bgi_operation *op, int64_t *after_ms) {
  *after_ms = 0;
  return op->rpc->next ? op->rpc->next(op, after_ms) : BGI_NEXT_DONE;
}

void bgi_operation_restart(bgi_operation *op, bgi_unary_result *kept) {
  *kept = op->result;
  memset(&op->result, 0, sizeof op->result);
  op->call.request = op->request;
}

void bgi_operation_restarted(bgi_operation *op, bgi_unary_result *kept) {
  (void)op;
  bgi_unary_result_fini(kept);
}

void bgi_operation_restart_failed(bgi_operation *op, bgi_unary_result *kept) {
  bgi_unary_result_fini(&op->result); /* a start fills the result, even one that fails */
  op->result = *kept;
}

static void sleep_ms(int64_t ms) {
  struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}

bg_status bgi_operation_run(bgi_operation *op, bgi_cq_pool *pool, bg_error *err) {
  /* A client made before fork() is refused in the child before anything is prepared. */
  if (pool && bgi_fork_check(pool->fork_generation, "client", err) != BG_OK)
    return err->code;
  bg_status st = bgi_operation_prepare(op, err);
  if (st != BG_OK)
    return st;
  op->result_live = true;
  st = bgi_sync_run(pool, &op->call, &op->result, err);
  if (st != BG_OK) /* gRPC could not run the call: the kind still sees it end */
    return bgi_operation_abort(op, st, err);
  for (;;) {
    int64_t after_ms;
    bgi_next next = bgi_operation_next(op, &after_ms);
    if (next == BGI_NEXT_DONE)
      break;
    if (next == BGI_NEXT_AFTER) {
      sleep_ms(after_ms);
      if (!op->request) /* a last pause */
        break;
      grpc_channel_reset_connect_backoff(op->call.channel);
    }
    bgi_unary_result kept;
    bgi_operation_restart(op, &kept);
    bg_error ignored;
    if (bgi_sync_run(pool, &op->call, &op->result, &ignored) != BG_OK) {
      bgi_operation_restart_failed(op, &kept); /* the last call's result stands */
      break;
    }
    bgi_operation_restarted(op, &kept);
  }
  return op->rpc->complete(op, err);
}

void bgi_operation_fini(bgi_operation *op) {
  if (op->result_live)
    bgi_unary_result_fini(&op->result);
  op->result_live = false;
  if (op->request)
    grpc_byte_buffer_destroy(op->request);
  op->request = NULL;
  op->call.request = NULL;
  if (op->rpc && op->rpc->fini)
    op->rpc->fini(op);
}
