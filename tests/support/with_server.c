/* with_server PROGRAM [ARGS...]: starts the reference server on a free loopback port, runs
 * PROGRAM ARGS... ADDRESS, stops the server by PID and exits with PROGRAM's status. Lets
 * ctest run the examples against a real server. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test_server.h"

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: with_server PROGRAM [ARGS...]\n");
    return 2;
  }
  bgt_server server;
  if (bgt_server_start(&server, NULL) != 0)
    return 1;
  char **child_argv = calloc((size_t)argc + 1, sizeof *child_argv);
  if (!child_argv) {
    bgt_server_stop(&server);
    return 1;
  }
  for (int i = 1; i < argc; i++)
    child_argv[i - 1] = argv[i];
  child_argv[argc - 1] = server.url;
  fflush(NULL);
  pid_t pid = fork();
  if (pid == 0) {
    execv(child_argv[0], child_argv);
    perror(child_argv[0]);
    _exit(127);
  }
  int status = 0;
  int rc = 1;
  if (pid > 0 && waitpid(pid, &status, 0) == pid)
    rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  free(child_argv);
  bgt_server_stop(&server);
  return rc;
}
