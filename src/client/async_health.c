/* Async Health/Check and wait-until-ready: the Health/Check operation (health_internal.h)
 * started on the engine, which follows its steps; a wait's re-checks run from the engine's
 * timers (whoever drains its queue), so nobody blocks or spins in between. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <grpc/support/time.h>

#include "client/async_internal.h"
#include "client/health_internal.h"
#include "error_internal.h"

typedef struct health_op {
  struct bg_async_call head; /* first: the handle */
  bg_async_client *owner;    /* valid until delivered */
  char *service; /* the caller's name (copied), or NULL: the default policy (health.c) */
  bgi_health_op check;
  bg_async_health_cb callback;
  void *user_data;
} health_op;

/* Queue drainer: the engine follows the Health/Check kind's steps — the policy's next name on
 * NOT_FOUND, a wait's next check after its interval (health.c, `next`). */
static bool health_completed(bgi_async_op *op, bool ok) {
  return bgi_async_op_next(op, &((health_op *)op)->check.op, ok);
}

static bool health_timer(bgi_async_op *op) {
  return bgi_async_op_next_timer(op, &((health_op *)op)->check.op);
}

/* The name (check.service) stays readable through the handle until the operation is freed. */
static void health_deliver(bgi_async_op *op, bgi_cancel_reason reason) {
  health_op *h = (health_op *)op;
  bool wait = h->check.interval_ms > 0;
  char what[300];
  snprintf(what, sizeof what, wait ? "waiting for '%s' to be ready" : "health check of '%s'",
           h->check.service);
  bg_error err;
  bg_status st =
      bgi_async_op_outcome(op, &h->check.op, reason, what, h->owner->client->url_text, &err);
  bg_health_status health = st != BG_OK ? BG_HEALTH_UNKNOWN
                            : wait      ? BG_HEALTH_SERVING
                                        : h->check.status;
  bgi_operation_fini(&h->check.op);
  h->callback(&h->head, st, health, &err, h->user_data);
}

static void health_free(bgi_async_op *op) {
  health_op *h = (health_op *)op;
  bgi_operation_fini(&h->check.op);
  free(h->service);
  free(op);
}

static const bgi_async_op_vtable health_vtable = {.completed = health_completed,
                                                  .timer = health_timer,
                                                  .deliver = health_deliver,
                                                  .free = health_free};

/* ---- starting ---- */

static bg_status start(health_op *h, bg_async_op **call, bg_error *err) {
  bgi_async_op *op = &h->head.op;
  bg_status st = bgi_operation_prepare(&h->check.op, err);
  if (st == BG_OK)
    st = bgi_async_op_launch(op, &h->check.op, err);
  if (st != BG_OK) {
    bgi_async_op_free(op);
    return st;
  }
  if (call)
    *call = &h->head;
  return BG_OK;
}

static health_op *new_op(bg_async_client *ac, const char *service, int64_t timeout_ms,
                         int64_t interval_ms, bg_async_health_cb callback, void *user_data,
                         bg_async_op **call, bg_error *err) {
  health_op *h = calloc(1, sizeof *h);
  char *name = service ? strdup(service) : NULL;
  if (!h || (service && !name)) {
    free(h);
    free(name);
    BGI_FAIL_NOMEM(err);
    return NULL;
  }
  bgi_async_op_init(&h->head.op, &health_vtable, ac->engine, call ? 2 : 1);
  h->owner = ac;
  h->service = name;
  if (interval_ms > 0)
    bgi_health_op_init_wait(&h->check, ac->client, timeout_ms, interval_ms);
  else
    bgi_health_op_init(&h->check, ac->client, name, timeout_ms);
  h->callback = callback;
  h->user_data = user_data;
  return h;
}

BG_API bg_status bg_async_health(bg_async_client *aclient, const char *service, int64_t timeout_ms,
                                 bg_async_health_cb callback, void *user_data, bg_async_op **call,
                                 bg_error *err) {
  BGI_ERROR_SINK(err);
  bgi_error_clear(err);
  if (call)
    *call = NULL;
  if (!aclient || !callback)
    return bgi_fail(err, BG_ERR_INVALID_ARGUMENT, 0,
                    "bg_async_health: client and callback must not be NULL");
  if (timeout_ms <= 0)
    return bgi_fail(err, BG_ERR_INVALID_ARGUMENT, 0,
                    "bg_async_health: timeout must be > 0 ms (got %lld)", (long long)timeout_ms);
  health_op *h = new_op(aclient, service, timeout_ms, 0, callback, user_data, call, err);
  return h ? start(h, call, err) : BG_ERR_NO_MEMORY;
}

BG_API bg_status bg_async_wait_until_ready(bg_async_client *aclient, int64_t timeout_ms,
                                           int64_t interval_ms, bg_async_health_cb callback,
                                           void *user_data, bg_async_op **call, bg_error *err) {
  BGI_ERROR_SINK(err);
  bgi_error_clear(err);
  if (call)
    *call = NULL;
  if (!aclient || !callback)
    return bgi_fail(err, BG_ERR_INVALID_ARGUMENT, 0,
                    "bg_async_wait_until_ready: client and callback must not be NULL");
  if (timeout_ms <= 0 || interval_ms <= 0)
    return bgi_fail(err, BG_ERR_INVALID_ARGUMENT, 0,
                    "wait until ready: timeout and interval must be > 0 ms (got %lld and %lld)",
                    (long long)timeout_ms, (long long)interval_ms);
  health_op *h = new_op(aclient, NULL, timeout_ms, interval_ms, callback, user_data, call, err);
  return h ? start(h, call, err) : BG_ERR_NO_MEMORY;
}

BG_API const char *bg_async_health_service(const bg_async_op *call) {
  if (!call || call->op.vt != &health_vtable)
    return NULL;
  return ((const health_op *)call)->check.service;
}
