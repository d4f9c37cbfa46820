/* What is really at the other end when an RPC failed because no gRPC server answered: a name
 * that does not resolve, an HTTP/1.x server (BentoML's HTTP port, most often), an HTTP/2 web
 * server or proxy answering with an HTTP status, or something that does not speak HTTP/2 at
 * all. gRPC Core's status details say which (their words, Core 1.51, are matched below); for an
 * HTTP/1.x server only a look at it (transport/peer_probe.c, sync operations only) tells
 * BentoML's HTTP server apart. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "client/client_internal.h"
#include "error_internal.h"
#include "log_internal.h"
#include "transport/peer_probe.h"

/* gRPC Core's words (lower-cased) in a status's details. */
#define CORE_HTTP2_STATUS "received http2 header with status: " /* :status not 200 */
#define CORE_DNS_FAILED   "dns resolution failed"               /* c-ares and native */
#define CORE_HTTP1_REPLY  "http1.x server"                      /* "HTTP/1." came back */
#define CORE_NOT_HTTP2    "failed parsing http/2"               /* bytes, not HTTP/2 */

static const char *reason_phrase(int status) {
  switch (status) {
  case 400: return " Bad Request";
  case 401: return " Unauthorized";
  case 403: return " Forbidden";
  case 404: return " Not Found";
  case 405: return " Method Not Allowed";
  case 407: return " Proxy Authentication Required";
  case 408: return " Request Timeout";
  case 413: return " Content Too Large";
  case 421: return " Misdirected Request";
  case 429: return " Too Many Requests";
  case 500: return " Internal Server Error";
  case 501: return " Not Implemented";
  case 502: return " Bad Gateway";
  case 503: return " Service Unavailable";
  case 504: return " Gateway Timeout";
  default: return "";
  }
}

static const char *proxy_advice(int status) {
  switch (status) {
  case 502:
  case 503:
  case 504:
    return "the proxy (an ingress or load balancer) has no working gRPC server behind it: check "
           "that the BentoML gRPC server (`bentoml serve-grpc`) is up and that the proxy "
           "forwards to its port as HTTP/2 gRPC (an nginx ingress needs the annotation "
           "nginx.ingress.kubernetes.io/backend-protocol: \"GRPC\")";
  case 404:
  case 405:
  case 501:
    return "it has no route to BentoML's gRPC service: point the client at the gRPC port "
           "(`bentoml serve-grpc`, or the deployment's gRPC port), or route this host's "
           "/bentoml.grpc.* paths to it as HTTP/2 gRPC";
  case 401:
  case 403:
  case 407:
    return "it wants credentials, or refused the ones sent: send them as call metadata "
           "(bg_call_options_set_bearer_token(), bg_call_options_add_metadata())";
  case 429: return "it limits the request rate: call again later, or less often";
  default:
    return "check that the address is the gRPC port (`bentoml serve-grpc`, or the deployment's "
           "gRPC port) and that every proxy on the way forwards HTTP/2 gRPC";
  }
}

static int64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* gRPC's status details, lower-cased into `details` (cut to its size); returns their length. */
static size_t lower_details(const bgi_unary_result *result, char *details, size_t size) {
  size_t n = GRPC_SLICE_LENGTH(result->details);
  n = n < size - 1 ? n : size - 1;
  const char *raw = (const char *)GRPC_SLICE_START_PTR(result->details);
  for (size_t i = 0; i < n; i++)
    details[i] = (char)tolower((unsigned char)raw[i]);
  details[n] = '\0';
  return n;
}

bool bgi_peer_is_http_status(const bgi_unary_result *result) {
  char details[1024];
  lower_details(result, details, sizeof details);
  return strstr(details, CORE_HTTP2_STATUS) != NULL;
}

bool bgi_peer_advice(const bg_client *client, const bgi_unary_result *result, const char *what,
                     bool may_probe, bg_error *err) {
  char details[1024];
  const int dn = (int)lower_details(result, details, sizeof details);
  const char *raw = (const char *)GRPC_SLICE_START_PTR(result->details);
  const char *name = bg_grpc_status_name(result->status);
  const char *address = client->url_text;

  /* An HTTP/2 server that is not gRPC: Core maps its :status to a gRPC status (404
   * UNIMPLEMENTED, 502/503/504 UNAVAILABLE, ...), whatever that status is. */
  const char *http2 = strstr(details, CORE_HTTP2_STATUS);
  if (http2) {
    int status = atoi(http2 + strlen(CORE_HTTP2_STATUS));
    bg_status code = result->status == GRPC_STATUS_UNAVAILABLE ? BG_ERR_UNAVAILABLE : BG_ERR_SERVER;
    bgi_fail(err, code, result->status,
             "%s at %s failed: an HTTP/2 web server or proxy answered with HTTP status %d%s, not "
             "a gRPC server — %s (no grpc-status came; gRPC made it %s: %.*s)",
             what, address, status, reason_phrase(status), proxy_advice(status), name, dn, raw);
    return true;
  }
  if (result->status != GRPC_STATUS_UNAVAILABLE)
    return false;

  if (strstr(details, CORE_DNS_FAILED)) {
    bgi_fail(err, BG_ERR_UNAVAILABLE, result->status,
             "%s at %s failed: cannot resolve host name '%s' — check the name's spelling and "
             "that the DNS server asked knows it (a Kubernetes service name resolves only "
             "inside its cluster, as NAME.NAMESPACE.svc.cluster.local), or connect by IP "
             "address (%s: %.*s)",
             what, address, client->url.host, name, dn, raw);
    return true;
  }

  bool tls = client->url.tls || client->options.channel.tls;
  bool http1_reply = !tls && strstr(details, CORE_HTTP1_REPLY);
  bool not_http2 = !tls && strstr(details, CORE_NOT_HTTP2);
  /* a plaintext client whose connection was closed or reset as it was set up (an HTTP/1.x
   * server may do that to the HTTP/2 preface, as a TLS-only one does), or a TLS client whose
   * peer did not answer in TLS: only a look tells an HTTP/1.x server */
  bool closed = !tls && (strstr(details, "socket closed") || strstr(details, "connection reset"));
  bool not_tls =
      tls && (strstr(details, "wrong version number") || strstr(details, "wrong_version_number"));
  if (!http1_reply && !not_http2 && !closed && !not_tls)
    return false;

  bgi_peer peer = {.kind = BGI_PEER_UNKNOWN};
  if (may_probe) {
    int64_t started = now_ms();
    bgi_peer_probe(&client->url, BGI_PEER_PROBE_BUDGET_MS, &peer);
    static const char *const kinds[] = {"no HTTP/1.x answer", "an answer that is not HTTP/1.x",
                                        "an HTTP/1.x server",
                                        "BentoML's HTTP server (/livez, /readyz, /docs.json)"};
    bgi_log(BG_LOG_INFO,
            "%s at %s failed (%s); a plain HTTP/1.1 look at the address found %s "
            "in %lld ms",
            what, address, name, kinds[peer.kind], (long long)(now_ms() - started));
  }
  const char *version = peer.version[0] ? peer.version : "HTTP/1.x";
  const char *over = tls ? "in plain text (no TLS), " : "";
  if (peer.kind == BGI_PEER_BENTOML_HTTP) {
    bgi_fail(err, BG_ERR_UNAVAILABLE, result->status,
             "%s at %s failed: this is BentoML's HTTP port, not its gRPC port: the server "
             "answered %sin %s, and GET /livez, /readyz and /docs.json answer as BentoML's HTTP "
             "server (`bentoml serve`) does — BentoML serves gRPC with `bentoml serve-grpc` (or "
             "on the deployment's gRPC port): point the client at that port (%s: %.*s)",
             what, address, over, version, name, dn, raw);
    return true;
  }
  if (peer.kind == BGI_PEER_HTTP1 || http1_reply) {
    bgi_fail(err, BG_ERR_UNAVAILABLE, result->status,
             "%s at %s failed: the server answered %sin %s, not gRPC (which is HTTP/2): a web "
             "server's port, such as BentoML's HTTP server (`bentoml serve`), not a gRPC "
             "server's — point the client at the gRPC port (`bentoml serve-grpc`, or the "
             "deployment's gRPC port) (%s: %.*s)",
             what, address, over, version, name, dn, raw);
    return true;
  }
  if (not_http2) {
    bgi_fail(err, BG_ERR_UNAVAILABLE, result->status,
             "%s at %s failed: a server answered, but not in HTTP/2, so it is not a gRPC server "
             "— check the port: it may belong to another service (an HTTP/1.x web server, a "
             "database, ...); BentoML serves gRPC with `bentoml serve-grpc` (%s: %.*s)",
             what, address, name, dn, raw);
    return true;
  }
  return false; /* closed, reset or not TLS, and no HTTP/1.x server seen: the TLS advice */
}
