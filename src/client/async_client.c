/* bg_async_client life cycle, completion delivery (poll / fd / dispatch) and handles. */
#include <stdlib.h>

#include "client/async_internal.h"
#include "error_internal.h"

static bg_async_client *wrap(bg_client *client, bool owns, bool discovered, unsigned flags,
                             bg_error *err) {
  const unsigned known = BG_ASYNC_CALLBACK_THREAD | BG_ASYNC_BORROW_INPUTS;
  if (flags & ~known) {
    bgi_fail(err, BG_ERR_INVALID_ARGUMENT, 0,
             "unknown async client flags 0x%x; the flags are BG_ASYNC_CALLBACK_THREAD and "
             "BG_ASYNC_BORROW_INPUTS",
             flags & ~known);
    return NULL;
  }
  bg_async_client *ac = calloc(1, sizeof *ac);
  if (!ac) {
    BGI_FAIL_NOMEM(err);
    return NULL;
  }
  ac->engine = bgi_async_engine_create(flags & BG_ASYNC_CALLBACK_THREAD, err);
  if (!ac->engine) {
    free(ac);
    return NULL;
  }
  ac->client = client;
  ac->owns_client = owns;
  ac->discovered = discovered;
  ac->borrow_inputs = (flags & BG_ASYNC_BORROW_INPUTS) != 0;
  return ac;
}

BG_API bg_async_client *bg_async_client_from_url(const char *url, const bg_options *options,
                                                 unsigned flags, bg_error *err) {
  BGI_ERROR_SINK(err);
  bg_client *client = bg_client_from_url(url, options, err);
  if (!client)
    return NULL;
  bg_async_client *ac = wrap(client, true, true, flags, err);
  if (!ac)
    bg_client_close(client);
  return ac;
}

BG_API bg_async_client *bg_async_client_from_client(bg_client *client, unsigned flags,
                                                    bg_error *err) {
  BGI_ERROR_SINK(err);
  bgi_error_clear(err);
  if (!client) {
    bgi_fail(err, BG_ERR_INVALID_ARGUMENT, 0, "bg_async_client_from_client: client is NULL");
    return NULL;
  }
  return wrap(client, false, true, flags, err);
}

BG_API bg_async_client *bg_async_client_connect(const char *url, const bg_options *options,
                                                unsigned flags, bg_error *err) {
  BGI_ERROR_SINK(err);
  bgi_error_clear(err);
  bg_client *client = bgi_client_connect(url, options, 0, err);
  if (!client)
    return NULL;
  bg_async_client *ac = wrap(client, true, false, flags, err);
  if (!ac)
    bg_client_close(client);
  return ac;
}

BG_API void bg_async_client_close(bg_async_client *aclient) {
  if (!aclient)
    return;
  /* Runs every remaining callback, which may still read the client's registry. */
  bgi_async_engine_close(aclient->engine);
  if (aclient->owns_client)
    bg_client_close(aclient->client);
  free(aclient);
}

BG_API bg_client *bg_async_client_sync(const bg_async_client *aclient) {
  return aclient && aclient->discovered ? aclient->client : NULL;
}

BG_API bg_status bg_async_client_poll(bg_async_client *aclient, int64_t timeout_ms, size_t *n_run,
                                      bg_error *err) {
  BGI_ERROR_SINK(err);
  bgi_error_clear(err);
  if (!aclient) {
    if (n_run)
      *n_run = 0;
    return bgi_fail(err, BG_ERR_INVALID_ARGUMENT, 0, "bg_async_client_poll: client is NULL");
  }
  return bgi_async_engine_run_ready(aclient->engine, timeout_ms, n_run, err);
}

BG_API bg_status bg_async_client_dispatch(bg_async_client *aclient, size_t *n_run, bg_error *err) {
  BGI_ERROR_SINK(err);
  return bg_async_client_poll(aclient, 0, n_run, err);
}

BG_API int bg_async_client_fd(const bg_async_client *aclient) {
  return aclient ? bgi_async_engine_fd(aclient->engine) : -1;
}

BG_API size_t bg_async_client_pending(const bg_async_client *aclient) {
  return aclient ? bgi_async_engine_outstanding(aclient->engine) : 0;
}

BG_API bool bg_async_op_cancel(bg_async_op *call) {
  return call && bgi_async_op_cancel(&call->op, BGI_CANCEL_USER);
}

BG_API void bg_async_op_release(bg_async_op *call) {
  if (call)
    bgi_async_op_release(&call->op);
}

/* Deprecated spellings (docs/INTERNALS.md "Public names"), kept for this minor version. */
BG_API bool bg_async_call_cancel(bg_async_op *call) { return bg_async_op_cancel(call); }
BG_API void bg_async_call_release(bg_async_op *call) { bg_async_op_release(call); }
