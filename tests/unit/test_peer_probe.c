/* The look at a peer where gRPC failed (transport/peer_probe.c) against real loopback sockets:
 * what it learns from HTTP/1.x servers, BentoML-like ones and others, that its time is bounded
 * by its budget whatever the peer does, and that it leaves no descriptor open. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <pthread.h>
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

static int open_fds(void) {
  DIR *d = opendir("/proc/self/fd");
  assert_non_null(d);
  int n = 0;
  while (readdir(d))
    n++;
  closedir(d);
  return n;
}

/* A listening 127.0.0.1 socket; its port in *port. */
static int listen_tcp(int *port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  assert_true(fd >= 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
  assert_int_equal(listen(fd, 16), 0);
  socklen_t len = sizeof a;
  assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
  *port = ntohs(a.sin_port);
  return fd;
}

/* A server thread: answers `n` connections, each by `reply(path)` after reading the request
 * line. */
typedef struct responder {
  int listener;
  int n;
  const char *(*reply)(const char *path);
  char paths[4][64]; /* the paths asked, in order */
  int asked;
  pthread_t thread;
} responder;

static void *respond(void *arg) {
  responder *r = arg;
  for (int i = 0; i < r->n; i++) {
    int fd = accept(r->listener, NULL, NULL);
    if (fd < 0)
      return NULL;
    char buf[2048];
    ssize_t got = recv(fd, buf, sizeof buf - 1, 0);
    buf[got > 0 ? got : 0] = '\0';
    char path[64] = "";
    sscanf(buf, "GET %63s", path);
    if (r->asked < 4)
      snprintf(r->paths[r->asked++], sizeof r->paths[0], "%s", path);
    const char *text = r->reply(path);
    (void)!write(fd, text, strlen(text));
    close(fd);
  }
  return NULL;
}

static void responder_start(responder *r, int listener, int n, const char *(*reply)(const char *)) {
  memset(r, 0, sizeof *r);
  r->listener = listener;
  r->n = n;
  r->reply = reply;
  assert_int_equal(pthread_create(&r->thread, NULL, respond, r), 0);
}

static void probe_url(const char *text, int budget_ms, bgi_peer *peer, int64_t *ms) {
  bgi_url url;
  bg_error err;
  if (bgi_url_parse(text, &url, &err) != BG_OK)
    fail_msg("%s: %s", text, err.message);
  int64_t started = now_ms();
  bgi_peer_probe(&url, budget_ms, peer);
  *ms = now_ms() - started;
}

/* Probes (budget 1 s) a loopback listener at `host`:PORT whose first `n` connections `reply`
 * answers (the paths asked in r->paths), and checks the probe left no descriptor open; a
 * failure names the caller's line. */
#define probe_responder(host, n, reply, r) probe_responder_at((host), (n), (reply), (r), __LINE__)
static bgi_peer probe_responder_at(const char *host, int n, const char *(*reply)(const char *),
                                   responder *r, int line) {
  int fds = open_fds(), port;
  int listener = listen_tcp(&port);
  responder_start(r, listener, n, reply);
  char url[64];
  snprintf(url, sizeof url, "%s:%d", host, port);
  bgi_peer peer;
  int64_t ms;
  probe_url(url, 1000, &peer, &ms);
  pthread_join(r->thread, NULL);
  close(listener);
  _assert_int_equal(open_fds(), fds, __FILE__, line);
  return peer;
}

static const char *not_found(const char *path) {
  (void)path;
  return "HTTP/1.0 404 Not Found\r\nContent-Length: 0\r\n\r\n";
}

static const char *bentoml_like(const char *path) {
  if (strcmp(path, "/livez") == 0)
    return "HTTP/1.1 200 OK\r\ncontent-length: 1\r\n\r\n\n";
  if (strcmp(path, "/readyz") == 0) /* BentoML before its runners are ready */
    return "HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\n\r\n";
  if (strcmp(path, "/docs.json") == 0)
    return "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\r\n"
           "{\"openapi\": \"3.0.2\", \"info\": {\"title\": \"svc\"}}";
  return not_found(path);
}

/* 200 for everything, HTML: a catch-all web application is not BentoML */
static const char *catch_all(const char *path) {
  (void)path;
  return "HTTP/1.1 200 OK\r\ncontent-type: text/html\r\n\r\n<html>app</html>";
}

/* another service at the port: an SSH server's greeting */
static const char *ssh_greeting(const char *path) {
  (void)path;
  return "SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n";
}

static void test_http1_server(void **state) {
  (void)state;
  responder r;
  bgi_peer peer = probe_responder("127.0.0.1", 1, not_found, &r);
  assert_int_equal(peer.kind, BGI_PEER_HTTP1);
  assert_int_equal(peer.livez, 404);
  assert_string_equal(peer.version, "HTTP/1.0");
  assert_string_equal(r.paths[0], "/livez");
}

static void test_bentoml_like_server(void **state) {
  (void)state;
  responder r;
  /* localhost: a name (resolved on the lookup thread), which may give ::1 first: the probe
   * goes on to the next address when one refuses */
  bgi_peer peer = probe_responder("grpc://localhost", 3, bentoml_like, &r);
  assert_int_equal(peer.kind, BGI_PEER_BENTOML_HTTP);
  assert_int_equal(peer.livez, 200);
  assert_string_equal(r.paths[0], "/livez");
  assert_string_equal(r.paths[1], "/readyz");
  assert_string_equal(r.paths[2], "/docs.json");
}

static void test_catch_all_web_app_is_not_bentoml(void **state) {
  (void)state;
  responder r;
  assert_int_equal(probe_responder("127.0.0.1", 3, catch_all, &r).kind, BGI_PEER_HTTP1);
}

static void test_not_http(void **state) {
  (void)state;
  responder r;
  assert_int_equal(probe_responder("127.0.0.1", 1, ssh_greeting, &r).kind, BGI_PEER_NOT_HTTP1);
}

/* A peer that accepts (the kernel's backlog does) and never answers: the probe gives up at
 * its budget, not later, and closes its socket. */
static void test_silent_peer_is_bounded(void **state) {
  (void)state;
  int fds = open_fds(), port;
  int listener = listen_tcp(&port);
  char url[64];
  snprintf(url, sizeof url, "127.0.0.1:%d", port);
  bgi_peer peer;
  int64_t ms;
  probe_url(url, 300, &peer, &ms);
  assert_int_equal(peer.kind, BGI_PEER_UNKNOWN);
  if (ms < 290 || ms > 600)
    fail_msg("a 300 ms probe of a silent peer took %lld ms", (long long)ms);
  close(listener);
  assert_int_equal(open_fds(), fds);
}

static void test_closed_port(void **state) {
  (void)state;
  int fds = open_fds(), port;
  close(listen_tcp(&port));
  char url[64];
  snprintf(url, sizeof url, "127.0.0.1:%d", port);
  bgi_peer peer;
  int64_t ms;
  probe_url(url, 1000, &peer, &ms);
  assert_int_equal(peer.kind, BGI_PEER_UNKNOWN);
  assert_true(ms < 200);
  assert_int_equal(open_fds(), fds);
}

static void test_unix_sockets(void **state) {
  (void)state;
  char dir[] = "/tmp/peer_probe.XXXXXX";
  assert_non_null(mkdtemp(dir));
  char path[128], url[160];
  snprintf(path, sizeof path, "%s/http.sock", dir);
  int listener = socket(AF_UNIX, SOCK_STREAM, 0);
  struct sockaddr_un a = {.sun_family = AF_UNIX};
  snprintf(a.sun_path, sizeof a.sun_path, "%s", path);
  assert_int_equal(bind(listener, (struct sockaddr *)&a, sizeof a), 0);
  assert_int_equal(listen(listener, 4), 0);
  responder r;
  responder_start(&r, listener, 1, not_found);
  snprintf(url, sizeof url, "unix:%s", path);
  bgi_peer peer;
  int64_t ms;
  probe_url(url, 1000, &peer, &ms);
  pthread_join(r.thread, NULL);
  assert_int_equal(peer.kind, BGI_PEER_HTTP1);
  /* the same socket, silent now: bounded */
  probe_url(url, 200, &peer, &ms);
  assert_int_equal(peer.kind, BGI_PEER_UNKNOWN);
  assert_true(ms < 500);
  close(listener);
  unlink(path);
  /* no socket at the path: at once */
  probe_url(url, 1000, &peer, &ms);
  assert_int_equal(peer.kind, BGI_PEER_UNKNOWN);
  assert_true(ms < 200);
  rmdir(dir);
}

/* Targets the system's resolver cannot stand for are not probed (nothing is sent). */
static void test_targets_not_probed(void **state) {
  (void)state;
  setenv("GRPC_XDS_BOOTSTRAP_CONFIG", "{}", 1);
  const char *const urls[] = {"dns://127.0.0.1:1/only-that-server-knows.test:3000", "xds:///bento"};
  for (size_t i = 0; i < sizeof urls / sizeof urls[0]; i++) {
    bgi_peer peer;
    int64_t ms;
    probe_url(urls[i], 1000, &peer, &ms);
    assert_int_equal(peer.kind, BGI_PEER_UNKNOWN);
    assert_true(ms < 50);
  }
  unsetenv("GRPC_XDS_BOOTSTRAP_CONFIG");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_http1_server),
      cmocka_unit_test(test_bentoml_like_server),
      cmocka_unit_test(test_catch_all_web_app_is_not_bentoml),
      cmocka_unit_test(test_not_http),
      cmocka_unit_test(test_silent_peer_is_bounded),
      cmocka_unit_test(test_closed_port),
      cmocka_unit_test(test_unix_sockets),
      cmocka_unit_test(test_targets_not_probed),
  };
  return cmocka_run_group_tests_name("peer_probe", tests, NULL, NULL);
}
