/* The option list (cli_options.h) made into the option table, getopt_long's tables, --help and
 * --list-options; and parsing the command line into a cli_settings. */
#include <bentogrpc/bentogrpc.h>
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli_commands.h"
#include "cli_exit.h"
#include "cli_options.h"

const cli_option cli_options[CLI_OPT_COUNT_] = {
#define CLI_OPTION_ROW(id_, name_, short_, arg_, metavar_, commands_, group_, values_, help_)      \
  {.id = CLI_OPT_##id_,                                                                            \
   .name = name_,                                                                                  \
   .short_name = short_,                                                                           \
   .arg = arg_,                                                                                    \
   .metavar = metavar_,                                                                            \
   .commands = commands_,                                                                          \
   .group = group_,                                                                                \
   .values = values_,                                                                              \
   .help = help_},
    CLI_OPTION_LIST(CLI_OPTION_ROW)
#undef CLI_OPTION_ROW
};

/* getopt_long's values: the short letter, else 256 + the id. */
static int getopt_value(const cli_option *o) {
  return o->short_name ? o->short_name : 256 + (int)o->id;
}

static const cli_option *option_of_value(int value) {
  for (size_t i = 0; i < CLI_OPT_COUNT_; i++)
    if (getopt_value(&cli_options[i]) == value)
      return &cli_options[i];
  return NULL;
}

/* ---- --help and --list-options ---- */

/* "  LEFT                      first line\n" and the continuation lines of `text` under it. */
static void put_entry(FILE *out, const char *left, const char *text) {
  fprintf(out, "  %s", left);
  if (strlen(left) > 24)
    fprintf(out, "\n  %24s", "");
  else
    fprintf(out, "%*s", (int)(24 - strlen(left)), "");
  for (const char *line = text; line;) {
    const char *nl = strchr(line, '\n');
    fprintf(out, "  %.*s\n", nl ? (int)(nl - line) : (int)strlen(line), line);
    if (nl)
      fprintf(out, "  %24s", "");
    line = nl ? nl + 1 : NULL;
  }
}

static void put_group(FILE *out, cli_group group) {
  for (size_t i = 0; i < CLI_OPT_COUNT_; i++) {
    const cli_option *o = &cli_options[i];
    if (o->group != group || !o->help)
      continue;
    char left[80];
    int n;
    if (o->short_name && o->name)
      n = snprintf(left, sizeof left, "-%c, --%s", o->short_name, o->name);
    else if (o->short_name)
      n = snprintf(left, sizeof left, "-%c", o->short_name);
    else
      n = snprintf(left, sizeof left, "--%s", o->name);
    if (o->arg == CLI_ARG_REQUIRED)
      snprintf(left + n, sizeof left - (size_t)n, " %s", o->metavar);
    else if (o->arg == CLI_ARG_OPTIONAL)
      snprintf(left + n, sizeof left - (size_t)n, "[=%s]", o->metavar);
    put_entry(out, left, o->help);
  }
}

void cli_print_usage(FILE *out) {
  fputs("usage: bentogrpc COMMAND URL [ARGS] [OPTIONS]\n"
        "\n"
        "Talk to a BentoML model server over gRPC.\n"
        "\n"
        "commands:\n",
        out);
  for (size_t i = 0; i < cli_n_commands; i++) {
    char left[64];
    snprintf(left, sizeof left, "%s %s", cli_commands[i].name, cli_commands[i].args);
    put_entry(out, left, cli_commands[i].summary);
  }
  fputs("\n"
        "URL: host:port, grpc://host:port, grpcs://host:port, [::1]:port or unix:/path\n"
        "\n"
        "call input (exactly one; every VALUE below may be @PATH to read it from a file or @- for\n"
        "stdin, @@... for a literal leading @; the PATH of --file/--bytes and of file/bytes parts\n"
        "may be - for stdin; only one input may read stdin):\n",
        out);
  put_group(out, CLI_GROUP_INPUT);
  fputs("\ncall output:\n", out);
  put_group(out, CLI_GROUP_OUTPUT);
  fputs("  ndarray, series and dataframe values print exactly: integers as integers, floats with\n"
        "  the fewest digits that read back the same float32/float64 value, NaN, Infinity\n"
        "  and -Infinity spelled as in JSON5 and Python (also accepted as input); ndarray\n"
        "  strings are JSON-escaped, with bytes that are not UTF-8 as \\xHH.\n"
        "  Server text printed to a terminal has control characters and invalid UTF-8 escaped\n"
        "  as \\xHH; use -o PATH or a pipe for the raw bytes.\n"
        "\n"
        "global options (--opt VALUE and --opt=VALUE both work; -- ends the options):\n",
        out);
  put_group(out, CLI_GROUP_GLOBAL);
  fputs("\noptions:\n", out);
  put_group(out, CLI_GROUP_OTHER);
  fputs(
      "\n"
      "exit codes (every command): 0 ok, 1 not serving, 2 usage or bad input,\n"
      "  3 unavailable, 4 deadline/timeout, 5 server error or unknown API, 6 other error\n"
      "\n"
      "examples:\n"
      "  bentogrpc describe localhost:3000\n"
      "  bentogrpc wait localhost:3000 --timeout-ms 20000\n"
      "  bentogrpc call localhost:3000 predict --ndarray '[[5.9,3,5.1,1.8]]' --dtype float32\n"
      "  bentogrpc call localhost:3000 predict --ndarray @batch.json --format json\n"
      "  bentogrpc bench localhost:3000 predict --ndarray @- --duration-s 60 --rps 500 < x.json\n",
      out);
}

void cli_print_option_list(FILE *out) {
  static const char *const args[] = {"none", "required", "optional"};
  for (size_t i = 0; i < CLI_OPT_COUNT_; i++) {
    const cli_option *o = &cli_options[i];
    if (!o->help)
      continue; /* hidden */
    fprintf(out, "%s%s\t", o->name ? "--" : "-", o->name ? o->name : "");
    if (o->short_name)
      fprintf(out, "-%c\t", o->short_name);
    else
      fputs("-\t", out);
    fprintf(out, "%s\t", args[o->arg]);
    const char *sep = "";
    for (size_t c = 0; c < cli_n_commands; c++)
      if (o->commands & cli_commands[c].bit) {
        fprintf(out, "%s%s", sep, cli_commands[c].name);
        sep = ",";
      }
    fprintf(out, "\t%s\n", o->values ? o->values : "-");
  }
}

/* ---- Parsing ---- */

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

/* Whether `arg` is one of the space-separated `words`. */
static bool one_of(const char *arg, const char *words) {
  size_t n = strlen(arg);
  for (const char *w = words; *w;) {
    size_t len = strcspn(w, " ");
    if (len == n && strncmp(w, arg, n) == 0)
      return true;
    w += len + (w[len] == ' ');
  }
  return false;
}

/* A cli_input reader's failure as the exit code. */
static int input_failed(const bg_error *err) {
  return err->code == BG_ERR_NO_MEMORY ? cli_out_of_memory() : cli_usage_error("%s", err->message);
}

static void print_version(bool json) {
  if (json)
    printf("{\"bentogrpc\":\"%s\",\"libbentogrpc\":\"%s\",\"grpc_core\":\"%s\"}\n",
           BG_VERSION_STRING, bg_version(), bg_grpc_core_version());
  else
    printf("bentogrpc %s (libbentogrpc %s, gRPC Core %s)\n", BG_VERSION_STRING, bg_version(),
           bg_grpc_core_version());
}

/* Records one option in `s`; -1 to go on, else the exit code. `name` is the option as shown in
 * messages (-v, --ndarray). Nothing here calls the library but to print --version. */
static int take_option(cli_settings *s, const cli_option *o, const char *name, const char *arg,
                       bool json_errors) {
  bg_error err = {0};
  int64_t n;
  cli_input *in = &s->input;
  const char **input_slot = NULL;
  switch (o->id) {
  case CLI_OPT_HELP: cli_print_usage(stdout); return CLI_EXIT_OK;
  case CLI_OPT_LIST_OPTIONS: cli_print_option_list(stdout); return CLI_EXIT_OK;
  case CLI_OPT_PRINT_MAN_OPTIONS: cli_print_man_options(stdout); return CLI_EXIT_OK;
  case CLI_OPT_PRINT_COMPLETION: cli_print_completion(stdout); return CLI_EXIT_OK;
  case CLI_OPT_VERSION: print_version(json_errors); return CLI_EXIT_OK;
  case CLI_OPT_VERBOSE: {
    /* -v: the log at info, unless BG_LOG or an earlier --log set it above info */
    s->verbose = true;
    int current = s->log_level >= 0 ? s->log_level : (int)bg_log_get_level();
    if (current <= BG_LOG_INFO)
      s->log_level = BG_LOG_INFO;
    return -1;
  }
  case CLI_OPT_LOG: {
    static const char *const names[] = {"debug", "info", "warn", "error"};
    for (int l = 0; l < 4; l++)
      if (strcmp(arg, names[l]) == 0) {
        s->log_level = l;
        return -1;
      }
    return cli_usage_error("--log takes debug, info, warn or error, not '%s'", arg);
  }
  case CLI_OPT_FORMAT:
    if (!one_of(arg, o->values))
      return cli_usage_error("--format takes text, json or csv (bench), not '%s'", arg);
    s->format = arg;
    s->json = strcmp(arg, "json") == 0;
    cli_set_json_errors(s->json);
    return -1;
  case CLI_OPT_NDARRAY: input_slot = &in->ndarray; break;
  case CLI_OPT_SERIES: input_slot = &in->series; break;
  case CLI_OPT_DATAFRAME: input_slot = &in->dataframe; break;
  case CLI_OPT_JSON: input_slot = &in->json; break;
  case CLI_OPT_TEXT: input_slot = &in->text; break;
  case CLI_OPT_DTYPE: in->dtype = arg; return -1;
  case CLI_OPT_MIME: in->mime = arg; return -1;
  case CLI_OPT_FILE:
    return cli_input_path(in, name, arg, &in->file, &err) == BG_OK ? -1 : input_failed(&err);
  case CLI_OPT_BYTES:
    return cli_input_path(in, name, arg, &in->bytes, &err) == BG_OK ? -1 : input_failed(&err);
  case CLI_OPT_PART: return cli_input_add_part(in, arg, &err) == BG_OK ? -1 : input_failed(&err);
  case CLI_OPT_OUTPUT: s->output_path = arg; return -1;
  case CLI_OPT_CONCURRENCY:
  case CLI_OPT_COUNT:
    if (!parse_ms(arg, &n) || n <= 0 || n > 1000000000)
      return cli_usage_error("%s needs a positive whole number", name);
    if (o->id == CLI_OPT_CONCURRENCY)
      s->concurrency = (int)(n > 100000 ? 100000 : n);
    else
      s->count = (long)n;
    return -1;
  case CLI_OPT_DURATION:
    if (!parse_seconds(arg, 86400 * 366, &s->duration_s))
      return cli_usage_error("--duration-s needs a number of seconds above 0, not '%s'", arg);
    return -1;
  case CLI_OPT_WARMUP:
    if (!parse_seconds(arg, 86400, &s->warmup_s))
      return cli_usage_error("--warmup-s needs a number of seconds above 0, not '%s'", arg);
    return -1;
  case CLI_OPT_RPS:
    if (!parse_seconds(arg, 1e9, &s->rps))
      return cli_usage_error("--rps needs a number of calls per second above 0, not '%s'", arg);
    return -1;
  case CLI_OPT_NO_VALIDATE: s->no_validate = true; return -1;
  case CLI_OPT_RAW: s->raw = true; return -1;
  case CLI_OPT_SERVICE: s->service = arg; return -1;
  case CLI_OPT_HEADER:
    if (s->n_headers == sizeof s->headers / sizeof s->headers[0])
      return cli_usage_error("too many -H options (at most %zu)",
                             sizeof s->headers / sizeof s->headers[0]);
    s->headers[s->n_headers++] = arg;
    return -1;
  case CLI_OPT_WAIT_FOR_READY: s->wait_for_ready = true; return -1;
  case CLI_OPT_WATCH: s->watch = true; return -1;
  case CLI_OPT_DEADLINE:
  case CLI_OPT_TIMEOUT:
  case CLI_OPT_INTERVAL:
  case CLI_OPT_DISCOVERY_TIMEOUT:
    if (!parse_ms(arg, &n) || n == 0)
      return cli_usage_error("%s needs a positive number of milliseconds", name);
    *(o->id == CLI_OPT_DEADLINE   ? &s->deadline_ms
      : o->id == CLI_OPT_TIMEOUT  ? &s->timeout_ms
      : o->id == CLI_OPT_INTERVAL ? &s->interval_ms
                                  : &s->discovery_timeout_ms) = n;
    return -1;
  case CLI_OPT_CACERT: s->cacert = arg; return -1;
  case CLI_OPT_CERT: s->cert = arg; return -1;
  case CLI_OPT_KEY: s->key = arg; return -1;
  case CLI_OPT_AUTHORITY: s->authority = arg; return -1;
  case CLI_OPT_TLS: s->tls = true; return -1;
  case CLI_OPT_PLAINTEXT: s->plaintext = true; return -1;
  case CLI_OPT_ALLOW_INSECURE_CREDENTIALS: s->allow_insecure_credentials = true; return -1;
  case CLI_OPT_COMPRESS:
    if (strcmp(arg, "gzip") == 0)
      s->compression = BG_COMPRESSION_GZIP;
    else if (strcmp(arg, "deflate") == 0)
      s->compression = BG_COMPRESSION_DEFLATE;
    else if (strcmp(arg, "none") == 0)
      s->compression = BG_COMPRESSION_NONE;
    else
      return cli_usage_error("--compress takes gzip, deflate or none, not '%s'", arg);
    s->compress = true;
    return -1;
  case CLI_OPT_MAX_RECV:
    if (!parse_ms(arg, &n) || n < 1 || n > 2147483647)
      return cli_usage_error("--max-recv-bytes takes a number of bytes from 1 to 2147483647, "
                             "not '%s'",
                             arg);
    s->max_recv_bytes = n;
    return -1;
  case CLI_OPT_PROTOCOL_VERSION: s->protocol_version = arg; return -1;
  case CLI_OPT_LB:
    if (!one_of(arg, o->values))
      return cli_usage_error("--lb takes pick_first or round_robin, not '%s'", arg);
    s->lb = arg;
    return -1;
  case CLI_OPT_RETRIES:
    if (!parse_ms(arg, &n) || n > 4)
      return cli_usage_error("--retries takes 0 to 4 more attempts, not '%s'", arg);
    s->retries = (int)n;
    return -1;
  case CLI_OPT_HEALTH_CHECK:
    s->health_check = true;
    s->health_check_service = arg;
    return -1;
  case CLI_OPT_COUNT_: break;
  }
  if (input_slot)
    return cli_input_value(in, name, arg, input_slot, &err) == BG_OK ? -1 : input_failed(&err);
  return cli_usage_error("%s", "unknown option");
}

/* getopt_long's long-option table and short-option string, from the list. */
static struct option long_options[CLI_OPT_COUNT_ + 1];
static char short_options[2 + 3 * CLI_OPT_COUNT_];

static void build_getopt_tables(void) {
  size_t n_long = 0, n_short = 0;
  short_options[n_short++] = ':'; /* a missing value is ':', not '?' */
  for (size_t i = 0; i < CLI_OPT_COUNT_; i++) {
    const cli_option *o = &cli_options[i];
    int has_arg = o->arg == CLI_ARG_NONE       ? no_argument
                  : o->arg == CLI_ARG_REQUIRED ? required_argument
                                               : optional_argument;
    if (o->name)
      long_options[n_long++] = (struct option){o->name, has_arg, NULL, getopt_value(o)};
    if (o->short_name) {
      short_options[n_short++] = o->short_name;
      for (int k = 0; k < (int)o->arg; k++) /* required ':', optional '::' */
        short_options[n_short++] = ':';
    }
  }
  long_options[n_long] = (struct option){0};
  short_options[n_short] = '\0';
}

int cli_parse_args(int argc, char **argv, cli_settings *s) {
  s->log_level = -1;
  /* --format json applies to errors met before it on the line too */
  bool json_early = false;
  for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
    json_early |=
        strcmp(argv[i], "--format=json") == 0 ||
        (strcmp(argv[i], "--format") == 0 && i + 1 < argc && strcmp(argv[i + 1], "json") == 0);
  cli_set_json_errors(json_early);
  build_getopt_tables();
  opterr = 0; /* our own messages */
  int value, index;
  while ((value = getopt_long(argc, argv, short_options, long_options, &index)) != -1) {
    const char *shown = argv[optind - 1];
    if (value == '?') {
      char flag[64];
      if (optopt && optopt < 256)
        snprintf(flag, sizeof flag, "-%c", optopt);
      else
        snprintf(flag, sizeof flag, "%.60s", shown);
      return cli_usage_error("unknown option '%s'", flag);
    }
    if (value == ':')
      return cli_usage_error("%s needs a value", shown);
    const cli_option *o = option_of_value(value);
    if (!o)
      return cli_usage_error("%s", "unknown option");
    char name[64];
    if (value < 256)
      snprintf(name, sizeof name, "-%c", value);
    else
      snprintf(name, sizeof name, "--%s", o->name);
    int rc = take_option(s, o, name, optarg, json_early);
    if (rc >= 0)
      return rc;
  }
  const char *positional[3] = {0};
  size_t n_positional = 0;
  for (int i = optind; i < argc; i++) {
    if (n_positional == 3)
      return cli_usage_error("unexpected argument '%s'", argv[i]);
    positional[n_positional++] = argv[i];
  }
  /* Conflicting transport flags are refused whatever their order, naming both. */
  const char *tls_flag = s->cacert ? "--cacert"
                         : s->cert ? "--cert"
                         : s->key  ? "--key"
                         : s->tls  ? "--tls"
                                   : NULL;
  if (s->plaintext && tls_flag)
    return cli_usage_error("--plaintext cannot go with %s: choose plaintext or TLS", tls_flag);
  if ((s->cert != NULL) != (s->key != NULL))
    return cli_usage_error("--cert and --key go together");
  s->command = positional[0];
  s->url = positional[1];
  s->api = positional[2];
  return -1;
}
