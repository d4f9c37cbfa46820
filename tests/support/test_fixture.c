#include <stdio.h>

#include "test_fixture.h"

int bgt_fixture_start(bgt_fixture *f, const char *const *args) {
  if (bgt_server_start(&f->server, args) != 0)
    return -1;
  bg_error err;
  f->client = bg_client_from_url(f->server.url, NULL, &err);
  if (!f->client) {
    fprintf(stderr, "from_url(%s): %s\n", f->server.url, err.message);
    bgt_server_stop(&f->server);
    return -1;
  }
  return 0;
}

void bgt_fixture_stop(bgt_fixture *f) {
  bg_client_close(f->client);
  f->client = NULL;
  bgt_server_stop(&f->server);
}
