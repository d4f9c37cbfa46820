#include <jansson.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "cli_exit.h"

int cli_exit_code(bg_status st) {
  switch (st) {
  case BG_OK: return CLI_EXIT_OK;
  case BG_ERR_INVALID_ARGUMENT: return CLI_EXIT_USAGE;
  case BG_ERR_UNAVAILABLE: return CLI_EXIT_UNAVAILABLE;
  case BG_ERR_DEADLINE:
  case BG_ERR_TIMEOUT: return CLI_EXIT_DEADLINE;
  case BG_ERR_SERVER:
  case BG_ERR_UNKNOWN_API: return CLI_EXIT_SERVER;
  default: return CLI_EXIT_OTHER;
  }
}

static struct {
  const char *command, *url;
  int argc;
  char **argv;
} command_line;

void cli_set_command_line(const char *command, const char *url, int argc, char **argv) {
  command_line.command = command;
  command_line.url = url;
  command_line.argc = argc;
  command_line.argv = argv;
}

/* Appends `arg` to `out` (of `size`, holding `*len` bytes) as one shell word; false when it
 * does not fit. */
static bool put_shell_word(char *out, size_t size, size_t *len, const char *arg) {
  static const char plain[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
                              "_@%+=:,./-";
  bool bare = *arg && strspn(arg, plain) == strlen(arg);
  size_t need = bare ? strlen(arg) + 1 : 4 * strlen(arg) + 3;
  if (*len + need + 1 > size)
    return false;
  out[(*len)++] = ' ';
  if (bare) {
    memcpy(out + *len, arg, strlen(arg));
    *len += strlen(arg);
  } else {
    out[(*len)++] = '\'';
    for (const char *p = arg; *p; p++) {
      if (*p == '\'') { /* ' ends the quote, \' is the quote, ' starts it again */
        memcpy(out + *len, "'\\''", 4);
        *len += 4;
      } else {
        out[(*len)++] = *p;
      }
    }
    out[(*len)++] = '\'';
  }
  out[*len] = '\0';
  return true;
}

/* The command line as typed (shell-quoted) plus `extra`, or "" when it is unknown, holds
 * "--" or is too long to repeat. */
static const char *same_command_plus(const char *extra) {
  static char line[1536];
  size_t len = 0;
  line[0] = '\0';
  if (!command_line.argv || command_line.argc < 1)
    return "";
  bool fits = true;
  for (int i = 0; fits && i < command_line.argc; i++) /* after "--" a flag would be a name */
    fits = strcmp(command_line.argv[i], "--") != 0 &&
           put_shell_word(line, sizeof line, &len, command_line.argv[i]);
  fits = fits && len + strlen(extra) + 2 < sizeof line;
  if (!fits)
    return "";
  strcat(line, " ");
  strcat(line, extra);
  return line + 1; /* no leading blank */
}

/* A server without ServiceMetadata (the library's BG_REASON_NO_DISCOVERY_* reasons) as the
 * CLI's flags: for call and bench the exact command line to run instead. */
static const char *no_discovery_advice(bg_reason reason) {
  static char advice[2048];
  bool v1 = reason == BG_REASON_NO_DISCOVERY_V1;
  bool either = reason == BG_REASON_NO_DISCOVERY_UNKNOWN;
  const char *flag = v1 ? "--raw" : "--protocol-version v1alpha1";
  const char *command = command_line.command ? command_line.command : "";
  bool calls = strcmp(command, "call") == 0 || strcmp(command, "bench") == 0;
  const char *again = calls ? same_command_plus(flag) : "";
  if (calls && *again && either)
    snprintf(advice, sizeof advice,
             " (bentogrpc: run it without discovery: `%s` for BentoML 1.0.11, or `%s` for "
             "1.0.6 to 1.0.10)",
             again, same_command_plus("--protocol-version v1alpha1"));
  else if (calls && *again)
    snprintf(advice, sizeof advice, " (bentogrpc: run it without discovery: `%s`)", again);
  else if (calls)
    snprintf(advice, sizeof advice, " (bentogrpc: add %s to the command line)",
             either ? "--raw (1.0.11) or --protocol-version v1alpha1 (1.0.6 to 1.0.10)" : flag);
  else
    snprintf(advice, sizeof advice,
             " (bentogrpc: such a server cannot list its APIs; call one by name without "
             "discovery: `bentogrpc call %s API %s --text ...` — any input flag, as the API "
             "expects%s; health and wait work as usual)",
             command_line.url ? command_line.url : "URL", either ? "--raw" : flag,
             either ? "; for BentoML 1.0.6 to 1.0.10 --protocol-version v1alpha1 instead" : "");
  return advice;
}

/* The one table from the library's reasons to the CLI's remedies (the library's messages name
 * its functions and settings; these name the CLI's flags). A NULL advice is made by `make`. */
static const struct {
  bg_reason reason;
  const char *advice;
  const char *(*make)(bg_reason reason);
} advice_table[] = {
    {BG_REASON_CREDENTIALS_IN_ADDRESS,
     " (bentogrpc: -H 'authorization: Bearer TOKEN' sends a bearer token; without TLS, only to a "
     "loopback server and with --allow-insecure-credentials)",
     NULL},
    {BG_REASON_INSECURE_CREDENTIALS,
     " (bentogrpc: add --allow-insecure-credentials to send them to this local server, or use "
     "TLS: grpcs://, --tls or --cacert)",
     NULL},
    {BG_REASON_INSECURE_CREDENTIALS_REMOTE,
     " (bentogrpc: --allow-insecure-credentials, too, covers only loopback and unix: servers; "
     "use TLS: grpcs://, --tls or --cacert)",
     NULL},
    {BG_REASON_NO_DISCOVERY_V1, NULL, no_discovery_advice},
    {BG_REASON_NO_DISCOVERY_V1ALPHA1_ONLY, NULL, no_discovery_advice},
    {BG_REASON_NO_DISCOVERY_UNKNOWN, NULL, no_discovery_advice},
    {BG_REASON_VALIDATION, " (bentogrpc: --no-validate sends it anyway)", NULL},
    {BG_REASON_REPLY_TOO_LARGE, " (bentogrpc: raise the limit with --max-recv-bytes N)", NULL},
    {BG_REASON_TLS_HANDSHAKE,
     " (bentogrpc: the CA with --cacert CA.pem, the certificate's name with --authority NAME, a "
     "client certificate with --cert/--key)",
     NULL},
    {BG_REASON_TLS_REQUIRED,
     " (bentogrpc: grpcs://HOST:PORT or --tls; a private CA with --cacert CA.pem)", NULL},
    {BG_REASON_TLS_CONFLICT, " (bentogrpc: --plaintext cannot go with --cacert/--cert/--tls)",
     NULL},
    {BG_REASON_HEALTH_SERVICE_UNKNOWN, " (bentogrpc: name it with --service NAME)", NULL},
};

const char *cli_error_advice(bg_status code, bg_reason reason) {
  if (code == BG_OK)
    return "";
  for (size_t i = 0; i < sizeof advice_table / sizeof advice_table[0]; i++)
    if (advice_table[i].reason == reason)
      return advice_table[i].advice ? advice_table[i].advice : advice_table[i].make(reason);
  return "";
}

/* A JSON string of `text`; server text that is not UTF-8 is escaped first (jansson refuses it). */
static json_t *json_text(const char *text) {
  json_t *s = json_string(text);
  if (!s) {
    char *safe = bg_text_escape(text, strlen(text));
    s = json_string(safe ? safe : "");
    bg_string_free(safe);
  }
  return s;
}

void cli_print_json_error(FILE *out, const char *status, int grpc_status, const char *message,
                          int exit_code) {
  json_t *doc = json_pack("{s:{s:o,s:i,s:o,s:o,s:i}}", "error", "status", json_text(status),
                          "grpc_status", grpc_status, "grpc_status_name",
                          grpc_status ? json_text(bg_grpc_status_name(grpc_status)) : json_null(),
                          "message", json_text(message), "exit_code", exit_code);
  if (!doc || json_dumpf(doc, out, JSON_COMPACT | JSON_PRESERVE_ORDER) != 0)
    fputs("{\"error\":{\"status\":\"BG_ERR_NO_MEMORY\"}}", out);
  fputc('\n', out);
  json_decref(doc);
}

static bool json_errors;

void cli_set_json_errors(bool on) { json_errors = on; }

int cli_usage_error(const char *fmt, ...) {
  char message[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(message, sizeof message, fmt, ap);
  va_end(ap);
  fprintf(stderr, "bentogrpc: %s\nRun 'bentogrpc --help' for usage.\n", message);
  if (json_errors)
    cli_print_json_error(stdout, "usage", 0, message, CLI_EXIT_USAGE);
  return CLI_EXIT_USAGE;
}

int cli_report(const bg_error *err) {
  if (err->code == BG_OK || err->message[0] == '\0') {
    fprintf(stderr, "bentogrpc: internal error: an operation failed without saying why "
                    "(please report this)\n");
    if (json_errors)
      cli_print_json_error(stdout, "BG_ERR_INTERNAL", 0, "an operation failed without saying why",
                           CLI_EXIT_OTHER);
    return CLI_EXIT_OTHER;
  }
  char message[BG_ERROR_MESSAGE_SIZE + 2048]; /* + cli_error_advice */
  snprintf(message, sizeof message, "%s%s", err->message,
           cli_error_advice(err->code, bg_error_reason(err)));
  char *safe = bg_text_escape(message, strlen(message)); /* server text inside */
  fprintf(stderr, "bentogrpc: %s\n", safe ? safe : "out of memory");
  bg_string_free(safe);
  int rc = cli_exit_code(err->code);
  if (json_errors)
    cli_print_json_error(stdout, bg_status_name(err->code), err->grpc_status, message, rc);
  return rc;
}

int cli_out_of_memory(void) {
  fprintf(stderr, "bentogrpc: out of memory\n");
  return CLI_EXIT_OTHER;
}
