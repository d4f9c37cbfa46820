/* Cancel tokens (bg_cancel_token, options.h): the running sync calls a token can cancel. */
#ifndef BGI_TRANSPORT_CANCEL_H
#define BGI_TRANSPORT_CANCEL_H

#include <grpc/grpc.h>
#include <stdbool.h>
#include <stdint.h>

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

/* A file descriptor a sync call watches while it waits (bg_call_options_set_cancel_fd). */
typedef struct bgi_cancel_fd {
  int fd;            /* -1: none */
  bool any;          /* every byte cancels */
  uint8_t bytes[32]; /* bit set of the byte values that cancel (when !any) */
} bgi_cancel_fd;

/* How often a waiting sync call looks at its cancel fd. */
#define BGI_CANCEL_FD_CHECK_MS 20

/* Reads what `*fd` holds without blocking. true when a byte read is one of `watch`'s: the call
 * is to be cancelled. Sets *fd to -1 when the fd cannot be watched any more (the other end
 * closed, an error, not open): the call then waits on without it. */
bool bgi_cancel_fd_check(const bgi_cancel_fd *watch, int *fd);

#endif
