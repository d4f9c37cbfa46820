/* Many calls of one API on one async client: `bentogrpc call --concurrency N --count M` and
 * the ghz-style `bentogrpc bench`. */
#ifndef CLI_ASYNC_H
#define CLI_ASYNC_H

#include <bentogrpc/bentogrpc.h>
#include <stdint.h>
#include <stdio.h>

typedef struct cli_load {
  const char *url, *api;
  const bg_value *input;     /* borrowed; encoded once per call, as a user would */
  const bg_options *options; /* may be NULL; its protocol version is the server's */
  bool raw; /* call without descriptors (bg_async_call_raw) on a client made without
             * discovery, as `call --raw` and v1alpha1 servers need */
  int64_t connect_timeout_ms; /* raw: how long the connection may take before the run starts
                               * (no discovery finds a dead server); <= 0: 10 s */
  bool wait_for_ready;        /* raw: the calls wait for the server themselves (their call
                               * options say so): the run starts without waiting for it */
  const bg_call_options *call_options; /* may be NULL */
  int concurrency;                     /* calls kept in flight, >= 1 */
  long count;                          /* calls in all; 0 with a duration: as many as fit */
  double duration_s;                   /* > 0: stop starting calls after this long */
  bool latency_report;                 /* percentiles and a histogram (bench) */
  bool progress;                       /* a live progress line on stderr */
  double rps;                          /* > 0: start at most this many calls per second */
  double warmup_s;                     /* > 0: calls started this long first are not counted */
  const char *format;                  /* report: NULL/"text", "json" (one document), "csv" */
  const char *replica_key;             /* trailing metadata key counted per value, or NULL */
} cli_load;

/* Latencies in constant memory (HdrHistogram-style): exact below 64 us, then 64 buckets per
 * power of two (under 1.6 % error) up to 2^41 us; min, max and sum exact. */
#define CLI_HIST_BUCKETS (64 + 35 * 64)
typedef struct cli_hist {
  uint64_t counts[CLI_HIST_BUCKETS];
  uint64_t n;
  double min_s, max_s, sum_s;
} cli_hist;

void cli_hist_add(cli_hist *h, double seconds);
/* The latency below which `p` percent of the samples fall (the bucket's upper bound, capped
 * at the exact maximum), in seconds; 0 when empty. */
double cli_hist_percentile(const cli_hist *h, double p);

/* Runs the load and prints how many calls succeeded and failed (per status, with the first
 * error), the elapsed time and calls per second, plus the latency report when asked.
 * Returns the CLI exit code: 0 when every call succeeded, 2 for bad arguments, otherwise the
 * code of the first failure's status (tools/cli_exit.h). A run that cannot start (no
 * connection, unknown API, bad input) says why on stderr and, with format "json", also as the
 * CLI's {"error": ...} document on `out`. */
int cli_run_load(const cli_load *load, FILE *out);

/* The older entry point: `count` calls, `concurrency` in flight, no latency report, calls
 * through the API's descriptors (not raw). */
int cli_call_concurrent(const char *url, const char *api, const bg_value *input,
                        const bg_options *options, const bg_call_options *call_options,
                        int concurrency, long count, FILE *out);

#endif
