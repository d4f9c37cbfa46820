/* The one place the command line's settings reach the library: the log, the client options
 * (bg_options) and the call options (bg_call_options). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_exit.h"
#include "cli_settings.h"

void cli_settings_free(cli_settings *s) {
  cli_input_free(&s->input);
  free(s->url_buf);
  s->url_buf = NULL;
}

static void log_to_stderr(bg_log_level level, const char *source, const char *message,
                          void *user_data) {
  (void)user_data;
  fprintf(stderr, "%s: %s: %s\n", source, bg_log_level_name(level), message);
}

void cli_settings_apply_log(const cli_settings *s) {
  if (s->log_level < 0)
    return;
  bg_log_set_level((bg_log_level)s->log_level);
  bg_log_set_handler(log_to_stderr, NULL);
}

bg_options *cli_settings_client_options(const cli_settings *s, int *rc) {
  bg_options *o = bg_options_new();
  if (!o) {
    *rc = cli_out_of_memory();
    return NULL;
  }
  bg_error err = {0};
  bool ok = (!s->discovery_timeout_ms ||
             bg_options_set_discovery_timeout_ms(o, s->discovery_timeout_ms, &err) == BG_OK) &&
            (!s->authority || bg_options_set_authority(o, s->authority, &err) == BG_OK) &&
            /* the library still refuses a target not on this machine */
            (!s->allow_insecure_credentials ||
             bg_options_set_allow_insecure_credentials(o, true, &err) == BG_OK) &&
            (!s->protocol_version ||
             bg_options_set_protocol_version(o, s->protocol_version, &err) == BG_OK) &&
            (!s->lb || bg_options_set_lb_policy(o, s->lb, &err) == BG_OK) &&
            (!s->retries ||
             bg_options_set_retry(o, s->retries + 1, 100, 1000, 2.0, NULL, &err) == BG_OK) &&
            (!s->health_check ||
             bg_options_set_health_check(o, true, s->health_check_service, &err) == BG_OK) &&
            (!s->cacert || bg_options_set_root_certs_file(o, s->cacert, &err) == BG_OK) &&
            (!s->cert || bg_options_set_client_cert_file(o, s->cert, s->key, &err) == BG_OK) &&
            (!s->tls || bg_options_set_tls(o, true, &err) == BG_OK) &&
            (!s->plaintext || bg_options_set_tls(o, false, &err) == BG_OK);
  if (ok && s->max_recv_bytes &&
      bg_options_set_max_receive_size(o, (size_t)s->max_recv_bytes, &err)) {
    bg_options_free(o);
    *rc = cli_usage_error("--max-recv-bytes takes a number of bytes from 1 to 2147483647, not "
                          "'%lld'",
                          (long long)s->max_recv_bytes);
    return NULL;
  }
  if (!ok) {
    bg_options_free(o);
    *rc = cli_report(&err);
    return NULL;
  }
  return o;
}

bg_call_options *cli_settings_call_options(const cli_settings *s, bg_response_metadata *sink,
                                           bg_error *err) {
  bg_call_options *co = bg_call_options_new();
  if (!co)
    return NULL;
  bool ok =
      (!s->deadline_ms || bg_call_options_set_deadline_ms(co, s->deadline_ms, err) == BG_OK) &&
      bg_call_options_set_wait_for_ready(co, s->wait_for_ready, err) == BG_OK &&
      bg_call_options_set_validate(co, !s->no_validate, err) == BG_OK &&
      (!s->compress || bg_call_options_set_compression(co, s->compression, err) == BG_OK) &&
      (!sink || bg_call_options_set_response_metadata(co, sink, err) == BG_OK);
  for (size_t i = 0; ok && i < s->n_headers; i++) {
    char *key;
    const char *value;
    ok = cli_parse_header(s->headers[i], &key, &value, err) == BG_OK;
    if (ok) { /* HTTP/2 header names are lower-case; grpcurl lower-cases them too */
      for (char *p = key; *p; p++)
        *p = (char)tolower((unsigned char)*p);
      ok = bg_call_options_add_metadata(co, key, value, strlen(value), err) == BG_OK;
      if (ok && s->verbose) /* credentials are not shown */
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

bool cli_settings_calls_raw(const cli_settings *s) {
  return s->raw || (s->protocol_version && strcmp(s->protocol_version, "v1alpha1") == 0);
}
