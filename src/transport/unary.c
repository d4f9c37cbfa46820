#include <assert.h>
#include <string.h>

#include <grpc/support/time.h>

#include "error_internal.h"
#include "transport/unary.h"

static gpr_timespec deadline_from_ms(int64_t ms) {
  if (ms <= 0)
    return gpr_inf_future(GPR_CLOCK_MONOTONIC);
  return gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC), gpr_time_from_millis(ms, GPR_TIMESPAN));
}

bg_status bgi_unary_start(const bgi_unary_call *call, grpc_completion_queue *cq, void *tag,
                          bgi_unary_result *result, bg_error *err) {
  assert(((uintptr_t)tag & 1u) == 0); /* the low bit marks the status batch */
  bgi_unary_result_init(result);
  result->call =
      grpc_channel_create_registered_call(call->channel, NULL, GRPC_PROPAGATE_DEFAULTS, cq,
                                          call->method, deadline_from_ms(call->deadline_ms), NULL);
  if (!result->call)
    return bgi_fail(err, BG_ERR_INTERNAL, 0, "gRPC could not create the call");

  grpc_op ops[5];
  memset(ops, 0, sizeof ops);
  ops[0].op = GRPC_OP_SEND_INITIAL_METADATA;
  ops[0].data.send_initial_metadata.count = call->n_metadata;
  ops[0].data.send_initial_metadata.metadata = (grpc_metadata *)call->metadata;
  if (call->wait_for_ready)
    ops[0].flags =
        GRPC_INITIAL_METADATA_WAIT_FOR_READY | GRPC_INITIAL_METADATA_WAIT_FOR_READY_EXPLICITLY_SET;
  ops[1].op = GRPC_OP_SEND_MESSAGE;
  ops[1].data.send_message.send_message = call->request;
  ops[2].op = GRPC_OP_SEND_CLOSE_FROM_CLIENT;
  ops[3].op = GRPC_OP_RECV_INITIAL_METADATA;
  ops[3].data.recv_initial_metadata.recv_initial_metadata = &result->initial_metadata;
  ops[4].op = GRPC_OP_RECV_MESSAGE;
  ops[4].data.recv_message.recv_message = &result->response;

  grpc_call_error started = grpc_call_start_batch(result->call, ops, 5, tag, NULL);
  if (started != GRPC_CALL_OK)
    return bgi_fail(err, BG_ERR_INTERNAL, 0, "gRPC refused to start the call (grpc_call_error %d)",
                    (int)started);

  grpc_op status;
  memset(&status, 0, sizeof status);
  status.op = GRPC_OP_RECV_STATUS_ON_CLIENT;
  status.data.recv_status_on_client.trailing_metadata = &result->trailing_metadata;
  status.data.recv_status_on_client.status = &result->status;
  status.data.recv_status_on_client.status_details = &result->details;
  if (grpc_call_start_batch(result->call, &status, 1, bgi_unary_status_tag(tag), NULL) !=
      GRPC_CALL_OK) {
    /* Never expected (each op is started once). The main batch is out: end the call and let
     * the caller wait for it, as for any finished call. */
    grpc_call_cancel(result->call, NULL);
    result->status = GRPC_STATUS_INTERNAL;
    result->details = grpc_slice_from_static_string("gRPC refused the call's status batch");
    result->status_done = true;
    result->status_ok = true;
  }
  return BG_OK;
}

static bool needs_probe(const bgi_unary_result *result) {
  return result->main_done && !result->status_done && !result->probed && result->response;
}

void bgi_unary_probe(bgi_unary_result *result, void *tag) {
  if (!needs_probe(result))
    return;
  result->probed = true;
  grpc_op op;
  memset(&op, 0, sizeof op);
  op.op = GRPC_OP_RECV_MESSAGE;
  op.data.recv_message.recv_message = &result->extra;
  if (grpc_call_start_batch(result->call, &op, 1, tag, NULL) == GRPC_CALL_OK)
    result->probing = true;
  else /* never expected; without the probe only a cancel is sure to end the call */
    grpc_call_cancel_with_status(result->call, GRPC_STATUS_INTERNAL,
                                 "gRPC refused to read past the reply message", NULL);
}

bgi_unary_state bgi_unary_step(bgi_unary_result *result, void *event_tag, bool ok) {
  if (event_tag != bgi_unary_call_tag(event_tag)) {
    result->status_done = true;
    result->status_ok = ok;
  } else if (result->probing) {
    result->probing = false;
    if (result->extra) { /* a unary reply has one message: stop a streaming server here */
      grpc_byte_buffer_destroy(result->extra);
      result->extra = NULL;
      result->extra_message = true;
      grpc_call_cancel_with_status(result->call, GRPC_STATUS_INTERNAL,
                                   "more than one reply message on a unary call", NULL);
    }
  } else {
    result->main_done = true;
    if (!ok) /* no second message can follow a failed batch */
      result->probed = true;
  }
  if (!result->main_done || !result->status_done || result->probing)
    return needs_probe(result) ? BGI_UNARY_PROBE : BGI_UNARY_RUNNING;
  if (result->extra_message) /* even if the server's OK arrived before the cancel */
    result->status = GRPC_STATUS_INTERNAL;
  return BGI_UNARY_DONE;
}

void bgi_unary_result_init(bgi_unary_result *result) {
  memset(result, 0, sizeof *result);
  result->details = grpc_empty_slice();
  grpc_metadata_array_init(&result->initial_metadata);
  grpc_metadata_array_init(&result->trailing_metadata);
}

void bgi_unary_result_fini(bgi_unary_result *result) {
  if (result->call)
    grpc_call_unref(result->call);
  result->call = NULL;
  grpc_slice_unref(result->details);
  if (result->response)
    grpc_byte_buffer_destroy(result->response);
  result->response = NULL;
  if (result->extra)
    grpc_byte_buffer_destroy(result->extra);
  result->extra = NULL;
  grpc_metadata_array_destroy(&result->initial_metadata);
  grpc_metadata_array_destroy(&result->trailing_metadata);
}

static const char *hint_for(grpc_status_code status) {
  switch (status) {
  case GRPC_STATUS_UNAVAILABLE:
    return " — is the server running and listening at that address? ('bentogrpc health "
           "ADDRESS' checks it; set wait-for-ready to wait for it)";
  case GRPC_STATUS_UNIMPLEMENTED:
    return " — the server does not implement this method; is it a BentoML gRPC server "
           "speaking the same protocol version?";
  case GRPC_STATUS_RESOURCE_EXHAUSTED:
    return " — if a message is too large, raise the limit (-1 for none)";
  case GRPC_STATUS_UNAUTHENTICATED:
  case GRPC_STATUS_PERMISSION_DENIED: return " — check the credentials the client sends";
  default: return "";
  }
}

static bool contains(const char *text, size_t n, const char *needle) {
  size_t m = strlen(needle);
  for (size_t i = 0; n >= m && i <= n - m; i++)
    if (memcmp(text + i, needle, m) == 0)
      return true;
  return false;
}

bg_status bgi_fail_from_grpc(bg_error *err, const bgi_unary_result *result, const char *what,
                             const char *address, int64_t deadline_ms) {
  if (result->extra_message)
    return bgi_fail(err, BG_ERR_PROTOCOL, 0,
                    "%s at %s: the server sent more than one reply message to a unary call, "
                    "which breaks the protocol; the call was cancelled (is the method a "
                    "BentoML unary RPC there?)",
                    what, address);
  const char *name = bg_grpc_status_name(result->status);
  int n = (int)GRPC_SLICE_LENGTH(result->details);
  const char *details = (const char *)GRPC_SLICE_START_PTR(result->details);
  if (n == 0) {
    details = "(no message)";
    n = (int)strlen(details);
  }
  bg_status code;
  switch (result->status) {
  case GRPC_STATUS_DEADLINE_EXCEEDED:
    return bgi_fail(err, BG_ERR_DEADLINE, result->status,
                    "%s at %s: DEADLINE_EXCEEDED: no answer within the %lld ms deadline; raise "
                    "the deadline or check the server's load",
                    what, address, (long long)deadline_ms);
  case GRPC_STATUS_UNAVAILABLE: code = BG_ERR_UNAVAILABLE; break;
  case GRPC_STATUS_CANCELLED: code = BG_ERR_CANCELLED; break;
  default: code = BG_ERR_SERVER; break;
  }
  /* gRPC says which side's limit an oversized message hit; name the option to raise. */
  const char *hint = hint_for(result->status), *size_hint = "";
  bg_reason reason = BG_REASON_NONE;
  if (result->status == GRPC_STATUS_RESOURCE_EXHAUSTED) {
    if (contains(details, (size_t)n, "metadata size"))
      hint = " — the reply's metadata (headers or trailers) is larger than the client accepts; "
             "raise the metadata limit, gRPC's grpc.max_metadata_size (default 8 KiB), with "
             "bg_options_set_max_metadata_size()";
    else if (n >= 8 && memcmp(details, "Received", 8) == 0) {
      size_hint = " with bg_options_set_max_receive_size()";
      reason = BG_REASON_REPLY_TOO_LARGE;
    } else if (n >= 4 && memcmp(details, "Sent", 4) == 0)
      size_hint = " with bg_options_set_max_send_size()";
  }
  return bgi_fail_reason(err, code, result->status, reason, "%s at %s failed: %s: %.*s%s%s", what,
                         address, name, n, details, hint, size_hint);
}
