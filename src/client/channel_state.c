/* bg_client_channel_state(): gRPC's connectivity state of the client's channel;
 * bg_client_wait_connected(): waiting until it is READY, and why not. */
#include <stdio.h>
#include <time.h>

#include "client/client_internal.h"
#include "client/health_internal.h"
#include "error_internal.h"
#include "transport/fork.h"

/* gRPC makes progress on a connection (its connect, a read of EOF) only while some thread
 * polls; a caller that only watches the state makes no calls, so this polls for a moment on
 * a private completion queue, returning early when the state changes. */
#define POLL_MS 10

static grpc_connectivity_state poll_state(grpc_channel *channel, grpc_connectivity_state seen) {
  grpc_completion_queue *cq = grpc_completion_queue_create_for_next(NULL);
  gpr_timespec deadline =
      gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC), gpr_time_from_millis(POLL_MS, GPR_TIMESPAN));
  grpc_channel_watch_connectivity_state(channel, seen, deadline, cq, NULL);
  grpc_completion_queue_next(cq, gpr_inf_future(GPR_CLOCK_MONOTONIC), NULL); /* the watch */
  grpc_completion_queue_shutdown(cq);
  while (grpc_completion_queue_next(cq, gpr_inf_future(GPR_CLOCK_MONOTONIC), NULL).type !=
         GRPC_QUEUE_SHUTDOWN)
    ;
  grpc_completion_queue_destroy(cq);
  return grpc_channel_check_connectivity_state(channel, 0);
}

BG_API bg_channel_state bg_client_channel_state(bg_client *client, bool try_to_connect) {
  /* in a forked child the channel is the parent's: not this process's to look at */
  if (!client || !client->channel || client->cq_pool.fork_generation != bgi_fork_generation())
    return BG_CHANNEL_SHUTDOWN;
  grpc_connectivity_state state =
      grpc_channel_check_connectivity_state(client->channel, try_to_connect ? 1 : 0);
  if (state != GRPC_CHANNEL_SHUTDOWN && (state != GRPC_CHANNEL_IDLE || try_to_connect))
    state = poll_state(client->channel, state);
  switch (state) {
  case GRPC_CHANNEL_IDLE: return BG_CHANNEL_IDLE;
  case GRPC_CHANNEL_CONNECTING: return BG_CHANNEL_CONNECTING;
  case GRPC_CHANNEL_READY: return BG_CHANNEL_READY;
  case GRPC_CHANNEL_TRANSIENT_FAILURE: return BG_CHANNEL_TRANSIENT_FAILURE;
  case GRPC_CHANNEL_SHUTDOWN: return BG_CHANNEL_SHUTDOWN;
  }
  return BG_CHANNEL_SHUTDOWN;
}

static int64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const char *state_name(bg_channel_state state) {
  switch (state) {
  case BG_CHANNEL_IDLE: return "IDLE";
  case BG_CHANNEL_CONNECTING: return "CONNECTING";
  case BG_CHANNEL_READY: return "READY";
  case BG_CHANNEL_TRANSIENT_FAILURE: return "TRANSIENT_FAILURE";
  case BG_CHANNEL_SHUTDOWN: return "SHUTDOWN";
  }
  return "SHUTDOWN";
}

BG_API bg_status bg_client_wait_connected(bg_client *client, int64_t timeout_ms, bg_error *err) {
  BGI_ERROR_SINK(err);
  bgi_error_clear(err);
  if (!client)
    return bgi_fail(err, BG_ERR_INVALID_ARGUMENT, 0, "bg_client_wait_connected: client is NULL");
  if (bgi_fork_check(client->cq_pool.fork_generation, "client", err) != BG_OK)
    return err->code;
  if (timeout_ms <= 0)
    return bgi_fail(err, BG_ERR_INVALID_ARGUMENT, 0,
                    "bg_client_wait_connected: timeout must be > 0 ms (got %lld)",
                    (long long)timeout_ms);
  const int64_t deadline = now_ms() + timeout_ms;
  bg_channel_state state;
  /* Each look lets gRPC work on the connection for up to 10 ms, returning early on a change. */
  while ((state = bg_client_channel_state(client, true)) != BG_CHANNEL_READY) {
    int64_t left = deadline - now_ms();
    if (state == BG_CHANNEL_TRANSIENT_FAILURE || state == BG_CHANNEL_SHUTDOWN) {
      /* gRPC's reason (and what answered instead, client/peer_advice.c) comes from one
       * Health/Check of the whole server on this channel, which fails at once while the
       * channel is in TRANSIENT_FAILURE; a server that answers it at all (UNIMPLEMENTED
       * included: servers without the health service) is reachable. */
      bgi_health_op h;
      bgi_health_op_init(&h, client, "", left > 1 ? left : 1);
      h.what = "connecting to the server";
      h.op.probe_peer = true;
      bg_status st = bgi_operation_run(&h.op, &client->cq_pool, err);
      bgi_operation_fini(&h.op);
      if (st != BG_ERR_UNAVAILABLE && st != BG_ERR_DEADLINE) {
        bgi_error_clear(err);
        return BG_OK;
      }
      if (st == BG_ERR_UNAVAILABLE)
        return st;
      left = 0; /* the check ran out of time: said below */
    }
    if (left <= 0)
      return bgi_fail(
          err, BG_ERR_DEADLINE, GRPC_STATUS_DEADLINE_EXCEEDED,
          "connecting to the server at %s failed: DEADLINE_EXCEEDED: no connection within "
          "%lld ms (the channel is %s) — is the server running and listening at that "
          "address, and does it speak gRPC?",
          client->url_text, (long long)timeout_ms, state_name(state));
  }
  return BG_OK;
}
