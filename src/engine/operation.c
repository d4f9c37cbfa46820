#include <string.h>

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

bg_status bgi_operation_run(bgi_operation *op, bgi_cq_pool *pool, bg_error *err) {
  /* A client made before fork() is refused in the child before anything is prepared. */
  if (pool && bgi_fork_check(pool->fork_generation, "client", err) != BG_OK)
    return err->code;
  bg_status st = bgi_operation_prepare(op, err);
  if (st != BG_OK)
    return st;
  op->result_live = true;
  st = bgi_unary_run(pool, &op->call, &op->result, err);
  if (st != BG_OK) /* gRPC could not run the call: the kind still sees it end */
    return bgi_operation_abort(op, st, err);
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
