#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error_internal.h"
#include "transport/url.h"

static bool has_prefix(const char *s, const char *prefix) {
  return strncmp(s, prefix, strlen(prefix)) == 0;
}

static bg_status parse_port(const char *url, const char *text, int *port, bg_error *err) {
  if (*text == '\0')
    return bgi_fail(err, BG_ERR_INVALID_ARGUMENT, 0,
                    "address '%s' has no port; write it as host:port, e.g. localhost:3000", url);
  long value = 0;
  for (const char *p = text; *p; p++) {
    if (!isdigit((unsigned char)*p) || value > 65535)
      return bgi_fail(err, BG_ERR_INVALID_ARGUMENT, 0,
                      "address '%s': port '%s' is not a number from 1 to 65535", url, text);
    value = value * 10 + (*p - '0');
  }
  if (value < 1 || value > 65535)
    return bgi_fail(err, BG_ERR_INVALID_ARGUMENT, 0, "address '%s': port %ld is not in 1..65535",
                    url, value);
  *port = (int)value;
  return BG_OK;
}

static bool valid_hostname(const char *host) {
  if (!*host)
    return false;
  for (const char *p = host; *p; p++)
    if (!isalnum((unsigned char)*p) && *p != '-' && *p != '.' && *p != '_')
      return false;
  return true;
}

/* The longest path a unix socket address holds: sizeof sun_path less the NUL. */
#define UNIX_PATH_MAX 107

/* gRPC reads its target as a URI (it cuts "?query" and "#fragment" and decodes "%XX"), so
 * every byte but unreserved characters and '/' is percent-encoded: gRPC decodes it back to
 * exactly the path the user wrote. */
static void encode_path(const char *path, char *out) {
  static const char hex[] = "0123456789ABCDEF";
  for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
    if (isalnum(*p) || strchr("-._~/", *p)) {
      *out++ = (char)*p;
    } else {
      *out++ = '%';
      *out++ = hex[*p >> 4];
      *out++ = hex[*p & 15];
    }
  }
  *out = '\0';
}

static bg_status parse_unix(const char *url, const char *rest, bgi_url *out, bg_error *err) {
  /* unix:/abs and unix:///abs are absolute, unix:rel is relative to the working directory;
   * everything after the prefix is the path, byte for byte. */
  const char *path = rest;
  if (has_prefix(rest, "//")) {
    path = rest + 2;
    if (*path && *path != '/')
      return bgi_fail(err, BG_ERR_INVALID_ARGUMENT, 0,
                      "address '%s': unix:// must be followed by an absolute path (unix:///%s); "
                      "write unix:/abs/path, unix:///abs/path or unix:relative/path",
                      url, path);
  }
  if (*path == '\0')
    return bgi_fail(err, BG_ERR_INVALID_ARGUMENT, 0,
                    "address '%s' has no socket path; write unix:/path/to/socket", url);
  size_t len = strlen(path);
  if (len > UNIX_PATH_MAX)
    return bgi_fail(err, BG_ERR_INVALID_ARGUMENT, 0,
                    "address '%s': the socket path is %zu bytes, but a unix socket address holds "
                    "at most %d bytes (sun_path); use a shorter path (e.g. a symbolic link to "
                    "the directory, or a relative unix:path)",
                    url, len, UNIX_PATH_MAX);
  snprintf(out->host, sizeof out->host, "%s", path);
  memcpy(out->target, "unix:", 5);
  encode_path(path, out->target + 5); /* at most 3 * 107 bytes: fits */
  out->is_unix = true;
  out->local = true;
  return BG_OK;
}

/* unix-abstract:name: a socket in the abstract namespace (a leading NUL, then the name). */
static bg_status parse_unix_abstract(const char *url, const char *name, bgi_url *out,
                                     bg_error *err) {
  if (*name == '\0')
    return bgi_fail(err, BG_ERR_INVALID_ARGUMENT, 0,
                    "address '%s' has no socket name; write unix-abstract:name", url);
  size_t len = strlen(name);
  if (len > UNIX_PATH_MAX)
    return bgi_fail(err, BG_ERR_INVALID_ARGUMENT, 0,
                    "address '%s': the abstract socket name is %zu bytes, but a unix socket "
                    "address holds at most %d bytes after its leading NUL; use a shorter name",
                    url, len, UNIX_PATH_MAX);
  snprintf(out->host, sizeof out->host, "%s", name);
  memcpy(out->target, "unix-abstract:", 14);
  encode_path(name, out->target + 14);
  out->is_unix = true;
  out->local = true;
  return BG_OK;
}

static bool host_is_local(const char *host) {
  if (strcmp(host, "localhost") == 0)
    return true;
  unsigned char a[16];
  if (inet_pton(AF_INET, host, a) == 1)
    return a[0] == 127;
  static const unsigned char loopback6[16] = {[15] = 1};
  return inet_pton(AF_INET6, host, a) == 1 && memcmp(a, loopback6, sizeof a) == 0;
}

static bool is_ipv6(const char *text) {
  unsigned char scratch[16];
  return inet_pton(AF_INET6, text, scratch) == 1;
}

static bg_status parse_host_port(const char *url, const char *rest, bgi_url *out, bg_error *err) {
  char buf[BGI_URL_MAX];
  snprintf(buf, sizeof buf, "%s", rest);
  size_t len = strlen(buf);
  if (len > 0 && buf[len - 1] == '/')
    buf[--len] = '\0'; /* tolerate "grpc://host:port/" */
  if (strchr(buf, '/'))
    return bgi_fail(err, BG_ERR_INVALID_ARGUMENT, 0,
                    "address '%s' has a path; gRPC addresses are just host:port", url);

  const char *port_text;
  bool v6 = false;
  if (buf[0] == '[') {
    char *close = strchr(buf, ']');
    if (!close || (close[1] != ':' && close[1] != '\0'))
      return bgi_fail(err, BG_ERR_INVALID_ARGUMENT, 0,
                      "address '%s': an IPv6 address is written [addr]:port, e.g. [::1]:3000", url);
    *close = '\0';
    snprintf(out->host, sizeof out->host, "%s", buf + 1);
    port_text = close[1] ? close + 2 : "";
    unsigned char scratch[16];
    if (inet_pton(AF_INET6, out->host, scratch) != 1)
      return bgi_fail(err, BG_ERR_INVALID_ARGUMENT, 0, "address '%s': '%s' is not an IPv6 address",
                      url, out->host);
    v6 = true;
  } else {
    char *colon = strrchr(buf, ':');
    if (colon && strchr(buf, ':') != colon) {
      *colon = '\0';
      bool v6_inside = is_ipv6(buf);
      *colon = ':';
      if (v6_inside || is_ipv6(buf))
        return bgi_fail(err, BG_ERR_INVALID_ARGUMENT, 0,
                        "address '%s': put an IPv6 address in brackets, e.g. [::1]:3000", url);
      return bgi_fail(err, BG_ERR_INVALID_ARGUMENT, 0,
                      "address '%s' is not a target this library knows: unsupported scheme or "
                      "too many ':'; use host:port, grpc://, grpcs://, dns:///host:port, "
                      "ipv4:a:p,b:p, ipv6:[a]:p, unix:/path, unix-abstract:name or xds:///name",
                      url);
    }
    if (colon)
      *colon = '\0';
    snprintf(out->host, sizeof out->host, "%s", buf);
    port_text = colon ? colon + 1 : "";
    if (!valid_hostname(out->host))
      return bgi_fail(err, BG_ERR_INVALID_ARGUMENT, 0,
                      "address '%s': '%s' is not a valid host name or address", url, out->host);
  }
  bg_status st = parse_port(url, port_text, &out->port, err);
  if (st != BG_OK)
    return st;
  out->local = host_is_local(out->host);
  unsigned char scratch[4];
  if (v6)
    snprintf(out->target, sizeof out->target, "ipv6:[%s]:%d", out->host, out->port);
  else if (inet_pton(AF_INET, out->host, scratch) == 1)
    snprintf(out->target, sizeof out->target, "ipv4:%s:%d", out->host, out->port);
  else
    snprintf(out->target, sizeof out->target, "dns:///%s:%d", out->host, out->port);
  return BG_OK;
}

/* dns:[//DNS_SERVER]/host:port (gRPC's DNS resolver; DNS_SERVER is the name server to ask). */
static bg_status parse_dns(const char *url, const char *rest, bgi_url *out, bg_error *err) {
  const char *name = rest;
  if (has_prefix(rest, "//")) {
    const char *slash = strchr(rest + 2, '/');
    if (!slash && rest[2] != '\0')
      return bgi_fail(err, BG_ERR_INVALID_ARGUMENT, 0,
                      "address '%s' names a DNS server but no host; write "
                      "dns://DNS_SERVER/host:port, or dns:///host:port for the system's DNS",
                      url);
    name = slash ? slash + 1 : "";
  }
  if (*name == '\0')
    return bgi_fail(err, BG_ERR_INVALID_ARGUMENT, 0,
                    "address '%s' has no host; write dns:///host:port, e.g. "
                    "dns:///bento.default.svc.cluster.local:3000",
                    url);
  bgi_url parsed;
  bg_status st = parse_host_port(url, name, &parsed, err);
  if (st != BG_OK)
    return st;
  snprintf(out->target, sizeof out->target, "%s", url); /* gRPC resolves it as written */
  snprintf(out->host, sizeof out->host, "%s", parsed.host);
  out->port = parsed.port;
  /* only through the system's DNS is localhost known to be this machine */
  out->local = parsed.local && (!has_prefix(rest, "//") || name == rest + 3);
  return BG_OK;
}

/* ipv4:a:p,b:p,... and ipv6:[a]:p,[b]:p,...: gRPC connects to each (round_robin spreads). */
static bg_status parse_ip_list(const char *url, bool v6, bgi_url *out, bg_error *err) {
  const char *list = url + 5;
  if (*list == '\0')
    return bgi_fail(err, BG_ERR_INVALID_ARGUMENT, 0, "address '%s' has no address; write %s", url,
                    v6 ? "ipv6:[::1]:3000,[::1]:3001" : "ipv4:127.0.0.1:3000,127.0.0.2:3000");
  out->local = true;
  for (const char *item = list; item;) {
    const char *comma = strchr(item, ',');
    size_t len = comma ? (size_t)(comma - item) : strlen(item);
    if (len == 0)
      return bgi_fail(err, BG_ERR_INVALID_ARGUMENT, 0,
                      "address '%s' has an empty address in its list (two commas, or one at "
                      "an end)",
                      url);
    char one[BGI_URL_MAX];
    snprintf(one, sizeof one, "%.*s", (int)len, item);
    bgi_url parsed;
    if (v6 && one[0] != '[')
      return bgi_fail(err, BG_ERR_INVALID_ARGUMENT, 0,
                      "address '%s': each ipv6: address is written [addr]:port, e.g. "
                      "ipv6:[::1]:3000,[::1]:3001",
                      url);
    if (parse_host_port(url, one, &parsed, err) != BG_OK)
      return BG_ERR_INVALID_ARGUMENT;
    unsigned char scratch[4];
    if (!v6 && inet_pton(AF_INET, parsed.host, scratch) != 1)
      return bgi_fail(err, BG_ERR_INVALID_ARGUMENT, 0,
                      "address '%s': '%s' is not an IPv4 address; ipv4: lists addresses, a name "
                      "goes through DNS: dns:///%s",
                      url, parsed.host, one);
    if (item == list) {
      snprintf(out->host, sizeof out->host, "%s", parsed.host);
      out->port = parsed.port;
    }
    out->local = out->local && parsed.local;
    item = comma ? comma + 1 : NULL;
  }
  snprintf(out->target, sizeof out->target, "%s", url);
  return BG_OK;
}

/* xds:[//AUTHORITY]/name: gRPC's xDS resolver, which needs a bootstrap to find its control
 * plane; without one gRPC only fails at the first call, so the advice is given here. */
static bg_status parse_xds(const char *url, const char *rest, bgi_url *out, bg_error *err) {
  const char *name = rest;
  if (has_prefix(rest, "//")) {
    const char *slash = strchr(rest + 2, '/');
    name = slash ? slash + 1 : "";
  }
  if (*name == '\0')
    return bgi_fail(err, BG_ERR_INVALID_ARGUMENT, 0,
                    "address '%s' has no service name; write xds:///name (the listener name "
                    "the xDS control plane knows)",
                    url);
  const char *file = getenv("GRPC_XDS_BOOTSTRAP"), *config = getenv("GRPC_XDS_BOOTSTRAP_CONFIG");
  if ((!file || !*file) && (!config || !*config))
    return bgi_fail(err, BG_ERR_INVALID_ARGUMENT, 0,
                    "address '%s' needs an xDS bootstrap, and none is set: set the environment "
                    "variable GRPC_XDS_BOOTSTRAP to the path of a bootstrap JSON file, or "
                    "GRPC_XDS_BOOTSTRAP_CONFIG to the JSON itself (it names the xDS server, "
                    "e.g. a service mesh's istiod, and this node)",
                    url);
  snprintf(out->host, sizeof out->host, "%s", name);
  snprintf(out->target, sizeof out->target, "%s", url);
  return BG_OK;
}

/* "user:password@" (or "user@") before a host: gRPC has no use for it, and whatever follows
 * the last '@' is all of the address that may be shown — the refusal below and every other
 * message quote the address, so this runs before anything else looks at it. Socket paths and
 * abstract names are taken byte for byte, '@' included. */
static bg_status refuse_userinfo(const char *url, bg_error *err) {
  if (has_prefix(url, "unix:") || has_prefix(url, "unix-abstract:"))
    return BG_OK;
  const char *at = strrchr(url, '@');
  if (!at)
    return BG_OK;
  /* the scheme is shown only if it is one (letters, digits, '+', '-', '.'), never a password
   * holding "://" */
  int scheme_len = 0;
  const char *scheme_end = strstr(url, "://");
  if (scheme_end && scheme_end < at && scheme_end > url) {
    scheme_len = (int)(scheme_end - url) + 3;
    for (const char *p = url; p < scheme_end; p++)
      if (!isalnum((unsigned char)*p) && !strchr("+-.", *p))
        scheme_len = 0;
  }
  return bgi_fail_reason(
      err, BG_ERR_INVALID_ARGUMENT, 0, BG_REASON_CREDENTIALS_IN_ADDRESS,
      "address '%.*s<credentials>@%.80s' carries user credentials before the host "
      "(user:password@), which gRPC has no place for: they were not sent, and are "
      "not shown here. Drop them from the address and send credentials as call "
      "metadata: a bearer token with bg_call_options_set_bearer_token(), any other "
      "header with bg_call_options_add_metadata(), over TLS (grpcs://)",
      scheme_len, url, at + 1);
}

bg_status bgi_url_parse(const char *url, bgi_url *out, bg_error *err) {
  memset(out, 0, sizeof *out);
  if (!url || !*url)
    return bgi_fail(err, BG_ERR_INVALID_ARGUMENT, 0,
                    "no server address given; pass host:port, e.g. localhost:3000");
  if (refuse_userinfo(url, err) != BG_OK)
    return BG_ERR_INVALID_ARGUMENT;
  if (strlen(url) >= BGI_URL_MAX)
    return bgi_fail(err, BG_ERR_INVALID_ARGUMENT, 0, "server address is longer than %d bytes",
                    BGI_URL_MAX - 1);
  for (const char *p = url; *p; p++)
    if (isspace((unsigned char)*p) || !isprint((unsigned char)*p))
      return bgi_fail(err, BG_ERR_INVALID_ARGUMENT, 0,
                      "server address '%s' contains spaces or control characters", url);

  if (has_prefix(url, "unix:"))
    return parse_unix(url, url + 5, out, err);
  if (has_prefix(url, "unix-abstract:"))
    return parse_unix_abstract(url, url + 14, out, err);
  if (has_prefix(url, "dns:"))
    return parse_dns(url, url + 4, out, err);
  if (has_prefix(url, "ipv4:") || has_prefix(url, "ipv6:"))
    return parse_ip_list(url, url[3] == '6', out, err);
  if (has_prefix(url, "xds:"))
    return parse_xds(url, url + 4, out, err);
  if (has_prefix(url, "grpc://"))
    return parse_host_port(url, url + 7, out, err);
  if (has_prefix(url, "grpcs://")) {
    out->tls = true;
    return parse_host_port(url, url + 8, out, err);
  }
  if (strstr(url, "://"))
    return bgi_fail(err, BG_ERR_INVALID_ARGUMENT, 0,
                    "address '%s': unsupported scheme; use host:port, grpc://host:port, "
                    "grpcs://host:port, unix:/path, or a gRPC target (dns:///host:port, "
                    "ipv4:a:p,b:p, ipv6:[a]:p, unix-abstract:name, xds:///name); BentoML's gRPC "
                    "port speaks HTTP/2 gRPC, not http://",
                    url);
  if (strchr(url, ','))
    return bgi_fail(err, BG_ERR_INVALID_ARGUMENT, 0,
                    "address '%s' names several servers; a list of addresses is a gRPC target: "
                    "write ipv4:%s (IPv4 addresses), ipv6:[a]:p,[b]:p, or one DNS name with "
                    "several addresses, dns:///name:port",
                    url, url);
  return parse_host_port(url, url, out, err);
}

bool bgi_url_is_local(const bgi_url *url) { return url->local; }
