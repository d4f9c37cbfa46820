/* TLS settings: CA bundle, client certificate and key (files or PEM), authority override.
 * PEM is parsed with OpenSSL when set, so bad input fails here, naming its source. */
#include <errno.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/options_internal.h"
#include "error_internal.h"

#define MAX_PEM_BYTES (16 * 1024 * 1024)

/* Reads a whole (small) file into a NUL-terminated string. */
static bg_status read_file(const char *path, const char *what, char **out, bg_error *err) {
  *out = NULL;
  if (!path)
    return bgi_fail(err, BG_ERR_INVALID_ARGUMENT, 0, "%s: the path is NULL", what);
  FILE *f = fopen(path, "rb");
  if (!f)
    return bgi_fail(err, BG_ERR_INVALID_ARGUMENT, 0, "%s: cannot open '%s': %s", what, path,
                    strerror(errno));
  char *buf = malloc(MAX_PEM_BYTES + 1);
  size_t n = buf ? fread(buf, 1, MAX_PEM_BYTES + 1, f) : 0;
  bool failed = ferror(f);
  int saved = errno;
  fclose(f);
  if (!buf)
    return BGI_FAIL_NOMEM(err);
  if (failed || n > MAX_PEM_BYTES) {
    memset(buf, 0, n > MAX_PEM_BYTES ? MAX_PEM_BYTES : n); /* it may hold part of a key */
    free(buf);
    return bgi_fail(err, BG_ERR_INVALID_ARGUMENT, 0, "%s: cannot read '%s': %s", what, path,
                    failed ? strerror(saved) : "larger than 16 MiB");
  }
  buf[n] = '\0';
  *out = buf;
  return BG_OK;
}

static char *copy_pem(const char *pem, size_t len) {
  char *copy = malloc(len + 1);
  if (copy) {
    memcpy(copy, pem, len);
    copy[len] = '\0';
  }
  return copy;
}

typedef enum { PEM_CERTS, PEM_KEY } pem_kind;

/* OpenSSL's default asks for a passphrase on the terminal; a library must never block on
 * that. Encrypted keys simply fail to load. */
static int no_passphrase(char *buf, int size, int rwflag, void *u) {
  (void)buf;
  (void)size;
  (void)rwflag;
  (void)u;
  return 0;
}

/* true when `pem` holds at least one certificate / a private key OpenSSL can read. */
static bool pem_valid(const char *pem, pem_kind kind) {
  BIO *bio = BIO_new_mem_buf(pem, -1);
  if (!bio)
    return false;
  bool ok = false;
  if (kind == PEM_CERTS) {
    X509 *cert = PEM_read_bio_X509(bio, NULL, no_passphrase, NULL);
    ok = cert != NULL;
    X509_free(cert);
  } else {
    EVP_PKEY *key = PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL);
    ok = key != NULL;
    EVP_PKEY_free(key);
  }
  BIO_free(bio);
  ERR_clear_error(); /* leave no OpenSSL error behind for gRPC to trip over */
  return ok;
}

/* Checks `pem` (owned; freed on failure) and stores it in `slot`. */
static void wipe_free(char *secret) {
  if (secret)
    memset(secret, 0, strlen(secret));
  free(secret);
}

static bg_status store(char **slot, char *pem, pem_kind kind, const char *what, const char *source,
                       bg_error *err) {
  if (!pem_valid(pem, kind)) {
    wipe_free(pem);
    return bgi_fail(err, BG_ERR_INVALID_ARGUMENT, 0,
                    "%s from %s is not PEM %s OpenSSL can read (expected -----BEGIN %s-----%s)",
                    what, source, kind == PEM_CERTS ? "certificates" : "a private key",
                    kind == PEM_CERTS ? "CERTIFICATE" : "PRIVATE KEY",
                    kind == PEM_KEY ? "; encrypted keys are not supported: decrypt it first" : "");
  }
  free(*slot);
  *slot = pem;
  return BG_OK;
}

static bg_status need(const bg_options *options, bg_error *err) {
  return options ? BG_OK : bgi_fail(err, BG_ERR_INVALID_ARGUMENT, 0, "options is NULL");
}

/* The TLS material set so far, named by its setter, or NULL. */
static const char *tls_material(const bg_options *options) {
  if (options->channel.root_pem)
    return "CA certificates (bg_options_set_root_certs_*)";
  if (options->channel.cert_pem)
    return "a client certificate (bg_options_set_client_cert_*)";
  return NULL;
}

BG_API bg_status bg_options_set_tls(bg_options *options, bool enable, bg_error *err) {
  BGI_ERROR_SINK(err);
  if (need(options, err) != BG_OK)
    return BG_ERR_INVALID_ARGUMENT;
  /* Turning TLS off must never be overridden silently by material set before or after. */
  const char *material = tls_material(options);
  if (!enable && material)
    return bgi_fail_reason(err, BG_ERR_INVALID_ARGUMENT, 0, BG_REASON_TLS_CONFLICT,
                           "bg_options_set_tls(false) conflicts with %s set on the same options, "
                           "which needs TLS: drop one of the two settings",
                           material);
  options->channel.tls = enable;
  options->channel.tls_off = !enable;
  return BG_OK;
}

/* TLS material after bg_options_set_tls(false) is a conflict, named as in set_tls. */
static bg_status refuse_if_tls_off(const bg_options *options, const char *what, bg_error *err) {
  if (!options->channel.tls_off)
    return BG_OK;
  return bgi_fail_reason(err, BG_ERR_INVALID_ARGUMENT, 0, BG_REASON_TLS_CONFLICT,
                         "%s need TLS, but bg_options_set_tls(false) turned TLS off on the same "
                         "options: drop one of the two settings",
                         what);
}

BG_API bg_status bg_options_set_root_certs_file(bg_options *options, const char *path,
                                                bg_error *err) {
  BGI_ERROR_SINK(err);
  char *pem, source[600];
  if (need(options, err) != BG_OK ||
      refuse_if_tls_off(options, "CA certificates (bg_options_set_root_certs_file)", err) !=
          BG_OK ||
      read_file(path, "CA certificates", &pem, err) != BG_OK)
    return err->code;
  snprintf(source, sizeof source, "'%s'", path);
  bg_status st = store(&options->channel.root_pem, pem, PEM_CERTS, "CA certificates", source, err);
  if (st == BG_OK)
    options->channel.tls = true;
  return st;
}

BG_API bg_status bg_options_set_root_certs_pem(bg_options *options, const char *pem, size_t len,
                                               bg_error *err) {
  BGI_ERROR_SINK(err);
  if (need(options, err) != BG_OK ||
      refuse_if_tls_off(options, "CA certificates (bg_options_set_root_certs_pem)", err) != BG_OK)
    return BG_ERR_INVALID_ARGUMENT;
  if (!pem)
    return bgi_fail(err, BG_ERR_INVALID_ARGUMENT, 0, "CA certificates: the PEM is NULL");
  char *copy = copy_pem(pem, len);
  if (!copy)
    return BGI_FAIL_NOMEM(err);
  bg_status st =
      store(&options->channel.root_pem, copy, PEM_CERTS, "CA certificates", "memory", err);
  if (st == BG_OK)
    options->channel.tls = true;
  return st;
}

/* Both parts are checked before either replaces the current pair. */
static bg_status set_pair(bg_options *options, char *cert, const char *cert_source, char *key,
                          const char *key_source, bg_error *err) {
  char *new_cert = NULL, *new_key = NULL;
  bg_status st = store(&new_cert, cert, PEM_CERTS, "client certificate", cert_source, err);
  if (st == BG_OK)
    st = store(&new_key, key, PEM_KEY, "client private key", key_source, err);
  else
    wipe_free(key);
  if (st != BG_OK) {
    free(new_cert);
    return st;
  }
  free(options->channel.cert_pem);
  wipe_free(options->channel.key_pem);
  options->channel.cert_pem = new_cert;
  options->channel.key_pem = new_key;
  options->channel.tls = true;
  return BG_OK;
}

BG_API bg_status bg_options_set_client_cert_file(bg_options *options, const char *cert_path,
                                                 const char *key_path, bg_error *err) {
  BGI_ERROR_SINK(err);
  char *cert = NULL, *key = NULL, cert_source[600], key_source[600];
  if (need(options, err) != BG_OK ||
      refuse_if_tls_off(options, "a client certificate (bg_options_set_client_cert_file)", err) !=
          BG_OK)
    return BG_ERR_INVALID_ARGUMENT;
  if (read_file(cert_path, "client certificate", &cert, err) != BG_OK)
    return BG_ERR_INVALID_ARGUMENT;
  if (read_file(key_path, "client private key", &key, err) != BG_OK) {
    free(cert);
    return BG_ERR_INVALID_ARGUMENT;
  }
  snprintf(cert_source, sizeof cert_source, "'%s'", cert_path);
  snprintf(key_source, sizeof key_source, "'%s'", key_path);
  return set_pair(options, cert, cert_source, key, key_source, err);
}

BG_API bg_status bg_options_set_client_cert_pem(bg_options *options, const char *cert_pem,
                                                size_t cert_len, const char *key_pem,
                                                size_t key_len, bg_error *err) {
  BGI_ERROR_SINK(err);
  if (need(options, err) != BG_OK ||
      refuse_if_tls_off(options, "a client certificate (bg_options_set_client_cert_pem)", err) !=
          BG_OK)
    return BG_ERR_INVALID_ARGUMENT;
  if (!cert_pem || !key_pem)
    return bgi_fail(err, BG_ERR_INVALID_ARGUMENT, 0,
                    "client certificate: both the certificate and the key PEM are needed");
  char *cert = copy_pem(cert_pem, cert_len), *key = copy_pem(key_pem, key_len);
  if (!cert || !key) {
    free(cert);
    wipe_free(key);
    return BGI_FAIL_NOMEM(err);
  }
  return set_pair(options, cert, "memory", key, "memory", err);
}

BG_API bg_status bg_options_set_authority(bg_options *options, const char *authority,
                                          bg_error *err) {
  BGI_ERROR_SINK(err);
  if (need(options, err) != BG_OK)
    return BG_ERR_INVALID_ARGUMENT;
  for (const char *p = authority; p && *p; p++)
    if (*p <= 0x20 || *p > 0x7e)
      return bgi_fail(err, BG_ERR_INVALID_ARGUMENT, 0,
                      "authority '%s' contains spaces or non-ASCII characters", authority);
  char *copy = NULL;
  if (authority && *authority && !(copy = strdup(authority)))
    return BGI_FAIL_NOMEM(err);
  free(options->channel.authority);
  options->channel.authority = copy;
  return BG_OK;
}
