/* libbentogrpc's sync client, public API only: one client shared by all threads. Each call
 * builds its input as a user would (ours_values.c: bg_ndarray_borrow over the workload's
 * floats, no copy; bg_json_parse of the JSON text; bg_text_new; a dataframe of series borrowed
 * over the workload's columns), calls, reads the reply, frees both.
 * The 16m workload's 64 MiB replies are decoded into a buffer each thread (= each call in
 * flight) allocates once and reuses for every call (bg_call_options_set_output_buffer), as a
 * performance-minded user would: fresh memory per reply costs ~16k page faults and the kernel
 * zeroing 64 MiB on every call. The other workloads' replies get fresh memory as before. */
#include <bentogrpc/bentogrpc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "ours_values.h"

typedef struct {
  bg_client *client;
  const bench_workload *w;
} ours_ctx;

typedef struct {
  ours_ctx *ctx;
  bg_call_options *co; /* with the thread's output buffer; NULL when it has none */
  void *buffer;
} ours_thread;

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

static void ours_thread_fini(void *p) {
  ours_thread *t = p;
  bg_call_options_free(t->co);
  free(t->buffer);
  free(t);
}

static void *ours_thread_init(void *p) {
  ours_thread *t = calloc(1, sizeof *t);
  if (!t)
    return NULL;
  t->ctx = p;
  const bench_workload *w = t->ctx->w;
  if (w->kind == BENCH_NDARRAY && strcmp(w->name, "16m") == 0) {
    size_t bytes = w->count * sizeof(float);
    bg_error err;
    t->buffer = malloc(bytes); /* malloc memory is aligned for double */
    t->co = bg_call_options_new();
    if (!t->buffer || !t->co ||
        bg_call_options_set_output_buffer(t->co, t->buffer, bytes, &err) != BG_OK) {
      fprintf(stderr, "ours-sync: cannot set up the output buffer\n");
      ours_thread_fini(t);
      return NULL;
    }
    /* Touched once here, before the timed section: a long-running caller pays the buffer's
     * page faults once, not per call (16m cells have no warm-up to do it). */
    memset(t->buffer, 0, bytes);
  }
  return t;
}

static int ours_call(void *p) {
  ours_thread *t = p;
  const bench_workload *w = t->ctx->w;
  bg_error err;
  bg_value *in = bench_ours_input(w, &err);
  bg_value *out = NULL;
  int rc = in ? (int)bg_client_call(t->ctx->client, w->api, in, &out, t->co, &err) : -1;
  if (rc != 0) {
    fprintf(stderr, "ours-sync: %s\n", err.message);
  } else if (bench_ours_check(w, out) != 0) {
    fprintf(stderr, "ours-sync: the reply is not the echo\n");
    rc = -1;
  } else if (t->buffer && bg_ndarray_data(out) != t->buffer) { /* measure what we say */
    fprintf(stderr, "ours-sync: the reply was not decoded into the output buffer\n");
    rc = -1;
  }
  bg_value_free(out); /* the buffer stays the thread's, for the next call */
  bg_value_free(in);
  return rc;
}

int main(int argc, char **argv) {
  bench_contender c = {.name = "ours-sync",
                       .setup = ours_setup,
                       .teardown = ours_teardown,
                       .thread_init = ours_thread_init,
                       .thread_fini = ours_thread_fini,
                       .call = ours_call};
  return bench_main(argc, argv, &c);
}
