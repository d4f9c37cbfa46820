/* bg_client_channel_state(): gRPC's connectivity state of the client's channel. */
#include "client/client_internal.h"

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
  if (!client || !client->channel)
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
