/* bench harness: workloads, warm-up, timed section, statistics, one JSON line. */
#include "harness.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

/* ---- settings from the command line ---- */
static struct {
  const char *url, *workload, *payload_json;
  int inflight, min_calls, server_pid;
  double seconds, warmup_seconds;
} opt = {NULL, NULL, NULL, 1, 3, 0, 1.0, 0.2};

static void usage(const char *prog) {
  fprintf(stderr,
          "usage: %s --url HOST:PORT --workload small|1k|1m|16m|json|json64k|json1m|df10k|text4k "
          "[--inflight N] "
          "[--seconds S] [--warmup-seconds S] [--min-calls N] [--server-pid PID] "
          "[--payload-json FILE]\n",
          prog);
  exit(2);
}

static void parse_args(int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    const char *k = argv[i];
    if (i + 1 >= argc)
      usage(argv[0]);
    const char *v = argv[++i];
    if (!strcmp(k, "--url"))
      opt.url = v;
    else if (!strcmp(k, "--workload"))
      opt.workload = v;
    else if (!strcmp(k, "--payload-json"))
      opt.payload_json = v;
    else if (!strcmp(k, "--inflight"))
      opt.inflight = atoi(v);
    else if (!strcmp(k, "--min-calls"))
      opt.min_calls = atoi(v);
    else if (!strcmp(k, "--server-pid"))
      opt.server_pid = atoi(v);
    else if (!strcmp(k, "--seconds"))
      opt.seconds = atof(v);
    else if (!strcmp(k, "--warmup-seconds"))
      opt.warmup_seconds = atof(v);
    else
      usage(argv[0]);
  }
  if (!opt.url || !opt.workload || opt.inflight < 1)
    usage(argv[0]);
}

/* ---- workloads ---- */
static char *read_file(const char *path) { /* whole file; /proc files report size 0 */
  FILE *f = path ? fopen(path, "rb") : NULL;
  if (!f)
    return NULL;
  size_t used = 0, cap = 4096;
  char *text = malloc(cap);
  size_t n;
  while (text && (n = fread(text + used, 1, cap - used - 1, f)) > 0) {
    used += n;
    if (used + 1 == cap) {
      char *grown = realloc(text, cap *= 2);
      if (!grown)
        free(text);
      text = grown;
    }
  }
  if (text)
    text[used] = '\0';
  fclose(f);
  return text;
}

/* The text4k text: copies of a line mixing 1-, 2-, 3- and 4-byte UTF-8 characters, while a
 * whole copy fits, then ASCII '.' up to BENCH_TEXT_BYTES bytes (py_client.py builds the
 * same text). */
static const char text_line[] = "Gr\u00fc\u00dfe aus Z\u00fcrich \u2014 \u6771\u4eac "
                                "\u2713 na\u00efve caf\u00e9 \U0001F600; ";

static char *make_text(void) {
  char *text = malloc(BENCH_TEXT_BYTES + 1);
  if (!text)
    return NULL;
  size_t n = 0, line = strlen(text_line);
  while (n + line <= BENCH_TEXT_BYTES) {
    memcpy(text + n, text_line, line);
    n += line;
  }
  memset(text + n, '.', BENCH_TEXT_BYTES - n);
  text[BENCH_TEXT_BYTES] = '\0';
  return text;
}

/* The df10k columns (py_client.py and py_binding.py build the same frame):
 *   price f64 = row * 0.25 + 1        score f64 = (row % 977) * 0.5 - 100
 *   id    i64 = row                   count i64 = row * 7919 % 100000
 *   active bool = row even            flag bool = row % 3 == 0
 *   name  str = "item-%05d" % row     city  str = CITIES[row % 8] */
static const char *const df_cities[8] = {"Berlin",       "Z\u00fcrich", "S\u00e3o Paulo",
                                         "\u6771\u4eac", "Lagos",       "Montr\u00e9al",
                                         "Oslo",         "Krak\u00f3w"};

static int make_dataframe(bench_workload *w) {
  size_t rows = BENCH_DF_ROWS;
  double *price = malloc(rows * sizeof *price), *score = malloc(rows * sizeof *score);
  int64_t *id = malloc(rows * sizeof *id), *count = malloc(rows * sizeof *count);
  bool *active = malloc(rows), *flag = malloc(rows);
  const char **name = malloc(rows * sizeof *name), **city = malloc(rows * sizeof *city);
  char *names = malloc(rows * 16);
  bench_column *columns = malloc(BENCH_DF_COLUMNS * sizeof *columns);
  if (!price || !score || !id || !count || !active || !flag || !name || !city || !names || !columns)
    return -1; /* a benchmark process: exits */
  size_t bytes = rows * (4 * 8 + 2);
  for (size_t i = 0; i < rows; i++) {
    price[i] = (double)i * 0.25 + 1.0;
    score[i] = (double)(i % 977) * 0.5 - 100.0;
    id[i] = (int64_t)i;
    count[i] = (int64_t)(i * 7919 % 100000);
    active[i] = i % 2 == 0;
    flag[i] = i % 3 == 0;
    snprintf(names + i * 16, 16, "item-%05zu", i);
    name[i] = names + i * 16;
    city[i] = df_cities[i % 8];
    bytes += strlen(name[i]) + strlen(city[i]);
  }
  columns[0] = (bench_column){"price", BENCH_COL_F64, price};
  columns[1] = (bench_column){"score", BENCH_COL_F64, score};
  columns[2] = (bench_column){"id", BENCH_COL_I64, id};
  columns[3] = (bench_column){"count", BENCH_COL_I64, count};
  columns[4] = (bench_column){"active", BENCH_COL_BOOL, active};
  columns[5] = (bench_column){"flag", BENCH_COL_BOOL, flag};
  columns[6] = (bench_column){"name", BENCH_COL_STR, name};
  columns[7] = (bench_column){"city", BENCH_COL_STR, city};
  w->kind = BENCH_DATAFRAME;
  w->api = "echo_df";
  w->columns = columns;
  w->n_columns = BENCH_DF_COLUMNS;
  w->rows = rows;
  w->payload_bytes = bytes;
  return 0;
}

int bench_check_column(const bench_workload *w, size_t index, const void *data, size_t n) {
  if (index >= w->n_columns || n != w->rows || (n && !data))
    return -1;
  const bench_column *c = &w->columns[index];
  size_t probe[3] = {0, n / 2, n ? n - 1 : 0};
  for (int i = 0; i < 3 && n; i++) {
    size_t r = probe[i];
    int same = 0;
    switch (c->type) {
    case BENCH_COL_F64: same = ((const double *)data)[r] == ((const double *)c->data)[r]; break;
    case BENCH_COL_I64: same = ((const int64_t *)data)[r] == ((const int64_t *)c->data)[r]; break;
    case BENCH_COL_BOOL: same = ((const bool *)data)[r] == ((const bool *)c->data)[r]; break;
    case BENCH_COL_STR:
      same = !strcmp(((const char *const *)data)[r], ((const char *const *)c->data)[r]);
      break;
    }
    if (!same)
      return -1;
  }
  return 0;
}

static int make_workload(bench_workload *w) {
  static const struct {
    const char *name;
    size_t count;
  } sizes[] = {{"small", 4}, {"1k", 1024}, {"1m", 1u << 20}, {"16m", 16u << 20}};
  memset(w, 0, sizeof *w);
  w->name = opt.workload;
  if (!strcmp(opt.workload, "df10k"))
    return make_dataframe(w);
  if (!strcmp(opt.workload, "text4k")) {
    w->kind = BENCH_TEXT;
    w->api = "echo_text";
    w->text = make_text();
    w->payload_bytes = BENCH_TEXT_BYTES;
    return w->text ? 0 : -1;
  }
  /* json: the payload file; json64k, json1m: an array of copies of it, "[P,P,...,P]", the
   * fewest that reach 64 KiB / 1 MiB (py_client.py builds the same text) */
  size_t json_target = !strcmp(opt.workload, "json")      ? 1
                       : !strcmp(opt.workload, "json64k") ? (size_t)64 << 10
                       : !strcmp(opt.workload, "json1m")  ? (size_t)1 << 20
                                                          : 0;
  if (json_target) {
    w->kind = BENCH_JSON;
    w->api = "echo_json";
    w->json = read_file(opt.payload_json);
    if (!w->json) {
      fprintf(stderr, "bench: the %s workload needs --payload-json FILE\n", opt.workload);
      return -1;
    }
    if (json_target > 1) {
      size_t p = strlen(w->json), copies = 1;
      while (2 + copies * p + (copies - 1) < json_target)
        copies++;
      char *array = malloc(2 + copies * (p + 1));
      if (!array)
        return -1;
      size_t n = 0;
      array[n++] = '[';
      for (size_t i = 0; i < copies; i++) {
        if (i)
          array[n++] = ',';
        memcpy(array + n, w->json, p);
        n += p;
      }
      array[n++] = ']';
      array[n] = '\0';
      free((void *)w->json);
      w->json = array;
    }
    w->payload_bytes = strlen(w->json);
    return 0;
  }
  for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
    if (!strcmp(opt.workload, sizes[i].name)) {
      float *data = malloc(sizes[i].count * sizeof *data);
      if (!data)
        return -1;
      for (size_t j = 0; j < sizes[i].count; j++)
        data[j] = (float)(j % 1000) * 0.25f + 1.0f;
      w->kind = BENCH_NDARRAY;
      w->api = "echo";
      w->data = data;
      w->count = sizes[i].count;
      w->shape[0] = 1;
      w->shape[1] = (int64_t)sizes[i].count;
      w->payload_bytes = sizes[i].count * sizeof(float);
      return 0;
    }
  fprintf(stderr, "bench: unknown workload '%s'\n", opt.workload);
  return -1;
}

int bench_check_echo(const bench_workload *w, const float *out, size_t n) {
  if (n != w->count)
    return -1;
  size_t probe[3] = {0, n / 2, n ? n - 1 : 0};
  for (int i = 0; i < 3 && n; i++)
    if (out[probe[i]] != w->data[probe[i]])
      return -1;
  return 0;
}

/* ---- clocks and counters ---- */
double bench_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* utime + stime of the server process (all its threads), in seconds; -1 if unknown. */
static double server_cpu_seconds(void) {
  if (opt.server_pid <= 0)
    return -1;
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/stat", opt.server_pid);
  char *stat = read_file(path);
  char *p = stat ? strrchr(stat, ')') : NULL;
  unsigned long long utime = 0, stime = 0;
  /* Fields after the command name: state, then 10 numbers, then utime (14) and stime (15). */
  int ok = p && sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &utime,
                       &stime) == 2;
  free(stat);
  return ok ? (double)(utime + stime) / (double)sysconf(_SC_CLK_TCK) : -1;
}

/* CPU seconds all processes spent busy (from /proc/stat), so the report can show how much
 * of the machine something else used meanwhile: 2 cores are shared with other work. */
static double machine_busy_seconds(void) {
  char *stat = read_file("/proc/stat");
  unsigned long long user = 0, nice = 0, sys = 0, idle = 0, iowait = 0, irq = 0, softirq = 0;
  int ok = stat && sscanf(stat, "cpu %llu %llu %llu %llu %llu %llu %llu", &user, &nice, &sys, &idle,
                          &iowait, &irq, &softirq) == 7;
  free(stat);
  return ok ? (double)(user + nice + sys + irq + softirq) / (double)sysconf(_SC_CLK_TCK) : -1;
}

/* Under valgrind --tool=callgrind (bench/profile.sh), costs are counted for the timed section
 * only, in all threads: zeroed at its start, dumped at its end. No-ops otherwise. */
#if __has_include(<valgrind/callgrind.h>)
#include <valgrind/callgrind.h>
#define PROFILE_START() CALLGRIND_ZERO_STATS
#define PROFILE_STOP()  CALLGRIND_DUMP_STATS_AT("timed section")
#else
#define PROFILE_START() ((void)0)
#define PROFILE_STOP()  ((void)0)
#endif

typedef struct {
  double t, user, sys, server, busy;
  long minflt; /* minor page faults so far (fresh pages of large buffers) */
} snapshot;

static snapshot take_snapshot(int start) {
  if (!start)
    PROFILE_STOP();
  snapshot s;
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  s.user = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec * 1e-6;
  s.sys = (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec * 1e-6;
  s.minflt = ru.ru_minflt;
  s.server = server_cpu_seconds();
  s.busy = machine_busy_seconds();
  s.t = bench_now();
  if (start)
    PROFILE_START();
  return s;
}

/* ---- latency samples ---- */
typedef struct {
  double *v;
  size_t n, cap;
} samples;

static int samples_add(samples *s, double x) {
  if (s->n == s->cap) {
    size_t cap = s->cap ? s->cap * 2 : 4096;
    double *grown = realloc(s->v, cap * sizeof *grown);
    if (!grown)
      return -1;
    s->v = grown;
    s->cap = cap;
  }
  s->v[s->n++] = x;
  return 0;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static double percentile(const samples *s, double p) { /* nearest rank, s sorted */
  if (!s->n)
    return 0;
  size_t rank = (size_t)ceil(p * (double)s->n);
  return s->v[rank ? rank - 1 : 0];
}

/* ---- notes: extra numbers a contender reports ---- */
typedef struct {
  const char *key;
  double value;
} note;
static note notes[8];
static int n_notes;

void bench_note(const char *key, double value) {
  if (n_notes < 8)
    notes[n_notes++] = (note){key, value};
}

/* ---- blocking style: N threads ---- */
typedef struct {
  const bench_contender *c;
  void *ctx;
  samples lat;
  int failed;
} worker;

static struct {
  pthread_barrier_t warm, go;
  double warm_end, t_end;
  atomic_long calls;
  atomic_int stop;
} shared;

static void *worker_main(void *arg) {
  worker *w = arg;
  void *tctx = w->c->thread_init ? w->c->thread_init(w->ctx) : w->ctx;
  if (!tctx)
    w->failed = 1;
  while (!w->failed && bench_now() < shared.warm_end) /* warm-up */
    if (w->c->call(tctx) != 0)
      w->failed = 1;
  if (w->failed)
    atomic_store(&shared.stop, 1);
  pthread_barrier_wait(&shared.warm);
  pthread_barrier_wait(&shared.go); /* the main thread took the start snapshot */
  while (!atomic_load(&shared.stop)) {
    double t0 = bench_now();
    if (w->c->call(tctx) != 0) {
      w->failed = 1;
      atomic_store(&shared.stop, 1);
      break;
    }
    double t1 = bench_now();
    samples_add(&w->lat, t1 - t0);
    long done = atomic_fetch_add(&shared.calls, 1) + 1;
    if (t1 >= shared.t_end && done >= opt.min_calls)
      break;
  }
  if (tctx && w->c->thread_fini)
    w->c->thread_fini(tctx);
  return NULL;
}

static int run_threads(const bench_contender *c, void *ctx, samples *all, snapshot *start,
                       snapshot *end) {
  int n = opt.inflight;
  worker *workers = calloc((size_t)n, sizeof *workers);
  pthread_t *threads = calloc((size_t)n, sizeof *threads);
  pthread_barrier_init(&shared.warm, NULL, (unsigned)n + 1);
  pthread_barrier_init(&shared.go, NULL, (unsigned)n + 1);
  shared.warm_end = bench_now() + opt.warmup_seconds;
  for (int i = 0; i < n; i++) {
    workers[i] = (worker){.c = c, .ctx = ctx};
    pthread_create(&threads[i], NULL, worker_main, &workers[i]);
  }
  pthread_barrier_wait(&shared.warm);
  *start = take_snapshot(1);
  shared.t_end = start->t + opt.seconds;
  pthread_barrier_wait(&shared.go);
  int failed = 0;
  for (int i = 0; i < n; i++) {
    pthread_join(threads[i], NULL);
    failed |= workers[i].failed;
  }
  *end = take_snapshot(0);
  for (int i = 0; i < n; i++) {
    for (size_t j = 0; j < workers[i].lat.n; j++)
      samples_add(all, workers[i].lat.v[j]);
    free(workers[i].lat.v);
  }
  free(workers);
  free(threads);
  return failed ? -1 : 0;
}

/* ---- submit/wait style: one thread keeps N calls in flight ---- */
static int run_slots(const bench_contender *c, void *ctx, samples *all, snapshot *start,
                     snapshot *end) {
  int n = opt.inflight;
  double *started = calloc((size_t)n, sizeof *started);
  double warm_end = bench_now() + opt.warmup_seconds, t_end = 0;
  int measuring = 0, outstanding = 0, rc = 0;
  long measured = 0;
  if (opt.warmup_seconds <= 0) { /* no warm-up: measure from the first call */
    *start = take_snapshot(1);
    t_end = start->t + opt.seconds;
    measuring = 1;
  }
  for (int s = 0; s < n && rc == 0; s++) {
    started[s] = bench_now();
    rc = c->submit(ctx, s);
    outstanding += rc == 0;
  }
  while (outstanding > 0) {
    int slot = -1;
    if (c->wait(ctx, &slot) != 0 || slot < 0 || slot >= n) {
      rc = -1;
      break;
    }
    outstanding--;
    double t = bench_now();
    if (!measuring && t >= warm_end) {
      *start = take_snapshot(1);
      t_end = start->t + opt.seconds;
      measuring = 1;
    } else if (measuring) {
      samples_add(all, t - started[slot]);
      measured++;
    }
    int again = rc == 0 && (!measuring || t < t_end || measured + outstanding < opt.min_calls);
    if (again) {
      started[slot] = bench_now();
      if (c->submit(ctx, slot) == 0)
        outstanding++;
      else
        rc = -1;
    }
  }
  *end = take_snapshot(0);
  free(started);
  return rc;
}

/* ---- report ---- */
static void print_result(const bench_contender *c, const bench_workload *w, samples *lat,
                         const snapshot *s0, const snapshot *s1) {
  qsort(lat->v, lat->n, sizeof lat->v[0], cmp_double);
  double elapsed = s1->t - s0->t, calls = (double)lat->n;
  double cpu = (s1->user - s0->user) + (s1->sys - s0->sys);
  double mean = 0;
  for (size_t i = 0; i < lat->n; i++)
    mean += lat->v[i];
  mean = lat->n ? mean / calls : 0;
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  printf("{\"contender\": \"%s\", \"workload\": \"%s\", \"inflight\": %d, \"calls\": %zu, "
         "\"seconds\": %.4f, \"calls_per_s\": %.2f, \"mb_per_s\": %.3f, \"payload_bytes\": %zu, "
         "\"p50_us\": %.2f, \"p90_us\": %.2f, \"p99_us\": %.2f, \"mean_us\": %.2f, "
         "\"cpu_user_s\": %.4f, \"cpu_sys_s\": %.4f, \"cpu_us_per_call\": %.3f, "
         "\"minflt_per_call\": %.1f, \"maxrss_kb\": %ld",
         c->name, w->name, opt.inflight, lat->n, elapsed, calls / elapsed,
         (double)w->payload_bytes * calls / elapsed / 1e6, w->payload_bytes,
         percentile(lat, 0.50) * 1e6, percentile(lat, 0.90) * 1e6, percentile(lat, 0.99) * 1e6,
         mean * 1e6, s1->user - s0->user, s1->sys - s0->sys, cpu / calls * 1e6,
         (double)(s1->minflt - s0->minflt) / calls, ru.ru_maxrss);
  if (s0->server >= 0 && s1->server >= 0) {
    double server = s1->server - s0->server;
    printf(", \"server_cpu_us_per_call\": %.3f", server / calls * 1e6);
    if (s0->busy >= 0 && s1->busy >= 0) /* % of all cores used by neither side */
      printf(", \"other_cpu_pct\": %.1f", (s1->busy - s0->busy - cpu - server) / elapsed /
                                              (double)sysconf(_SC_NPROCESSORS_ONLN) * 100);
  }
  for (int i = 0; i < n_notes; i++)
    printf(", \"%s\": %.4f", notes[i].key, notes[i].value);
  printf("}\n");
  fflush(stdout);
}

int bench_main(int argc, char **argv, const bench_contender *c) {
  parse_args(argc, argv);
  bench_workload w;
  if (make_workload(&w) != 0)
    return 1;
  bench_config config = {opt.url, opt.inflight};
  void *ctx = c->setup(&config, &w);
  if (!ctx)
    return 1;
  samples lat = {0};
  snapshot s0 = {0}, s1 = {0};
  int use_slots = c->submit && (opt.inflight > 1 || !c->call);
  int rc = use_slots ? run_slots(c, ctx, &lat, &s0, &s1) : run_threads(c, ctx, &lat, &s0, &s1);
  if (rc == 0 && lat.n > 0)
    print_result(c, &w, &lat, &s0, &s1);
  else
    fprintf(stderr, "bench %s: workload %s x%d failed\n", c->name, w.name, opt.inflight);
  c->teardown(ctx);
  free(lat.v);
  free((void *)w.data);
  free((void *)w.json);
  free((void *)w.text);
  if (w.n_columns) /* the "name" column's strings live in one block */
    free((void *)((const char *const *)w.columns[6].data)[0]);
  for (size_t i = 0; i < w.n_columns; i++)
    free((void *)w.columns[i].data);
  free((void *)w.columns);
  return rc == 0 && lat.n > 0 ? 0 : 1;
}
