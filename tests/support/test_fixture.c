#include <stdio.h>

#include "test_fixture.h"

int bg_test_fixture_start(bg_test_fixture *f, const char *const *args) {
  if (bg_test_server_start(&f->server, args) != 0)
    return -1;
  bg_error err;
  f->client = bg_client_from_url(f->server.url, NULL, &err);
  if (!f->client) {
    fprintf(stderr, "from_url(%s): %s\n", f->server.url, err.message);
    bg_test_server_stop(&f->server);
    return -1;
  }
  return 0;
}

void bg_test_fixture_stop(bg_test_fixture *f) {
  bg_client_close(f->client);
  f->client = NULL;
  bg_test_server_stop(&f->server);
}
