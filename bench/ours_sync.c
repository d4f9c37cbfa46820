/* libbentogrpc's sync client, public API only: one client shared by all threads. Each call
 * builds its input as a user would (bg_ndarray_borrow over the workload's floats: no copy;
 * or bg_json_parse of the JSON text), calls, reads the reply, frees both. */
#include <bentogrpc/bentogrpc.h>
#include <stdio.h>

#include "harness.h"

typedef struct {
  bg_client *client;
  const bench_workload *w;
} ours_ctx;

static void *ours_setup(const bench_config *config, const bench_workload *w) {
  static ours_ctx ctx;
  bg_error err;
  double t0 = bench_now();
  ctx.client = bg_client_from_url(config->url, NULL, &err);
  if (!ctx.client) {
    fprintf(stderr, "ours-sync: %s\n", err.message);
    return NULL;
  }
  bench_note("from_url_ms", (bench_now() - t0) * 1e3);
  ctx.w = w;
  return &ctx;
}

static void ours_teardown(void *p) { bg_client_close(((ours_ctx *)p)->client); }

static int ours_call(void *p) {
  ours_ctx *ctx = p;
  const bench_workload *w = ctx->w;
  bg_error err;
  bg_value *in = w->kind == BENCH_JSON
                     ? bg_json_parse(w->json, (size_t)-1, &err)
                     : bg_ndarray_borrow(BG_DTYPE_FLOAT, w->shape, 2, w->data, w->count, &err);
  bg_value *out = NULL;
  int rc = in ? (int)bg_client_call(ctx->client, w->api, in, &out, NULL, &err) : -1;
  if (rc != 0)
    fprintf(stderr, "ours-sync: %s\n", err.message);
  else if (w->kind == BENCH_JSON
               ? !bg_json_text(out)[0]
               : bench_check_echo(w, bg_ndarray_data(out), bg_ndarray_count(out)) != 0) {
    fprintf(stderr, "ours-sync: the reply is not the echo\n");
    rc = -1;
  }
  bg_value_free(out);
  bg_value_free(in);
  return rc;
}

int main(int argc, char **argv) {
  bench_contender c = {
      .name = "ours-sync", .setup = ours_setup, .teardown = ours_teardown, .call = ours_call};
  return bench_main(argc, argv, &c);
}
