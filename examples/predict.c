/* Minimal libbentogrpc program: discover a server and call its `predict` API with a 2x4
 * float32 batch borrowed from a stack array (no copy of the elements).
 *
 *   cc predict.c $(pkg-config --cflags --libs bentogrpc) -o predict
 *   ./predict localhost:3000
 */
#include <bentogrpc/bentogrpc.h>
#include <stdio.h>

int main(int argc, char **argv) {
  const char *url = argc > 1 ? argv[1] : "localhost:3000";
  bg_error err;
  bg_client *client = bg_client_from_url(url, NULL, &err);
  if (!client) {
    fprintf(stderr, "connect: %s\n", err.message);
    return 1;
  }
  float batch[2][4] = {{5.9f, 3.0f, 5.1f, 1.8f}, {4.9f, 3.0f, 1.4f, 0.2f}};
  int64_t shape[2] = {2, 4};
  bg_value *input = bg_ndarray_borrow(BG_DTYPE_FLOAT, shape, 2, batch, 8, &err);
  bg_value *output = NULL;
  int rc = 1;
  if (input && bg_client_call(client, "predict", input, &output, NULL, &err) == BG_OK) {
    const float *scores = bg_ndarray_data(output);
    for (size_t i = 0; i < bg_ndarray_count(output); i++)
      printf("row %zu: %g\n", i, scores[i]);
    rc = 0;
  } else {
    fprintf(stderr, "predict: %s (%s)\n", err.message, bg_status_name(err.code));
  }
  bg_value_free(output);
  bg_value_free(input);
  bg_client_close(client);
  return rc;
}
