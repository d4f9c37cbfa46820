/* Mutual TLS with certificates held in memory (e.g. fetched from a secret store), not files:
 * the CA, the client certificate and its key are passed to libbentogrpc as PEM bytes.
 *
 *   ./mtls_from_memory localhost:3000 ca.pem client.pem client.key
 * (this example reads the three files into memory first, standing in for a secret store) */
#include <bentogrpc/bentogrpc.h>
#include <stdio.h>
#include <stdlib.h>

static char *read_secret(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f)
    return NULL;
  char *buf = malloc(1 << 16);
  *len = buf ? fread(buf, 1, 1 << 16, f) : 0;
  fclose(f);
  return buf;
}

int main(int argc, char **argv) {
  if (argc != 5) {
    fprintf(stderr, "usage: %s URL CA_PEM CLIENT_CERT_PEM CLIENT_KEY_PEM\n", argv[0]);
    return 2;
  }
  size_t ca_len = 0, cert_len = 0, key_len = 0;
  char *ca = read_secret(argv[2], &ca_len), *cert = read_secret(argv[3], &cert_len),
       *key = read_secret(argv[4], &key_len);
  bg_error err = {0};
  bg_options *options = bg_options_new();
  int rc = 1;
  if (!ca || !cert || !key) {
    fprintf(stderr, "cannot read the PEM files\n");
  } else if (bg_options_set_root_certs_pem(options, ca, ca_len, &err) != BG_OK ||
             bg_options_set_client_cert_pem(options, cert, cert_len, key, key_len, &err) != BG_OK) {
    fprintf(stderr, "TLS options: %s\n", err.message);
  } else {
    bg_client *client = bg_client_from_url(argv[1], options, &err);
    float x[1][4] = {{5.9f, 3.0f, 5.1f, 1.8f}};
    int64_t shape[2] = {1, 4};
    bg_value *input = bg_ndarray_borrow(BG_DTYPE_FLOAT, shape, 2, x, 4, &err), *output = NULL;
    if (client && bg_client_call(client, "predict", input, &output, NULL, &err) == BG_OK) {
      printf("predict over mutual TLS: %g\n", *(const float *)bg_ndarray_data(output));
      rc = 0;
    } else {
      fprintf(stderr, "%s\n", err.message);
    }
    bg_value_free(output);
    bg_value_free(input);
    bg_client_close(client);
  }
  bg_options_free(options); /* the client kept its own copy of the secrets */
  free(ca);
  free(cert);
  free(key);
  return rc;
}
