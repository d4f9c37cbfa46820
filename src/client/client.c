/* Client lifetime: connect, discover, close. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/client_internal.h"
#include "error_internal.h"
#include "log_internal.h"
#include "transport/channel.h"
#include "transport/fork.h"
#include "transport/unary.h"

static void register_methods(bg_client *client) {
  char path[128];
  snprintf(client->call_path, sizeof client->call_path, "/%s/Call", client->bento_service);
  client->call_method = grpc_channel_register_call(client->channel, client->call_path, NULL, NULL);
  snprintf(path, sizeof path, "/%s/ServiceMetadata", client->bento_service);
  client->metadata_method = grpc_channel_register_call(client->channel, path, NULL, NULL);
  client->health_method =
      grpc_channel_register_call(client->channel, "/grpc.health.v1.Health/Check", NULL, NULL);
  client->watch_method =
      grpc_channel_register_call(client->channel, "/grpc.health.v1.Health/Watch", NULL, NULL);
}

bg_client *bgi_client_connect(const char *url, const bg_options *options,
                              int64_t reconnect_backoff_ms, bg_error *err) {
  bgi_url parsed;
  if (bgi_url_parse(url, &parsed, err) != BG_OK || bgi_fork_check_new_client(err) != BG_OK)
    return NULL;
  if (parsed.tls && options && options->channel.tls_off) {
    bgi_fail(err, BG_ERR_INVALID_ARGUMENT, 0,
             "address '%s' asks for TLS (grpcs://) but bg_options_set_tls(false) turned TLS off; "
             "drop one of the two (grpc://host:port is plaintext)",
             url);
    return NULL;
  }
  bg_client *client = calloc(1, sizeof *client);
  char *url_text = strdup(url);
  if (!client || !url_text) {
    free(client);
    free(url_text);
    BGI_FAIL_NOMEM(err);
    return NULL;
  }
  client->url_text = url_text;
  client->url = parsed;
  if (!options)
    bgi_options_init_defaults(&client->options);
  else if (bgi_options_copy(&client->options, options, err) != BG_OK) {
    free(client);
    free(url_text);
    return NULL;
  }
  snprintf(client->bento_service, sizeof client->bento_service, "bentoml.grpc.%s.BentoService",
           client->options.protocol_version);
  client->protocol = strcmp(client->options.protocol_version, "v1alpha1") == 0
                         ? BGI_PROTOCOL_V1ALPHA1
                         : BGI_PROTOCOL_V1;

  bgi_log(BG_LOG_INFO, "connecting to %s (protocol %s)", url_text,
          client->options.protocol_version);
  bgi_fork_enter(); /* gRPC work: a fork waits for it (transport/fork.h) */
  bgi_grpc_init();  /* reference counted; balanced in bg_client_close() */
  bgi_cq_pool_init(&client->cq_pool);
  bgi_channel_config config = client->options.channel;
  config.reconnect_backoff_ms = reconnect_backoff_ms;
  client->channel = bgi_channel_create(&client->url, &config);
  register_methods(client);
  bgi_fork_leave();
  return client;
}

/* gRPC's words for a failed TLS set-up: a handshake error, or the peer closing the socket
 * during it (what a mutual-TLS server does to a client without a certificate, and a TLS
 * server to a plaintext client). A refused connection or an application's own UNAVAILABLE
 * is not one. */
static bool looks_like_handshake(const bgi_unary_result *result) {
  static const char *const words[] = {"handshake", "ssl", "tls", "certificate", "socket closed"};
  char details[512];
  size_t n = GRPC_SLICE_LENGTH(result->details);
  n = n < sizeof details - 1 ? n : sizeof details - 1;
  for (size_t i = 0; i < n; i++)
    details[i] = (char)tolower(GRPC_SLICE_START_PTR(result->details)[i]);
  details[n] = '\0';
  for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
    if (strstr(details, words[i]))
      return true;
  return false;
}

bg_status bgi_client_fail(const bg_client *client, bg_error *err, const bgi_unary_result *result,
                          const char *what, int64_t deadline_ms, bool may_probe) {
  if (bgi_peer_advice(client, result, what, may_probe, err))
    return err->code;
  bool tls = client->url.tls || client->options.channel.tls;
  if (result->status != GRPC_STATUS_UNAVAILABLE || !looks_like_handshake(result))
    return bgi_fail_from_grpc(err, result, what, client->url_text, deadline_ms);
  int n = (int)GRPC_SLICE_LENGTH(result->details);
  bgi_log(BG_LOG_WARN, "%s at %s: the connection failed while it was set up: %s", what,
          client->url_text,
          tls ? "check the CA (bg_options_set_root_certs_*), the certificate's name "
                "(bg_options_set_authority) and, for mutual TLS, the client certificate "
                "(bg_options_set_client_cert_*)"
              : "a TLS-only server does this to a plaintext client; try grpcs://");
  if (!tls) /* a TLS-only server closes the socket on a plaintext client's first bytes */
    return bgi_fail_reason(
        err, BG_ERR_UNAVAILABLE, GRPC_STATUS_UNAVAILABLE, BG_REASON_TLS_REQUIRED,
        "%s at %s failed: the server closed the connection while it was set up "
        "(UNAVAILABLE: %.*s), which is what a TLS-only server does to a plaintext "
        "client — if it speaks TLS, connect with grpcs://HOST:PORT (or "
        "bg_options_set_tls) and, for a private CA, give its certificate "
        "(bg_options_set_root_certs_file)",
        what, client->url_text, n, (const char *)GRPC_SLICE_START_PTR(result->details));
  return bgi_fail_reason(
      err, BG_ERR_UNAVAILABLE, GRPC_STATUS_UNAVAILABLE, BG_REASON_TLS_HANDSHAKE,
      "%s at %s failed: the TLS handshake did not complete (UNAVAILABLE: %.*s) — "
      "check that the server speaks TLS, that the CA given verifies its certificate "
      "(bg_options_set_root_certs_*), that the certificate carries the name used "
      "(bg_options_set_authority) and, if the server requires mutual TLS, the client "
      "certificate (bg_options_set_client_cert_*)",
      what, client->url_text, n, (const char *)GRPC_SLICE_START_PTR(result->details));
}

static bg_status refuse_old_protocol(const bg_client *client, bg_error *err) {
  return bgi_fail(
      err, BG_ERR_UNSUPPORTED, 0,
      "protocol version %s has no ServiceMetadata RPC, so bg_client_from_url() cannot discover "
      "the APIs of %s (BentoML's own client refuses versions older than v1 for the same "
      "reason). Use v1 if the server offers it (BentoML's default). To call a %s server, open "
      "it without discovery and name the API yourself; the content field follows the input's "
      "kind: `bg_client *c = bg_client_open(url, options, &err); bg_client_call_raw(c, "
      "\"predict\", input, &output, NULL, &err);` (sent to "
      "/bentoml.grpc.%s.BentoService/Call; async: bg_async_client_connect() + "
      "bg_async_call_raw(); see client.h, async.h and README.md)",
      client->options.protocol_version, client->url_text, client->options.protocol_version,
      client->options.protocol_version);
}

BG_API bg_client *bg_client_from_url(const char *url, const bg_options *options, bg_error *err) {
  BGI_ERROR_SINK(err);
  bgi_error_clear(err);
  bg_client *client = bgi_client_connect(url, options, 0, err);
  if (!client)
    return NULL;
  bg_status st = client->protocol != BGI_PROTOCOL_V1 ? refuse_old_protocol(client, err)
                                                     : bgi_client_discover(client, err);
  client->discovered = st == BG_OK;
  if (st != BG_OK) {
    bg_client_close(client);
    return NULL;
  }
  return client;
}

BG_API bg_client *bg_client_open(const char *url, const bg_options *options, bg_error *err) {
  BGI_ERROR_SINK(err);
  bgi_error_clear(err);
  bg_client *client = bgi_client_connect(url, options, 0, err);
  if (client && !(client->service_name = strdup(""))) {
    bg_client_close(client);
    BGI_FAIL_NOMEM(err);
    return NULL;
  }
  return client;
}

BG_API void bg_client_close(bg_client *client) {
  if (!client)
    return;
  for (size_t i = 0; i < client->n_apis; i++)
    bgi_api_fini(&client->apis[i]);
  for (size_t i = 0; i < client->n_nul_names; i++)
    free(client->nul_names[i]);
  free(client->nul_names);
  free(client->apis);
  free(client->service_name);
  free(client->service_docs);
  /* In a child of the process that made it, the channel's connection is the parent's: leave it
   * (and gRPC's reference) alone; only this process's memory is freed. */
  bool forked = client->cq_pool.fork_generation != bgi_fork_generation();
  bgi_fork_enter();
  if (!forked)
    grpc_channel_destroy(client->channel);
  bgi_cq_pool_fini(&client->cq_pool);
  if (!forked)
    grpc_shutdown();
  bgi_fork_leave();
  free(client->url_text);
  bgi_options_fini(&client->options);
  free(client);
}

BG_API const char *bg_client_service_name(const bg_client *client) {
  return client && client->service_name ? client->service_name : "";
}

BG_API const char *bg_client_service_docs(const bg_client *client) {
  return client && client->service_docs ? client->service_docs : "";
}

BG_API const char *bg_client_url(const bg_client *client) { return client ? client->url_text : ""; }
