#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "error_internal.h"

BG_API const char *bg_version(void) { return BG_VERSION_STRING; }

BG_API const char *bg_status_str(bg_status code) {
  switch (code) {
  case BG_OK: return "BG_OK";
  case BG_ERR_INVALID_ARGUMENT: return "BG_ERR_INVALID_ARGUMENT";
  case BG_ERR_NO_MEMORY: return "BG_ERR_NO_MEMORY";
  case BG_ERR_UNAVAILABLE: return "BG_ERR_UNAVAILABLE";
  case BG_ERR_DEADLINE: return "BG_ERR_DEADLINE";
  case BG_ERR_SERVER: return "BG_ERR_SERVER";
  case BG_ERR_PROTOCOL: return "BG_ERR_PROTOCOL";
  case BG_ERR_UNKNOWN_API: return "BG_ERR_UNKNOWN_API";
  case BG_ERR_UNSUPPORTED: return "BG_ERR_UNSUPPORTED";
  case BG_ERR_TIMEOUT: return "BG_ERR_TIMEOUT";
  case BG_ERR_CANCELLED: return "BG_ERR_CANCELLED";
  case BG_ERR_INTERNAL: return "BG_ERR_INTERNAL";
  case BG_ERR_FORKED: return "BG_ERR_FORKED";
  }
  return "BG_ERR_(unknown code)";
}

BG_API const char *bg_grpc_status_str(int grpc_status) {
  static const char *const names[] = {"OK",
                                      "CANCELLED",
                                      "UNKNOWN",
                                      "INVALID_ARGUMENT",
                                      "DEADLINE_EXCEEDED",
                                      "NOT_FOUND",
                                      "ALREADY_EXISTS",
                                      "PERMISSION_DENIED",
                                      "RESOURCE_EXHAUSTED",
                                      "FAILED_PRECONDITION",
                                      "ABORTED",
                                      "OUT_OF_RANGE",
                                      "UNIMPLEMENTED",
                                      "INTERNAL",
                                      "UNAVAILABLE",
                                      "DATA_LOSS",
                                      "UNAUTHENTICATED"};
  if (grpc_status < 0 || (size_t)grpc_status >= sizeof names / sizeof names[0])
    return "UNKNOWN_STATUS";
  return names[grpc_status];
}

/* The four NULL checks below stay only until every BG_API function has BGI_ERROR_SINK (the
 * option setters are converted on another branch); nothing else tests `err`. */
bg_status bgi_fail(bg_error *err, bg_status code, int grpc_status, const char *fmt, ...) {
  if (err) {
    err->code = code;
    err->grpc_status = grpc_status;
    /* Formatting into a buffer of the message's size is enough: escaping only lengthens. */
    char text[sizeof err->message];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    /* Messages quote what servers and users sent: no control bytes reach a terminal. */
    bgi_escape_into(err->message, sizeof err->message, text, strlen(text));
  }
  return code;
}

void bgi_error_prefix(bg_error *err, const char *fmt, ...) {
  if (!err)
    return;
  char prefix[256];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(prefix, sizeof prefix, fmt, ap);
  va_end(ap);
  char text[sizeof err->message];
  snprintf(text, sizeof text, "%s: %s", prefix, err->message);
  bgi_escape_into(err->message, sizeof err->message, text, strlen(text));
}

void bgi_error_clear(bg_error *err) {
  if (!err)
    return;
  err->code = BG_OK;
  err->grpc_status = 0;
  err->message[0] = '\0';
}

bg_status bgi_as_protocol(bg_error *err, bg_status st) {
  bg_status code = st == BG_ERR_NO_MEMORY ? BG_ERR_NO_MEMORY : BG_ERR_PROTOCOL;
  if (err)
    err->code = code;
  return code;
}
