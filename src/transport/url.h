/* Parsing the user's server address into a gRPC target. */
#ifndef BGI_TRANSPORT_URL_H
#define BGI_TRANSPORT_URL_H

#include <stdbool.h>

#include "bentogrpc/common.h"

#define BGI_URL_MAX 512

typedef struct bgi_url {
  char target[BGI_URL_MAX + 16]; /* handed to grpc_channel_create */
  char host[BGI_URL_MAX];        /* host without brackets; the socket path for unix: */
  int port;                      /* 0 for unix: */
  bool tls;                      /* grpcs:// */
  bool is_unix;
} bgi_url;

/* Accepts "host:port", "grpc://host:port", "grpcs://host:port", "[v6addr]:port" and unix
 * sockets: "unix:/abs/path" and "unix:///abs/path" (absolute), "unix:rel/path" (relative to
 * the working directory); "unix://name" is refused. A socket path is taken byte for byte (no
 * URI reading of '#', '?' or '%': the gRPC target carries it percent-encoded) and holds at
 * most 107 bytes (sun_path). Names are resolved by gRPC's DNS resolver, which yields every
 * address of a name such as localhost (IPv6 and IPv4). */
bg_status bgi_url_parse(const char *url, bgi_url *out, bg_error *err);

/* true for unix: sockets and loopback hosts (localhost, 127.0.0.0/8, ::1): traffic that never
 * leaves the machine. */
bool bgi_url_is_local(const bgi_url *url);

#endif
