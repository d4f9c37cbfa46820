/* The failure path's look at what answers at an address: plain sockets, every step bounded by
 * one deadline (peer_probe.h). */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "transport/peer_probe.h"

static int64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int ms_left(int64_t deadline) {
  int64_t left = deadline - now_ms();
  return left > 0 ? (int)left : 0;
}

/* ---- a name lookup the caller does not wait for beyond its deadline ---- */

/* getaddrinfo() cannot be bounded or cancelled, so it runs on a detached thread; the caller and
 * the thread each hold a reference, and whoever lets go last frees the lookup (and the thread's
 * answer, if the caller stopped waiting). */
typedef struct lookup {
  pthread_mutex_t mu;
  pthread_cond_t cv;
  int refs;
  bool done;
  struct addrinfo *res;
  char host[BGI_URL_MAX];
  char port[8];
} lookup;

static void lookup_unref(lookup *l) {
  pthread_mutex_lock(&l->mu);
  bool last = --l->refs == 0;
  pthread_mutex_unlock(&l->mu);
  if (!last)
    return;
  if (l->res)
    freeaddrinfo(l->res);
  pthread_cond_destroy(&l->cv);
  pthread_mutex_destroy(&l->mu);
  free(l);
}

static void *lookup_run(void *arg) {
  lookup *l = arg;
  struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
  struct addrinfo *res = NULL;
  if (getaddrinfo(l->host, l->port, &hints, &res) != 0)
    res = NULL;
  pthread_mutex_lock(&l->mu);
  l->res = res;
  l->done = true;
  pthread_cond_signal(&l->cv);
  pthread_mutex_unlock(&l->mu);
  lookup_unref(l);
  return NULL;
}

/* The addresses of host:port (numeric hosts at once), or NULL when the lookup failed or did not
 * finish by `deadline`. Free with freeaddrinfo(). */
static struct addrinfo *resolve(const char *host, int port, int64_t deadline) {
  char port_text[8];
  snprintf(port_text, sizeof port_text, "%d", port);
  struct addrinfo hints = {
      .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICHOST};
  struct addrinfo *res = NULL;
  if (getaddrinfo(host, port_text, &hints, &res) == 0)
    return res;
  lookup *l = calloc(1, sizeof *l);
  if (!l)
    return NULL;
  pthread_condattr_t attr;
  pthread_condattr_init(&attr);
  pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
  pthread_cond_init(&l->cv, &attr);
  pthread_condattr_destroy(&attr);
  pthread_mutex_init(&l->mu, NULL);
  l->refs = 2;
  snprintf(l->host, sizeof l->host, "%s", host);
  memcpy(l->port, port_text, sizeof l->port);
  pthread_attr_t thread_attr;
  pthread_t thread;
  pthread_attr_init(&thread_attr);
  pthread_attr_setdetachstate(&thread_attr, PTHREAD_CREATE_DETACHED);
  int started = pthread_create(&thread, &thread_attr, lookup_run, l);
  pthread_attr_destroy(&thread_attr);
  if (started != 0) {
    l->refs = 1;
    lookup_unref(l);
    return NULL;
  }
  struct timespec until = {.tv_sec = (time_t)(deadline / 1000),
                           .tv_nsec = (long)(deadline % 1000) * 1000000};
  pthread_mutex_lock(&l->mu);
  while (!l->done && pthread_cond_timedwait(&l->cv, &l->mu, &until) != ETIMEDOUT) {
  }
  res = l->res; /* taken: the thread's last reference frees nothing more */
  l->res = NULL;
  pthread_mutex_unlock(&l->mu);
  lookup_unref(l);
  return res;
}

/* ---- one HTTP/1.1 exchange on a new connection ---- */

/* A non-blocking socket connected to `addr` by `deadline`, or -1. */
static int connect_by(const struct sockaddr *addr, socklen_t len, int64_t deadline) {
  int fd = socket(addr->sa_family, SOCK_STREAM, 0);
  if (fd < 0)
    return -1;
  if (fcntl(fd, F_SETFD, FD_CLOEXEC) != 0 ||
      fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) != 0) {
    close(fd);
    return -1;
  }
  if (connect(fd, addr, len) == 0)
    return fd;
  if (errno != EINPROGRESS) { /* refused; EAGAIN: a unix socket's backlog is full */
    close(fd);
    return -1;
  }
  struct pollfd p = {.fd = fd, .events = POLLOUT};
  int error = 0;
  socklen_t error_len = sizeof error;
  if (poll(&p, 1, ms_left(deadline)) != 1 ||
      getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &error_len) != 0 || error != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

/* Sends all of `data` by `deadline`. */
static bool send_by(int fd, const char *data, size_t len, int64_t deadline) {
  while (len > 0) {
    ssize_t n = send(fd, data, len, MSG_NOSIGNAL);
    if (n > 0) {
      data += n;
      len -= (size_t)n;
      continue;
    }
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
      return false;
    struct pollfd p = {.fd = fd, .events = POLLOUT};
    if (poll(&p, 1, ms_left(deadline)) != 1)
      return false;
  }
  return true;
}

/* Reads into buf (cap bytes, NUL-terminated) until the peer closes, `enough` returns true, the
 * buffer is full or `deadline`; returns the length read. */
static size_t recv_by(int fd, char *buf, size_t cap, bool (*enough)(const char *, size_t),
                      int64_t deadline) {
  size_t len = 0;
  buf[0] = '\0';
  while (len + 1 < cap && !enough(buf, len)) {
    ssize_t n = recv(fd, buf + len, cap - 1 - len, 0);
    if (n == 0)
      break;
    if (n > 0) {
      len += (size_t)n;
      buf[len] = '\0';
      continue;
    }
    if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
      break;
    struct pollfd p = {.fd = fd, .events = POLLIN};
    if (poll(&p, 1, ms_left(deadline)) != 1)
      break;
  }
  return len;
}

static bool has_status_line(const char *buf, size_t len) { return memchr(buf, '\n', len); }

/* The start of an OpenAPI document: BentoML's /docs.json begins {"openapi": "3.0.2", ... */
static bool has_openapi(const char *buf, size_t len) {
  (void)len;
  return strstr(buf, "\"openapi\"") != NULL;
}

typedef struct target {
  struct sockaddr_storage addr;
  socklen_t len;
  char host_header[BGI_URL_MAX + 16];
} target;

/* One request for `path` on a new connection: the HTTP/1.x status (100..999) of the reply, 0 if
 * the peer answered anything else, -1 if there was no connection or no answer. The reply (its
 * first cap - 1 bytes) is left in buf. */
static int exchange(const target *t, const char *path, char *buf, size_t cap,
                    bool (*enough)(const char *, size_t), int64_t deadline) {
  buf[0] = '\0';
  int fd = connect_by((const struct sockaddr *)&t->addr, t->len, deadline);
  if (fd < 0)
    return -1;
  char request[BGI_URL_MAX + 160];
  int n = snprintf(request, sizeof request,
                   "GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: libbentogrpc-probe\r\n"
                   "Accept: */*\r\nConnection: close\r\n\r\n",
                   path, t->host_header);
  size_t got = 0;
  if (n > 0 && (size_t)n < sizeof request && send_by(fd, request, (size_t)n, deadline))
    got = recv_by(fd, buf, cap, enough, deadline);
  close(fd);
  if (got == 0)
    return -1;
  int status = 0;
  char minor = 0;
  if (sscanf(buf, "HTTP/1.%c %3d", &minor, &status) == 2 && minor >= '0' && minor <= '9' &&
      status >= 100 && status <= 999)
    return status;
  return 0;
}

/* Up to `max` addresses of `url` in `out` (unix sockets: one); returns how many. */
static size_t find_targets(const bgi_url *url, int64_t deadline, target *out, size_t max) {
  memset(out, 0, max * sizeof *out);
  if (url->is_unix) {
    struct sockaddr_un *un = (struct sockaddr_un *)&out->addr;
    bool abstract = strncmp(url->target, "unix-abstract:", 14) == 0;
    size_t len = strlen(url->host);
    if (len + abstract > sizeof un->sun_path)
      return 0;
    un->sun_family = AF_UNIX;
    memcpy(un->sun_path + abstract, url->host, len); /* abstract: after a leading NUL */
    out->len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len + abstract);
    snprintf(out->host_header, sizeof out->host_header, "localhost");
    return 1;
  }
  /* xds: has no host to ask; dns://SERVER/ names are known to that server only */
  if (url->port <= 0 || (strncmp(url->target, "dns://", 6) == 0 && url->target[6] != '/'))
    return 0;
  struct addrinfo *res = resolve(url->host, url->port, deadline);
  size_t n = 0;
  for (struct addrinfo *a = res; a && n < max; a = a->ai_next) {
    if (a->ai_addrlen > sizeof out[n].addr)
      continue;
    memcpy(&out[n].addr, a->ai_addr, a->ai_addrlen);
    out[n].len = a->ai_addrlen;
    bool v6 = strchr(url->host, ':') != NULL;
    snprintf(out[n].host_header, sizeof out[n].host_header, v6 ? "[%s]:%d" : "%s:%d", url->host,
             url->port);
    n++;
  }
  if (res)
    freeaddrinfo(res);
  return n;
}

void bgi_peer_probe(const bgi_url *url, int budget_ms, bgi_peer *out) {
  memset(out, 0, sizeof *out);
  int64_t deadline = now_ms() + budget_ms;
  target targets[4];
  size_t n = find_targets(url, deadline, targets, sizeof targets / sizeof targets[0]);
  char buf[4096];
  int livez = -1;
  const target *t = NULL;
  for (size_t i = 0; i < n && livez < 0; i++) { /* the first address that answers */
    t = &targets[i];
    livez = exchange(t, "/livez", buf, sizeof buf, has_status_line, deadline);
  }
  if (livez < 0)
    return;
  if (livez == 0) {
    out->kind = BGI_PEER_NOT_HTTP1;
    return;
  }
  out->kind = BGI_PEER_HTTP1;
  out->livez = livez;
  snprintf(out->version, sizeof out->version, "%.8s", buf);
  if (livez != 200)
    return;
  int readyz = exchange(t, "/readyz", buf, sizeof buf, has_status_line, deadline);
  if (readyz != 200 && readyz != 503)
    return;
  if (exchange(t, "/docs.json", buf, sizeof buf, has_openapi, deadline) == 200 &&
      has_openapi(buf, strlen(buf)))
    out->kind = BGI_PEER_BENTOML_HTTP;
}
