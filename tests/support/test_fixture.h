/* A reference server plus a discovered client: the group fixture of the sync tests. */
#ifndef BG_TEST_FIXTURE_H
#define BG_TEST_FIXTURE_H

#include <bentogrpc/bentogrpc.h>

#include "test_server.h"

typedef struct bg_test_fixture {
  bg_test_server server;
  bg_client *client;
} bg_test_fixture;

/* Starts the reference server with `args` (NULL-terminated, may be NULL) and connects a
 * client to it. Returns 0, or -1 with a message on stderr (nothing left running). */
int bg_test_fixture_start(bg_test_fixture *fixture, const char *const *args);
void bg_test_fixture_stop(bg_test_fixture *fixture);

#endif
