/* Representation of bg_client and bg_api, shared by the client modules. */
#ifndef BGI_CLIENT_CLIENT_INTERNAL_H
#define BGI_CLIENT_CLIENT_INTERNAL_H

#include <grpc/grpc.h>
#include <stdatomic.h>

#include "bentogrpc/client.h"
#include "client/options_internal.h"
#include "descriptors/descriptor.h"
#include "engine/cq_pool.h"
#include "transport/unary.h"
#include "transport/url.h"

/* One side (input or output) of an API. */
typedef struct bgi_api_io {
  char *descriptor_id;              /* NULL when the server sent none */
  char *attributes_json;            /* never NULL after discovery */
  const bgi_descriptor *descriptor; /* NULL when unsupported */
  void *spec;
} bgi_api_io;

struct bg_api {
  char *name;
  char *docs; /* NULL when absent */
  bgi_api_io input;
  bgi_api_io output;
  char *unsupported_reason;  /* NULL when supported */
  atomic_bool file_as_bytes; /* the server refused `file`; send serialized_bytes (§4.6) */
};

struct bg_client {
  char *url_text;
  bgi_url url;
  struct bg_options options;
  grpc_channel *channel;
  void *call_method;      /* registered /bentoml.grpc.<v>.BentoService/Call */
  void *metadata_method;  /* registered .../ServiceMetadata */
  void *health_method;    /* registered /grpc.health.v1.Health/Check */
  void *watch_method;     /* registered /grpc.health.v1.Health/Watch */
  char bento_service[64]; /* "bentoml.grpc.<v>.BentoService" */
  char call_path[96];     /* "/bentoml.grpc.<v>.BentoService/Call" */
  bgi_protocol protocol;  /* options.protocol_version, decided once at connect */
  bgi_cq_pool cq_pool;
  char *service_name;
  char *service_docs;
  bg_api *apis;
  size_t n_apis;
  char **nul_names; /* APIs left out: their names hold a NUL byte (kept: the part before it) */
  size_t n_nul_names;
  bool discovered; /* false for bg_client_open(): no registry to call through */
};

/* Opens the channel and registers the methods; no RPC is made. On failure the client is
 * freed and NULL returned. Used by bg_client_from_url() and the readiness poller. */
/* `reconnect_backoff_ms` > 0 caps gRPC's reconnect backoff (readiness polling must notice a
 * server that comes up between polls); 0 keeps gRPC's default. */
bg_client *bgi_client_connect(const char *url, const bg_options *options,
                              int64_t reconnect_backoff_ms, bg_error *err);

/* bgi_fail_from_grpc() for this client's calls. What is really at the other end is said first
 * (bgi_peer_advice); then an UNAVAILABLE status whose words point at TLS is explained: as a
 * failed handshake on a TLS channel, and on a plaintext channel as a server that wants TLS
 * (grpcs://, a CA). `may_probe`: bgi_peer_advice may look at the peer (bgi_operation.probe_peer).
 */
bg_status bgi_client_fail(const bg_client *client, bg_error *err, const bgi_unary_result *result,
                          const char *what, int64_t deadline_ms, bool may_probe);

/* Explains a failed RPC by what answered instead of a gRPC server, from gRPC's status details:
 * a host name that does not resolve, an HTTP/2 web server or proxy's HTTP status, an HTTP/1.x
 * server (BentoML's HTTP port, told apart by a look at it when `may_probe`, at most
 * BGI_PEER_PROBE_BUDGET_MS), or a peer that does not speak HTTP/2. Fills `err` and returns true;
 * false when the details say none of these (err untouched). In client/peer_advice.c. */
bool bgi_peer_advice(const bg_client *client, const bgi_unary_result *result, const char *what,
                     bool may_probe, bg_error *err);

/* true when the status came from an HTTP/2 server that is not gRPC (Core's "Received http2
 * header with status: N"): its UNIMPLEMENTED is a 404, not a gRPC server's answer. */
bool bgi_peer_is_http_status(const bgi_unary_result *result);

/* Calls ServiceMetadata and fills the API registry. */
bg_status bgi_client_discover(bg_client *client, bg_error *err);

/* Frees the registry entries. */
void bgi_api_fini(bg_api *api);

#endif
