/* Async Health/Check and wait-until-ready: the Health/Check operation (health_internal.h)
 * started on the engine. Waiting re-checks from the engine's timers (run by whoever drains its
 * queue), so nobody blocks or spins in between. */
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
  /* wait-until-ready only */
  int64_t started_ms, timeout_ms, interval_ms;
  unsigned checks;
  char last[BG_ERROR_MESSAGE_SIZE]; /* the last check's status or error */
  bg_status outcome;                /* decided by the queue drainer */
  bg_error outcome_err;
  bool restart_failed; /* a single check: the policy's next name could not be asked */
} health_op;

static int64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The name (check.service) stays readable through the handle until the operation is freed. */
static void report(health_op *h, bg_status st, bg_health_status health, const bg_error *err) {
  bgi_operation_fini(&h->check.op);
  h->callback(&h->head, st, st == BG_OK ? health : BG_HEALTH_UNKNOWN, err, h->user_data);
}

/* Queue drainer: the check asked check.service and was answered NOT_FOUND; when the policy
 * (health.c) has a next name, asks it within `deadline_ms` and returns true (the operation
 * goes on: do not touch it after a successful start). Returns false when the result stands;
 * `err` and *st say why when the next check could not start. */
static bool ask_next_name(health_op *h, bool ok, int64_t deadline_ms, bg_status *st,
                          bg_error *err) {
  *st = BG_OK;
  if (!ok || !h->check.op.result_live ||
      !bgi_health_op_next(&h->check, (int)h->check.op.result.status))
    return false;
  bgi_unary_result_fini(&h->check.op.result);
  h->check.op.result_live = false;
  h->check.op.call.deadline_ms = deadline_ms;
  h->checks++;
  if ((*st = bgi_operation_prepare(&h->check.op, err)) == BG_OK) {
    h->check.op.result_live = true;
    *st = bgi_async_op_start(&h->head.op, &h->check.op.call, &h->check.op.result, err);
  }
  return *st == BG_OK;
}

/* ---- one check ---- */

/* Queue drainer: a NOT_FOUND goes on to the policy's next name; anything else is delivered. */
static bool check_completed(bgi_async_op *op, bool ok) {
  health_op *h = (health_op *)op;
  int64_t left = h->timeout_ms - (now_ms() - h->started_ms);
  bg_status st;
  if (left <= 0 || bgi_async_op_cancelled(op) != BGI_CANCEL_NONE)
    return true;
  if (ask_next_name(h, ok, left, &st, &h->outcome_err))
    return false;
  if (st != BG_OK) {
    h->outcome = st;
    h->restart_failed = true;
  }
  return true;
}

static void check_deliver(bgi_async_op *op, bgi_cancel_reason reason) {
  health_op *h = (health_op *)op;
  char what[300];
  snprintf(what, sizeof what, "health check of '%s'", h->check.service);
  bg_error err;
  bg_status st;
  if (h->restart_failed && reason == BGI_CANCEL_NONE) {
    err = h->outcome_err;
    st = h->outcome;
  } else {
    st = bgi_async_op_outcome(op, &h->check.op, reason, what, h->owner->client->url_text, &err);
  }
  report(h, st, h->check.status, &err);
}

/* ---- wait until ready ---- */

static void fail_timeout(health_op *h) {
  h->outcome = bgi_fail(&h->outcome_err, BG_ERR_TIMEOUT, 0,
                        "server at %s was not ready after waiting %lld ms (%u health checks of "
                        "'%s', one every %lld ms); last result: %s",
                        h->owner->client->url_text, (long long)(now_ms() - h->started_ms),
                        h->checks, h->check.service, (long long)h->interval_ms, h->last);
}

/* A new poll: the policy's first name again, its request packed afresh (gRPC took the bytes
 * of the last one when it sent them). */
static bg_status start_check(health_op *h, int64_t deadline_ms, bg_error *err) {
  bgi_health_op_restart_to_first(&h->check);
  h->check.op.call.deadline_ms = deadline_ms;
  h->checks++;
  bg_status st = bgi_operation_prepare(&h->check.op, err);
  if (st != BG_OK)
    return st;
  h->check.op.result_live = true;
  return bgi_async_op_start(&h->head.op, &h->check.op.call, &h->check.op.result, err);
}

/* Queue drainer: judge the check; a NOT_FOUND goes on to the policy's next name at once;
 * deliver when SERVING or out of time, else re-arm. */
static bool wait_completed(bgi_async_op *op, bool ok) {
  health_op *h = (health_op *)op;
  bg_error probe;
  int64_t time_left = h->timeout_ms - (now_ms() - h->started_ms);
  bg_status next_st = BG_OK;
  if (time_left > 0 && bgi_async_op_cancelled(op) == BGI_CANCEL_NONE &&
      ask_next_name(h, ok, time_left, &next_st, &probe))
    return false;
  if (next_st != BG_OK) {
    h->outcome = next_st;
    h->outcome_err = probe;
    return true;
  }
  h->check.status = BG_HEALTH_UNKNOWN;
  bg_status st = bgi_operation_complete(&h->check.op, ok, &probe);
  bgi_unary_result_fini(&h->check.op.result);
  h->check.op.result_live = false;
  if (st == BG_OK && h->check.status == BG_HEALTH_SERVING) {
    h->outcome = BG_OK;
    return true;
  }
  if (st == BG_OK)
    snprintf(h->last, sizeof h->last, "status %s", bg_health_status_str(h->check.status));
  else
    snprintf(h->last, sizeof h->last, "%s", probe.message);
  int64_t left = h->timeout_ms - (now_ms() - h->started_ms);
  if (left <= 0) {
    fail_timeout(h);
    return true;
  }
  int64_t pause = h->interval_ms < left ? h->interval_ms : left;
  bgi_async_op_arm_timer(
      op, gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC), gpr_time_from_millis(pause, GPR_TIMESPAN)));
  return false;
}

/* Queue drainer: the pause is over; check again within the time left. */
static bool wait_timer(bgi_async_op *op) {
  health_op *h = (health_op *)op;
  int64_t left = h->timeout_ms - (now_ms() - h->started_ms);
  if (bgi_async_op_cancelled(op) != BGI_CANCEL_NONE)
    return true;
  if (left <= 0) {
    fail_timeout(h);
    return true;
  }
  /* gRPC backs off reconnecting for up to minutes; the caller asked for a check now. */
  grpc_channel_reset_connect_backoff(h->owner->client->channel);
  if (start_check(h, left, &h->outcome_err) != BG_OK) {
    h->outcome = h->outcome_err.code;
    return true;
  }
  return false;
}

static void wait_deliver(bgi_async_op *op, bgi_cancel_reason reason) {
  health_op *h = (health_op *)op;
  bg_error err;
  bgi_error_clear(&err);
  bg_status st = h->outcome;
  if (reason != BGI_CANCEL_NONE) {
    char what[300];
    snprintf(what, sizeof what, "waiting for '%s' to be ready", h->check.service);
    st = bgi_async_fail_cancelled(&err, reason, what, h->owner->client->url_text);
  } else if (st != BG_OK) {
    err = h->outcome_err;
  }
  report(h, st, BG_HEALTH_SERVING, &err);
}

static void health_free(bgi_async_op *op) {
  health_op *h = (health_op *)op;
  bgi_operation_fini(&h->check.op);
  free(h->service);
  free(op);
}

static const bgi_async_op_vtable check_vtable = {
    .completed = check_completed, .deliver = check_deliver, .free = health_free};
static const bgi_async_op_vtable wait_vtable = {
    .completed = wait_completed, .timer = wait_timer, .deliver = wait_deliver, .free = health_free};

/* ---- starting ---- */

static bg_status start(health_op *h, struct bg_async_call **call, bg_error *err) {
  bgi_async_op *op = &h->head.op;
  bg_status st = bgi_operation_prepare(&h->check.op, err);
  h->started_ms = now_ms();
  h->checks = 1;
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

static health_op *new_op(bg_async_client *ac, const bgi_async_op_vtable *vt, const char *service,
                         int64_t timeout_ms, bg_async_health_cb callback, void *user_data,
                         struct bg_async_call **call, bg_error *err) {
  health_op *h = calloc(1, sizeof *h);
  char *name = service ? strdup(service) : NULL;
  if (!h || (service && !name)) {
    free(h);
    free(name);
    BGI_FAIL_NOMEM(err);
    return NULL;
  }
  bgi_async_op_init(&h->head.op, vt, ac->engine, call ? 2 : 1);
  h->owner = ac;
  h->service = name;
  bgi_health_op_init(&h->check, ac->client, name, timeout_ms);
  h->timeout_ms = timeout_ms;
  h->callback = callback;
  h->user_data = user_data;
  snprintf(h->last, sizeof h->last, "no check completed");
  return h;
}

BG_API bg_status bg_async_health(bg_async_client *aclient, const char *service, int64_t timeout_ms,
                                 bg_async_health_cb callback, void *user_data,
                                 struct bg_async_call **call, bg_error *err) {
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
  health_op *h =
      new_op(aclient, &check_vtable, service, timeout_ms, callback, user_data, call, err);
  return h ? start(h, call, err) : BG_ERR_NO_MEMORY;
}

BG_API bg_status bg_async_wait_until_ready(bg_async_client *aclient, int64_t timeout_ms,
                                           int64_t interval_ms, bg_async_health_cb callback,
                                           void *user_data, struct bg_async_call **call,
                                           bg_error *err) {
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
  health_op *h = new_op(aclient, &wait_vtable, NULL, timeout_ms, callback, user_data, call, err);
  if (!h)
    return BG_ERR_NO_MEMORY;
  h->interval_ms = interval_ms;
  return start(h, call, err);
}

BG_API const char *bg_async_health_service(const struct bg_async_call *call) {
  if (!call || (call->op.vt != &check_vtable && call->op.vt != &wait_vtable))
    return NULL;
  return ((const health_op *)call)->check.service;
}
