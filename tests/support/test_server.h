/* Starting and stopping the reference server (tests/server/reference_server.py) from tests. */
#ifndef BG_TEST_SERVER_H
#define BG_TEST_SERVER_H

#include <sys/types.h>

typedef struct bg_test_server {
  pid_t pid;
  int port;      /* bound TCP port (0 for unix-only) */
  char url[300]; /* "127.0.0.1:<port>" unless the caller rewrites it */
} bg_test_server;

/* Starts `/usr/bin/python3 reference_server.py <args...>` (NULL-terminated list; with no
 * --listen the server binds 127.0.0.1:0) and waits for its "PORT <n>" line.
 * Returns 0 on success, -1 (with a message on stderr) otherwise. */
int bg_test_server_start(bg_test_server *server, const char *const *args);

/* The same for another Python helper of the test suite (path relative to the source tree),
 * e.g. "tests/support/tcp_proxy.py", which prints the same "PORT <n>" line. */
int bg_test_script_start(bg_test_server *server, const char *script, const char *const *args);

/* The source tree, for test data paths. */
#define BG_TEST_SOURCE_DIR BG_SOURCE_DIR

/* Sends SIGTERM, waits for exit (SIGKILL after 5 s). Safe on a stopped server. */
void bg_test_server_stop(bg_test_server *server);

/* A loopback TCP port that nothing listens on right now. */
int bg_test_unused_port(void);

#endif
