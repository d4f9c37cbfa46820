/* bentogrpc — command-line client for BentoML gRPC servers, built on the public API only. */
#include <bentogrpc/bentogrpc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_async.h"
#include "cli_input.h"
#include "cli_output.h"

/* Exit codes a script can branch on. */
enum {
  EXIT_OK = 0,
  EXIT_NOT_SERVING = 1, /* health: the server answered, but not SERVING */
  EXIT_USAGE = 2,       /* bad command line or input */
  EXIT_UNAVAILABLE = 3, /* nothing answered at the address */
  EXIT_DEADLINE = 4,    /* deadline exceeded, or wait timed out */
  EXIT_SERVER = 5,      /* the server answered with an error status (or no such API) */
  EXIT_OTHER = 6        /* protocol error, unsupported descriptor, internal error */
};

static const char usage[] =
    "usage: bentogrpc COMMAND URL [ARGS] [OPTIONS]\n"
    "\n"
    "Talk to a BentoML model server over gRPC.\n"
    "\n"
    "commands:\n"
    "  describe URL              list the service's APIs, their descriptors and docs\n"
    "  health URL                one health check (default service: the BentoService)\n"
    "  wait URL                  poll health until SERVING or the timeout passes\n"
    "  call URL API              call an API and print its output\n"
    "  bench URL API             load test: many calls on the async client, then QPS,\n"
    "                            latency percentiles and a histogram (input as for call;\n"
    "                            --concurrency N, default 50; --count M, default 1000, or\n"
    "                            --duration-s S; a live progress line on stderr)\n"
    "\n"
    "URL: host:port, grpc://host:port, grpcs://host:port, [::1]:port or unix:/path\n"
    "\n"
    "call input (exactly one):\n"
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
    "                            (VALUE a path), e.g. --part meta=text:hi --part img=file:a.bmp\n"
    "\n"
    "call output:\n"
    "  -o PATH                   write a file, text or JSON output to PATH, byte for byte\n"
    "                            (multipart: file parts to PATH.PART)\n"
    "  ndarray, series and dataframe values print exactly: integers as integers, floats with\n"
    "  the fewest digits that read back the same float32/float64 value, NaN, Infinity\n"
    "  and -Infinity spelled as in JSON5 and Python (also accepted as input); ndarray\n"
    "  strings are JSON-escaped, with bytes that are not UTF-8 as \\xHH.\n"
    "  Server text printed to a terminal has control characters and invalid UTF-8 escaped\n"
    "  as \\xHH; use -o PATH or a pipe for the raw bytes.\n"
    "\n"
    "options:\n"
    "  --concurrency N           call: keep N calls in flight on the async client ...\n"
    "  --count M                 ... and make M calls in all; prints successes, failures and\n"
    "                            calls per second instead of the output\n"
    "  --no-validate             skip client-side checks against the API's descriptor\n"
    "  --raw                     call without descriptors (unknown descriptors, v1alpha1):\n"
    "                            the request field follows the input kind\n"
    "  --deadline-ms N           call deadline in milliseconds\n"
    "  --wait-for-ready          let a call wait for the server instead of failing at once\n"
    "  -H key:value              add request metadata (repeatable)\n"
    "  --service NAME            health: service name to check ('' = whole server)\n"
    "  --timeout-ms N            health/wait: how long to wait (default 5000 / 30000)\n"
    "  --interval-ms N           wait: pause between checks (default 500)\n"
    "  --protocol-version V      v1 (default) or v1alpha1\n"
    "  --cacert PATH             CA certificates (PEM) that verify the server; implies TLS\n"
    "  --cert PATH --key PATH    client certificate and key (PEM) for mutual TLS\n"
    "  --authority NAME          :authority and the name the server certificate must carry\n"
    "  --tls                     TLS with the system's root certificates\n"
    "  --plaintext               no TLS, even for grpcs:// (default for host:port)\n"
    "  --compress ALG            compress requests: gzip, deflate or none\n"
    "  --max-recv-bytes N        largest reply accepted (default: no limit)\n"
    "  --discovery-timeout-ms N  how long connecting + ServiceMetadata may take (default 10000)\n"
    "  -h, --help                this text\n"
    "\n"
    "exit codes: 0 ok, 1 not serving, 2 usage, 3 unavailable, 4 deadline/timeout,\n"
    "            5 server error or unknown API, 6 other error\n"
    "\n"
    "examples:\n"
    "  bentogrpc describe localhost:3000\n"
    "  bentogrpc wait localhost:3000 --timeout-ms 20000\n"
    "  bentogrpc call localhost:3000 predict --ndarray '[[5.9,3,5.1,1.8]]' --dtype float32\n";

typedef struct cli {
  const char *command, *url, *api;
  cli_input input;
  const char *service, *output_path;
  bool no_validate, raw;
  int concurrency; /* > 0: load mode on the async client */
  long count;
  double duration_s;
  const char *headers[32];
  size_t n_headers;
  int64_t deadline_ms, timeout_ms, interval_ms;
  bool wait_for_ready;
  const char *protocol_version;
  const char *cert, *key, *cacert;
  bool plaintext, tls, compress;
  char *url_buf; /* the URL rewritten for --plaintext; freed by main */
  bg_compression compression;
  bg_options *options;
} cli;

static int exit_code_for(bg_status st) {
  switch (st) {
  case BG_OK: return EXIT_OK;
  case BG_ERR_INVALID_ARGUMENT: return EXIT_USAGE;
  case BG_ERR_UNAVAILABLE: return EXIT_UNAVAILABLE;
  case BG_ERR_DEADLINE:
  case BG_ERR_TIMEOUT: return EXIT_DEADLINE;
  case BG_ERR_SERVER:
  case BG_ERR_UNKNOWN_API: return EXIT_SERVER;
  default: return EXIT_OTHER;
  }
}

/* Prints a failure; never exits 0 (a failure without a code or message is a bug here). */
static int report(const bg_error *err) {
  if (err->code == BG_OK || err->message[0] == '\0') {
    fprintf(stderr, "bentogrpc: internal error: an operation failed without saying why "
                    "(please report this)\n");
    return EXIT_OTHER;
  }
  char *safe = bg_text_escape(err->message, strlen(err->message)); /* server text inside */
  fprintf(stderr, "bentogrpc: %s\n", safe ? safe : "out of memory");
  bg_string_free(safe);
  return exit_code_for(err->code);
}

static int usage_error(const char *fmt, const char *arg) {
  fprintf(stderr, "bentogrpc: ");
  fprintf(stderr, fmt, arg);
  fprintf(stderr, "\nRun 'bentogrpc --help' for usage.\n");
  return EXIT_USAGE;
}

static bool parse_ms(const char *text, int64_t *out) {
  char *end;
  long long v = strtoll(text, &end, 10);
  if (*text == '\0' || *end != '\0' || v < 0)
    return false;
  *out = v;
  return true;
}

/* The cli_input slot a value-taking input flag fills, or NULL. */
static const char **input_flag(cli_input *in, const char *flag) {
  static const char *const names[] = {"--ndarray", "--series", "--dataframe", "--dtype", "--json",
                                      "--text",    "--file",   "--mime",      "--bytes"};
  const char **slots[] = {&in->ndarray, &in->series, &in->dataframe, &in->dtype, &in->json,
                          &in->text,    &in->file,   &in->mime,      &in->bytes};
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
    if (strcmp(flag, names[i]) == 0)
      return slots[i];
  return NULL;
}

/* Returns -1 when parsing succeeded, else the exit code. */
static int parse_args(int argc, char **argv, cli *c) {
  const char *positional[3] = {0};
  size_t n_positional = 0;
  bg_error err;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    const char *next = i + 1 < argc ? argv[i + 1] : NULL;
#define NEED_VALUE()                                                                               \
  do {                                                                                             \
    if (!next)                                                                                     \
      return usage_error("%s needs a value", a);                                                   \
    i++;                                                                                           \
  } while (0)
    if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
      fputs(usage, stdout);
      return EXIT_OK;
    } else if (input_flag(&c->input, a)) {
      NEED_VALUE();
      *input_flag(&c->input, a) = next;
    } else if (strcmp(a, "--part") == 0) {
      NEED_VALUE();
      if (c->input.n_parts == sizeof c->input.parts / sizeof c->input.parts[0])
        return usage_error("too many --part options (at most 32)%s", "");
      c->input.parts[c->input.n_parts++] = next;
    } else if (strcmp(a, "-o") == 0) {
      NEED_VALUE();
      c->output_path = next;
    } else if (strcmp(a, "--concurrency") == 0 || strcmp(a, "--count") == 0) {
      NEED_VALUE();
      int64_t n;
      if (!parse_ms(next, &n) || n <= 0 || n > 1000000000)
        return usage_error("%s needs a positive whole number", a);
      if (strcmp(a, "--concurrency") == 0)
        c->concurrency = (int)(n > 100000 ? 100000 : n);
      else
        c->count = (long)n;
    } else if (strcmp(a, "--duration-s") == 0) {
      NEED_VALUE();
      char *end;
      c->duration_s = strtod(next, &end);
      if (*next == '\0' || *end != '\0' || !(c->duration_s > 0) || c->duration_s > 86400)
        return usage_error("--duration-s needs a number of seconds from 0 to 86400, not '%s'",
                           next);
    } else if (strcmp(a, "--no-validate") == 0) {
      c->no_validate = true;
    } else if (strcmp(a, "--raw") == 0) {
      c->raw = true;
    } else if (strcmp(a, "--service") == 0) {
      NEED_VALUE();
      c->service = next;
    } else if (strcmp(a, "-H") == 0) {
      NEED_VALUE();
      if (c->n_headers == sizeof c->headers / sizeof c->headers[0])
        return usage_error("too many -H options (at most 32)%s", "");
      c->headers[c->n_headers++] = next;
    } else if (strcmp(a, "--wait-for-ready") == 0) {
      c->wait_for_ready = true;
    } else if (strcmp(a, "--deadline-ms") == 0 || strcmp(a, "--timeout-ms") == 0 ||
               strcmp(a, "--interval-ms") == 0 || strcmp(a, "--discovery-timeout-ms") == 0) {
      NEED_VALUE();
      int64_t ms;
      if (!parse_ms(next, &ms) || ms == 0)
        return usage_error("%s needs a positive number of milliseconds", a);
      if (strcmp(a, "--deadline-ms") == 0)
        c->deadline_ms = ms;
      else if (strcmp(a, "--timeout-ms") == 0)
        c->timeout_ms = ms;
      else if (strcmp(a, "--interval-ms") == 0)
        c->interval_ms = ms;
      else if (bg_options_set_discovery_timeout_ms(c->options, ms, &err) != BG_OK)
        return report(&err);
    } else if (strcmp(a, "--cacert") == 0 || strcmp(a, "--cert") == 0 || strcmp(a, "--key") == 0) {
      NEED_VALUE();
      if (strcmp(a, "--cacert") == 0)
        c->cacert = next;
      if (strcmp(a, "--cert") == 0)
        c->cert = next;
      if (strcmp(a, "--key") == 0)
        c->key = next;
    } else if (strcmp(a, "--authority") == 0) {
      NEED_VALUE();
      if (bg_options_set_authority(c->options, next, &err) != BG_OK)
        return report(&err);
    } else if (strcmp(a, "--tls") == 0) {
      c->tls = true;
    } else if (strcmp(a, "--plaintext") == 0) {
      c->plaintext = true;
    } else if (strcmp(a, "--compress") == 0) {
      NEED_VALUE();
      if (strcmp(next, "gzip") == 0)
        c->compression = BG_COMPRESSION_GZIP;
      else if (strcmp(next, "deflate") == 0)
        c->compression = BG_COMPRESSION_DEFLATE;
      else if (strcmp(next, "none") == 0)
        c->compression = BG_COMPRESSION_NONE;
      else
        return usage_error("--compress takes gzip, deflate or none, not '%s'", next);
      c->compress = true;
    } else if (strcmp(a, "--max-recv-bytes") == 0) {
      NEED_VALUE();
      int64_t bytes;
      if (!parse_ms(next, &bytes) || bg_options_set_max_receive_bytes(c->options, bytes, &err))
        return usage_error("--max-recv-bytes takes a number of bytes from 1 to 2147483647, not "
                           "'%s'",
                           next);
    } else if (strcmp(a, "--protocol-version") == 0) {
      NEED_VALUE();
      c->protocol_version = next;
      if (bg_options_set_protocol_version(c->options, next, &err) != BG_OK)
        return report(&err);
    } else if (a[0] == '-' && a[1] != '\0') {
      return usage_error("unknown option '%s'", a);
    } else if (n_positional < 3) {
      positional[n_positional++] = a;
    } else {
      return usage_error("unexpected argument '%s'", a);
    }
#undef NEED_VALUE
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
    fputs(usage, stderr);
    return EXIT_USAGE;
  }
  c->command = positional[0];
  c->url = positional[1];
  if (c->plaintext && strncmp(c->url, "grpcs://", 8) == 0) { /* --plaintext wins */
    size_t size = strlen(c->url) - 8 + sizeof "grpc://";
    if (!(c->url_buf = malloc(size))) {
      fprintf(stderr, "bentogrpc: out of memory\n");
      return EXIT_OTHER;
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

static int cmd_describe(cli *c) {
  bg_error err;
  bg_client *client = bg_client_from_url(c->url, c->options, &err);
  if (!client)
    return report(&err);
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
  return EXIT_OK;
}

static int cmd_health(cli *c) {
  bg_error err;
  bg_health_status status;
  /* No discovery: a server may be up but not yet serving its APIs. */
  if (bg_health_check_url(c->url, c->service, c->timeout_ms ? c->timeout_ms : 5000, c->options,
                          &status, &err) != BG_OK)
    return report(&err);
  printf("%s\n", bg_health_status_str(status));
  return status == BG_HEALTH_SERVING ? EXIT_OK : EXIT_NOT_SERVING;
}

static int cmd_wait(cli *c) {
  bg_error err;
  int64_t timeout = c->timeout_ms ? c->timeout_ms : 30000;
  int64_t interval = c->interval_ms ? c->interval_ms : 500;
  if (bg_wait_until_server_ready(c->url, timeout, interval, c->options, &err) != BG_OK)
    return report(&err);
  printf("SERVING\n");
  return EXIT_OK;
}

static bg_call_options *build_call_options(const cli *c, bg_error *err) {
  bg_call_options *co = bg_call_options_new();
  if (!co)
    return NULL;
  bool ok =
      (!c->deadline_ms || bg_call_options_set_deadline_ms(co, c->deadline_ms, err) == BG_OK) &&
      bg_call_options_set_wait_for_ready(co, c->wait_for_ready, err) == BG_OK &&
      bg_call_options_set_validate(co, !c->no_validate, err) == BG_OK &&
      (!c->compress || bg_call_options_set_compression(co, c->compression, err) == BG_OK);
  for (size_t i = 0; ok && i < c->n_headers; i++) {
    char *key;
    const char *value;
    ok = cli_parse_header(c->headers[i], &key, &value, err) == BG_OK &&
         bg_call_options_add_metadata(co, key, value, strlen(value), err) == BG_OK;
    free(key);
  }
  if (!ok) {
    bg_call_options_free(co);
    return NULL;
  }
  return co;
}

/* Many calls on the async client: `bench`, or `call` with --concurrency/--count. */
static int run_load(const cli *c, bool bench, const bg_value *input, const bg_call_options *co) {
  long count = c->count;
  if (!count && c->duration_s <= 0)
    count = bench ? 1000 : c->concurrency;
  cli_load load = {.url = c->url,
                   .api = c->api,
                   .input = input,
                   .options = c->options,
                   .call_options = co,
                   .concurrency = c->concurrency ? c->concurrency : (bench ? 50 : 1),
                   .count = count,
                   .duration_s = c->duration_s,
                   .latency_report = bench,
                   .progress = bench};
  return cli_run_load(&load, stdout);
}

/* One call, printing its output. v1alpha1 servers cannot be discovered: always called raw. */
static int run_once(const cli *c, const bg_value *input, const bg_call_options *co) {
  bool v1alpha1 = c->protocol_version && strcmp(c->protocol_version, "v1alpha1") == 0;
  bool raw = c->raw || v1alpha1;
  bg_error err = {0};
  bg_client *client =
      raw ? bg_client_open(c->url, c->options, &err) : bg_client_from_url(c->url, c->options, &err);
  bg_value *output = NULL;
  bg_status st = BG_ERR_INVALID_ARGUMENT;
  if (client)
    st = raw ? bg_client_call_raw(client, c->api, input, &output, co, &err)
             : bg_client_call(client, c->api, input, &output, co, &err);
  int rc = EXIT_OK;
  if (st != BG_OK)
    rc = report(&err);
  else if (cli_print_value(stdout, output, c->output_path) != 0)
    rc = EXIT_OTHER;
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
  bg_call_options *co = build_call_options(c, &err);
  int rc;
  if (!co)
    rc = report(&err);
  else if (bench || c->concurrency || c->count || c->duration_s > 0)
    rc = run_load(c, bench, input, co);
  else
    rc = run_once(c, input, co);
  bg_call_options_free(co);
  bg_value_free(input);
  return rc;
}

int main(int argc, char **argv) {
  /* gRPC Core logs handshake failures to stderr; the CLI reports them itself. */
  setenv("GRPC_VERBOSITY", "NONE", 0);
  cli c = {0};
  c.options = bg_options_new();
  if (!c.options) {
    fprintf(stderr, "bentogrpc: out of memory\n");
    return EXIT_OTHER;
  }
  int rc = parse_args(argc, argv, &c);
  if (rc < 0) {
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
    if (rc == EXIT_OK)
      rc = EXIT_OTHER;
  }
  free(c.url_buf);
  bg_options_free(c.options);
  return rc;
}
