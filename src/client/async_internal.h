/* Representation of bg_async_client and the common head of its operations, shared by the
 * async client modules (client life cycle, calls, health). */
#ifndef BGI_CLIENT_ASYNC_INTERNAL_H
#define BGI_CLIENT_ASYNC_INTERNAL_H

#include "bentogrpc/async.h"
#include "client/client_internal.h"
#include "engine/async_engine.h"

struct bg_async_client {
  bg_client *client;  /* channel, registered methods and API registry */
  bool owns_client;   /* opened by us (from_url / connect): closed with us */
  bool discovered;    /* false for bg_async_client_connect(): health only */
  bool borrow_inputs; /* BG_ASYNC_BORROW_INPUTS: large ndarrays go out from the caller's buffer */
  bgi_async_engine *engine;
};

/* The public handle of every operation kind: each kind embeds this first. */
struct bg_async_call {
  bgi_async_op op;
};

#endif
