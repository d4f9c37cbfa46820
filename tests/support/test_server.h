/* Starting and stopping the reference server (tests/server/reference_server.py) from tests. */
#ifndef BGT_SERVER_H
#define BGT_SERVER_H

#include <sys/types.h>

typedef struct bgt_server {
  pid_t pid;
  int port;      /* bound TCP port (0 for unix-only) */
  char url[300]; /* "127.0.0.1:<port>" unless the caller rewrites it */
} bgt_server;

/* Starts `/usr/bin/python3 reference_server.py <args...>` (NULL-terminated list; with no
 * --listen the server binds 127.0.0.1:0) and waits for its "PORT <n>" line.
 * Returns 0 on success, -1 (with a message on stderr) otherwise. */
int bgt_server_start(bgt_server *server, const char *const *args);

/* The same for another Python helper of the test suite (path relative to the source tree),
 * e.g. "tests/support/tcp_proxy.py", which prints the same "PORT <n>" line. */
int bgt_script_start(bgt_server *server, const char *script, const char *const *args);

/* The source tree, for test data paths. */
#define BG_TEST_SOURCE_DIR BG_SOURCE_DIR

/* Sends SIGTERM, waits for exit (SIGKILL after 5 s). Safe on a stopped server. */
void bgt_server_stop(bgt_server *server);

/* A cmocka group teardown for a test file sharing one server: stops the bgt_server its group
 * setup pointed *state at (`*state = &server;` before bgt_server_start). */
int bgt_server_group_teardown(void **state);

/* A loopback TCP port that nothing listens on right now. */
int bgt_unused_port(void);

#endif
