/* Parsing the user's server address into a gRPC target. */
#ifndef BGI_TRANSPORT_URL_H
#define BGI_TRANSPORT_URL_H

#include <stdbool.h>

#include "bentogrpc/common.h"

#define BGI_URL_MAX 512

typedef struct bgi_url {
  char target[BGI_URL_MAX + 16]; /* handed to grpc_channel_create */
  char host[BGI_URL_MAX];        /* host without brackets (the first of an ipv4:/ipv6: list);
                                    the socket path for unix:, the name for unix-abstract:
                                    and xds: */
  int port;                      /* 0 for unix:, unix-abstract: and xds: */
  bool tls;                      /* grpcs:// */
  bool is_unix;                  /* unix: or unix-abstract: */
  bool local;                    /* every address is loopback or a unix socket */
} bgi_url;

/* Accepts our forms: "host:port", "grpc://host:port", "grpcs://host:port", "[v6addr]:port",
 * and gRPC's own target syntax, handed to gRPC's resolvers unchanged after a check that
 * gives advice fitting what was written: "dns:///host:port", "dns://DNS_SERVER/host:port",
 * "dns:host:port", "ipv4:a:p,b:p,...", "ipv6:[a]:p,...", "unix-abstract:name" and
 * "xds:///name" (only with GRPC_XDS_BOOTSTRAP or GRPC_XDS_BOOTSTRAP_CONFIG set).
 * Unix sockets: "unix:/abs/path" and "unix:///abs/path" (absolute), "unix:rel/path"
 * (relative to the working directory); "unix://name" is refused. A socket path (and an
 * abstract name) is taken byte for byte (no URI reading of '#', '?' or '%': the gRPC target
 * carries it percent-encoded) and holds at most 107 bytes (sun_path). Names are resolved by
 * gRPC's DNS resolver, which yields every address of a name such as localhost (IPv6 and
 * IPv4). */
bg_status bgi_url_parse(const char *url, bgi_url *out, bg_error *err);

/* true for unix: sockets and loopback hosts (localhost, 127.0.0.0/8, ::1): traffic that never
 * leaves the machine. */
bool bgi_url_is_local(const bgi_url *url);

#endif
