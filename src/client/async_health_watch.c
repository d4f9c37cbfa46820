/* Async Health/Watch (bg_async_health_watch): the stream runs on the async engine
 * (bgi_async_op_launch_stream); each status it reads becomes a small posted operation whose
 * `deliver` runs the caller's change callback where the client's callbacks run
 * (bgi_async_engine_post), so every delivery mode keeps its threading; the watch itself is
 * delivered once at the end, after the changes it posted. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/async_internal.h"
#include "client/health_internal.h"
#include "error_internal.h"

typedef struct watch_op {
  struct bg_async_call head; /* first: the handle */
  bg_async_client *owner;    /* valid until delivered */
  char *service;             /* the caller's name (copied), or NULL */
  const char *name;          /* the name asked: `service` or the client's BentoService */
  int64_t timeout_ms;
  grpc_byte_buffer *request;
  bgi_unary_result result;
  bool result_live;
  bg_async_health_change_cb on_change;
  bg_async_health_cb on_end;
  void *user_data;
  bg_health_status last; /* the last status read (queue drainer, then the final callback) */
  bg_status decode_status;
  bg_error decode_err;
} watch_op;

/* One status, posted to run the change callback; holds a reference to the watch. */
typedef struct change_op {
  struct bg_async_call head;
  watch_op *watch;
  bg_health_status health;
} change_op;

static void change_deliver(bgi_async_op *op, bgi_cancel_reason reason) {
  (void)reason; /* posted ready: never cancelled */
  change_op *c = (change_op *)op;
  c->watch->on_change(&c->watch->head, c->health, c->watch->user_data);
}

static void change_free(bgi_async_op *op) {
  change_op *c = (change_op *)op;
  bgi_async_op_release(&c->watch->head.op);
  free(c);
}

static const bgi_async_op_vtable change_vtable = {.deliver = change_deliver, .free = change_free};

/* Queue drainer: a streamed message. Decode it and post its change; false ends the stream. */
static bool watch_message(bgi_async_op *op, grpc_byte_buffer *message) {
  watch_op *w = (watch_op *)op;
  bg_health_status health;
  w->decode_status = bgi_health_watch_decode(message, &health, &w->decode_err);
  if (w->decode_status != BG_OK)
    return false;
  w->last = health;
  change_op *c = calloc(1, sizeof *c);
  if (!c) /* the change is lost; the watch goes on and reports the next one */
    return true;
  atomic_fetch_add_explicit(&w->head.op.refs, 1, memory_order_relaxed); /* the change's */
  bgi_async_op_init(&c->head.op, &change_vtable, op->engine, 1);
  c->watch = w;
  c->health = health;
  bg_error ignored;
  if (bgi_async_engine_post(op->engine, &c->head.op, &ignored) != BG_OK)
    bgi_async_op_free(&c->head.op); /* closing: the watch ends as cancelled anyway */
  return true;
}

static void watch_deliver(bgi_async_op *op, bgi_cancel_reason reason) {
  watch_op *w = (watch_op *)op;
  bg_error err;
  bgi_error_clear(&err);
  bg_status st;
  if (reason != BGI_CANCEL_NONE) {
    char what[300];
    snprintf(what, sizeof what, "health watch of '%s'", w->name);
    st = bgi_async_fail_cancelled(&err, reason, what, w->owner->client->url_text);
  } else if (!op->batch_ok) {
    st = bgi_fail(&err, BG_ERR_INTERNAL, 0, "gRPC completion queue failed");
  } else {
    st = bgi_health_watch_outcome(w->owner->client, w->name, w->timeout_ms, &w->result, false,
                                  false, w->decode_status, &w->decode_err, &err);
  }
  w->on_end(&w->head, st, w->last, &err, w->user_data);
}

static void watch_free(bgi_async_op *op) {
  watch_op *w = (watch_op *)op;
  if (w->result_live)
    bgi_unary_result_fini(&w->result);
  if (w->request)
    grpc_byte_buffer_destroy(w->request);
  free(w->service);
  free(w);
}

static const bgi_async_op_vtable watch_vtable = {
    .deliver = watch_deliver, .free = watch_free, .message = watch_message};

BG_API bg_status bg_async_health_watch(bg_async_client *aclient, const char *service,
                                       int64_t timeout_ms, bg_async_health_change_cb on_change,
                                       bg_async_health_cb on_end, void *user_data,
                                       bg_async_op **call, bg_error *err) {
  BGI_ERROR_SINK(err);
  bgi_error_clear(err);
  if (call)
    *call = NULL;
  if (!aclient || !on_change || !on_end)
    return bgi_fail(err, BG_ERR_INVALID_ARGUMENT, 0,
                    "bg_async_health_watch: client, on_change and on_end must not be NULL");
  if (timeout_ms < 0)
    return bgi_fail(err, BG_ERR_INVALID_ARGUMENT, 0,
                    "bg_async_health_watch: timeout must be >= 0 ms (0: no bound; got %lld)",
                    (long long)timeout_ms);
  watch_op *w = calloc(1, sizeof *w);
  char *copy = service ? strdup(service) : NULL;
  if (!w || (service && !copy)) {
    free(w);
    free(copy);
    return BGI_FAIL_NOMEM(err);
  }
  bgi_async_op_init(&w->head.op, &watch_vtable, aclient->engine, call ? 2 : 1);
  w->owner = aclient;
  w->service = copy;
  w->name = bgi_health_watch_name(aclient->client, copy);
  w->timeout_ms = timeout_ms;
  w->on_change = on_change;
  w->on_end = on_end;
  w->user_data = user_data;
  w->last = BG_HEALTH_UNKNOWN;
  w->decode_status = BG_OK;
  w->result.details = grpc_empty_slice(); /* releasable before the stream starts */
  grpc_metadata_array_init(&w->result.initial_metadata);
  grpc_metadata_array_init(&w->result.trailing_metadata);
  w->result_live = true;
  bg_status st = bgi_health_watch_request(w->name, &w->request, err);
  if (st == BG_OK) {
    bgi_unary_call c = {.channel = aclient->client->channel,
                        .method = aclient->client->watch_method,
                        .deadline_ms = timeout_ms,
                        .request = w->request};
    st = bgi_async_op_launch_stream(&w->head.op, &c, &w->result, err);
  }
  if (st != BG_OK) {
    bgi_async_op_free(&w->head.op);
    return st;
  }
  if (call)
    *call = &w->head;
  return BG_OK;
}
