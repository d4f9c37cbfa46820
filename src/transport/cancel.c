/* Cancel tokens: a thread-safe flag plus the list of running sync calls to cancel with it,
 * so a binding can stop a blocking bg_client_call() from another thread (Ctrl-C). */
#include "transport/cancel.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

struct bg_cancel_token {
  pthread_mutex_t mu;
  bool cancelled;
  bgi_cancel_reg *calls; /* running calls, each on its caller's stack */
};

BG_API bg_cancel_token *bg_cancel_token_new(void) {
  bg_cancel_token *t = calloc(1, sizeof *t);
  if (t && pthread_mutex_init(&t->mu, NULL) != 0) {
    free(t);
    return NULL;
  }
  return t;
}

BG_API void bg_cancel_token_free(bg_cancel_token *token) {
  if (!token)
    return;
  pthread_mutex_destroy(&token->mu);
  free(token);
}

BG_API void bg_cancel_token_cancel(bg_cancel_token *token) {
  if (!token)
    return;
  pthread_mutex_lock(&token->mu);
  token->cancelled = true;
  /* grpc_call_cancel is thread-safe; the lock keeps each call referenced until detached. */
  for (bgi_cancel_reg *r = token->calls; r; r = r->next)
    grpc_call_cancel(r->call, NULL);
  pthread_mutex_unlock(&token->mu);
}

BG_API bool bg_cancel_token_is_cancelled(bg_cancel_token *token) {
  if (!token)
    return false;
  pthread_mutex_lock(&token->mu);
  bool c = token->cancelled;
  pthread_mutex_unlock(&token->mu);
  return c;
}

BG_API void bg_cancel_token_reset(bg_cancel_token *token) {
  if (!token)
    return;
  pthread_mutex_lock(&token->mu);
  token->cancelled = false;
  pthread_mutex_unlock(&token->mu);
}

void bgi_cancel_attach(bg_cancel_token *token, bgi_cancel_reg *reg, grpc_call *call) {
  if (!token)
    return;
  reg->call = call;
  pthread_mutex_lock(&token->mu);
  reg->next = token->calls;
  token->calls = reg;
  if (token->cancelled)
    grpc_call_cancel(call, NULL);
  pthread_mutex_unlock(&token->mu);
}

void bgi_cancel_detach(bg_cancel_token *token, bgi_cancel_reg *reg) {
  if (!token)
    return;
  pthread_mutex_lock(&token->mu);
  for (bgi_cancel_reg **p = &token->calls; *p; p = &(*p)->next) {
    if (*p == reg) {
      *p = reg->next;
      break;
    }
  }
  pthread_mutex_unlock(&token->mu);
}

bool bgi_cancel_fd_check(const bgi_cancel_fd *watch, int *fd) {
  /* A bounded number of reads: a writer faster than us cannot keep the call here. */
  for (int round = 0; round < 16 && *fd >= 0; round++) {
    struct pollfd p = {.fd = *fd, .events = POLLIN};
    int n = poll(&p, 1, 0);
    if (n < 0 && errno == EINTR)
      continue;
    if (n == 0)
      return false;
    if (n < 0 || !(p.revents & POLLIN)) { /* POLLNVAL, or POLLHUP/POLLERR without data */
      *fd = -1;
      return false;
    }
    unsigned char buf[256];
    ssize_t got = read(*fd, buf, sizeof buf);
    if (got < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK))
      continue;     /* another reader took the bytes first */
    if (got <= 0) { /* end of file: the write end is closed; or an error */
      *fd = -1;
      return false;
    }
    for (ssize_t i = 0; i < got; i++)
      if (watch->any || (watch->bytes[buf[i] >> 3] & (1u << (buf[i] & 7))))
        return true;
    if ((size_t)got < sizeof buf)
      return false;
  }
  return false;
}
