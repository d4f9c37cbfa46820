/* bg_async_call: the sync call path (bgi_call_prepare / bgi_call_complete) on the engine. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/async_internal.h"
#include "client/call_internal.h"
#include "error_internal.h"

typedef struct call_op {
  struct bg_async_call head; /* first: the handle */
  bg_async_client *owner;    /* valid until delivered (close delivers before freeing) */
  bgi_prepared_call prepared;
  grpc_metadata *metadata; /* our copy of the call options' metadata; slices referenced */
  size_t n_metadata;
  bgi_unary_result result;
  bool result_live; /* result needs bgi_unary_result_fini */
  bool batch_ok;
  bg_async_call_cb callback;
  void *user_data;
} call_op;

/* Gives everything back but the memory; safe to repeat. */
static void call_fini(call_op *c) {
  if (c->result_live)
    bgi_unary_result_fini(&c->result);
  c->result_live = false;
  bgi_prepared_call_fini(&c->prepared);
  for (size_t i = 0; i < c->n_metadata; i++) {
    grpc_slice_unref(c->metadata[i].key);
    grpc_slice_unref(c->metadata[i].value);
  }
  free(c->metadata);
  c->metadata = NULL;
  c->n_metadata = 0;
}

static bool call_completed(bgi_async_op *op, bool ok) {
  ((call_op *)op)->batch_ok = ok;
  return true;
}

/* The reply, decoded; interceptors' `after` hooks run inside bgi_call_complete(). */
static bg_status decode(call_op *c, bg_value **output, bg_error *err) {
  const bg_client *client = c->owner->client;
  /* The sync path retries once when the server wants a File input as serialized_bytes; the
   * input is gone by now, so this call fails and later ones are sent the new way. */
  bool switched = bgi_call_should_retry_file_as_bytes(&c->prepared, &c->result);
  bg_status st = bgi_call_complete(client, &c->prepared, &c->result, output, err);
  if (switched && st != BG_OK)
    bgi_error_prefix(err,
                     "the server takes File inputs as serialized_bytes only; later calls of "
                     "'%s' are sent so, call again",
                     c->prepared.api_name);
  return st;
}

static void call_deliver(bgi_async_op *op, bgi_cancel_reason reason) {
  call_op *c = (call_op *)op;
  const bg_client *client = c->owner->client;
  bg_error err;
  bgi_error_clear(&err);
  bg_value *output = NULL;
  bg_status st;
  if (reason != BGI_CANCEL_NONE || !c->batch_ok) {
    char what[300];
    snprintf(what, sizeof what, "call '%s'", c->prepared.api_name);
    st = reason != BGI_CANCEL_NONE
             ? bgi_async_fail_cancelled(&err, reason, what, client->url_text)
             : bgi_fail(&err, BG_ERR_INTERNAL, 0, "gRPC completion queue failed %s", what);
    /* interceptors see every call end, as in the sync path (they may only worsen it) */
    bg_status hooked =
        bgi_chain_after(client, c->prepared.api_name, &c->prepared.chain, NULL, st, &err);
    st = hooked != BG_OK ? hooked : st;
  } else {
    st = decode(c, &output, &err);
  }
  call_fini(c); /* the output owns its data; nothing below needs the call any more */
  c->callback(&c->head, st, output, &err, c->user_data);
}

static void call_free(bgi_async_op *op) {
  call_fini((call_op *)op);
  free(op);
}

static const bgi_async_op_vtable call_vtable = {
    .completed = call_completed, .deliver = call_deliver, .free = call_free};

/* Without interceptors bgi_call_prepare() points at the options' own metadata; copy it, so
 * the options may be freed as soon as bg_async_call() returns. */
static bg_status copy_metadata(call_op *c, bg_error *err) {
  size_t n = c->prepared.unary.n_metadata;
  if (n == 0 || c->prepared.unary.metadata == c->prepared.chain.metadata)
    return BG_OK;
  c->metadata = malloc(n * sizeof *c->metadata);
  if (!c->metadata)
    return BGI_FAIL_NOMEM(err);
  for (size_t i = 0; i < n; i++) {
    c->metadata[i] = c->prepared.unary.metadata[i];
    grpc_slice_ref(c->metadata[i].key);
    grpc_slice_ref(c->metadata[i].value);
  }
  c->n_metadata = n;
  c->prepared.unary.metadata = c->metadata;
  return BG_OK;
}

BG_API bg_status bg_async_call(bg_async_client *aclient, const char *api_name,
                               const bg_value *input, const bg_call_options *call_options,
                               bg_async_call_cb callback, void *user_data,
                               struct bg_async_call **call, bg_error *err) {
  BGI_ERROR_SINK(err);
  bgi_error_clear(err);
  if (call)
    *call = NULL;
  if (!aclient || !callback)
    return bgi_fail(err, BG_ERR_INVALID_ARGUMENT, 0,
                    "bg_async_call: client and callback must not be NULL");
  if (!aclient->discovered)
    return bgi_fail(err, BG_ERR_UNSUPPORTED, 0,
                    "this async client was made by bg_async_client_connect() without discovering "
                    "the APIs of %s; it can check health only. Create one with "
                    "bg_async_client_from_url() to call APIs",
                    aclient->client->url_text);
  call_op *c = calloc(1, sizeof *c);
  if (!c)
    return BGI_FAIL_NOMEM(err);
  bgi_async_op *op = &c->head.op;
  bgi_async_op_init(op, &call_vtable, aclient->engine, call ? 2 : 1);
  c->owner = aclient;
  c->callback = callback;
  c->user_data = user_data;

  /* Runs the interceptors' `before` hooks; their `after` hooks run when the call ends. */
  bg_status st =
      bgi_call_prepare(aclient->client, api_name, input, call_options, &c->prepared, err);
  if (st != BG_OK) {
    bgi_async_op_free(op);
    return st;
  }
  bool admitted = false;
  st = copy_metadata(c, err);
  if (st == BG_OK)
    admitted = (st = bgi_async_engine_admit(aclient->engine, op, err)) == BG_OK;
  if (st == BG_OK) {
    c->result_live = true;
    st = bgi_async_op_start(op, &c->prepared.unary, &c->result, err);
  }
  if (st != BG_OK) { /* nothing was sent: the interceptors see the call end here */
    bg_status hooked =
        bgi_chain_after(aclient->client, c->prepared.api_name, &c->prepared.chain, NULL, st, err);
    st = hooked != BG_OK ? hooked : st;
    if (admitted)
      bgi_async_engine_abandon(aclient->engine, op);
    bgi_async_op_free(op);
    return st;
  }
  /* From here the callback may already be running; `c` stays valid only through the
   * caller's reference. */
  if (call)
    *call = &c->head;
  return BG_OK;
}
