/* Cancel tokens (bg_cancel_token, options.h): the running sync calls a token can cancel. */
#ifndef BGI_TRANSPORT_CANCEL_H
#define BGI_TRANSPORT_CANCEL_H

#include <grpc/grpc.h>

#include "bentogrpc/options.h"

/* One running call registered with a token; lives on the caller's stack. */
typedef struct bgi_cancel_reg {
  grpc_call *call;
  struct bgi_cancel_reg *next;
} bgi_cancel_reg;

/* Registers `call` (started, not finished) with `token` (may be NULL: nothing happens).
 * A token cancelled before or after this cancels the call. */
void bgi_cancel_attach(bg_cancel_token *token, bgi_cancel_reg *reg, grpc_call *call);
/* Unregisters before the call is released. */
void bgi_cancel_detach(bg_cancel_token *token, bgi_cancel_reg *reg);

#endif
