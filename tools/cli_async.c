/* Load for the CLI: a window of `concurrency` calls on one async client; each callback
 * records its result and latency and starts the next call, all on this thread (poll mode). */
#include <math.h>
#include <stdlib.h>
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

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

typedef struct run run;

/* One in-flight slot: its own user_data, so a callback knows when its call started. */
typedef struct slot {
  run *r;
  double started;
} slot;

struct run {
  const cli_load *load;
  bg_async_client *client;
  double start, stop_at, last_progress;
  long started, ok, failed;
  long by_status[N_STATUS];
  bg_status first_status;
  char first_error[BG_ERROR_MESSAGE_SIZE];
  double *latencies; /* seconds, one per finished call */
  size_t n_latencies, capacity;
};

static void record(run *r, bg_status st, const bg_error *err, double latency) {
  if (r->load->latency_report) {
    if (r->n_latencies == r->capacity) {
      size_t capacity = r->capacity ? r->capacity * 2 : 4096;
      double *grown = realloc(r->latencies, capacity * sizeof *grown);
      if (grown) {
        r->latencies = grown;
        r->capacity = capacity;
      }
    }
    if (r->n_latencies < r->capacity)
      r->latencies[r->n_latencies++] = latency;
  }
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

static bool more_to_start(const run *r) {
  if (r->load->duration_s > 0 && now_s() >= r->stop_at)
    return false;
  return r->load->count == 0 || r->started < r->load->count;
}

static void on_done(struct bg_async_call *call, bg_status st, bg_value *output, const bg_error *err,
                    void *user_data);

/* Starts the next call in `s`; one that cannot start counts as failed and the next is tried. */
static void start_next(slot *s) {
  run *r = s->r;
  while (more_to_start(r)) {
    r->started++;
    s->started = now_s();
    bg_error err;
    bg_status st = bg_async_call(r->client, r->load->api, r->load->input, r->load->call_options,
                                 on_done, s, NULL, &err);
    if (st == BG_OK)
      return;
    record(r, st, &err, 0);
  }
}

static void on_done(struct bg_async_call *call, bg_status st, bg_value *output, const bg_error *err,
                    void *user_data) {
  (void)call;
  slot *s = user_data;
  record(s->r, st, err, now_s() - s->started);
  bg_value_free(output);
  start_next(s);
}

static void print_progress(run *r) {
  double t = now_s();
  if (!r->load->progress || t - r->last_progress < 0.5)
    return;
  r->last_progress = t;
  double elapsed = t - r->start;
  fprintf(stderr, "\r%8.1f s  %10ld done  %8ld failed  %10.1f calls/s ", elapsed, r->ok + r->failed,
          r->failed, elapsed > 0 ? (double)(r->ok + r->failed) / elapsed : 0);
  fflush(stderr);
}

static int compare_doubles(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static double percentile(const double *sorted, size_t n, double p) {
  size_t i = (size_t)ceil(p / 100.0 * (double)n);
  return sorted[i == 0 ? 0 : i - 1];
}

/* Percentiles and a text histogram of 10 equal-width buckets, like ghz prints. */
static void print_latency(run *r, FILE *out) {
  size_t n = r->n_latencies;
  if (n == 0)
    return;
  double *l = r->latencies, sum = 0;
  qsort(l, n, sizeof *l, compare_doubles);
  for (size_t i = 0; i < n; i++)
    sum += l[i];
  fprintf(out, "\nlatency (ms): min %.3f  mean %.3f  max %.3f\n", l[0] * 1e3, sum / n * 1e3,
          l[n - 1] * 1e3);
  fprintf(out, "  p50 %.3f  p90 %.3f  p99 %.3f  p99.9 %.3f\n", percentile(l, n, 50) * 1e3,
          percentile(l, n, 90) * 1e3, percentile(l, n, 99) * 1e3, percentile(l, n, 99.9) * 1e3);
  size_t counts[10] = {0}, most = 0;
  double width = (l[n - 1] - l[0]) / 10;
  for (size_t i = 0; i < n; i++) {
    size_t b = width > 0 ? (size_t)((l[i] - l[0]) / width) : 0;
    counts[b > 9 ? 9 : b]++;
  }
  for (int b = 0; b < 10; b++)
    most = counts[b] > most ? counts[b] : most;
  fprintf(out, "\nhistogram (ms):\n");
  for (int b = 0; b < 10; b++) {
    int bar = most ? (int)(40.0 * (double)counts[b] / (double)most + 0.5) : 0;
    fprintf(out, "  %9.3f [%8zu] |", (l[0] + width * (b + 1)) * 1e3, counts[b]);
    for (int i = 0; i < bar; i++)
      fputc('#', out);
    fputc('\n', out);
  }
}

static void print_summary(const run *r, double elapsed, FILE *out) {
  long done = r->ok + r->failed;
  fprintf(out,
          "calls: %ld  ok: %ld  failed: %ld  concurrency: %d  elapsed: %.3f s  calls/s: %.1f\n",
          done, r->ok, r->failed, r->load->concurrency, elapsed,
          elapsed > 0 ? (double)done / elapsed : 0.0);
  for (int st = 1; st < N_STATUS; st++)
    if (r->by_status[st])
      fprintf(out, "failed with %s: %ld\n", bg_status_str((bg_status)st), r->by_status[st]);
  if (r->failed)
    fprintf(out, "first error: %s\n", r->first_error);
}

int cli_run_load(const cli_load *load, FILE *out) {
  if (load->concurrency < 1 || load->count < 0 || (load->count == 0 && load->duration_s <= 0) ||
      !load->api || !load->input || !out) {
    fprintf(stderr, "bentogrpc: give --concurrency >= 1 and --count or --duration-s\n");
    return 2;
  }
  bg_error err;
  run r = {.load = load};
  slot *slots = calloc((size_t)load->concurrency, sizeof *slots);
  r.client = slots ? bg_async_client_from_url(load->url, load->options, 0, &err) : NULL;
  if (!r.client) {
    fprintf(stderr, "bentogrpc: %s\n", slots ? err.message : "out of memory");
    free(slots);
    return slots ? exit_code_for(err.code) : 6;
  }
  r.start = r.last_progress = now_s();
  r.stop_at = r.start + load->duration_s;
  /* A call that cannot even start (unknown API, bad input) would fail every time. */
  slots[0] = (slot){.r = &r, .started = r.start};
  r.started = 1;
  if (bg_async_call(r.client, load->api, load->input, load->call_options, on_done, &slots[0], NULL,
                    &err) != BG_OK) {
    fprintf(stderr, "bentogrpc: %s\n", err.message);
    bg_async_client_close(r.client);
    free(slots);
    return exit_code_for(err.code);
  }
  for (int i = 1; i < load->concurrency; i++) {
    slots[i].r = &r;
    start_next(&slots[i]);
  }
  while (bg_async_client_pending(r.client) > 0) {
    bg_async_client_poll(r.client, load->progress ? 100 : -1, NULL, NULL);
    print_progress(&r);
  }
  double elapsed = now_s() - r.start;
  bg_async_client_close(r.client);
  if (load->progress)
    fputc('\n', stderr);
  print_summary(&r, elapsed, out);
  if (load->latency_report)
    print_latency(&r, out);
  free(r.latencies);
  free(slots);
  return exit_code_for(r.first_status);
}

int cli_call_concurrent(const char *url, const char *api, const bg_value *input,
                        const bg_options *options, const bg_call_options *call_options,
                        int concurrency, long count, FILE *out) {
  cli_load load = {.url = url,
                   .api = api,
                   .input = input,
                   .options = options,
                   .call_options = call_options,
                   .concurrency = concurrency,
                   .count = count};
  return cli_run_load(&load, out);
}
