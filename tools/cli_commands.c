/* The commands (describe, health, wait, call, bench) and their table. */
#include <bentogrpc/bentogrpc.h>
#include <jansson.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli_async.h"
#include "cli_commands.h"
#include "cli_exit.h"
#include "cli_options.h"
#include "cli_output.h"
#include "cli_value_json.h"

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

static int cmd_describe(cli_settings *s, bg_options *options) {
  bg_error err;
  bg_client *client = bg_client_from_url(s->url, options, &err);
  if (!client)
    return cli_report(&err);
  if (s->json) {
    printf("{\"service\":");
    put_json_or_null(bg_client_service_name(client));
    printf(",\"url\":");
    put_json_or_null(s->url);
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
  printf(" at %s: %zu APIs\n", s->url, bg_client_api_count(client));
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

/* ---- health --watch and wait: Health/Watch ---- */

/* Ctrl-C (and SIGTERM) while a watch runs: SIGINT/SIGTERM are blocked in every thread (before
 * the client's threads start, so they inherit it) and one thread takes them with sigwait and
 * cancels the watch's token — a signal handler may not call the library. */
typedef struct interrupt {
  sigset_t set;
  bg_cancel_token *token;
  volatile sig_atomic_t fired;
} interrupt;

static void *wait_for_interrupt(void *arg) {
  interrupt *in = arg;
  int sig;
  if (sigwait(&in->set, &sig) == 0) {
    in->fired = 1;
    bg_cancel_token_cancel(in->token);
  }
  return NULL;
}

/* Blocks the signals and starts the thread (detached: it may stay in sigwait until exit). */
static bool interrupt_start(interrupt *in) {
  sigemptyset(&in->set);
  sigaddset(&in->set, SIGINT);
  sigaddset(&in->set, SIGTERM);
  in->fired = 0;
  /* An ignored signal is discarded, never pending (a shell starts background jobs with SIGINT
   * ignored): take both back to their default, which sigwait then sees while blocked. */
  signal(SIGINT, SIG_DFL);
  signal(SIGTERM, SIG_DFL);
  if (pthread_sigmask(SIG_BLOCK, &in->set, NULL) != 0)
    return false;
  pthread_t thread;
  if (pthread_create(&thread, NULL, wait_for_interrupt, in) != 0)
    return false;
  pthread_detach(thread);
  return true;
}

typedef struct watch_print {
  const char *service; /* the name watched, as printed */
  bool json;
  bool stop_when_serving; /* wait: the first SERVING ends the watch */
  bg_health_status last;
  int seen;
} watch_print;

/* "2026-01-02T03:04:05.678Z" (UTC, now). */
static void put_timestamp(char *out, size_t size) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  struct tm tm;
  gmtime_r(&ts.tv_sec, &tm);
  char base[32];
  strftime(base, sizeof base, "%Y-%m-%dT%H:%M:%S", &tm);
  snprintf(out, size, "%s.%03ldZ", base, ts.tv_nsec / 1000000);
}

static bool on_watch_status(bg_health_status status, void *user_data) {
  watch_print *w = user_data;
  w->last = status;
  w->seen++;
  if (w->stop_when_serving)
    return status != BG_HEALTH_SERVING && status != BG_HEALTH_SERVICE_UNKNOWN;
  char when[48];
  put_timestamp(when, sizeof when);
  if (w->json) {
    printf("{\"time\":\"%s\",\"status\":\"%s\",\"service\":", when, bg_health_status_name(status));
    put_json_or_null(w->service);
    printf("}\n");
  } else {
    printf("%s ", when);
    print_status(bg_health_status_name(status), w->service);
  }
  fflush(stdout); /* one line per change, as it happens (also into a pipe) */
  return true;
}

static const char *bento_service_name(const cli_settings *s) {
  return s->protocol_version && strcmp(s->protocol_version, "v1alpha1") == 0
             ? "bentoml.grpc.v1alpha1.BentoService"
             : "bentoml.grpc.v1.BentoService";
}

static int cmd_health_watch(cli_settings *s, bg_options *options) {
  bg_error err;
  /* static: the detached signal thread keeps using it (and the token) until the process
   * exits */
  static interrupt in;
  in.token = bg_cancel_token_new();
  bg_call_options *co = bg_call_options_new();
  if (!in.token || !co || bg_call_options_set_cancel_token(co, in.token, &err) != BG_OK ||
      !interrupt_start(&in)) {
    bg_call_options_free(co);
    return cli_out_of_memory();
  }
  bg_client *client = bg_client_open(s->url, options, &err);
  if (!client) {
    bg_call_options_free(co);
    return cli_report(&err);
  }
  /* The name the library watches: the given one, else the protocol's BentoService. */
  watch_print w = {.service = s->service ? s->service : bento_service_name(s),
                   .json = s->json,
                   .last = BG_HEALTH_UNKNOWN};
  bg_status st =
      bg_client_health_watch(client, s->service, s->timeout_ms, on_watch_status, &w, co, &err);
  bg_client_close(client);
  bg_call_options_free(co);
  /* Ctrl-C and the timeout are the ends asked for; the last status decides the exit code. */
  if (st != BG_OK && !(st == BG_ERR_CANCELLED && in.fired) && st != BG_ERR_TIMEOUT)
    return cli_report(&err);
  return w.last == BG_HEALTH_SERVING ? CLI_EXIT_OK : CLI_EXIT_NOT_SERVING;
}

static int cmd_health(cli_settings *s, bg_options *options) {
  if (s->watch)
    return cmd_health_watch(s, options);
  bg_error err;
  bg_health_status status;
  const char *checked = NULL;
  /* No discovery: a server may be up but not yet serving its APIs. */
  if (bg_health_check_url_service(s->url, s->service, s->timeout_ms ? s->timeout_ms : 5000, options,
                                  &status, &checked, &err) != BG_OK)
    return cli_report(&err);
  if (s->json)
    print_status_json(bg_health_status_name(status), checked);
  else
    print_status(bg_health_status_name(status), checked);
  return status == BG_HEALTH_SERVING ? CLI_EXIT_OK : CLI_EXIT_NOT_SERVING;
}

static int64_t mono_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* wait: a Health/Watch of the protocol's BentoService until it says SERVING. true when that decided
 * the wait: *st is BG_OK (SERVING), BG_ERR_TIMEOUT, or why the client could not be made; false
 * means poll with Health/Check for the time left (no Watch — UNIMPLEMENTED —, a name the server
 * does not know, which the polling policy follows with the other names, or a stream that failed).
 */
static bool wait_by_watch(const cli_settings *s, bg_options *options, int64_t timeout,
                          bg_status *st, bg_error *err) {
  bg_client *client = bg_client_open(s->url, options, err);
  if (!client) {
    *st = err->code;
    return true;
  }
  /* Not waiting for the connection: a server that cannot be reached yet (or is not a gRPC
   * server) ends the watch at once, and the polling below waits for it and says what answered,
   * as it always did; a reachable server pushes each change. */
  watch_print w = {.stop_when_serving = true, .last = BG_HEALTH_UNKNOWN};
  *st = bg_client_health_watch(client, NULL, timeout, on_watch_status, &w, NULL, err);
  bg_client_close(client);
  if (*st == BG_OK && w.last == BG_HEALTH_SERVING)
    return true;
  if (*st != BG_ERR_TIMEOUT)
    return false;
  char last[64];
  snprintf(last, sizeof last, "%s", w.seen ? bg_health_status_name(w.last) : "none received");
  snprintf(err->message, sizeof err->message - 3,
           "server at %s was not ready after waiting %lld ms (Health/Watch of '%s'; last "
           "status: %s)",
           s->url, (long long)timeout, bento_service_name(s), last);
  return true;
}

static int cmd_wait(cli_settings *s, bg_options *options) {
  bg_error err;
  int64_t timeout = s->timeout_ms ? s->timeout_ms : 30000;
  int64_t interval = s->interval_ms ? s->interval_ms : 500;
  const char *checked = NULL;
  int64_t started = mono_ms();
  bg_status st;
  if (wait_by_watch(s, options, timeout, &st, &err)) {
    checked = bento_service_name(s);
  } else {
    int64_t left = timeout - (mono_ms() - started);
    st = bg_wait_until_server_ready_service(s->url, left > 0 ? left : 1, interval, options,
                                            &checked, &err);
  }
  if (st != BG_OK)
    return cli_report(&err);
  if (s->json)
    print_status_json("SERVING", checked);
  else
    print_status("SERVING", checked);
  return CLI_EXIT_OK;
}

static int run_load(const cli_settings *s, bg_options *options, bool bench, const bg_value *input,
                    const bg_call_options *co) {
  long count = s->count;
  if (!count && s->duration_s <= 0)
    count = bench ? 1000 : s->concurrency;
  cli_load load = {.url = s->url,
                   .api = s->api,
                   .input = input,
                   .options = options,
                   .raw = cli_settings_calls_raw(s),
                   .connect_timeout_ms = s->discovery_timeout_ms,
                   .wait_for_ready = s->wait_for_ready,
                   .call_options = co,
                   .concurrency = s->concurrency ? s->concurrency : (bench ? 50 : 1),
                   .count = count,
                   .duration_s = s->duration_s,
                   .latency_report = bench,
                   .progress = bench && !s->format,
                   .rps = s->rps,
                   .warmup_s = s->warmup_s,
                   .format = s->format,
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
  fprintf(stderr, "< status: %s (gRPC %s)\n< time: %.3f ms\n", bg_status_name(st),
          bg_grpc_status_name(st == BG_OK ? 0 : err->grpc_status), ms);
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
static int run_once(const cli_settings *s, bg_options *options, const bg_value *input,
                    const bg_call_options *co, const bg_response_metadata *md) {
  bool raw = cli_settings_calls_raw(s);
  bg_error err = {0};
  bg_client *client =
      raw ? bg_client_open(s->url, options, &err) : bg_client_from_url(s->url, options, &err);
  bg_value *output = NULL;
  bg_status st = BG_ERR_INVALID_ARGUMENT;
  double started = now_ms();
  if (client)
    st = raw ? bg_client_call_raw(client, s->api, input, &output, co, &err)
             : bg_client_call(client, s->api, input, &output, co, &err);
  if (s->verbose && client)
    print_verbose(md, st, &err, now_ms() - started);
  int rc = CLI_EXIT_OK;
  bool to_stdout = s->output_path && strcmp(s->output_path, "-") == 0;
  if (st != BG_OK)
    rc = cli_report(&err);
  else if (to_stdout && bg_value_get_kind(output) == BG_VALUE_MULTIPART)
    rc = cli_usage_error("-o - cannot hold a multipart output; give a path prefix (files go to "
                         "PATH.PART)%s",
                         "");
  else if (to_stdout)
    rc = print_raw(output);
  else if (s->json) {
    rc = cli_print_value_json(stdout, output, s->output_path) != 0 ? CLI_EXIT_OTHER : CLI_EXIT_OK;
    putchar('\n');
  } else if (cli_print_value(stdout, output, s->output_path) != 0)
    rc = CLI_EXIT_OTHER;
  bg_value_free(output);
  bg_client_close(client);
  return rc;
}

/* `call` and `bench`: build the input and call options, then one call or a load. */
static int run_calls(cli_settings *s, bg_options *options, bool bench) {
  if (!s->api)
    return cli_usage_error("%s needs an API name, e.g. bentogrpc call URL API --ndarray JSON",
                           s->command);
  bg_error err = {0};
  bg_value *input = cli_build_input(&s->input, &err);
  if (!input)
    return cli_report(&err);
  bool load = bench || s->concurrency || s->count || s->duration_s > 0;
  if (load && s->output_path) { /* was ignored without a word */
    bg_value_free(input);
    return cli_usage_error("-o %s writes one call's output; a load run (--concurrency, --count, "
                           "--duration-s, bench) prints counts only: drop -o, or make one call",
                           s->output_path);
  }
  bg_response_metadata *md = s->verbose && !load ? bg_response_metadata_new() : NULL;
  bg_call_options *co = cli_settings_call_options(s, md, &err);
  int rc;
  if (!co)
    rc = cli_report(&err);
  else if (load)
    rc = run_load(s, options, bench, input, co);
  else
    rc = run_once(s, options, input, co, md);
  bg_call_options_free(co);
  bg_response_metadata_free(md);
  bg_value_free(input);
  return rc;
}

static int cmd_call(cli_settings *s, bg_options *options) { return run_calls(s, options, false); }

static int cmd_bench(cli_settings *s, bg_options *options) { return run_calls(s, options, true); }

const cli_command cli_commands[] = {
    {"describe", "URL", false, CLI_CMD_DESCRIBE, cmd_describe,
     "list the service's APIs, their descriptors and docs"},
    {"health", "URL", false, CLI_CMD_HEALTH, cmd_health,
     "one health check (default: the BentoService, v1 or v1alpha1,\n"
     "else the whole server; the output names the one checked)"},
    {"wait", "URL", false, CLI_CMD_WAIT, cmd_wait,
     "poll health until SERVING or the timeout passes"},
    {"call", "URL API", true, CLI_CMD_CALL, cmd_call, "call an API and print its output"},
    {"bench", "URL API", true, CLI_CMD_BENCH, cmd_bench,
     "load test: many calls on the async client, then QPS,\n"
     "latency percentiles and a histogram (input as for call;\n"
     "--concurrency N, default 50; --count M, default 1000, or\n"
     "--duration-s S; --rps N caps the start rate; --warmup-s S\n"
     "runs uncounted calls first; --format json|csv; calls per\n"
     "replica when the server sends 'bentoml-replica' trailers\n"
     "(ids that are not UTF-8 as \\xHH; csv: replica:ID columns);\n"
     "latencies kept in a fixed-size log-bucket histogram)"},
};
const size_t cli_n_commands = sizeof cli_commands / sizeof cli_commands[0];

const cli_command *cli_command_find(const char *name) {
  for (size_t i = 0; i < cli_n_commands; i++)
    if (strcmp(cli_commands[i].name, name) == 0)
      return &cli_commands[i];
  return NULL;
}
