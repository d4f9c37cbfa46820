#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "test_server.h"

#ifndef BG_SOURCE_DIR
#error "BG_SOURCE_DIR must name the source tree"
#endif

/* Servers still running when the test program exits (e.g. after a failed assertion jumped
 * past the test's own stop call) are stopped by an atexit handler, so none is orphaned. */
static pid_t running[32];

static void remember(pid_t pid) {
  for (size_t i = 0; i < sizeof running / sizeof running[0]; i++)
    if (running[i] == 0) {
      running[i] = pid;
      return;
    }
}

static void forget(pid_t pid) {
  for (size_t i = 0; i < sizeof running / sizeof running[0]; i++)
    if (running[i] == pid)
      running[i] = 0;
}

static void stop_all_at_exit(void) {
  for (size_t i = 0; i < sizeof running / sizeof running[0]; i++)
    if (running[i] > 0) {
      kill(running[i], SIGKILL);
      waitpid(running[i], NULL, 0);
    }
}

/* Reads the server's stdout until the PORT line, waiting at most `timeout_ms`. */
static int read_port(int fd, int timeout_ms) {
  char buf[256];
  size_t used = 0;
  while (used < sizeof buf - 1) {
    struct pollfd p = {.fd = fd, .events = POLLIN};
    int ready = poll(&p, 1, timeout_ms);
    if (ready <= 0)
      return -1;
    ssize_t n = read(fd, buf + used, sizeof buf - 1 - used);
    if (n <= 0)
      return -1;
    used += (size_t)n;
    buf[used] = '\0';
    char *line = strstr(buf, "PORT ");
    if (line && strchr(line, '\n'))
      return atoi(line + 5);
  }
  return -1;
}

int bgt_server_start(bgt_server *server, const char *const *args) {
  return bgt_script_start(server, "tests/server/reference_server.py", args);
}

int bgt_script_start(bgt_server *server, const char *script, const char *const *args) {
  memset(server, 0, sizeof *server);
  char path[1024];
  snprintf(path, sizeof path, "%s/%s", BG_SOURCE_DIR, script);
  const char *argv[64];
  size_t n = 0;
  /* A test that dies on a sanitizer report or a signal skips atexit; without this its server
   * would live on holding ctest's output pipe, and ctest would wait for the pipe until the
   * test's timeout. setpriv (util-linux) sets the death signal and execs the server. (Servers
   * are started from the test's main thread, which lives as long as the process.) */
  argv[n++] = "/usr/bin/setpriv";
  argv[n++] = "--pdeathsig";
  argv[n++] = "KILL";
  argv[n++] = "--";
  argv[n++] = "/usr/bin/python3";
  argv[n++] = path;
  for (size_t i = 0; args && args[i] && n < 62; i++)
    argv[n++] = args[i];
  argv[n] = NULL;

  int pipefd[2];
  if (pipe(pipefd) != 0)
    return -1;
  /* posix_spawn, not fork: it runs no pthread_atfork handlers, so starting a server does not
   * go through the library's fork preparation (tests/integration/test_fork.c tests that). */
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, pipefd[1], STDOUT_FILENO);
  posix_spawn_file_actions_addclose(&actions, pipefd[0]);
  posix_spawn_file_actions_addclose(&actions, pipefd[1]);
  pid_t pid;
  extern char **environ;
  int rc = posix_spawn(&pid, argv[0], &actions, NULL, (char *const *)argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  close(pipefd[1]);
  if (rc != 0) {
    fprintf(stderr, "posix_spawn %s: %s\n", argv[0], strerror(rc));
    close(pipefd[0]);
    return -1;
  }
  static bool registered;
  if (!registered)
    atexit(stop_all_at_exit);
  registered = true;
  remember(pid);
  server->pid = pid;
  server->port = read_port(pipefd[0], 30000);
  close(pipefd[0]); /* the server prints nothing else on stdout */
  if (server->port < 0) {
    fprintf(stderr, "%s did not report its port\n", script);
    bgt_server_stop(server);
    return -1;
  }
  snprintf(server->url, sizeof server->url, "127.0.0.1:%d", server->port);
  return 0;
}

void bgt_server_stop(bgt_server *server) {
  if (server->pid <= 0)
    return;
  forget(server->pid);
  kill(server->pid, SIGTERM);
  for (int i = 0; i < 500; i++) {
    if (waitpid(server->pid, NULL, WNOHANG) == server->pid) {
      server->pid = 0;
      return;
    }
    struct timespec ts = {0, 10 * 1000 * 1000};
    nanosleep(&ts, NULL);
  }
  kill(server->pid, SIGKILL);
  waitpid(server->pid, NULL, 0);
  server->pid = 0;
}

int bgt_server_group_teardown(void **state) {
  bgt_server_stop(*state);
  return 0;
}

int bgt_unused_port(void) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t len = sizeof addr;
  int port = -1;
  if (fd >= 0 && bind(fd, (struct sockaddr *)&addr, sizeof addr) == 0 &&
      getsockname(fd, (struct sockaddr *)&addr, &len) == 0)
    port = ntohs(addr.sin_port);
  if (fd >= 0)
    close(fd); /* closed without listen(): connections to it are refused */
  return port;
}
