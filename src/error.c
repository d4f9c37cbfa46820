#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "error_internal.h"

BG_API const char *bg_version(void) { return BG_VERSION_STRING; }

BG_API const char *bg_status_name(bg_status code) {
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

BG_API const char *bg_grpc_status_name(int grpc_status) {
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

/* The reason lives in the last BGI_REASON_BYTES bytes of bg_error::message, after the text
 * (which bgi_fail and bgi_error_prefix keep within BGI_ERROR_TEXT_SIZE bytes with its NUL):
 * a tag byte, the reason, and a check byte, so that bytes a caller left there (a message it
 * wrote itself over the whole array) are not read as a reason. A struct copy carries it. */
#define BGI_REASON_BYTES    3
#define BGI_ERROR_TEXT_SIZE (BG_ERROR_MESSAGE_SIZE - BGI_REASON_BYTES)
#define BGI_REASON_TAG      0xB7u

static void put_reason(bg_error *err, bg_reason reason) {
  unsigned char *tail = (unsigned char *)err->message + BGI_ERROR_TEXT_SIZE;
  tail[0] = BGI_REASON_TAG;
  tail[1] = (unsigned char)reason;
  tail[2] = (unsigned char)~(BGI_REASON_TAG ^ (unsigned)reason);
}

BG_API bg_reason bg_error_reason(const bg_error *err) {
  BGI_ERROR_SINK(err);
  if (err->code == BG_OK)
    return BG_REASON_NONE;
  const unsigned char *tail = (const unsigned char *)err->message + BGI_ERROR_TEXT_SIZE;
  if (tail[0] != BGI_REASON_TAG || tail[2] != (unsigned char)~(BGI_REASON_TAG ^ tail[1]))
    return BG_REASON_NONE;
  return (bg_reason)tail[1];
}

static void vfail(bg_error *err, bg_status code, int grpc_status, bg_reason reason, const char *fmt,
                  va_list ap) {
  err->code = code;
  err->grpc_status = grpc_status;
  /* Formatting into a buffer of the message's size is enough: escaping only lengthens. */
  char text[sizeof err->message];
  vsnprintf(text, sizeof text, fmt, ap);
  /* Messages quote what servers and users sent: no control bytes reach a terminal. */
  bgi_escape_into(err->message, BGI_ERROR_TEXT_SIZE, text, strlen(text));
  put_reason(err, reason);
}

/* The four NULL checks below stay only until every BG_API function has BGI_ERROR_SINK (the
 * option setters are converted on another branch); nothing else tests `err`. */
bg_status bgi_fail(bg_error *err, bg_status code, int grpc_status, const char *fmt, ...) {
  if (err) {
    va_list ap;
    va_start(ap, fmt);
    vfail(err, code, grpc_status, BG_REASON_NONE, fmt, ap);
    va_end(ap);
  }
  return code;
}

bg_status bgi_fail_reason(bg_error *err, bg_status code, int grpc_status, bg_reason reason,
                          const char *fmt, ...) {
  if (err) {
    va_list ap;
    va_start(ap, fmt);
    vfail(err, code, grpc_status, reason, fmt, ap);
    va_end(ap);
  }
  return code;
}

void bgi_error_set_reason(bg_error *err, bg_reason reason) {
  if (err)
    put_reason(err, reason);
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
  /* the text only: the reason after it stays */
  bgi_escape_into(err->message, BGI_ERROR_TEXT_SIZE, text, strlen(text));
}

void bgi_error_clear(bg_error *err) {
  if (!err)
    return;
  err->code = BG_OK;
  err->grpc_status = 0;
  err->message[0] = '\0';
  put_reason(err, BG_REASON_NONE);
}

bg_status bgi_as_protocol(bg_error *err, bg_status st) {
  bg_status code = st == BG_ERR_NO_MEMORY ? BG_ERR_NO_MEMORY : BG_ERR_PROTOCOL;
  if (err)
    err->code = code;
  return code;
}

/* Deprecated spellings (docs/INTERNALS.md "Public names"), kept for this minor version. */
BG_API const char *bg_status_str(bg_status code) { return bg_status_name(code); }
BG_API const char *bg_grpc_status_str(int grpc_status) { return bg_grpc_status_name(grpc_status); }
