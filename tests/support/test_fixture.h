/* A reference server plus a discovered client: the group fixture of the sync tests. */
#ifndef BGT_FIXTURE_H
#define BGT_FIXTURE_H

#include <bentogrpc/bentogrpc.h>

#include "test_server.h"

typedef struct bgt_fixture {
  bgt_server server;
  bg_client *client;
} bgt_fixture;

/* Starts the reference server with `args` (NULL-terminated, may be NULL) and connects a
 * client to it. Returns 0, or -1 with a message on stderr (nothing left running). */
int bgt_fixture_start(bgt_fixture *fixture, const char *const *args);
void bgt_fixture_stop(bgt_fixture *fixture);

#endif
