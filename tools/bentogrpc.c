/* bentogrpc — command-line client for BentoML gRPC servers, built on the public API only.
 * One getopt_long option table; every command shares the exit codes of cli_exit.h and --format. */
#include <bentogrpc/bentogrpc.h>
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli_async.h"
#include "cli_exit.h"
#include "cli_input.h"
#include "cli_output.h"
#include "cli_value_json.h"

static const char usage[] =
    "usage: bentogrpc COMMAND URL [ARGS] [OPTIONS]\n"
    "\n"
    "Talk to a BentoML model server over gRPC.\n"
    "\n"
    "commands:\n"
    "  describe URL              list the service's APIs, their descriptors and docs\n"
    "  health URL                one health check (default: the BentoService, v1 or v1alpha1,\n"
    "                            else the whole server; the output names the one checked)\n"
    "  wait URL                  poll health until SERVING or the timeout passes\n"
    "  call URL API              call an API and print its output\n"
    "  bench URL API             load test: many calls on the async client, then QPS,\n"
    "                            latency percentiles and a histogram (input as for call;\n"
    "                            --concurrency N, default 50; --count M, default 1000, or\n"
    "                            --duration-s S; --rps N caps the start rate; --warmup-s S\n"
    "                            runs uncounted calls first; --format json|csv; calls per\n"
    "                            replica when the server sends 'bentoml-replica' trailers\n"
    "                            (ids that are not UTF-8 as \\xHH; csv: replica:ID columns);\n"
    "                            latencies kept in a fixed-size log-bucket histogram)\n"
    "\n"
    "URL: host:port, grpc://host:port, grpcs://host:port, [::1]:port or unix:/path\n"
    "\n"
    "call input (exactly one; every VALUE below may be @PATH to read it from a file or @- for\n"
    "stdin, @@... for a literal leading @; the PATH of --file/--bytes and of file/bytes parts\n"
    "may be - for stdin; only one input may read stdin):\n"
    "  --ndarray JSON            nested lists, e.g. '[[1,2],[3,4]]'\n"
    "  --series JSON             a list, e.g. '[1,2,3]'\n"
    "  --dataframe JSON          columns, e.g. '{\"age\": [3, 29], \"height\": [94, 170]}'\n"
    "  --dtype T                 element type for the above: float32 float64 bool int32 int64\n"
    "                            uint32 uint64 str (default: inferred like numpy)\n"
    "  --json TEXT               a JSON document\n"
    "  --text TEXT               UTF-8 text\n"
    "  --file PATH [--mime T]    a file or image (MIME type defaults to the API's)\n"
    "  --bytes PATH              raw serialized_bytes, read from PATH\n"
    "  --part NAME=KIND:VALUE    a multipart part (repeatable); KIND is one of ndarray,\n"
    "                            series, dataframe, json, text (VALUE inline) or file, bytes\n"
    "                            (VALUE a path, - for stdin), e.g. --part meta=text:hi\n"
    "                            --part img=file:a.bmp\n"
    "\n"
    "call output:\n"
    "  -o PATH                   write a file, text or JSON output to PATH, byte for byte\n"
    "                            (multipart: file parts to PATH.PART); -o - writes the raw\n"
    "                            bytes to stdout\n"
    "  ndarray, series and dataframe values print exactly: integers as integers, floats with\n"
    "  the fewest digits that read back the same float32/float64 value, NaN, Infinity\n"
    "  and -Infinity spelled as in JSON5 and Python (also accepted as input); ndarray\n"
    "  strings are JSON-escaped, with bytes that are not UTF-8 as \\xHH.\n"
    "  Server text printed to a terminal has control characters and invalid UTF-8 escaped\n"
    "  as \\xHH; use -o PATH or a pipe for the raw bytes.\n"
    "\n"
    "global options (--opt VALUE and --opt=VALUE both work; -- ends the options):\n"
    "  --format text|json        json: every command prints one JSON document on stdout,\n"
    "                            errors too ({\"error\": {...}}); NaN and infinite floats\n"
    "                            as the strings \"NaN\", \"Infinity\", \"-Infinity\" (strict\n"
    "                            JSON, as grpcurl prints them); bench also takes csv\n"
    "  -v, --verbose             request metadata, response headers and trailers, status and\n"
    "                            timing on stderr (single calls), and the library's log at\n"
    "                            info (load runs too)\n"
    "  --log LEVEL               the library's and gRPC Core's log on stderr: debug, info,\n"
    "                            warn or error (same as BG_LOG=LEVEL)\n"
    "  --version                 versions of bentogrpc, libbentogrpc and gRPC Core\n"
    "\n"
    "options:\n"
    "  --concurrency N           call: keep N calls in flight on the async client ...\n"
    "  --count M                 ... and make M calls in all; prints successes, failures and\n"
    "                            calls per second instead of the output\n"
    "  --no-validate             skip client-side checks against the API's descriptor\n"
    "  --raw                     call without descriptors (unknown descriptors, v1alpha1):\n"
    "                            the request field follows the input kind; no discovery;\n"
    "                            call, --concurrency/--count and bench alike (a load run\n"
    "                            first waits for the connection, as discovery would,\n"
    "                            unless --wait-for-ready lets the calls wait)\n"
    "  --deadline-ms N           call deadline in milliseconds\n"
    "  --wait-for-ready          let a call wait for the server instead of failing at once\n"
    "  -H 'key: value'           add request metadata (repeatable; the key is lower-cased)\n"
    "  --lb POLICY               load balancing over the addresses a name resolves to:\n"
    "                            pick_first (default) or round_robin\n"
    "  --retries N               retry UNAVAILABLE up to N more times (backoff 100 ms x2 up\n"
    "                            to 1 s)\n"
    "  --health-check[=SERVICE]  gRPC client-side health checking (with --lb round_robin)\n"
    "  --service NAME            health: service name to check ('' = whole server)\n"
    "  --timeout-ms N            health/wait: how long to wait (default 5000 / 30000)\n"
    "  --interval-ms N           wait: pause between checks (default 500)\n"
    "  --protocol-version V      v1 (default) or v1alpha1 (no discovery: calls go --raw)\n"
    "  --cacert PATH             CA certificates (PEM) that verify the server; implies TLS\n"
    "  --cert PATH --key PATH    client certificate and key (PEM) for mutual TLS\n"
    "  --authority NAME          :authority and the name the server certificate must carry\n"
    "  --tls                     TLS with the system's root certificates\n"
    "  --plaintext               no TLS, even for grpcs:// (default for host:port)\n"
    "  --allow-insecure-credentials\n"
    "                            send credentials (-H 'authorization: ...') without TLS to a\n"
    "                            loopback or unix: server (localhost, 127.0.0.0/8, [::1]);\n"
    "                            without it they are refused, and to any other server\n"
    "                            they are refused without TLS even with it\n"
    "  --compress ALG            compress requests: gzip, deflate or none\n"
    "  --max-recv-bytes N        largest reply accepted (default: no limit)\n"
    "  --discovery-timeout-ms N  how long connecting + ServiceMetadata may take (default 10000;\n"
    "                            a --raw load run: how long connecting may take)\n"
    "  -h, --help                this text\n"
    "\n"
    "exit codes (every command): 0 ok, 1 not serving, 2 usage or bad input,\n"
    "  3 unavailable, 4 deadline/timeout, 5 server error or unknown API, 6 other error\n"
    "\n"
    "examples:\n"
    "  bentogrpc describe localhost:3000\n"
    "  bentogrpc wait localhost:3000 --timeout-ms 20000\n"
    "  bentogrpc call localhost:3000 predict --ndarray '[[5.9,3,5.1,1.8]]' --dtype float32\n"
    "  bentogrpc call localhost:3000 predict --ndarray @batch.json --format json\n"
    "  bentogrpc bench localhost:3000 predict --ndarray @- --duration-s 60 --rps 500 < x.json\n";

#define MAX_LOADED 64

typedef struct cli {
  const char *command, *url, *api;
  cli_input input;
  const char *service, *output_path;
  bool no_validate, raw, json, verbose, stdin_used;
  const char *format;
  int concurrency; /* > 0: load mode on the async client */
  long count;
  double duration_s, rps, warmup_s;
  const char *headers[32];
  size_t n_headers;
  int64_t deadline_ms, timeout_ms, interval_ms;
  int64_t discovery_timeout_ms; /* 0: the library's default (10 s) */
  bool wait_for_ready;
  const char *protocol_version;
  const char *cert, *key, *cacert;
  bool plaintext, tls, compress;
  char *url_buf; /* the URL rewritten for --plaintext; freed by main */
  bg_compression compression;
  bg_options *options;
  char *loaded[MAX_LOADED]; /* @PATH / @- contents and rewritten --part values; freed by main */
  size_t n_loaded;
} cli;

/* The one option table. Long-only options get ids from 256 on. */
enum {
  O_NDARRAY = 256,
  O_SERIES,
  O_DATAFRAME,
  O_DTYPE,
  O_JSON,
  O_TEXT,
  O_FILE,
  O_MIME,
  O_BYTES,
  O_PART,
  O_CONCURRENCY,
  O_COUNT,
  O_DURATION,
  O_NO_VALIDATE,
  O_RAW,
  O_SERVICE,
  O_WAIT_FOR_READY,
  O_DEADLINE,
  O_TIMEOUT,
  O_INTERVAL,
  O_DISCOVERY_TIMEOUT,
  O_CACERT,
  O_CERT,
  O_KEY,
  O_AUTHORITY,
  O_TLS,
  O_PLAINTEXT,
  O_COMPRESS,
  O_MAX_RECV,
  O_PROTOCOL_VERSION,
  O_FORMAT,
  O_VERSION,
  O_LOG,
  O_LB,
  O_RETRIES,
  O_HEALTH_CHECK,
  O_RPS,
  O_WARMUP,
  O_ALLOW_INSECURE_CREDENTIALS
};
static const struct option long_options[] = {
    {"ndarray", required_argument, 0, O_NDARRAY},
    {"series", required_argument, 0, O_SERIES},
    {"dataframe", required_argument, 0, O_DATAFRAME},
    {"dtype", required_argument, 0, O_DTYPE},
    {"json", required_argument, 0, O_JSON},
    {"text", required_argument, 0, O_TEXT},
    {"file", required_argument, 0, O_FILE},
    {"mime", required_argument, 0, O_MIME},
    {"bytes", required_argument, 0, O_BYTES},
    {"part", required_argument, 0, O_PART},
    {"concurrency", required_argument, 0, O_CONCURRENCY},
    {"count", required_argument, 0, O_COUNT},
    {"duration-s", required_argument, 0, O_DURATION},
    {"no-validate", no_argument, 0, O_NO_VALIDATE},
    {"raw", no_argument, 0, O_RAW},
    {"service", required_argument, 0, O_SERVICE},
    {"wait-for-ready", no_argument, 0, O_WAIT_FOR_READY},
    {"deadline-ms", required_argument, 0, O_DEADLINE},
    {"timeout-ms", required_argument, 0, O_TIMEOUT},
    {"interval-ms", required_argument, 0, O_INTERVAL},
    {"discovery-timeout-ms", required_argument, 0, O_DISCOVERY_TIMEOUT},
    {"cacert", required_argument, 0, O_CACERT},
    {"cert", required_argument, 0, O_CERT},
    {"key", required_argument, 0, O_KEY},
    {"authority", required_argument, 0, O_AUTHORITY},
    {"tls", no_argument, 0, O_TLS},
    {"plaintext", no_argument, 0, O_PLAINTEXT},
    {"compress", required_argument, 0, O_COMPRESS},
    {"max-recv-bytes", required_argument, 0, O_MAX_RECV},
    {"protocol-version", required_argument, 0, O_PROTOCOL_VERSION},
    {"format", required_argument, 0, O_FORMAT},
    {"version", no_argument, 0, O_VERSION},
    {"log", required_argument, 0, O_LOG},
    {"lb", required_argument, 0, O_LB},
    {"retries", required_argument, 0, O_RETRIES},
    {"health-check", optional_argument, 0, O_HEALTH_CHECK},
    {"rps", required_argument, 0, O_RPS},
    {"warmup-s", required_argument, 0, O_WARMUP},
    {"allow-insecure-credentials", no_argument, 0, O_ALLOW_INSECURE_CREDENTIALS},
    {"help", no_argument, 0, 'h'},
    {"verbose", no_argument, 0, 'v'},
    {0, 0, 0, 0}};

static bool json_mode; /* --format json: errors are JSON documents on stdout too */

/* Prints a failure; never exits 0 (a failure without a code or message is a bug here). */
static int report(const bg_error *err) {
  if (err->code == BG_OK || err->message[0] == '\0') {
    fprintf(stderr, "bentogrpc: internal error: an operation failed without saying why "
                    "(please report this)\n");
    if (json_mode)
      cli_print_json_error(stdout, "BG_ERR_INTERNAL", 0, "an operation failed without saying why",
                           CLI_EXIT_OTHER);
    return CLI_EXIT_OTHER;
  }
  char message[BG_ERROR_MESSAGE_SIZE + 2048]; /* + cli_error_advice */
  snprintf(message, sizeof message, "%s%s", err->message,
           cli_error_advice(err->code, err->message));
  char *safe = bg_text_escape(message, strlen(message)); /* server text inside */
  fprintf(stderr, "bentogrpc: %s\n", safe ? safe : "out of memory");
  bg_string_free(safe);
  int rc = cli_exit_code(err->code);
  if (json_mode)
    cli_print_json_error(stdout, bg_status_str(err->code), err->grpc_status, message, rc);
  return rc;
}

static int usage_error(const char *fmt, const char *arg) {
  char message[1024];
  snprintf(message, sizeof message, fmt, arg);
  fprintf(stderr, "bentogrpc: %s\nRun 'bentogrpc --help' for usage.\n", message);
  if (json_mode)
    cli_print_json_error(stdout, "usage", 0, message, CLI_EXIT_USAGE);
  return CLI_EXIT_USAGE;
}

static bool parse_ms(const char *text, int64_t *out) {
  char *end;
  errno = 0;
  long long v = strtoll(text, &end, 10);
  if (*text == '\0' || *end != '\0' || v < 0 || errno)
    return false;
  *out = v;
  return true;
}

static bool parse_seconds(const char *text, double max, double *out) {
  char *end;
  double v = strtod(text, &end);
  if (*text == '\0' || *end != '\0' || !(v > 0) || v > max)
    return false;
  *out = v;
  return true;
}

static int keep(cli *c, char *text) {
  if (c->n_loaded == MAX_LOADED) {
    free(text);
    return usage_error("too many @ inputs (at most %s)", "64");
  }
  c->loaded[c->n_loaded++] = text;
  return -1;
}

/* Reads all of `path` ("-": stdin) as text; NUL bytes are refused (binary goes through --file
 * or --bytes). Returns -1 with *out set, else the exit code. */
static int read_text(cli *c, const char *flag, const char *path, char **out) {
  bool from_stdin = strcmp(path, "-") == 0;
  if (from_stdin && c->stdin_used)
    return usage_error("%s: stdin (@-) can feed only one input", flag);
  c->stdin_used |= from_stdin;
  FILE *f = from_stdin ? stdin : fopen(path, "rb");
  if (!f) {
    char message[600];
    snprintf(message, sizeof message, "%s: cannot open '%.400s': %s", flag, path, strerror(errno));
    return usage_error("%s", message);
  }
  size_t len = 0, cap = 4096;
  char *buf = malloc(cap);
  for (size_t n; buf && (n = fread(buf + len, 1, cap - len - 1, f)) > 0;) {
    len += n;
    if (cap - len - 1 == 0) {
      char *grown = realloc(buf, cap * 2);
      if (!grown) {
        free(buf);
        buf = NULL;
      }
      buf = grown;
      cap *= 2;
    }
  }
  bool failed = ferror(f);
  if (!from_stdin)
    fclose(f);
  if (!buf) {
    fprintf(stderr, "bentogrpc: out of memory\n");
    return CLI_EXIT_OTHER;
  }
  buf[len] = '\0';
  if (failed || memchr(buf, '\0', len)) {
    free(buf);
    return usage_error(failed ? "%s: cannot read the input"
                              : "%s: the input holds a NUL byte; send binary data with --file "
                                "or --bytes",
                       flag);
  }
  /* one trailing newline from a file or a here-doc is not part of the value */
  if (len && buf[len - 1] == '\n')
    buf[--len] = '\0';
  *out = buf;
  return keep(c, buf);
}

/* An input VALUE: "@PATH" / "@-" read from a file / stdin, "@@x" is the literal "@x". */
static int input_value(cli *c, const char *flag, const char *arg, const char **out) {
  if (arg[0] != '@' || arg[1] == '@') {
    *out = arg[0] == '@' ? arg + 1 : arg;
    return -1;
  }
  char *text;
  int rc = read_text(c, flag, arg + 1, &text);
  *out = text;
  return rc;
}

/* --file/--bytes PATH: "-" or "@-" is stdin, "@PATH" is PATH. */
static int input_path(cli *c, const char *flag, const char *arg, const char **out) {
  if (arg[0] == '@')
    arg++;
  if (strcmp(arg, "-") == 0) {
    if (c->stdin_used)
      return usage_error("%s: stdin (@-) can feed only one input", flag);
    c->stdin_used = true;
    arg = "/dev/stdin";
  }
  *out = arg;
  return -1;
}

/* --part NAME=KIND:VALUE (split as cli_parse_part does). For the inline kinds a VALUE "@PATH"
 * or "@-" is replaced by the text it names; for file and bytes VALUE is a PATH read as
 * --file/--bytes read theirs ("-" or "@-" is stdin, "@PATH" is PATH). */
static int part_value(cli *c, const char *arg, const char **out) {
  const char *eq = strchr(arg, '='), *colon = eq ? strchr(eq, ':') : NULL;
  *out = arg;
  if (!colon)
    return -1; /* cli_parse_part explains the form */
  size_t kind_len = (size_t)(colon - eq - 1);
  bool path_kind = (kind_len == 4 && strncmp(eq + 1, "file", 4) == 0) ||
                   (kind_len == 5 && strncmp(eq + 1, "bytes", 5) == 0);
  const char *value = colon + 1;
  int rc;
  if (path_kind && (value[0] == '@' || strcmp(value, "-") == 0))
    rc = input_path(c, "--part", value, &value);
  else if (!path_kind && value[0] == '@')
    rc = input_value(c, "--part", value, &value);
  else
    return -1;
  if (rc >= 0)
    return rc;
  size_t size = (size_t)(colon - arg) + 1 + strlen(value) + 1;
  char *joined = malloc(size);
  if (!joined) {
    fprintf(stderr, "bentogrpc: out of memory\n");
    return CLI_EXIT_OTHER;
  }
  snprintf(joined, size, "%.*s:%s", (int)(colon - arg), arg, value);
  *out = joined;
  return keep(c, joined);
}

static void print_version(void) {
  if (json_mode)
    printf("{\"bentogrpc\":\"%s\",\"libbentogrpc\":\"%s\",\"grpc_core\":\"%s\"}\n",
           BG_VERSION_STRING, bg_version(), bg_grpc_core_version());
  else
    printf("bentogrpc %s (libbentogrpc %s, gRPC Core %s)\n", BG_VERSION_STRING, bg_version(),
           bg_grpc_core_version());
}

static void log_to_stderr(bg_log_level level, const char *source, const char *message,
                          void *user_data) {
  (void)user_data;
  fprintf(stderr, "%s: %s: %s\n", source, bg_log_level_str(level), message);
}

static int set_log(const char *level_name) {
  static const char *const names[] = {"debug", "info", "warn", "error"};
  for (int l = 0; l < 4; l++)
    if (strcmp(level_name, names[l]) == 0) {
      bg_set_log_level((bg_log_level)l);
      bg_set_log_handler(log_to_stderr, NULL);
      return -1;
    }
  return usage_error("--log takes debug, info, warn or error, not '%s'", level_name);
}

/* Handles one option; -1 to go on, else the exit code. */
static int take_option(cli *c, int id, const char *name, const char *arg) {
  bg_error err;
  int64_t n;
  switch (id) {
  case 'h': fputs(usage, stdout); return CLI_EXIT_OK;
  case O_VERSION: print_version(); return CLI_EXIT_OK;
  case 'v': c->verbose = true; return bg_get_log_level() > BG_LOG_INFO ? -1 : set_log("info");
  case O_LOG: return set_log(arg);
  case O_FORMAT:
    if (strcmp(arg, "text") && strcmp(arg, "json") && strcmp(arg, "csv"))
      return usage_error("--format takes text, json or csv (bench), not '%s'", arg);
    c->format = arg;
    c->json = json_mode = strcmp(arg, "json") == 0;
    return -1;
  case O_NDARRAY: return input_value(c, name, arg, &c->input.ndarray);
  case O_SERIES: return input_value(c, name, arg, &c->input.series);
  case O_DATAFRAME: return input_value(c, name, arg, &c->input.dataframe);
  case O_JSON: return input_value(c, name, arg, &c->input.json);
  case O_TEXT: return input_value(c, name, arg, &c->input.text);
  case O_DTYPE: c->input.dtype = arg; return -1;
  case O_MIME: c->input.mime = arg; return -1;
  case O_FILE: return input_path(c, name, arg, &c->input.file);
  case O_BYTES: return input_path(c, name, arg, &c->input.bytes);
  case O_PART:
    if (c->input.n_parts == sizeof c->input.parts / sizeof c->input.parts[0])
      return usage_error("too many --part options (at most 32)%s", "");
    return part_value(c, arg, &c->input.parts[c->input.n_parts++]);
  case 'o': c->output_path = arg; return -1;
  case O_CONCURRENCY:
  case O_COUNT:
    if (!parse_ms(arg, &n) || n <= 0 || n > 1000000000)
      return usage_error("%s needs a positive whole number", name);
    if (id == O_CONCURRENCY)
      c->concurrency = (int)(n > 100000 ? 100000 : n);
    else
      c->count = (long)n;
    return -1;
  case O_DURATION:
    if (!parse_seconds(arg, 86400 * 366, &c->duration_s))
      return usage_error("--duration-s needs a number of seconds above 0, not '%s'", arg);
    return -1;
  case O_WARMUP:
    if (!parse_seconds(arg, 86400, &c->warmup_s))
      return usage_error("--warmup-s needs a number of seconds above 0, not '%s'", arg);
    return -1;
  case O_RPS:
    if (!parse_seconds(arg, 1e9, &c->rps))
      return usage_error("--rps needs a number of calls per second above 0, not '%s'", arg);
    return -1;
  case O_NO_VALIDATE: c->no_validate = true; return -1;
  case O_RAW: c->raw = true; return -1;
  case O_SERVICE: c->service = arg; return -1;
  case 'H':
    if (c->n_headers == sizeof c->headers / sizeof c->headers[0])
      return usage_error("too many -H options (at most 32)%s", "");
    c->headers[c->n_headers++] = arg;
    return -1;
  case O_WAIT_FOR_READY: c->wait_for_ready = true; return -1;
  case O_DEADLINE:
  case O_TIMEOUT:
  case O_INTERVAL:
  case O_DISCOVERY_TIMEOUT:
    if (!parse_ms(arg, &n) || n == 0)
      return usage_error("%s needs a positive number of milliseconds", name);
    if (id == O_DEADLINE)
      c->deadline_ms = n;
    else if (id == O_TIMEOUT)
      c->timeout_ms = n;
    else if (id == O_INTERVAL)
      c->interval_ms = n;
    else if (bg_options_set_discovery_timeout_ms(c->options, n, &err) != BG_OK)
      return report(&err);
    else
      c->discovery_timeout_ms = n;
    return -1;
  case O_CACERT: c->cacert = arg; return -1;
  case O_CERT: c->cert = arg; return -1;
  case O_KEY: c->key = arg; return -1;
  case O_AUTHORITY:
    return bg_options_set_authority(c->options, arg, &err) == BG_OK ? -1 : report(&err);
  case O_TLS: c->tls = true; return -1;
  case O_PLAINTEXT: c->plaintext = true; return -1;
  case O_ALLOW_INSECURE_CREDENTIALS: /* the library still refuses a target not on this machine */
    return bg_options_allow_insecure_credentials(c->options, true, &err) == BG_OK ? -1
                                                                                  : report(&err);
  case O_COMPRESS:
    if (strcmp(arg, "gzip") == 0)
      c->compression = BG_COMPRESSION_GZIP;
    else if (strcmp(arg, "deflate") == 0)
      c->compression = BG_COMPRESSION_DEFLATE;
    else if (strcmp(arg, "none") == 0)
      c->compression = BG_COMPRESSION_NONE;
    else
      return usage_error("--compress takes gzip, deflate or none, not '%s'", arg);
    c->compress = true;
    return -1;
  case O_MAX_RECV:
    if (!parse_ms(arg, &n) || bg_options_set_max_receive_bytes(c->options, n, &err))
      return usage_error("--max-recv-bytes takes a number of bytes from 1 to 2147483647, not "
                         "'%s'",
                         arg);
    return -1;
  case O_PROTOCOL_VERSION:
    c->protocol_version = arg;
    return bg_options_set_protocol_version(c->options, arg, &err) == BG_OK ? -1 : report(&err);
  case O_LB:
    if (strcmp(arg, "pick_first") && strcmp(arg, "round_robin"))
      return usage_error("--lb takes pick_first or round_robin, not '%s'", arg);
    return bg_options_set_lb_policy(c->options, arg, &err) == BG_OK ? -1 : report(&err);
  case O_RETRIES:
    if (!parse_ms(arg, &n) || n > 4)
      return usage_error("--retries takes 0 to 4 more attempts, not '%s'", arg);
    if (n == 0)
      return -1;
    return bg_options_set_retry(c->options, (int)n + 1, 100, 1000, 2.0, NULL, &err) == BG_OK
               ? -1
               : report(&err);
  case O_HEALTH_CHECK:
    return bg_options_set_health_check(c->options, true, arg, &err) == BG_OK ? -1 : report(&err);
  default: return usage_error("%s", "unknown option");
  }
}

/* Returns -1 when parsing succeeded, else the exit code. */
static int parse_args(int argc, char **argv, cli *c) {
  bg_error err;
  /* --format json applies to errors met before it on the line too */
  for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
    if (strcmp(argv[i], "--format=json") == 0 ||
        (strcmp(argv[i], "--format") == 0 && i + 1 < argc && strcmp(argv[i + 1], "json") == 0))
      json_mode = true;
  opterr = 0; /* our own messages */
  int id, index;
  while ((id = getopt_long(argc, argv, ":hvo:H:", long_options, &index)) != -1) {
    const char *shown = argv[optind - 1];
    if (id == '?') {
      char flag[64];
      if (optopt && optopt < 256)
        snprintf(flag, sizeof flag, "-%c", optopt);
      else
        snprintf(flag, sizeof flag, "%.60s", shown);
      return usage_error("unknown option '%s'", flag);
    }
    if (id == ':')
      return usage_error("%s needs a value", shown);
    char name[64];
    if (id < 256)
      snprintf(name, sizeof name, "-%c", id);
    else
      snprintf(name, sizeof name, "--%s", long_options[index].name);
    int rc = take_option(c, id, name, optarg);
    if (rc >= 0)
      return rc;
  }
  const char *positional[3] = {0};
  size_t n_positional = 0;
  for (int i = optind; i < argc; i++) {
    if (n_positional == 3)
      return usage_error("unexpected argument '%s'", argv[i]);
    positional[n_positional++] = argv[i];
  }
  /* Conflicting transport flags are refused whatever their order, naming both. */
  const char *tls_flag = c->cacert ? "--cacert"
                         : c->cert ? "--cert"
                         : c->key  ? "--key"
                         : c->tls  ? "--tls"
                                   : NULL;
  if (c->plaintext && tls_flag)
    return usage_error("--plaintext cannot go with %s: choose plaintext or TLS", tls_flag);
  if ((c->cert != NULL) != (c->key != NULL))
    return usage_error("--cert and --key go together%s", "");
  if (c->cacert && bg_options_set_root_certs_file(c->options, c->cacert, &err) != BG_OK)
    return report(&err);
  if (c->cert && bg_options_set_client_cert_file(c->options, c->cert, c->key, &err) != BG_OK)
    return report(&err);
  if ((c->tls && bg_options_set_tls(c->options, true, &err) != BG_OK) ||
      (c->plaintext && bg_options_set_tls(c->options, false, &err) != BG_OK))
    return report(&err);
  if (n_positional < 2) {
    if (json_mode)
      return usage_error("%s", "give a COMMAND and a URL");
    fputs(usage, stderr);
    return CLI_EXIT_USAGE;
  }
  c->command = positional[0];
  c->url = positional[1];
  if (c->format && strcmp(c->format, "csv") == 0 && strcmp(c->command, "bench") != 0)
    return usage_error("--format csv is for bench; %s takes text or json", c->command);
  if (c->plaintext && strncmp(c->url, "grpcs://", 8) == 0) { /* --plaintext wins */
    size_t size = strlen(c->url) - 8 + sizeof "grpc://";
    if (!(c->url_buf = malloc(size))) {
      fprintf(stderr, "bentogrpc: out of memory\n");
      return CLI_EXIT_OTHER;
    }
    snprintf(c->url_buf, size, "grpc://%s", c->url + 8);
    c->url = c->url_buf;
  }
  c->api = positional[2];
  return -1;
}

static void print_io(const char *side, const char *id, const char *attrs) {
  printf("    %-7s ", side);
  cli_put_text(stdout, id ? id : "(none)", (size_t)-1);
  putchar(' ');
  cli_put_text(stdout, attrs ? attrs : "", (size_t)-1);
  putchar('\n');
}

static void put_json_or_null(const char *text) {
  if (text)
    cli_put_json_string(stdout, text, strlen(text));
  else
    fputs("null", stdout);
}

static void print_io_json(const char *side, const char *id, const char *attrs) {
  printf("\"%s\":{\"descriptor\":", side);
  put_json_or_null(id);
  /* the attributes are a JSON object the library made; embedded as it is */
  json_t *parsed = attrs ? json_loads(attrs, JSON_DECODE_ANY, NULL) : NULL;
  printf(",\"attributes\":");
  if (parsed)
    json_dumpf(parsed, stdout, JSON_COMPACT | JSON_ENCODE_ANY);
  else
    fputs("null", stdout);
  json_decref(parsed);
  putchar('}');
}

static int cmd_describe(cli *c) {
  bg_error err;
  bg_client *client = bg_client_from_url(c->url, c->options, &err);
  if (!client)
    return report(&err);
  if (c->json) {
    printf("{\"service\":");
    put_json_or_null(bg_client_service_name(client));
    printf(",\"url\":");
    put_json_or_null(c->url);
    printf(",\"apis\":[");
    for (size_t i = 0; i < bg_client_api_count(client); i++) {
      const bg_api *api = bg_client_api_at(client, i);
      printf("%s{\"name\":", i ? "," : "");
      put_json_or_null(bg_api_name(api));
      printf(",\"supported\":%s,", bg_api_is_supported(api) ? "true" : "false");
      print_io_json("input", bg_api_input_descriptor(api), bg_api_input_attributes_json(api));
      putchar(',');
      print_io_json("output", bg_api_output_descriptor(api), bg_api_output_attributes_json(api));
      printf(",\"docs\":");
      put_json_or_null(bg_api_docs(api));
      printf(",\"unsupported_reason\":");
      put_json_or_null(bg_api_is_supported(api) ? NULL : bg_api_unsupported_reason(api));
      putchar('}');
    }
    printf("]}\n");
    bg_client_close(client);
    return CLI_EXIT_OK;
  }
  printf("service ");
  cli_put_text(stdout, bg_client_service_name(client), (size_t)-1);
  printf(" at %s: %zu APIs\n", c->url, bg_client_api_count(client));
  for (size_t i = 0; i < bg_client_api_count(client); i++) {
    const bg_api *api = bg_client_api_at(client, i);
    printf("\n  ");
    cli_put_text(stdout, bg_api_name(api), (size_t)-1);
    printf("%s\n", bg_api_is_supported(api) ? "" : "  [unsupported]");
    print_io("input", bg_api_input_descriptor(api), bg_api_input_attributes_json(api));
    print_io("output", bg_api_output_descriptor(api), bg_api_output_attributes_json(api));
    const char *docs = bg_api_docs(api), *why = bg_api_unsupported_reason(api);
    if (docs) {
      printf("    docs    ");
      cli_put_text(stdout, docs, (size_t)-1);
      putchar('\n');
    }
    if (!bg_api_is_supported(api)) {
      printf("    why     ");
      cli_put_text(stdout, why ? why : "", (size_t)-1);
      putchar('\n');
    }
  }
  bg_client_close(client);
  return CLI_EXIT_OK;
}

static void print_status_json(const char *status, const char *service) {
  printf("{\"status\":\"%s\",\"service\":", status);
  put_json_or_null(service);
  printf("}\n");
}

/* "SERVING (service NAME)": which name the server answered for — with no --service, the
 * library picks the BentoService name the server registers (README "BentoML releases"). */
static void print_status(const char *status, const char *service) {
  printf("%s (service ", status);
  if (service && *service)
    cli_put_text(stdout, service, (size_t)-1);
  else
    fputs("'': the whole server", stdout);
  printf(")\n");
}

static int cmd_health(cli *c) {
  bg_error err;
  bg_health_status status;
  const char *checked = NULL;
  /* No discovery: a server may be up but not yet serving its APIs. */
  if (bg_health_check_url_service(c->url, c->service, c->timeout_ms ? c->timeout_ms : 5000,
                                  c->options, &status, &checked, &err) != BG_OK)
    return report(&err);
  if (c->json)
    print_status_json(bg_health_status_str(status), checked);
  else
    print_status(bg_health_status_str(status), checked);
  return status == BG_HEALTH_SERVING ? CLI_EXIT_OK : CLI_EXIT_NOT_SERVING;
}

static int cmd_wait(cli *c) {
  bg_error err;
  int64_t timeout = c->timeout_ms ? c->timeout_ms : 30000;
  int64_t interval = c->interval_ms ? c->interval_ms : 500;
  const char *checked = NULL;
  if (bg_wait_until_server_ready_service(c->url, timeout, interval, c->options, &checked, &err) !=
      BG_OK)
    return report(&err);
  if (c->json)
    print_status_json("SERVING", checked);
  else
    print_status("SERVING", checked);
  return CLI_EXIT_OK;
}

static bg_call_options *build_call_options(const cli *c, bg_response_metadata *sink,
                                           bg_error *err) {
  bg_call_options *co = bg_call_options_new();
  if (!co)
    return NULL;
  bool ok =
      (!c->deadline_ms || bg_call_options_set_deadline_ms(co, c->deadline_ms, err) == BG_OK) &&
      bg_call_options_set_wait_for_ready(co, c->wait_for_ready, err) == BG_OK &&
      bg_call_options_set_validate(co, !c->no_validate, err) == BG_OK &&
      (!c->compress || bg_call_options_set_compression(co, c->compression, err) == BG_OK) &&
      (!sink || bg_call_options_set_response_metadata(co, sink, err) == BG_OK);
  for (size_t i = 0; ok && i < c->n_headers; i++) {
    char *key;
    const char *value;
    ok = cli_parse_header(c->headers[i], &key, &value, err) == BG_OK;
    if (ok) { /* HTTP/2 header names are lower-case; grpcurl lower-cases them too */
      for (char *p = key; *p; p++)
        *p = (char)tolower((unsigned char)*p);
      ok = bg_call_options_add_metadata(co, key, value, strlen(value), err) == BG_OK;
      if (ok && c->verbose) /* credentials are not shown */
        fprintf(stderr, "> %s: %s\n", key, cli_header_is_secret(key) ? "(hidden)" : value);
    }
    free(key);
  }
  if (!ok) {
    bg_call_options_free(co);
    return NULL;
  }
  return co;
}

/* Whether calls go raw (no discovery, no descriptors): --raw, or a v1alpha1 server, which
 * cannot be discovered. One rule for the single call and the load. */
static bool calls_raw(const cli *c) {
  return c->raw || (c->protocol_version && strcmp(c->protocol_version, "v1alpha1") == 0);
}

/* Many calls on the async client: `bench`, or `call` with --concurrency/--count; raw calls
 * (calls_raw) on a client without discovery, as run_once makes them. */
static int run_load(const cli *c, bool bench, const bg_value *input, const bg_call_options *co) {
  long count = c->count;
  if (!count && c->duration_s <= 0)
    count = bench ? 1000 : c->concurrency;
  cli_load load = {.url = c->url,
                   .api = c->api,
                   .input = input,
                   .options = c->options,
                   .raw = calls_raw(c),
                   .connect_timeout_ms = c->discovery_timeout_ms,
                   .wait_for_ready = c->wait_for_ready,
                   .call_options = co,
                   .concurrency = c->concurrency ? c->concurrency : (bench ? 50 : 1),
                   .count = count,
                   .duration_s = c->duration_s,
                   .latency_report = bench,
                   .progress = bench && !c->format,
                   .rps = c->rps,
                   .warmup_s = c->warmup_s,
                   .format = c->format,
                   .replica_key = bench ? "bentoml-replica" : NULL};
  return cli_run_load(&load, stdout);
}

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* -v: the reply's headers and trailers, status and time, on stderr. */
static void print_verbose(const bg_response_metadata *md, bg_status st, const bg_error *err,
                          double ms) {
  static const char *const sides[] = {"< header", "< trailer"};
  for (int kind = BG_METADATA_INITIAL; kind <= BG_METADATA_TRAILING; kind++)
    for (size_t i = 0; i < bg_response_metadata_count(md, (bg_metadata_kind)kind); i++) {
      size_t len;
      const char *key = bg_response_metadata_key(md, (bg_metadata_kind)kind, i);
      const char *value = bg_response_metadata_value(md, (bg_metadata_kind)kind, i, &len);
      fprintf(stderr, "%s ", sides[kind]);
      cli_put_text(stderr, key, (size_t)-1);
      fputs(": ", stderr);
      char *safe = bg_text_escape(value, len);
      fputs(safe ? safe : "", stderr);
      bg_string_free(safe);
      fputc('\n', stderr);
    }
  fprintf(stderr, "< status: %s (gRPC %s)\n< time: %.3f ms\n", bg_status_str(st),
          bg_grpc_status_str(st == BG_OK ? 0 : err->grpc_status), ms);
}

/* -o -: a file, bytes, text or JSON output as raw bytes on stdout. */
static int print_raw(const bg_value *v) {
  switch (bg_value_get_kind(v)) {
  case BG_VALUE_FILE: fwrite(bg_file_data(v), 1, bg_file_size(v), stdout); return CLI_EXIT_OK;
  case BG_VALUE_BYTES: fwrite(bg_bytes_data(v), 1, bg_bytes_size(v), stdout); return CLI_EXIT_OK;
  case BG_VALUE_TEXT: fwrite(bg_text_data(v), 1, bg_text_length(v), stdout); return CLI_EXIT_OK;
  case BG_VALUE_JSON: fputs(bg_json_text(v), stdout); return CLI_EXIT_OK;
  default: return cli_print_value(stdout, v, NULL) != 0 ? CLI_EXIT_OTHER : CLI_EXIT_OK;
  }
}

/* One call, printing its output. v1alpha1 servers cannot be discovered: always called raw. */
static int run_once(const cli *c, const bg_value *input, const bg_call_options *co,
                    const bg_response_metadata *md) {
  bool raw = calls_raw(c);
  bg_error err = {0};
  bg_client *client =
      raw ? bg_client_open(c->url, c->options, &err) : bg_client_from_url(c->url, c->options, &err);
  bg_value *output = NULL;
  bg_status st = BG_ERR_INVALID_ARGUMENT;
  double started = now_ms();
  if (client)
    st = raw ? bg_client_call_raw(client, c->api, input, &output, co, &err)
             : bg_client_call(client, c->api, input, &output, co, &err);
  if (c->verbose && client)
    print_verbose(md, st, &err, now_ms() - started);
  int rc = CLI_EXIT_OK;
  bool to_stdout = c->output_path && strcmp(c->output_path, "-") == 0;
  if (st != BG_OK)
    rc = report(&err);
  else if (to_stdout && bg_value_get_kind(output) == BG_VALUE_MULTIPART)
    rc = usage_error("-o - cannot hold a multipart output; give a path prefix (files go to "
                     "PATH.PART)%s",
                     "");
  else if (to_stdout)
    rc = print_raw(output);
  else if (c->json) {
    rc = cli_print_value_json(stdout, output, c->output_path) != 0 ? CLI_EXIT_OTHER : CLI_EXIT_OK;
    putchar('\n');
  } else if (cli_print_value(stdout, output, c->output_path) != 0)
    rc = CLI_EXIT_OTHER;
  bg_value_free(output);
  bg_client_close(client);
  return rc;
}

/* `call` and `bench`: build the input and call options, then one call or a load. */
static int cmd_call(cli *c, bool bench) {
  if (!c->api)
    return usage_error("%s needs an API name, e.g. bentogrpc call URL API --ndarray JSON",
                       c->command);
  bg_error err = {0};
  bg_value *input = cli_build_input(&c->input, &err);
  if (!input)
    return report(&err);
  bool load = bench || c->concurrency || c->count || c->duration_s > 0;
  if (load && c->output_path) { /* was ignored without a word */
    bg_value_free(input);
    return usage_error("-o %s writes one call's output; a load run (--concurrency, --count, "
                       "--duration-s, bench) prints counts only: drop -o, or make one call",
                       c->output_path);
  }
  bg_response_metadata *md = c->verbose && !load ? bg_response_metadata_new() : NULL;
  bg_call_options *co = build_call_options(c, md, &err);
  int rc;
  if (!co)
    rc = report(&err);
  else if (load)
    rc = run_load(c, bench, input, co);
  else
    rc = run_once(c, input, co, md);
  bg_call_options_free(co);
  bg_response_metadata_free(md);
  bg_value_free(input);
  return rc;
}

int main(int argc, char **argv) {
  /* gRPC Core logs handshake failures to stderr; the CLI reports them itself (--log/-v/BG_LOG
   * show them). */
  if (!getenv("BG_LOG"))
    setenv("GRPC_VERBOSITY", "NONE", 0);
  cli c = {0};
  c.options = bg_options_new();
  if (!c.options) {
    fprintf(stderr, "bentogrpc: out of memory\n");
    return CLI_EXIT_OTHER;
  }
  /* getopt_long reorders argv; advice that repeats the command line shows it as typed */
  char **as_typed = malloc(((size_t)argc + 1) * sizeof *as_typed);
  if (as_typed)
    memcpy(as_typed, argv, ((size_t)argc + 1) * sizeof *as_typed);
  int rc = parse_args(argc, argv, &c);
  if (rc < 0) {
    cli_set_command_line(c.command, c.url, as_typed ? argc : 0, as_typed);
    if (strcmp(c.command, "describe") == 0)
      rc = cmd_describe(&c);
    else if (strcmp(c.command, "health") == 0)
      rc = cmd_health(&c);
    else if (strcmp(c.command, "wait") == 0)
      rc = cmd_wait(&c);
    else if (strcmp(c.command, "call") == 0 || strcmp(c.command, "bench") == 0)
      rc = cmd_call(&c, strcmp(c.command, "bench") == 0);
    else
      rc =
          usage_error("unknown command '%s'; use describe, health, wait, call or bench", c.command);
  }
  /* Output that could not be written (a full disk, a closed pipe) is a failure too. */
  if (fflush(stdout) != 0 || ferror(stdout)) {
    fprintf(stderr, "bentogrpc: cannot write the output to stdout\n");
    if (rc == CLI_EXIT_OK)
      rc = CLI_EXIT_OTHER;
  }
  for (size_t i = 0; i < c.n_loaded; i++)
    free(c.loaded[i]);
  free(c.url_buf);
  free(as_typed);
  bg_options_free(c.options);
  bg_set_log_handler(NULL, NULL);
  return rc;
}
