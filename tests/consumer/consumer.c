/* A program outside the libbentogrpc tree, built by tests/consumer/run.sh against an installed
 * copy only: it calls the reference server's `predict` and prints the first score. */
#include <bentogrpc/bentogrpc.h>
#include <stdio.h>
#include <string.h>

#if !defined(BG_VERSION_NUMBER) || BG_VERSION_NUMBER < BG_VERSION_ENCODE(0, 1, 0)
#error "bentogrpc/version.h does not give BG_VERSION_NUMBER >= 0.1.0"
#endif

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: consumer URL\n");
    return 2;
  }
  if (strcmp(bg_version(), BG_VERSION_STRING) != 0) {
    fprintf(stderr, "consumer: header %s, library %s\n", BG_VERSION_STRING, bg_version());
    return 1;
  }
  bg_error err;
  bg_client *client = bg_client_from_url(argv[1], NULL, &err);
  if (!client) {
    fprintf(stderr, "consumer: %s\n", err.message);
    return 1;
  }
  float row[4] = {5.9f, 3.0f, 5.1f, 1.8f};
  int64_t shape[2] = {1, 4};
  bg_value *input = bg_ndarray_borrow(BG_DTYPE_FLOAT, shape, 2, row, 4, &err);
  bg_value *output = NULL;
  int rc = 1;
  if (input && bg_client_call(client, "predict", input, &output, NULL, &err) == BG_OK) {
    printf("bentogrpc %s: predict -> %g\n", bg_version(),
           ((const float *)bg_ndarray_data(output))[0]);
    rc = 0;
  } else {
    fprintf(stderr, "consumer: %s\n", err.message);
  }
  bg_value_free(output);
  bg_value_free(input);
  bg_client_close(client);
  return rc;
}
