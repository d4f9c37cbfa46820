/* libbentogrpc's async client, public API only, in poll mode: submit starts bg_async_call()
 * for a slot; wait runs bg_async_client_poll() on this thread until a callback has finished a
 * slot. The client borrows large array inputs (BG_ASYNC_BORROW_INPUTS), as a user sending big
 * tensors would: each slot's input lives until its callback, which frees it. Likewise the
 * 16m workload's 64 MiB replies are decoded into a buffer per slot (= per call in flight),
 * allocated once and reused by every call of that slot (bg_call_options_set_output_buffer):
 * fresh memory per reply costs ~16k page faults and the kernel zeroing 64 MiB on every call.
 * The other workloads' replies get fresh memory as before. */
#include <bentogrpc/async.h>
#include <bentogrpc/bentogrpc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "ours_values.h"

typedef struct {
  bg_async_client *client;
  const bench_workload *w;
  int *done; /* finished slots not yet handed to wait(), a FIFO */
  int head, tail, n;
} async_ctx;

typedef struct {
  async_ctx *ctx;
  int slot;
  bg_value *input;     /* borrowed by the call until its callback */
  bg_call_options *co; /* with the slot's output buffer; NULL when it has none */
  void *buffer;        /* written by the slot's call, borrowed by its output */
} slot_ref;

static slot_ref *refs;

static void on_done(bg_async_op *call, bg_status status, bg_value *output, const bg_error *err,
                    void *user_data) {
  (void)call;
  slot_ref *ref = user_data;
  async_ctx *ctx = ref->ctx;
  int rc = status == BG_OK ? bench_ours_check(ctx->w, output) : -1;
  if (status != BG_OK)
    fprintf(stderr, "ours-async: %s\n", err->message);
  else if (rc != 0)
    fprintf(stderr, "ours-async: the reply is not the echo\n");
  else if (ref->buffer && bg_ndarray_data(output) != ref->buffer) { /* measure what we say */
    fprintf(stderr, "ours-async: the reply was not decoded into the output buffer\n");
    rc = -1;
  }
  bg_value_free(output); /* the buffer stays the slot's, for its next call */
  bg_value_free(ref->input);
  ref->input = NULL;
  ctx->done[ctx->tail] = rc == 0 ? ref->slot : -1;
  ctx->tail = (ctx->tail + 1) % ctx->n;
}

static void *async_setup(const bench_config *config, const bench_workload *w) {
  static async_ctx ctx;
  bg_error err;
  double t0 = bench_now();
  bg_options *options = bg_options_new();
  const char *lb = getenv("BENCH_LB_POLICY"); /* bench/replicas.sh: as for raw-core-cq */
  if (lb && *lb && bg_options_set_lb_policy(options, lb, &err) != BG_OK) {
    fprintf(stderr, "ours-async: %s\n", err.message);
    return NULL;
  }
  ctx.client = bg_async_client_from_url(config->url, options, BG_ASYNC_BORROW_INPUTS, &err);
  bg_options_free(options);
  if (!ctx.client) {
    fprintf(stderr, "ours-async: %s\n", err.message);
    return NULL;
  }
  bench_note("from_url_ms", (bench_now() - t0) * 1e3);
  ctx.w = w;
  ctx.n = config->inflight + 1;
  ctx.done = calloc((size_t)ctx.n, sizeof *ctx.done);
  refs = calloc((size_t)config->inflight, sizeof *refs);
  bool reuse = w->kind == BENCH_NDARRAY && strcmp(w->name, "16m") == 0;
  size_t bytes = w->count * sizeof(float);
  for (int i = 0; i < config->inflight; i++) {
    refs[i] = (slot_ref){&ctx, i, NULL, NULL, NULL};
    if (!reuse)
      continue;
    refs[i].buffer = malloc(bytes); /* malloc memory is aligned for double */
    refs[i].co = bg_call_options_new();
    if (!refs[i].buffer || !refs[i].co ||
        bg_call_options_set_output_buffer(refs[i].co, refs[i].buffer, bytes, &err) != BG_OK) {
      fprintf(stderr, "ours-async: cannot set up the output buffers\n");
      return NULL;
    }
    /* Touched once here, before the timed section: a long-running caller pays the buffer's
     * page faults once, not per call (16m cells have no warm-up to do it). */
    memset(refs[i].buffer, 0, bytes);
  }
  return &ctx;
}

static void async_teardown(void *p) {
  async_ctx *ctx = p;
  bg_async_client_close(ctx->client);
  for (int i = 0; i < ctx->n - 1; i++) {
    bg_call_options_free(refs[i].co);
    free(refs[i].buffer);
  }
  free(ctx->done);
  free(refs);
}

static int async_submit(void *p, int slot) {
  async_ctx *ctx = p;
  bg_error err;
  bg_value *in = bench_ours_input(ctx->w, &err);
  bg_status st = in ? bg_async_call(ctx->client, ctx->w->api, in, refs[slot].co, on_done,
                                    &refs[slot], NULL, &err)
                    : err.code;
  if (st == BG_OK)
    refs[slot].input = in; /* freed by on_done (which cannot have run yet: this thread polls) */
  else
    bg_value_free(in);
  if (st != BG_OK)
    fprintf(stderr, "ours-async: %s\n", err.message);
  return st == BG_OK ? 0 : -1;
}

static int async_wait(void *p, int *slot) {
  async_ctx *ctx = p;
  bg_error err;
  while (ctx->head == ctx->tail)
    if (bg_async_client_poll(ctx->client, -1, NULL, &err) != BG_OK) {
      fprintf(stderr, "ours-async: %s\n", err.message);
      return -1;
    }
  *slot = ctx->done[ctx->head];
  ctx->head = (ctx->head + 1) % ctx->n;
  return *slot >= 0 ? 0 : -1;
}

int main(int argc, char **argv) {
  bench_contender c = {.name = "ours-async",
                       .setup = async_setup,
                       .teardown = async_teardown,
                       .submit = async_submit,
                       .wait = async_wait};
  return bench_main(argc, argv, &c);
}
