/* hostile_driver: one library-level step against a (hostile) server, reported as ONE JSON line
 * on stdout for tests/hostile/run_hostile.py to assert on.
 *
 *   hostile_driver [OPTIONS] URL COMMAND [ARGS]
 *
 * COMMANDs:
 *   connect                   bg_client_from_url; reports the number of APIs
 *   call API KIND VALUE       bg_client_call (or _raw); KIND text | json | ndarray (VALUE:
 *                             comma-separated doubles, a float64 vector) | multipart (text
 *                             parts "a" and "b", both VALUE)
 *   dtype NAME                bg_dtype_from_name (URL is ignored)
 *   bad_utf8 copy|borrow      a STRING ndarray with invalid UTF-8 in element 1 (URL ignored)
 *   watch [MS]                bg_client_health_watch of the BentoService for MS (default
 *                             10000) ms (with --async N: bg_async_health_watch); "out" lists the
 *                             statuses seen, whatever the outcome
 * OPTIONS (applied in the order given, so conflicting settings can be tried both ways):
 *   --discovery-ms N --deadline-ms N --bearer TOKEN --insecure-creds --cacert PEM
 *   --tls on|off --raw --no-validate --async N (N async calls of the same input; with --raw
 *   on a client from bg_async_client_connect, without discovery)
 *
 * The line: {"step": where it stopped, "code": "BG_...", "grpc": n, "msg_hex": message bytes
 * in hex (so ESC and BEL are seen as they are), "ms": elapsed, "out": a summary of the output}.
 * Exit status 0 whenever the line was written: the runner judges the outcome, not us. */
#define _GNU_SOURCE /* RTLD_DEFAULT */
#include <bentogrpc/bentogrpc.h>
#include <dlfcn.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct out {
  char buf[8192];
  size_t len;
} out;

static void put(out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(out *o, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(o->buf + o->len, sizeof o->buf - o->len, fmt, ap);
  va_end(ap);
  if (n > 0)
    o->len = o->len + (size_t)n < sizeof o->buf ? o->len + (size_t)n : sizeof o->buf - 1;
}

/* Hex of at most 2048 bytes: enough for any message; the length is reported separately. */
static void put_hex(out *o, const void *data, size_t len) {
  const unsigned char *p = data;
  for (size_t i = 0; i < len && i < 2048; i++)
    put(o, "%02x", p[i]);
}

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static double started;

static int report(const char *step, const bg_error *err, const char *out_json) {
  out o = {.len = 0};
  put(&o, "{\"step\": \"%s\", \"code\": \"%s\", \"grpc\": %d, \"msg_hex\": \"", step,
      bg_status_name(err->code), err->grpc_status);
  put_hex(&o, err->message, strnlen(err->message, sizeof err->message));
  put(&o, "\", \"ms\": %.0f, \"out\": %s}\n", now_ms() - started, out_json ? out_json : "null");
  fputs(o.buf, stdout);
  return 0;
}

/* A JSON summary of an output value: enough to assert lengths, shapes and names. */
static void summarize(out *o, const bg_value *v) {
  bg_value_kind kind = bg_value_get_kind(v);
  put(o, "{\"kind\": \"%s\"", bg_value_kind_name(kind));
  if (kind == BG_VALUE_TEXT) {
    put(o, ", \"len\": %zu, \"hex\": \"", bg_text_length(v));
    put_hex(o, bg_text_data(v), bg_text_length(v));
    put(o, "\"");
  } else if (kind == BG_VALUE_NDARRAY) {
    const char *name = bg_dtype_name(bg_ndarray_dtype(v));
    put(o, ", \"dtype\": \"%s\", \"count\": %zu, \"shape\": [", name ? name : "?",
        bg_ndarray_count(v));
    for (size_t i = 0; i < bg_ndarray_ndim(v); i++)
      put(o, "%s%lld", i ? ", " : "", (long long)bg_ndarray_shape(v)[i]);
    put(o, "]");
  } else if (kind == BG_VALUE_JSON) {
    const char *text = bg_json_text(v);
    put(o, ", \"len\": %zu", text ? strlen(text) : 0);
  } else if (kind == BG_VALUE_MULTIPART) {
    put(o, ", \"names_hex\": [");
    for (size_t i = 0; i < bg_multipart_count(v); i++) {
      put(o, "%s\"", i ? ", " : "");
      const char *name = bg_multipart_name_at(v, i);
      put_hex(o, name, strlen(name));
      put(o, "\"");
    }
    put(o, "]");
  }
  put(o, "}");
}

static bg_value *make_input(const char *kind, const char *text, bg_error *err) {
  if (strcmp(kind, "text") == 0)
    return bg_text_new(text, (size_t)-1, err);
  if (strcmp(kind, "json") == 0)
    return bg_json_parse(text, (size_t)-1, err);
  if (strcmp(kind, "multipart") == 0) {
    bg_value *m = bg_multipart_new(err);
    if (m && (bg_multipart_add(m, "a", bg_text_new(text, (size_t)-1, err), err) != BG_OK ||
              bg_multipart_add(m, "b", bg_text_new(text, (size_t)-1, err), err) != BG_OK)) {
      bg_value_free(m);
      return NULL;
    }
    return m;
  }
  double values[64];
  size_t n = 0;
  for (const char *p = text; *p && n < 64; n++) {
    char *end;
    values[n] = strtod(p, &end);
    p = *end == ',' ? end + 1 : end;
    if (end == p && *p)
      break;
  }
  int64_t shape[1] = {(int64_t)n};
  return bg_ndarray_copy(BG_DTYPE_DOUBLE, shape, 1, values, n, err);
}

/* ---- async: every callback exactly once ---- */

typedef struct async_state {
  int *runs; /* callbacks per call */
  int codes[BG_ERR_INTERNAL + 1];
  bg_error first_error; /* the first non-OK callback's error */
  bool have_error;
} async_state;

typedef struct async_slot {
  async_state *state;
  int index;
} async_slot;

static void on_call(bg_async_op *call, bg_status status, bg_value *output, const bg_error *err,
                    void *user_data) {
  (void)call;
  async_slot *slot = user_data;
  slot->state->runs[slot->index]++;
  if (status >= 0 && status <= BG_ERR_INTERNAL)
    slot->state->codes[status]++;
  if (status != BG_OK && !slot->state->have_error) {
    slot->state->first_error = *err;
    slot->state->have_error = true;
  }
  bg_value_free(output);
}

static int run_async(const char *url, const bg_options *opts, const char *api,
                     const bg_value *input, const bg_call_options *copts, int n, bool raw) {
  bg_error err = {0};
  bg_async_client *ac = raw ? bg_async_client_connect(url, opts, 0, &err)
                            : bg_async_client_from_url(url, opts, 0, &err);
  if (!ac)
    return report("connect", &err, NULL);
  async_state state = {.runs = calloc((size_t)n, sizeof(int))};
  async_slot *slots = calloc((size_t)n, sizeof *slots);
  int started_n = 0;
  bg_error start_err = {0};
  for (int i = 0; i < n; i++) {
    slots[i] = (async_slot){&state, i};
    bg_status s =
        raw ? bg_async_call_raw(ac, api, input, copts, on_call, &slots[i], NULL, &start_err)
            : bg_async_call(ac, api, input, copts, on_call, &slots[i], NULL, &start_err);
    if (s == BG_OK)
      started_n++;
  }
  /* Poll until every callback ran; the runner's time bound catches a hang. */
  while (bg_async_client_pending(ac) > 0)
    bg_async_client_poll(ac, 1000, NULL, &err);
  bg_async_client_close(ac);
  int max_runs = 0, min_runs = n > 0 ? state.runs[0] : 0, total = 0;
  for (int i = 0; i < n; i++) {
    total += state.runs[i];
    max_runs = state.runs[i] > max_runs ? state.runs[i] : max_runs;
    min_runs = state.runs[i] < min_runs ? state.runs[i] : min_runs;
  }
  out o = {.len = 0};
  put(&o,
      "{\"started\": %d, \"callbacks\": %d, \"min_per_call\": %d, \"max_per_call\": %d, "
      "\"codes\": {",
      started_n, total, min_runs, max_runs);
  bool first = true;
  for (int c = 0; c <= BG_ERR_INTERNAL; c++)
    if (state.codes[c]) {
      put(&o, "%s\"%s\": %d", first ? "" : ", ", bg_status_name((bg_status)c), state.codes[c]);
      first = false;
    }
  put(&o, "}}");
  free(state.runs);
  free(slots);
  bg_error result = state.have_error ? state.first_error : (bg_error){0};
  if (started_n < n)
    result = start_err;
  return report("async", &result, o.buf);
}

/* ---- Health/Watch ---- */

typedef struct watch_seen {
  out list; /* the statuses seen, as a JSON array's items */
  int count;
  bool ended; /* async: on_end ran */
  bg_status status;
  bg_error err;
} watch_seen;

static void watch_saw(watch_seen *w, bg_health_status status) {
  put(&w->list, "%s%d", w->count++ ? ", " : "", (int)status);
}

static bool on_watch_status(bg_health_status status, void *user_data) {
  watch_saw(user_data, status);
  return true;
}

static void on_watch_change(bg_async_op *call, bg_health_status health, void *user_data) {
  (void)call;
  watch_saw(user_data, health);
}

static void on_watch_end(bg_async_op *call, bg_status status, bg_health_status health,
                         const bg_error *err, void *user_data) {
  (void)call, (void)health;
  watch_seen *w = user_data;
  w->ended = true;
  w->status = status;
  w->err = *err;
}

static int run_watch(const char *url, const bg_options *opts, const bg_call_options *copts,
                     int64_t timeout_ms, bool async, bool raw) {
  bg_error err = {0};
  watch_seen w = {.list = {.len = 0}};
  if (async) {
    bg_async_client *ac = raw ? bg_async_client_connect(url, opts, 0, &err)
                              : bg_async_client_from_url(url, opts, 0, &err);
    if (!ac)
      return report("connect", &err, NULL);
    if (bg_async_health_watch(ac, NULL, timeout_ms, on_watch_change, on_watch_end, &w, NULL,
                              &err) != BG_OK) {
      bg_async_client_close(ac);
      return report("watch", &err, NULL);
    }
    while (!w.ended) /* the runner's time bound catches a hang */
      bg_async_client_poll(ac, 1000, NULL, &err);
    bg_async_client_close(ac);
    err = w.status == BG_OK ? (bg_error){0} : w.err;
  } else {
    bg_client *c = raw ? bg_client_open(url, opts, &err) : bg_client_from_url(url, opts, &err);
    if (!c)
      return report("connect", &err, NULL);
    if (bg_client_health_watch(c, NULL, timeout_ms, on_watch_status, &w, copts, &err) == BG_OK)
      err = (bg_error){0};
    bg_client_close(c);
  }
  out o = {.len = 0};
  put(&o, "{\"statuses\": [%s]}", w.list.buf);
  return report("watch", &err, o.buf);
}

/* bg_options_set_allow_insecure_credentials() came after the first release; looked up at run time
 * so this driver builds (and reports "not available") on a library without it. */
typedef bg_status (*allow_insecure_fn)(bg_options *, bool, bg_error *);

static int usage(void) {
  fprintf(stderr, "usage: hostile_driver [OPTIONS] URL connect|call|watch|dtype|bad_utf8 [ARGS]\n");
  return 2;
}

int main(int argc, char **argv) {
  started = now_ms();
  bg_error err = {0};
  bg_options *opts = bg_options_new();
  bg_call_options *copts = bg_call_options_new();
  bool raw = false;
  int n_async = 0;
  int i = 1;
  for (; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : "";
    bg_status s = BG_OK;
    if (strcmp(a, "--raw") == 0) {
      raw = true;
      continue;
    } else if (strcmp(a, "--no-validate") == 0) {
      s = bg_call_options_set_validate(copts, false, &err);
    } else if (strcmp(a, "--insecure-creds") == 0) {
      allow_insecure_fn allow = (allow_insecure_fn)(uintptr_t)dlsym(
          RTLD_DEFAULT, "bg_options_set_allow_insecure_credentials");
      if (!allow) {
        err = (bg_error){.code = BG_ERR_UNSUPPORTED};
        snprintf(err.message, sizeof err.message,
                 "bg_options_set_allow_insecure_credentials is not in this library");
        s = BG_ERR_UNSUPPORTED;
        break;
      }
      s = allow(opts, true, &err);
    } else if (strcmp(a, "--discovery-ms") == 0) {
      s = bg_options_set_discovery_timeout_ms(opts, atoll(v), &err), i++;
    } else if (strcmp(a, "--deadline-ms") == 0) {
      s = bg_call_options_set_deadline_ms(copts, atoll(v), &err), i++;
    } else if (strcmp(a, "--bearer") == 0) {
      s = bg_call_options_set_bearer_token(copts, v, &err), i++;
    } else if (strcmp(a, "--cacert") == 0) {
      s = bg_options_set_root_certs_file(opts, v, &err), i++;
    } else if (strcmp(a, "--tls") == 0) {
      s = bg_options_set_tls(opts, strcmp(v, "on") == 0, &err), i++;
    } else if (strcmp(a, "--async") == 0) {
      n_async = atoi(v), i++;
    } else {
      s = BG_ERR_INVALID_ARGUMENT;
      err = (bg_error){.code = s};
      snprintf(err.message, sizeof err.message, "hostile_driver: unknown option %s", a);
    }
    if (s != BG_OK)
      break;
  }
  int rc;
  if (err.code != BG_OK) {
    rc = report("options", &err, NULL);
    goto done;
  }
  if (argc - i < 2) {
    rc = usage();
    goto done;
  }
  const char *url = argv[i], *command = argv[i + 1];
  char **args = argv + i + 2;
  int n_args = argc - i - 2;

  if (strcmp(command, "dtype") == 0 && n_args == 1) {
    bg_dtype dtype = 0;
    bg_status s = bg_dtype_from_name(args[0], &dtype);
    err = (bg_error){.code = s};
    char o[64];
    snprintf(o, sizeof o, "{\"dtype\": \"%s\"}", s == BG_OK ? bg_dtype_name(dtype) : "");
    rc = report("dtype", &err, s == BG_OK ? o : NULL);
  } else if (strcmp(command, "bad_utf8") == 0 && n_args == 1) {
    const char *strings[2] = {"ok", "\xff\xfe"};
    int64_t shape[1] = {2};
    bool copy = strcmp(args[0], "copy") == 0;
    bg_value *v = copy ? bg_ndarray_copy(BG_DTYPE_STRING, shape, 1, strings, 2, &err)
                       : bg_ndarray_borrow(BG_DTYPE_STRING, shape, 1, strings, 2, &err);
    if (v)
      err = (bg_error){.code = BG_OK};
    bg_value_free(v);
    rc = report(args[0], &err, NULL);
  } else if (strcmp(command, "watch") == 0 && n_args <= 1) {
    rc = run_watch(url, opts, copts, n_args ? atoll(args[0]) : 10000, n_async > 0, raw);
  } else if (strcmp(command, "connect") == 0 && n_args == 0) {
    bg_client *c = bg_client_from_url(url, opts, &err);
    char o[64];
    snprintf(o, sizeof o, "{\"apis\": %zu}", c ? bg_client_api_count(c) : 0);
    if (c)
      err = (bg_error){.code = BG_OK};
    rc = report("connect", &err, c ? o : NULL);
    bg_client_close(c);
  } else if (strcmp(command, "call") == 0 && n_args == 3) {
    bg_value *input = make_input(args[1], args[2], &err);
    if (!input) {
      rc = report("input", &err, NULL);
    } else if (n_async > 0) {
      rc = run_async(url, opts, args[0], input, copts, n_async, raw);
    } else {
      bg_client *c = raw ? bg_client_open(url, opts, &err) : bg_client_from_url(url, opts, &err);
      if (!c) {
        rc = report("connect", &err, NULL);
      } else {
        bg_value *output = NULL;
        bg_status s = raw ? bg_client_call_raw(c, args[0], input, &output, copts, &err)
                          : bg_client_call(c, args[0], input, &output, copts, &err);
        out o = {.len = 0};
        if (s == BG_OK) {
          err = (bg_error){.code = BG_OK};
          summarize(&o, output);
        }
        rc = report("call", &err, s == BG_OK ? o.buf : NULL);
        bg_value_free(output);
        bg_client_close(c);
      }
    }
    bg_value_free(input);
  } else {
    rc = usage();
  }
done:
  bg_call_options_free(copts);
  bg_options_free(opts);
  return rc;
}
