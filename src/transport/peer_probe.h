/* What answers at an address where gRPC failed: a few plain HTTP/1.1 requests, run only on the
 * failure path of a sync operation, bounded in time. */
#ifndef BGI_TRANSPORT_PEER_PROBE_H
#define BGI_TRANSPORT_PEER_PROBE_H

#include "transport/url.h"

/* The most time a probe takes, name lookup and every exchange together. */
#define BGI_PEER_PROBE_BUDGET_MS 1000

typedef enum bgi_peer_kind {
  BGI_PEER_UNKNOWN = 0,  /* not probed, no connection or no answer within the time */
  BGI_PEER_NOT_HTTP1,    /* something answered, but not an HTTP/1.x status line */
  BGI_PEER_HTTP1,        /* an HTTP/1.x server */
  BGI_PEER_BENTOML_HTTP, /* an HTTP/1.x server answering like BentoML's HTTP server: GET /livez
                            200, /readyz 200 (or 503: not ready yet), /docs.json an OpenAPI
                            document */
} bgi_peer_kind;

typedef struct bgi_peer {
  bgi_peer_kind kind;
  char version[9]; /* HTTP1 and BENTOML_HTTP: the status line's version, "HTTP/1.1" or so */
  int livez;       /* HTTP1 and BENTOML_HTTP: the status of GET /livez */
} bgi_peer;

/* Probes the first address of `url` without TLS: connects (non-blocking, for TCP hosts and
 * unix sockets; a DNS name goes through the system's resolver, on a helper thread it does not
 * wait for beyond the budget), sends `GET /livez HTTP/1.1` with `Connection: close` and reads
 * the status line; if that is 200, /readyz and /docs.json the same way. Everything shares
 * `budget_ms` (at most BGI_PEER_PROBE_BUDGET_MS is sensible); every socket is closed before it
 * returns. Not probed (UNKNOWN): xds: targets and dns: targets naming their own DNS server.
 * Never fails: what could not be learnt is UNKNOWN. */
void bgi_peer_probe(const bgi_url *url, int budget_ms, bgi_peer *out);

#endif
