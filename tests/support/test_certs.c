#include <stdio.h>
#include <stdlib.h>

#include "test_certs.h"

static char certs[64]; /* directory of the generated certificates */

int bgt_certs_make(void) {
  snprintf(certs, sizeof certs, "/tmp/bentogrpc-certs-XXXXXX");
  if (!mkdtemp(certs))
    return -1;
  char cmd[256];
  snprintf(cmd, sizeof cmd, "bash %s/tests/support/make_certs.sh %s", BG_SOURCE_DIR, certs);
  return system(cmd) == 0 ? 0 : -1;
}

int bgt_certs_remove(void) {
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf %s", certs);
  return system(cmd);
}

const char *bgt_cert(const char *name) {
  static char paths[8][128];
  static int next;
  char *p = paths[next++ % 8];
  snprintf(p, 128, "%s/%s", certs, name);
  return p;
}

char *bgt_slurp(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    fprintf(stderr, "cannot read %s\n", path);
    abort();
  }
  char *buf = calloc(1, 1 << 16);
  *len = fread(buf, 1, (1 << 16) - 1, f);
  fclose(f);
  return buf;
}
