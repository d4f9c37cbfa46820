/* Load for the CLI: a window of `concurrency` calls on one async client; each callback
 * records its result and latency and starts the next call, all on this thread (poll mode). */
#include <jansson.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli_async.h"
#include "cli_exit.h"
#include "cli_output.h"
#include "ndarray_json.h"

#define N_STATUS (BG_ERR_FORKED + 1)

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Bucket of a latency in microseconds: exact below 64, then 64 sub-buckets per power of 2. */
static size_t bucket_of(uint64_t us) {
  if (us < 64)
    return (size_t)us;
  int e = 63 - __builtin_clzll(us);
  if (e > 40)
    return CLI_HIST_BUCKETS - 1;
  return (size_t)(64 + (e - 6) * 64 + (int)((us >> (e - 6)) - 64));
}

/* The largest latency (us) bucket `b` holds. */
static uint64_t bucket_top(size_t b) {
  if (b < 64)
    return b;
  size_t e = (b - 64) / 64 + 6, m = (b - 64) % 64 + 64;
  return (((uint64_t)m + 1) << (e - 6)) - 1;
}

void cli_hist_add(cli_hist *h, double seconds) {
  if (!(seconds >= 0))
    seconds = 0;
  double us = ceil(seconds * 1e6);
  h->counts[bucket_of(us > 2e12 ? (uint64_t)2e12 : (uint64_t)us)]++;
  h->min_s = h->n == 0 || seconds < h->min_s ? seconds : h->min_s;
  h->max_s = seconds > h->max_s ? seconds : h->max_s;
  h->sum_s += seconds;
  h->n++;
}

double cli_hist_percentile(const cli_hist *h, double p) {
  if (h->n == 0)
    return 0;
  uint64_t want = (uint64_t)ceil(p / 100.0 * (double)h->n), seen = 0;
  want = want == 0 ? 1 : want;
  for (size_t b = 0; b < CLI_HIST_BUCKETS; b++) {
    seen += h->counts[b];
    if (seen >= want) {
      double top = (double)bucket_top(b) / 1e6;
      top = top > h->max_s ? h->max_s : top;
      return top < h->min_s ? h->min_s : top;
    }
  }
  return h->max_s;
}

typedef struct run run;

/* One in-flight slot: its own user_data, so a callback knows when its call started. */
typedef struct slot {
  run *r;
  double started;
  bool parked; /* waiting for the --rps schedule */
} slot;

struct run {
  const cli_load *load;
  bg_async_client *client;
  double start, stop_at, last_progress;
  double measure_from; /* the end of the warm-up */
  long started, measured_started, ok, failed, warmup_calls;
  long by_status[N_STATUS];
  bg_status first_status;
  char first_error[BG_ERROR_MESSAGE_SIZE];
  cli_hist hist;             /* constant memory, whatever the duration */
  struct replicas *replicas; /* calls per replica (load->replica_key), or NULL */
};

/* Calls per replica id: the state of an `after` interceptor, freed with the options. */
typedef struct replicas {
  pthread_mutex_t lock;
  const char *key;
  json_t *counts; /* id -> calls it answered */
} replicas;

static void replicas_free(void *state) {
  replicas *rs = state;
  pthread_mutex_destroy(&rs->lock);
  json_decref(rs->counts);
  free(rs);
}

static void record(run *r, bg_status st, const bg_error *err, double started, double latency) {
  if (started < r->measure_from) { /* warm-up: not in the report */
    r->warmup_calls++;
    return;
  }
  if (r->load->latency_report)
    cli_hist_add(&r->hist, latency);
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
  double t = now_s();
  if (r->load->duration_s > 0 && t >= r->stop_at)
    return false;
  return t < r->measure_from || r->load->count == 0 || r->measured_started < r->load->count;
}

/* With --rps: when the next call may start (calls are spread evenly from the start). */
static double next_start_time(const run *r) {
  return r->load->rps > 0 ? r->start + (double)r->started / r->load->rps : 0;
}

static void on_done(bg_async_op *call, bg_status st, bg_value *output, const bg_error *err,
                    void *user_data);

/* Starts one call of the load's API for slot `s`: raw (no descriptors) or through them. */
static bg_status start_call(run *r, slot *s, bg_error *err) {
  const cli_load *l = r->load;
  return l->raw
             ? bg_async_call_raw(r->client, l->api, l->input, l->call_options, on_done, s, NULL,
                                 err)
             : bg_async_call(r->client, l->api, l->input, l->call_options, on_done, s, NULL, err);
}

/* Starts the next call in `s`; one that cannot start counts as failed and the next is tried. */
static void start_next(slot *s) {
  run *r = s->r;
  s->parked = false;
  while (more_to_start(r)) {
    if (now_s() < next_start_time(r)) {
      s->parked = true; /* the poll loop starts it when its time comes */
      return;
    }
    s->parked = false;
    r->started++;
    s->started = now_s();
    if (s->started >= r->measure_from)
      r->measured_started++;
    bg_error err;
    bg_status st = start_call(r, s, &err);
    if (st == BG_OK)
      return;
    record(r, st, &err, s->started, 0);
  }
}

static void on_done(bg_async_op *call, bg_status st, bg_value *output, const bg_error *err,
                    void *user_data) {
  (void)call;
  slot *s = user_data;
  record(s->r, st, err, s->started, now_s() - s->started);
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

/* Percentiles and a text histogram of 10 equal-width buckets, like ghz prints, from the
 * log-bucket histogram (each bucket's samples counted at its upper bound). */
static void print_latency(run *r, FILE *out) {
  const cli_hist *h = &r->hist;
  if (h->n == 0)
    return;
  fprintf(out, "\nlatency (ms): min %.3f  mean %.3f  max %.3f\n", h->min_s * 1e3,
          h->sum_s / (double)h->n * 1e3, h->max_s * 1e3);
  fprintf(out, "  p50 %.3f  p90 %.3f  p99 %.3f  p99.9 %.3f\n", cli_hist_percentile(h, 50) * 1e3,
          cli_hist_percentile(h, 90) * 1e3, cli_hist_percentile(h, 99) * 1e3,
          cli_hist_percentile(h, 99.9) * 1e3);
  uint64_t counts[10] = {0}, most = 0;
  double width = (h->max_s - h->min_s) / 10;
  for (size_t b = 0; b < CLI_HIST_BUCKETS; b++) {
    if (!h->counts[b])
      continue;
    double v = (double)bucket_top(b) / 1e6;
    v = v > h->max_s ? h->max_s : v < h->min_s ? h->min_s : v;
    size_t i = width > 0 ? (size_t)((v - h->min_s) / width) : 0;
    counts[i > 9 ? 9 : i] += h->counts[b];
  }
  for (int b = 0; b < 10; b++)
    most = counts[b] > most ? counts[b] : most;
  fprintf(out, "\nhistogram (ms):\n");
  for (int b = 0; b < 10; b++) {
    int bar = most ? (int)(40.0 * (double)counts[b] / (double)most + 0.5) : 0;
    fprintf(out, "  %9.3f [%8llu] |", (h->min_s + width * (b + 1)) * 1e3,
            (unsigned long long)counts[b]);
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
  if (r->warmup_calls)
    fprintf(out, "warm-up calls (not counted): %ld\n", r->warmup_calls);
  for (int st = 1; st < N_STATUS; st++)
    if (r->by_status[st])
      fprintf(out, "failed with %s: %ld\n", bg_status_name((bg_status)st), r->by_status[st]);
  if (r->failed)
    fprintf(out, "first error: %s\n", r->first_error);
  const char *id;
  json_t *n;
  if (r->replicas && json_object_size(r->replicas->counts)) {
    fprintf(out, "calls per replica (%s):\n", r->load->replica_key);
    json_object_foreach(r->replicas->counts, id, n) { /* ids come from the servers */
      fputs("  ", out);
      cli_put_text(out, id, (size_t)-1);
      fprintf(out, ": %lld\n", (long long)json_integer_value(n));
    }
  }
}

static const double pcts[] = {50, 90, 99, 99.9};
static const char *const pct_names[] = {"p50", "p90", "p99", "p99.9"};

/* The whole report as one JSON document. */
static void print_json(const run *r, double elapsed, FILE *out) {
  long done = r->ok + r->failed;
  json_t *doc = json_object(), *by = json_object(), *lat = json_object(), *hist = json_array();
  json_object_set_new(doc, "calls", json_integer(done));
  json_object_set_new(doc, "ok", json_integer(r->ok));
  json_object_set_new(doc, "failed", json_integer(r->failed));
  json_object_set_new(doc, "warmup_calls", json_integer(r->warmup_calls));
  json_object_set_new(doc, "concurrency", json_integer(r->load->concurrency));
  json_object_set_new(doc, "elapsed_s", json_real(elapsed));
  json_object_set_new(doc, "calls_per_s", json_real(elapsed > 0 ? (double)done / elapsed : 0));
  for (int st = 1; st < N_STATUS; st++)
    if (r->by_status[st])
      json_object_set_new(by, bg_status_name((bg_status)st), json_integer(r->by_status[st]));
  json_object_set_new(doc, "failed_by_status", by);
  json_object_set_new(doc, "first_error", r->failed ? json_string(r->first_error) : json_null());
  const cli_hist *h = &r->hist;
  json_object_set_new(lat, "min", json_real(h->min_s * 1e3));
  json_object_set_new(lat, "mean", json_real(h->n ? h->sum_s / (double)h->n * 1e3 : 0));
  json_object_set_new(lat, "max", json_real(h->max_s * 1e3));
  for (int i = 0; i < 4; i++)
    json_object_set_new(lat, pct_names[i], json_real(cli_hist_percentile(h, pcts[i]) * 1e3));
  json_object_set_new(doc, "latency_ms", lat);
  for (size_t b = 0; b < CLI_HIST_BUCKETS; b++)
    if (h->counts[b])
      json_array_append_new(hist, json_pack("{s:f,s:I}", "le_ms", (double)bucket_top(b) / 1e3,
                                            "count", (json_int_t)h->counts[b]));
  json_object_set_new(doc, "histogram", hist);
  json_object_set_new(doc, "replicas",
                      r->replicas ? json_deep_copy(r->replicas->counts) : json_object());
  if (json_dumpf(doc, out, JSON_INDENT(2) | JSON_REAL_PRECISION(10)) == 0)
    fputc('\n', out);
  json_decref(doc);
}

/* The column `replica:<id>` as a CSV field (RFC 4180: quoted when it holds a comma, a quote or
 * a line break, quotes doubled); escaped on a terminal, as all server text. */
static void put_replica_column(FILE *out, const char *id) {
  bool quote = strpbrk(id, ",\"\r\n") != NULL;
  size_t len = strlen(id), n = 0;
  char *field = malloc(2 * len + sizeof "\"replica:\"");
  if (!field) {
    fputs("(out of memory)", out);
    return;
  }
  n += (size_t)sprintf(field, "%sreplica:", quote ? "\"" : "");
  for (const char *p = id; *p; p++) {
    if (*p == '"')
      field[n++] = '"';
    field[n++] = *p;
  }
  if (quote)
    field[n++] = '"';
  cli_put_text(out, field, n);
  free(field);
}

/* One header line and one row; with replica counts, one `replica:<id>` column per replica. */
static void print_csv(const run *r, double elapsed, FILE *out) {
  const cli_hist *h = &r->hist;
  long done = r->ok + r->failed;
  json_t *counts = r->replicas ? r->replicas->counts : NULL;
  const char *id;
  json_t *n;
  fprintf(out, "calls,ok,failed,concurrency,elapsed_s,calls_per_s,min_ms,mean_ms,p50_ms,p90_ms,"
               "p99_ms,p99.9_ms,max_ms");
  json_object_foreach(counts, id, n) { /* ids come from the servers */
    fputc(',', out);
    put_replica_column(out, id);
  }
  fprintf(out, "\n%ld,%ld,%ld,%d,%.6f,%.3f,%.3f,%.3f", done, r->ok, r->failed, r->load->concurrency,
          elapsed, elapsed > 0 ? (double)done / elapsed : 0, h->min_s * 1e3,
          h->n ? h->sum_s / (double)h->n * 1e3 : 0);
  for (int i = 0; i < 4; i++)
    fprintf(out, ",%.3f", cli_hist_percentile(h, pcts[i]) * 1e3);
  fprintf(out, ",%.3f", h->max_s * 1e3);
  json_object_foreach(counts, id, n) fprintf(out, ",%lld", (long long)json_integer_value(n));
  fputc('\n', out);
}

/* Whether s[0..len) is UTF-8 as JSON text needs it (what jansson accepts in an object key):
 * valid sequences only, and no NUL. */
static bool utf8_text(const unsigned char *s, size_t len) {
  for (size_t i = 0, n; i < len; i += n)
    if (s[i] == 0 || (n = cli_utf8_sequence(s + i, len - i)) == 0)
      return false;
  return true;
}

/* Counts the replica that answered (its trailing metadata) for the report: under its id when
 * that is UTF-8 text, else under the id's escaped spelling (bg_text_escape: NUL, control bytes
 * and bytes that are not UTF-8 as \xHH), so that every call is counted and the report stays
 * text (JSON object keys must be UTF-8). */
static bg_status count_replica(void *state, bg_call_context *ctx, bg_error *err) {
  (void)err;
  replicas *rs = state;
  size_t len;
  const char *id = bg_response_metadata_find(bg_call_context_response_metadata(ctx),
                                             BG_METADATA_TRAILING, rs->key, &len);
  if (!id)
    return BG_OK;
  bool text = utf8_text((const unsigned char *)id, len);
  char *key = text ? strndup(id, len) : bg_text_escape(id, len);
  if (key) {
    pthread_mutex_lock(&rs->lock);
    json_t *n = json_object_get(rs->counts, key);
    json_object_set_new(rs->counts, key, json_integer(n ? json_integer_value(n) + 1 : 1));
    pthread_mutex_unlock(&rs->lock);
  }
  if (text)
    free(key);
  else
    bg_string_free(key);
  return BG_OK;
}

/* Adds the replica counter to the CLI's options (they own it from then on). */
static replicas *add_replica_counter(bg_options *options, const char *key, bg_error *err) {
  replicas *rs = calloc(1, sizeof *rs);
  if (!rs || !(rs->counts = json_object())) {
    free(rs);
    snprintf(err->message, sizeof err->message, "out of memory");
    return NULL;
  }
  pthread_mutex_init(&rs->lock, NULL);
  rs->key = key;
  bg_interceptor *counter =
      bg_interceptor_new("replica-counter", NULL, count_replica, rs, replicas_free, err);
  if (!counter) {
    replicas_free(rs);
    return NULL;
  }
  bg_status st = bg_options_add_interceptor(options, counter, err);
  bg_interceptor_release(counter);
  return st == BG_OK ? rs : NULL;
}

/* A load run that could not start: the reason on stderr (escaped: server text inside) and,
 * under --format json, as the CLI's {"error": ...} document on `out`, as for a single call.
 * Returns the exit code. */
static int fail_to_start(const cli_load *load, FILE *out, const char *status, bg_status code,
                         int grpc_status, bg_reason reason, const char *message) {
  char advised[BG_ERROR_MESSAGE_SIZE + 2048]; /* + cli_error_advice */
  snprintf(advised, sizeof advised, "%s%s", message, cli_error_advice(code, reason));
  char *safe = bg_text_escape(advised, strlen(advised));
  fprintf(stderr, "bentogrpc: %s\n", safe ? safe : advised);
  bg_string_free(safe);
  int rc = cli_exit_code(code);
  if (out && load->format && strcmp(load->format, "json") == 0)
    cli_print_json_error(out, status ? status : bg_status_name(code), grpc_status, advised, rc);
  return rc;
}

/* A raw run has no discovery to find out that nothing answers at the URL, so it waits (at
 * most `timeout_ms`, or the library's 10 s discovery timeout) for the connection before the
 * first call: a server that cannot be reached fails the run before it starts, as discovery
 * fails the run through descriptors, with the library's words for why. */
static bg_status wait_reachable(bg_client *client, int64_t timeout_ms, bg_error *err) {
  return bg_client_wait_connected(client, timeout_ms > 0 ? timeout_ms : 10000, err);
}

/* The load's client: through discovery, or (raw) on a channel seen to be reachable, whose
 * sync client is returned in `*raw_client` (to close after the async client). */
static bg_async_client *open_client(const cli_load *load, bg_client **raw_client, bg_error *err) {
  *raw_client = NULL;
  if (!load->raw)
    return bg_async_client_from_url(load->url, load->options, 0, err);
  /* Raw calls need no discovery (v1alpha1 servers have none), like bg_client_open for the
   * CLI's single raw call; the async client shares the sync client's channel, whose
   * connection wait_reachable has just made — unless the calls were asked to wait for the
   * server (--wait-for-ready): then a server still starting is what the user expects. */
  bg_client *sync = bg_client_open(load->url, load->options, err);
  bg_async_client *client = NULL;
  if (sync &&
      (load->wait_for_ready || wait_reachable(sync, load->connect_timeout_ms, err) == BG_OK))
    client = bg_async_client_from_client(sync, 0, err);
  if (!client)
    bg_client_close(sync);
  else
    *raw_client = sync;
  return client;
}

int cli_run_load(const cli_load *load, FILE *out) {
  if (load->concurrency < 1 || load->count < 0 || (load->count == 0 && load->duration_s <= 0) ||
      !load->api || !load->input || !out)
    return fail_to_start(load, out, "usage", BG_ERR_INVALID_ARGUMENT, 0, BG_REASON_NONE,
                         "give --concurrency >= 1 and --count or --duration-s");
  bg_error err;
  run r = {.load = load};
  /* The counter goes into the CLI's own options, which it frees after the run. */
  if (load->replica_key && load->options &&
      !(r.replicas = add_replica_counter((bg_options *)load->options, load->replica_key, &err)))
    return fail_to_start(load, out, NULL, BG_ERR_NO_MEMORY, 0, BG_REASON_NONE, err.message);
  slot *slots = calloc((size_t)load->concurrency, sizeof *slots);
  if (!slots)
    return fail_to_start(load, out, NULL, BG_ERR_NO_MEMORY, 0, BG_REASON_NONE, "out of memory");
  bg_client *raw_client;
  r.client = open_client(load, &raw_client, &err);
  if (!r.client) {
    free(slots);
    return fail_to_start(load, out, NULL, err.code, err.grpc_status, bg_error_reason(&err),
                         err.message);
  }
  r.start = r.last_progress = now_s();
  r.measure_from = r.start + (load->warmup_s > 0 ? load->warmup_s : 0);
  r.stop_at = r.measure_from + load->duration_s;
  /* A call that cannot even start (unknown API, bad input) would fail every time. */
  slots[0] = (slot){.r = &r, .started = r.start};
  r.started = 1;
  r.measured_started = load->warmup_s > 0 ? 0 : 1;
  if (start_call(&r, &slots[0], &err) != BG_OK) {
    bg_async_client_close(r.client);
    bg_client_close(raw_client);
    free(slots);
    return fail_to_start(load, out, NULL, err.code, err.grpc_status, bg_error_reason(&err),
                         err.message);
  }
  for (int i = 1; i < load->concurrency; i++) {
    slots[i].r = &r;
    start_next(&slots[i]);
  }
  for (;;) {
    bool parked = false;
    for (int i = 0; i < load->concurrency; i++)
      if (slots[i].parked) {
        start_next(&slots[i]);
        parked |= slots[i].parked;
      }
    if (bg_async_client_pending(r.client) == 0 && !parked)
      break;
    int timeout_ms = load->progress ? 100 : -1;
    if (parked) { /* wake up for the next scheduled start */
      double wait = next_start_time(&r) - now_s();
      int ms = wait > 0 ? (int)(wait * 1e3) + 1 : 0;
      timeout_ms = timeout_ms < 0 || ms < timeout_ms ? ms : timeout_ms;
    }
    bg_async_client_poll(r.client, timeout_ms, NULL, NULL);
    print_progress(&r);
  }
  double elapsed = now_s() - r.measure_from;
  bg_async_client_close(r.client);
  bg_client_close(raw_client);
  if (load->progress)
    fputc('\n', stderr);
  if (load->format && strcmp(load->format, "json") == 0)
    print_json(&r, elapsed, out);
  else if (load->format && strcmp(load->format, "csv") == 0)
    print_csv(&r, elapsed, out);
  else {
    print_summary(&r, elapsed, out);
    if (load->latency_report)
      print_latency(&r, out);
  }
  free(slots);
  return cli_exit_code(r.first_status);
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
