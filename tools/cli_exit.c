#include <jansson.h>
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

const char *cli_error_advice(bg_status code, const char *message) {
  /* url.c's refusal of user:password@ in the address: the CLI's way to send credentials */
  if (code == BG_ERR_INVALID_ARGUMENT && strstr(message, "carries user credentials"))
    return " (bentogrpc: -H 'authorization: Bearer TOKEN' sends a bearer token; without TLS, "
           "only to a loopback server and with --allow-insecure-credentials)";
  /* call_chain.c's refusal: nothing was sent; its remedy in the library's words is
   * bg_options_allow_insecure_credentials(), which only loopback and unix: targets pass */
  if (code != BG_ERR_INVALID_ARGUMENT || !strstr(message, "refusing to send credentials"))
    return "";
  if (strstr(message, "loopback and unix: servers only"))
    return " (bentogrpc: --allow-insecure-credentials, too, covers only loopback and unix: "
           "servers; use TLS: grpcs://, --tls or --cacert)";
  return " (bentogrpc: add --allow-insecure-credentials to send them to this local server, or "
         "use TLS: grpcs://, --tls or --cacert)";
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
                          grpc_status ? json_text(bg_grpc_status_str(grpc_status)) : json_null(),
                          "message", json_text(message), "exit_code", exit_code);
  if (!doc || json_dumpf(doc, out, JSON_COMPACT | JSON_PRESERVE_ORDER) != 0)
    fputs("{\"error\":{\"status\":\"BG_ERR_NO_MEMORY\"}}", out);
  fputc('\n', out);
  json_decref(doc);
}
