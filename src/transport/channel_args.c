/* The gRPC Core channel arguments a client may pass through, with their types. Anything not
 * listed (server-only, pointer-valued, or misspelt) is refused instead of silently ignored,
 * which is what gRPC itself would do with an unknown key. */
#include <string.h>

#include "error_internal.h"
#include "transport/channel.h"

static const struct {
  const char *key;
  bool is_string;
} known[] = {
    {"grpc.census", false},
    {"grpc.loadreporting", false},
    {"grpc.minimal_stack", false},
    {"grpc.max_receive_message_length", false},
    {"grpc.max_send_message_length", false},
    {"grpc.client_idle_timeout_ms", false},
    {"grpc.per_message_compression", false},
    {"grpc.per_message_decompression", false},
    {"grpc.enable_deadline_checking", false},
    {"grpc.http2.initial_sequence_number", false},
    {"grpc.http2.lookahead_bytes", false},
    {"grpc.http2.hpack_table_size.decoder", false},
    {"grpc.http2.hpack_table_size.encoder", false},
    {"grpc.http2.max_frame_size", false},
    {"grpc.http2.bdp_probe", false},
    {"grpc.http2.min_time_between_pings_ms", false},
    {"grpc.http2.max_pings_without_data", false},
    {"grpc.http2.write_buffer_size", false},
    {"grpc.http2.true_binary", false},
    {"grpc.keepalive_time_ms", false},
    {"grpc.keepalive_timeout_ms", false},
    {"grpc.keepalive_permit_without_calls", false},
    {"grpc.default_authority", true},
    {"grpc.primary_user_agent", true},
    {"grpc.secondary_user_agent", true},
    {"grpc.min_reconnect_backoff_ms", false},
    {"grpc.max_reconnect_backoff_ms", false},
    {"grpc.initial_reconnect_backoff_ms", false},
    {"grpc.dns_min_time_between_resolutions_ms", false},
    {"grpc.ssl_target_name_override", true},
    {"grpc.tsi.max_frame_size", false},
    {"grpc.max_metadata_size", false},
    {"grpc.service_config", true},
    {"grpc.service_config_disable_resolution", false},
    {"grpc.lb_policy_name", true},
    {"grpc.enable_channelz", false},
    {"grpc.max_channel_trace_event_memory_per_node", false},
    {"grpc.experimental.tcp_read_chunk_size", false},
    {"grpc.experimental.tcp_tx_zerocopy_enabled", false},
    {"grpc.experimental.tcp_tx_zerocopy_send_bytes_threshold", false},
    {"grpc.experimental.tcp_tx_zerocopy_max_simultaneous_sends", false},
    {"grpc.grpclb_call_timeout_ms", false},
    {"grpc.grpclb_fallback_timeout_ms", false},
    {"grpc.priority_failover_timeout_ms", false},
    {"grpc.optimization_target", true},
    {"grpc.enable_retries", false},
    {"grpc.experimental.enable_hedging", false},
    {"grpc.per_rpc_retry_buffer_size", false},
    {"grpc.enable_http_proxy", false},
    {"grpc.http_proxy", true},
    {"grpc.surface_user_agent", false},
    {"grpc.inhibit_health_checking", false},
    {"grpc.dns_enable_srv_queries", false},
    {"grpc.dns_ares_query_timeout", false},
    {"grpc.use_local_subchannel_pool", false},
    {"grpc.channel_pooling_domain", true},
    {"grpc.default_compression_algorithm", false},
    {"grpc.default_compression_level", false},
    {"grpc.compression_enabled_algorithms_bitset", false},
};

bg_status bgi_channel_arg_check(const char *key, bool is_string, bg_error *err) {
  if (!key)
    return bgi_fail(err, BG_ERR_INVALID_ARGUMENT, 0, "channel argument key is NULL");
  for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) {
    if (strcmp(known[i].key, key) != 0)
      continue;
    if (known[i].is_string != is_string)
      return bgi_fail(err, BG_ERR_INVALID_ARGUMENT, 0,
                      "channel argument '%s' takes %s value; use bg_options_set_channel_arg_%s()",
                      key, known[i].is_string ? "a string" : "an integer",
                      known[i].is_string ? "string" : "int");
    return BG_OK;
  }
  return bgi_fail(err, BG_ERR_INVALID_ARGUMENT, 0,
                  "'%s' is not a gRPC channel argument a client can set (misspelt, server-only "
                  "or pointer-valued); see grpc_types.h",
                  key);
}
