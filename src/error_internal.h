/* Filling bg_error records; shared by every module. */
#ifndef BGI_ERROR_INTERNAL_H
#define BGI_ERROR_INTERNAL_H

#include "bentogrpc/common.h"

/* Fills `err` (never NULL: see BGI_ERROR_SINK) and returns `code`, so callers can `return
 * bgi_fail(...)`. The text takes at most BG_ERROR_MESSAGE_SIZE - 3 bytes with its NUL: the
 * last 3 bytes of the message hold the reason (bg_error_reason(), error.c); nothing else in the
 * library writes err->message. */
bg_status bgi_fail(bg_error *err, bg_status code, int grpc_status, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* bgi_fail recording `reason` (bg_error_reason()) too; bgi_fail records BG_REASON_NONE. */
bg_status bgi_fail_reason(bg_error *err, bg_status code, int grpc_status, bg_reason reason,
                          const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Records `reason` on a failure already in `err` (its code and message stay). */
void bgi_error_set_reason(bg_error *err, bg_reason reason);

/* Prefixes err->message with "<prefix>: " (keeps code, grpc_status and the reason). */
void bgi_error_prefix(bg_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Resets `err` to "no error". */
void bgi_error_clear(bg_error *err);

/* Recasts a failure while decoding the server's data as BG_ERR_PROTOCOL (its fault), except
 * running out of memory (ours); `st` is the failed call's status. Returns the final code. */
bg_status bgi_as_protocol(bg_error *err, bg_status st);

/* Writes bg_text_escape()'s form of text[0..len) into dst (cap bytes, NUL-terminated, cut
 * only between whole characters/escapes) and returns its length; with dst NULL only counts. */
size_t bgi_escape_into(char *dst, size_t cap, const char *text, size_t len);

#define BGI_FAIL_NOMEM(err) bgi_fail((err), BG_ERR_NO_MEMORY, 0, "out of memory")

/* Inside the library the error sink is never NULL: every BG_API function taking `bg_error *err`
 * starts with `BGI_ERROR_SINK(err);`, which points a NULL `err` at a local record for the rest
 * of the call (cleared, so it reads "no error"), so internal code writes to `err` unconditionally
 * (no `err ? err : &local`, no `if (err)`). A statement, not an expression: the local must live in
 * the caller's scope. */
#define BGI_ERROR_SINK(err)                                                                        \
  bg_error bgi_sink_;                                                                              \
  if (!(err)) {                                                                                    \
    bgi_sink_.code = BG_OK;                                                                        \
    bgi_sink_.grpc_status = 0;                                                                     \
    bgi_sink_.message[0] = '\0';                                                                   \
    (err) = &bgi_sink_;                                                                            \
  }

#endif
