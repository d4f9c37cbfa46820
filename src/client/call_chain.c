#include <stdio.h>
#include <string.h>

#include "client/call_chain.h"
#include "client/options_internal.h"
#include "error_internal.h"

static const char *compression_name(int algorithm) {
  switch (algorithm) {
  case BG_COMPRESSION_DEFLATE: return "deflate";
  case BG_COMPRESSION_GZIP: return "gzip";
  default: return "identity";
  }
}

static bg_call_context make_context(const bg_client *client, const char *api_name,
                                    bgi_call_chain *chain) {
  return (bg_call_context){.api = api_name,
                           .method = client->call_path,
                           .target = client->url_text,
                           .metadata = &chain->metadata,
                           .n_metadata = &chain->n_metadata,
                           .capacity = &chain->capacity,
                           .start_ns = chain->start_ns};
}

static bg_status run_after(const bg_client *client, const char *api_name, bgi_call_chain *chain,
                           const bg_response_metadata *response, bg_status status, bg_error *err) {
  bg_call_context ctx = make_context(client, api_name, chain);
  ctx.sealed = true;
  ctx.response = response;
  for (size_t i = chain->n_before; i-- > 0;) {
    const bg_interceptor *ic = client->options.interceptors[i];
    ctx.status = status;
    ctx.grpc_status = status == BG_OK ? 0 : err->grpc_status;
    ctx.message = status == BG_OK ? "" : err->message;
    if (!ic->after)
      continue;
    bg_error hook_err;
    bgi_error_clear(&hook_err);
    bg_status hook = ic->after(ic->state, &ctx, &hook_err);
    if (hook != BG_OK) {
      status = hook;
      *err = hook_err;
      err->code = hook;
      bgi_error_prefix(err, "interceptor '%s'", ic->name);
    }
  }
  return status;
}

/* Credentials travel only where nobody else can read them (gRPC's own call credentials
 * demand a secure channel): TLS, or a loopback/unix: target the caller opted in for. */
static bg_status check_credentials(const bg_client *client, const char *api_name,
                                   const grpc_metadata *md, size_t n, bg_error *err) {
  if (client->url.tls || client->options.channel.tls)
    return BG_OK;
  size_t i = 0;
  while (i < n && grpc_slice_str_cmp(md[i].key, "authorization") != 0)
    i++;
  if (i == n)
    return BG_OK;
  bool local = bgi_url_is_local(&client->url);
  if (client->options.allow_insecure_credentials && local)
    return BG_OK;
  /* The remedy comes before the echoed name and URL: a long name cannot push it out of the
   * message. Front ends word their own remedy from the reason. */
  return bgi_fail_reason(
      err, BG_ERR_INVALID_ARGUMENT, 0,
      local ? BG_REASON_INSECURE_CREDENTIALS : BG_REASON_INSECURE_CREDENTIALS_REMOTE,
      "refusing to send credentials (authorization metadata, e.g. from "
      "bg_call_options_set_bearer_token) over a plaintext channel, where they can be "
      "read on the way; nothing was sent. Use TLS (grpcs://, bg_options_set_tls)%s "
      "(call '%s' at %s)",
      local ? ", or opt in for this local server with "
              "bg_options_set_allow_insecure_credentials()"
            : "; bg_options_set_allow_insecure_credentials() covers loopback and unix: "
              "servers only",
      api_name, client->url_text);
}

bg_status bgi_chain_before(const bg_client *client, const char *api_name, const bg_call_options *co,
                           bgi_call_chain *chain, bgi_unary_call *unary, bg_error *err) {
  memset(chain, 0, sizeof *chain);
  chain->start_ns = bgi_now_ns();
  chain->sink = co ? co->response_metadata : NULL;
  bool own_list =
      client->options.n_interceptors > 0 || (co && co->credentials) || (co && co->compression >= 0);
  if (!own_list) /* the common case: hand the call options' metadata to gRPC as it is */
    return co ? check_credentials(client, api_name, co->metadata, co->n_metadata, err) : BG_OK;

  bg_status st = BG_OK;
  for (size_t i = 0; co && st == BG_OK && i < co->n_metadata; i++) {
    if (chain->n_metadata == chain->capacity) {
      size_t capacity = chain->capacity ? chain->capacity * 2 : 8;
      grpc_metadata *grown = realloc(chain->metadata, capacity * sizeof *grown);
      if (!grown) {
        st = BGI_FAIL_NOMEM(err);
        break;
      }
      chain->metadata = grown;
      chain->capacity = capacity;
    }
    grpc_metadata *md = &chain->metadata[chain->n_metadata++];
    *md = co->metadata[i];
    grpc_slice_ref(md->key);
    grpc_slice_ref(md->value);
  }
  if (st == BG_OK && co && co->compression >= 0) {
    /* gRPC Core's per-call compression switch (what C++'s set_compression_algorithm sets). */
    const char *name = compression_name(co->compression);
    st = bgi_metadata_append(&chain->metadata, &chain->n_metadata, &chain->capacity,
                             "grpc-internal-encoding-request", name, strlen(name), true, err);
  }
  bg_call_context ctx = make_context(client, api_name, chain);
  for (size_t i = 0; st == BG_OK && i < client->options.n_interceptors; i++) {
    const bg_interceptor *ic = client->options.interceptors[i];
    chain->n_before = i + 1;
    if (ic->before && (st = ic->before(ic->state, &ctx, err)) != BG_OK)
      bgi_error_prefix(err, "interceptor '%s' failed the call", ic->name);
  }
  if (st == BG_OK && co && co->credentials &&
      (st = co->credentials(co->credentials_data, &ctx, err)) != BG_OK)
    bgi_error_prefix(err, "the call's credentials callback failed the call");
  if (st == BG_OK)
    st = check_credentials(client, api_name, chain->metadata, chain->n_metadata, err);
  if (st != BG_OK) {
    err->code = st;
    return run_after(client, api_name, chain, NULL, st, err);
  }
  unary->metadata = chain->metadata;
  unary->n_metadata = chain->n_metadata;
  return BG_OK;
}

bg_status bgi_chain_after(const bg_client *client, const char *api_name, bgi_call_chain *chain,
                          const bgi_unary_result *result, bg_status status, bg_error *err) {
  bg_response_metadata scratch = {0};
  bg_response_metadata *response = chain->sink;
  if (!response && chain->n_before > 0)
    response = &scratch; /* interceptors read it even when the caller does not */
  if (response && result &&
      bgi_response_metadata_fill(response, &result->initial_metadata, &result->trailing_metadata) !=
          BG_OK &&
      status == BG_OK)
    status = BGI_FAIL_NOMEM(err);
  if (chain->n_before > 0)
    status = run_after(client, api_name, chain, result ? response : NULL, status, err);
  bgi_response_metadata_clear(&scratch);
  return status;
}

void bgi_chain_fini(bgi_call_chain *chain) {
  bgi_metadata_free(chain->metadata, chain->n_metadata);
  chain->metadata = NULL;
  chain->n_metadata = chain->capacity = 0;
}
