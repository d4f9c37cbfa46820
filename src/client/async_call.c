/* bg_async_call and bg_async_call_raw: the Call operation (call_internal.h) started on the
 * engine, completed where the callback runs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/async_internal.h"
#include "client/call_internal.h"
#include "error_internal.h"

typedef struct call_op {
  struct bg_async_call head; /* first: the handle */
  bg_async_client *owner;    /* valid until delivered (close delivers before freeing) */
  bgi_call_op call;
  grpc_metadata *metadata; /* our copy of the call options' metadata; slices referenced */
  size_t n_metadata;
  bg_async_call_cb callback;
  void *user_data;
} call_op;

/* Gives everything back but the memory; safe to repeat. */
static void call_fini(call_op *c) {
  bgi_operation_fini(&c->call.op);
  for (size_t i = 0; i < c->n_metadata; i++) {
    grpc_slice_unref(c->metadata[i].key);
    grpc_slice_unref(c->metadata[i].value);
  }
  free(c->metadata);
  c->metadata = NULL;
  c->n_metadata = 0;
}

/* Queue drainer, no lock held: the call finished; the engine follows the Call kind's steps
 * (a File input refused as `file` goes once more as serialized_bytes, call.c). */
static bool call_completed(bgi_async_op *op, bool ok) {
  return bgi_async_op_next(op, &((call_op *)op)->call.op, ok);
}

static void call_deliver(bgi_async_op *op, bgi_cancel_reason reason) {
  call_op *c = (call_op *)op;
  char what[300] = ""; /* named only in a cancelled call's message: no formatting per call */
  if (reason != BGI_CANCEL_NONE)
    snprintf(what, sizeof what, "call '%s'", c->call.api_name);
  bg_error err;
  bg_status st =
      bgi_async_op_outcome(op, &c->call.op, reason, what, c->owner->client->url_text, &err);
  bg_value *output = c->call.output; /* the callback owns it */
  c->call.output = NULL;
  call_fini(c); /* nothing below needs the call any more */
  c->callback(&c->head, st, output, &err, c->user_data);
}

static void call_free(bgi_async_op *op) {
  call_fini((call_op *)op);
  free(op);
}

static const bgi_async_op_vtable call_vtable = {
    .completed = call_completed, .deliver = call_deliver, .free = call_free};

/* Without interceptors the prepared call points at the options' own metadata; copy it, so
 * the options may be freed as soon as bg_async_call() returns. */
static bg_status copy_metadata(call_op *c, bg_error *err) {
  bgi_unary_call *settings = &c->call.op.call;
  size_t n = settings->n_metadata;
  if (n == 0 || settings->metadata == c->call.chain.metadata)
    return BG_OK;
  c->metadata = malloc(n * sizeof *c->metadata);
  if (!c->metadata)
    return BGI_FAIL_NOMEM(err);
  for (size_t i = 0; i < n; i++) {
    c->metadata[i] = settings->metadata[i];
    grpc_slice_ref(c->metadata[i].key);
    grpc_slice_ref(c->metadata[i].value);
  }
  c->n_metadata = n;
  settings->metadata = c->metadata;
  return BG_OK;
}

/* bg_async_call and bg_async_call_raw: one Call operation started on the engine; `raw` skips
 * the registry and the descriptors as in bg_client_call_raw (call.c). */
static bg_status start(bg_async_client *aclient, const char *api_name, const bg_value *input,
                       const bg_call_options *call_options, bg_async_call_cb callback,
                       void *user_data, bg_async_op **call, bool raw, bg_error *err) {
  bgi_error_clear(err);
  if (call)
    *call = NULL;
  if (!aclient || !callback)
    return bgi_fail(err, BG_ERR_INVALID_ARGUMENT, 0, "%s: client and callback must not be NULL",
                    raw ? "bg_async_call_raw" : "bg_async_call");
  /* A raw call needs no registry: a client without discovery may make it (as bg_client_open +
   * bg_client_call_raw). */
  if (!raw && !aclient->discovered)
    return bgi_fail(err, BG_ERR_UNSUPPORTED, 0,
                    "this async client was made by bg_async_client_connect() without discovering "
                    "the APIs of %s, so '%s' has no descriptors to call it through; call it with "
                    "bg_async_call_raw(), or create a client with bg_async_client_from_url()",
                    aclient->client->url_text, api_name ? api_name : "(null)");
  call_op *c = calloc(1, sizeof *c);
  if (!c)
    return BGI_FAIL_NOMEM(err);
  c->owner = aclient;
  c->callback = callback;
  c->user_data = user_data;
  bgi_call_op_init(&c->call, aclient->client, api_name, input, call_options, raw);
  /* With BG_ASYNC_BORROW_INPUTS the caller keeps the input until the callback (async.h). */
  c->call.may_borrow = aclient->borrow_inputs;
  bgi_async_op *op = &c->head.op;
  bgi_async_op_init(op, &call_vtable, aclient->engine, call ? 2 : 1);

  /* Runs the interceptors' `before` hooks; their `after` hooks run when the call ends. */
  bg_status st = bgi_operation_prepare(&c->call.op, err);
  if (st == BG_OK && (st = copy_metadata(c, err)) != BG_OK)
    st = bgi_operation_abort(&c->call.op, st, err);
  if (st == BG_OK)
    st = bgi_async_op_launch(op, &c->call.op, err); /* aborts the operation when it fails */
  if (st != BG_OK) {
    bgi_async_op_free(op);
    return st;
  }
  /* From here the callback may already be running; `c` stays valid only through the
   * caller's reference. */
  if (call)
    *call = &c->head;
  return BG_OK;
}

BG_API bg_status bg_async_call(bg_async_client *aclient, const char *api_name,
                               const bg_value *input, const bg_call_options *call_options,
                               bg_async_call_cb callback, void *user_data, bg_async_op **call,
                               bg_error *err) {
  BGI_ERROR_SINK(err);
  return start(aclient, api_name, input, call_options, callback, user_data, call, false, err);
}

BG_API bg_status bg_async_call_raw(bg_async_client *aclient, const char *api_name,
                                   const bg_value *input, const bg_call_options *call_options,
                                   bg_async_call_cb callback, void *user_data, bg_async_op **call,
                                   bg_error *err) {
  BGI_ERROR_SINK(err);
  return start(aclient, api_name, input, call_options, callback, user_data, call, true, err);
}
