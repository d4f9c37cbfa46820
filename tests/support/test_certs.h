/* Test certificates: tests/support/make_certs.sh run once into a fresh temporary directory,
 * for the integration tests that need TLS material. */
#ifndef BGT_CERTS_H
#define BGT_CERTS_H

#include <stddef.h>

/* Makes the directory and the certificates. 0, or -1 when either failed. */
int bgt_certs_make(void);
/* Removes the directory. 0, or the shell's status. */
int bgt_certs_remove(void);
/* The path of `name` in it; valid until eight more calls. */
const char *bgt_cert(const char *name);
/* The whole file at `path` (under 64 KiB), NUL-terminated, malloc'd; aborts when unreadable. */
char *bgt_slurp(const char *path, size_t *len);

#endif
