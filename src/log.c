/* The log hook (include/bentogrpc/log.h): the library's own events and gRPC Core's lines go to
 * one process-wide handler, or to stderr when BG_LOG is set. */
#include <grpc/grpc.h>
#include <grpc/support/log.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <bentogrpc/bentogrpc.h>

#include "log_internal.h"

static pthread_once_t once = PTHREAD_ONCE_INIT;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER; /* guards handler and handler_data */
static bg_log_fn handler;
static void *handler_data;
static atomic_int min_level = BG_LOG_INFO;
static bool env_stderr;         /* BG_LOG was set: stderr is the default sink */
static atomic_bool grpc_hooked; /* gRPC Core's lines come to grpc_line() */

BG_API const char *bg_log_level_name(bg_log_level level) {
  static const char *const names[] = {"debug", "info", "warn", "error", "off"};
  return (unsigned)level <= BG_LOG_OFF ? names[level] : "unknown";
}

static void deliver(bg_log_level level, const char *source, const char *message) {
  pthread_mutex_lock(&lock);
  bg_log_fn fn = handler;
  void *data = handler_data;
  pthread_mutex_unlock(&lock);
  if (fn)
    fn(level, source, message, data);
  else if (env_stderr || strcmp(source, "grpc") == 0) /* gRPC's own default is stderr too */
    fprintf(stderr, "%s: %s: %s\n", source, bg_log_level_name(level), message);
}

static void grpc_line(gpr_log_func_args *args) {
  bg_log_level level = args->severity == GPR_LOG_SEVERITY_DEBUG  ? BG_LOG_DEBUG
                       : args->severity == GPR_LOG_SEVERITY_INFO ? BG_LOG_INFO
                                                                 : BG_LOG_ERROR;
  if (!bgi_log_enabled(level) || !args->message)
    return;
  const char *file = args->file ? strrchr(args->file, '/') : NULL;
  file = file ? file + 1 : args->file ? args->file : "?";
  int n = snprintf(NULL, 0, "%s:%d: %s", file, args->line, args->message);
  char *text = n >= 0 ? malloc((size_t)n + 1) : NULL;
  if (!text)
    return;
  snprintf(text, (size_t)n + 1, "%s:%d: %s", file, args->line, args->message);
  char *safe = bg_text_escape(text, (size_t)n);
  deliver(level, "grpc", safe ? safe : text);
  bg_string_free(safe);
  free(text);
}

/* Routes gRPC Core's lines through us and asks it for lines of our level, unless the user set
 * GRPC_VERBOSITY themselves. */
static void hook_grpc(void) {
  if (!atomic_exchange(&grpc_hooked, true))
    gpr_set_log_function(grpc_line);
  if (!getenv("GRPC_VERBOSITY")) {
    int level = atomic_load(&min_level);
    gpr_set_log_verbosity(level == BG_LOG_DEBUG  ? GPR_LOG_SEVERITY_DEBUG
                          : level == BG_LOG_INFO ? GPR_LOG_SEVERITY_INFO
                                                 : GPR_LOG_SEVERITY_ERROR);
  }
}

static bool parse_level(const char *text, bg_log_level *out) {
  for (int l = BG_LOG_DEBUG; l <= BG_LOG_OFF; l++)
    if (strcasecmp(text, bg_log_level_name((bg_log_level)l)) == 0) {
      *out = (bg_log_level)l;
      return true;
    }
  if (strcasecmp(text, "warning") == 0) {
    *out = BG_LOG_WARN;
    return true;
  }
  return false;
}

static void init_from_env(void) {
  const char *env = getenv("BG_LOG");
  if (!env || !*env)
    return;
  bg_log_level level = BG_LOG_INFO;
  if (!parse_level(env, &level))
    fprintf(stderr,
            "bentogrpc: BG_LOG='%s' is not debug, info, warn, error or off; logging at "
            "info\n",
            env);
  atomic_store(&min_level, (int)level);
  env_stderr = true;
  hook_grpc();
}

bool bgi_log_enabled(bg_log_level level) {
  pthread_once(&once, init_from_env);
  return (int)level >= atomic_load(&min_level) && level < BG_LOG_OFF;
}

void bgi_log(bg_log_level level, const char *fmt, ...) {
  if (!bgi_log_enabled(level))
    return;
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  char *text = n >= 0 ? malloc((size_t)n + 1) : NULL;
  if (!text)
    return;
  va_start(ap, fmt);
  vsnprintf(text, (size_t)n + 1, fmt, ap);
  va_end(ap);
  char *safe = bg_text_escape(text, (size_t)n); /* URLs and names may come from a server */
  deliver(level, "bentogrpc", safe ? safe : text);
  bg_string_free(safe);
  free(text);
}

BG_API void bg_log_set_handler(bg_log_fn fn, void *user_data) {
  pthread_once(&once, init_from_env);
  pthread_mutex_lock(&lock);
  handler = fn;
  handler_data = user_data;
  pthread_mutex_unlock(&lock);
  if (fn)
    hook_grpc();
}

BG_API void bg_log_set_level(bg_log_level level) {
  pthread_once(&once, init_from_env);
  if ((unsigned)level > BG_LOG_OFF)
    level = BG_LOG_OFF;
  atomic_store(&min_level, (int)level);
  if (atomic_load(&grpc_hooked))
    hook_grpc(); /* gRPC's verbosity follows */
}

BG_API bg_log_level bg_log_get_level(void) {
  pthread_once(&once, init_from_env);
  return (bg_log_level)atomic_load(&min_level);
}

BG_API const char *bg_grpc_core_version(void) { return grpc_version_string(); }

/* Deprecated spellings (docs/INTERNALS.md "Public names"), kept for this minor version. */
BG_API const char *bg_log_level_str(bg_log_level level) { return bg_log_level_name(level); }
BG_API void bg_set_log_handler(bg_log_fn fn, void *user_data) { bg_log_set_handler(fn, user_data); }
BG_API void bg_set_log_level(bg_log_level level) { bg_log_set_level(level); }
BG_API bg_log_level bg_get_log_level(void) { return bg_log_get_level(); }
