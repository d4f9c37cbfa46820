/* Concurrent calls for the CLI: a window of `concurrency` calls on one async client; each
 * callback records its result and starts the next call, all on this thread (poll mode). */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli_async.h"

/* The CLI's exit codes (tools/bentogrpc.c); kept in step by hand. */
static int exit_code_for(bg_status st) {
  switch (st) {
  case BG_OK: return 0;
  case BG_ERR_INVALID_ARGUMENT: return 2;
  case BG_ERR_UNAVAILABLE: return 3;
  case BG_ERR_DEADLINE:
  case BG_ERR_TIMEOUT: return 4;
  case BG_ERR_SERVER:
  case BG_ERR_UNKNOWN_API: return 5;
  default: return 6;
  }
}

#define N_STATUS (BG_ERR_INTERNAL + 1)

typedef struct run {
  bg_async_client *client;
  const char *api;
  const bg_value *input;
  const bg_call_options *call_options;
  long count, started, ok, failed;
  long by_status[N_STATUS];
  bg_status first_status;
  char first_error[BG_ERROR_MESSAGE_SIZE];
} run;

static void record(run *r, bg_status st, const bg_error *err) {
  if (st == BG_OK) {
    r->ok++;
    return;
  }
  r->failed++;
  r->by_status[st >= 0 && st < N_STATUS ? st : BG_ERR_INTERNAL]++;
  if (r->first_status == BG_OK) {
    r->first_status = st;
    snprintf(r->first_error, sizeof r->first_error, "%s", err->message);
  }
}

static void on_done(struct bg_async_call *call, bg_status st, bg_value *output, const bg_error *err,
                    void *user_data);

/* Starts the next call; one that cannot start counts as failed and the next is tried. */
static void start_next(run *r) {
  while (r->started < r->count) {
    r->started++;
    bg_error err;
    bg_status st =
        bg_async_call(r->client, r->api, r->input, r->call_options, on_done, r, NULL, &err);
    if (st == BG_OK)
      return;
    record(r, st, &err);
  }
}

static void on_done(struct bg_async_call *call, bg_status st, bg_value *output, const bg_error *err,
                    void *user_data) {
  (void)call;
  run *r = user_data;
  record(r, st, err);
  bg_value_free(output);
  start_next(r);
}

static double seconds_since(const struct timespec *start) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (double)(now.tv_sec - start->tv_sec) + (double)(now.tv_nsec - start->tv_nsec) / 1e9;
}

static void print_summary(const run *r, int concurrency, double elapsed, FILE *out) {
  fprintf(out,
          "calls: %ld  ok: %ld  failed: %ld  concurrency: %d  elapsed: %.3f s  calls/s: %.1f\n",
          r->count, r->ok, r->failed, concurrency, elapsed,
          elapsed > 0 ? (double)r->count / elapsed : 0.0);
  for (int st = 1; st < N_STATUS; st++)
    if (r->by_status[st])
      fprintf(out, "failed with %s: %ld\n", bg_status_str((bg_status)st), r->by_status[st]);
  if (r->failed)
    fprintf(out, "first error: %s\n", r->first_error);
}

int bg_cli_call_concurrent(const char *url, const char *api, const bg_value *input,
                           const bg_options *options, const bg_call_options *call_options,
                           int concurrency, long count, FILE *out) {
  if (concurrency < 1 || count < 1 || !api || !input || !out) {
    fprintf(stderr, "bentogrpc: --concurrency and --count must be at least 1 (got %d and %ld)\n",
            concurrency, count);
    return 2;
  }
  bg_error err;
  run r = {.api = api, .input = input, .call_options = call_options, .count = count};
  r.client = bg_async_client_from_url(url, options, 0, &err);
  if (!r.client) {
    fprintf(stderr, "bentogrpc: %s\n", err.message);
    return exit_code_for(err.code);
  }
  struct timespec start;
  clock_gettime(CLOCK_MONOTONIC, &start);
  /* A call that cannot even start (unknown API, bad input) would fail every time. */
  r.started = 1;
  if (bg_async_call(r.client, api, input, call_options, on_done, &r, NULL, &err) != BG_OK) {
    fprintf(stderr, "bentogrpc: %s\n", err.message);
    bg_async_client_close(r.client);
    return exit_code_for(err.code);
  }
  for (int i = 1; i < concurrency; i++)
    start_next(&r);
  while (bg_async_client_pending(r.client) > 0)
    bg_async_client_poll(r.client, -1, NULL, NULL);
  double elapsed = seconds_since(&start);
  bg_async_client_close(r.client);
  print_summary(&r, concurrency, elapsed, out);
  return exit_code_for(r.first_status);
}
