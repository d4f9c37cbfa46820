/* bench harness: the part every C/C++ contender shares.
 *
 * A contender fills a bench_contender with callbacks and calls bench_main(). The harness
 * parses the command line, builds the workload's input, runs a warm-up and then a timed
 * section, and prints ONE JSON line with the results (latency percentiles, calls/s, MB/s,
 * client CPU per call from getrusage, server CPU per call from /proc/<server-pid>/stat,
 * peak RSS). One process runs one (contender, workload, in-flight) cell, so ru_maxrss is
 * that cell's own peak.
 *
 * Two driving styles:
 *   - blocking: `call` runs one call; N threads each loop on it (N = calls in flight);
 *   - submit/wait: `submit` starts a call for a slot, `wait` returns a finished slot;
 *     one thread keeps N slots busy.
 * When a contender has both, submit/wait is used for N > 1 and blocking for N = 1.
 *
 * usage: PROG --url HOST:PORT --workload small|1k|1m|16m|json|json64k|json1m|df10k|text4k
 *             [--inflight N]
 *             [--seconds S] [--warmup-seconds S] [--min-calls N] [--server-pid PID]
 *             [--payload-json FILE]
 */
#ifndef BENCH_HARNESS_H
#define BENCH_HARNESS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum { BENCH_NDARRAY, BENCH_JSON, BENCH_DATAFRAME, BENCH_TEXT } bench_kind;

/* Column types of the DataFrame workload, as pandas holds them: float64, int64, bool (one
 * byte each), str (NUL-terminated UTF-8, one pointer per row). */
typedef enum { BENCH_COL_F64, BENCH_COL_I64, BENCH_COL_BOOL, BENCH_COL_STR } bench_col_type;

typedef struct bench_column {
  const char *name;
  bench_col_type type;
  const void *data; /* `rows` elements: double, int64_t, bool or const char * */
} bench_column;

/* The DataFrame workload (df10k): BENCH_DF_ROWS rows x BENCH_DF_COLUMNS columns, two of each
 * type, in this order: f64, f64, i64, i64, bool, bool, str, str. */
#define BENCH_DF_ROWS    10000
#define BENCH_DF_COLUMNS 8
/* The Text workload (text4k): this many bytes of UTF-8. */
#define BENCH_TEXT_BYTES 4096

typedef struct bench_workload {
  const char *name; /* small, 1k, 1m, 16m, json, json64k, json1m, df10k, text4k */
  bench_kind kind;
  /* "echo" (NumpyNdarray), "echo_json" (JSON), "echo_df" (PandasDataFrame, orient columns)
   * or "echo_text" (Text) */
  const char *api;
  /* BENCH_NDARRAY: a float32 array of `count` elements, shape [1, count]. */
  const float *data;
  size_t count;
  int64_t shape[2];
  /* BENCH_JSON: the document's text (NUL-terminated); BENCH_TEXT: the text (NUL-terminated,
   * BENCH_TEXT_BYTES bytes). */
  const char *json;
  const char *text;
  /* BENCH_DATAFRAME: the columns (BENCH_DF_COLUMNS of them), `rows` rows each. */
  const bench_column *columns;
  size_t n_columns, rows;
  /* bytes of the array, of the JSON text, of the text, or of the DataFrame's values (8 per
   * f64/i64, 1 per bool, the UTF-8 bytes of the strings): the MB/s unit */
  size_t payload_bytes;
} bench_workload;

typedef struct bench_config {
  const char *url;
  int inflight;
} bench_config;

typedef struct bench_contender {
  const char *name;
  /* Connects and prepares; returns the context or NULL after printing why. */
  void *(*setup)(const bench_config *config, const bench_workload *workload);
  void (*teardown)(void *ctx);
  /* Blocking style (optional): per-thread state, then one call at a time. 0 = success. */
  void *(*thread_init)(void *ctx); /* NULL: threads share ctx */
  void (*thread_fini)(void *thread_ctx);
  int (*call)(void *thread_ctx);
  /* Submit/wait style (optional). slots are 0..inflight-1. 0 = success. */
  int (*submit)(void *ctx, int slot);
  int (*wait)(void *ctx, int *slot); /* blocks until one submitted call has finished */
} bench_contender;

int bench_main(int argc, char **argv, const bench_contender *contender);

/* An extra number for the JSON line, e.g. bench_note("from_url_ms", 3.2). */
void bench_note(const char *key, double value);

/* Monotonic clock in seconds. */
double bench_now(void);

/* 0 when `out` (n floats) is the echo of the workload's input (checks a few positions). */
int bench_check_echo(const bench_workload *workload, const float *out, size_t n);

/* 0 when `data` (n elements laid out as bench_column's `data`) is the echo of the
 * workload's column `index` (checks a few rows). */
int bench_check_column(const bench_workload *workload, size_t index, const void *data, size_t n);

#ifdef __cplusplus
}
#endif
#endif
