/* What the command line asked for, as plain data (cli_parse_args fills it, nothing else does),
 * and the one place it is applied to the library: the client options, the call options and the
 * log. */
#ifndef CLI_SETTINGS_H
#define CLI_SETTINGS_H

#include <bentogrpc/bentogrpc.h>
#include <stdbool.h>
#include <stdint.h>

#include "cli_input.h"

typedef struct cli_settings {
  const char *command, *url, *api; /* the positional arguments */
  cli_input input;                 /* the call's input (owns what @PATH / @- read) */
  const char *output_path;         /* -o */
  const char *format;              /* --format, NULL: text */
  bool json;                       /* --format json */
  bool verbose;                    /* -v */
  int log_level;                   /* --log / -v: a bg_log_level, or -1 to leave the log alone */
  /* load runs */
  int concurrency; /* > 0: load mode on the async client */
  long count;
  double duration_s, rps, warmup_s;
  /* call options */
  const char *headers[32];
  size_t n_headers;
  int64_t deadline_ms;
  bool wait_for_ready, no_validate, raw;
  bool compress;
  bg_compression compression;
  /* health and wait */
  const char *service;
  int64_t timeout_ms, interval_ms;
  bool watch; /* health --watch */
  /* client options */
  int64_t discovery_timeout_ms; /* 0: the library's default (10 s) */
  int64_t max_recv_bytes;       /* 0: no limit */
  const char *protocol_version, *authority, *lb;
  int retries; /* more attempts after the first, 0: none */
  bool health_check;
  const char *health_check_service;
  const char *cert, *key, *cacert;
  bool plaintext, tls, allow_insecure_credentials;
  char *url_buf; /* the URL rewritten for --plaintext (grpcs:// -> grpc://) */
} cli_settings;

/* Frees what parsing allocated (read inputs, the rewritten URL). */
void cli_settings_free(cli_settings *s);

/* Sets the library's log as -v / --log asked (a no-op without either). */
void cli_settings_apply_log(const cli_settings *s);

/* The client options the settings ask for; NULL after printing the error, with *rc the exit
 * code. */
bg_options *cli_settings_client_options(const cli_settings *s, int *rc);

/* The call options the settings ask for (deadline, wait-for-ready, validation, compression,
 * -H metadata, shown on stderr with -v), recording the reply's metadata in `sink` when it is
 * not NULL; NULL with err on failure. */
bg_call_options *cli_settings_call_options(const cli_settings *s, bg_response_metadata *sink,
                                           bg_error *err);

/* Whether calls go raw (no discovery, no descriptors): --raw, or a v1alpha1 server, which
 * cannot be discovered. One rule for the single call and the load. */
bool cli_settings_calls_raw(const cli_settings *s);

#endif
