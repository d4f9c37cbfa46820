/* The library's own log events (include/bentogrpc/log.h). */
#ifndef BGI_LOG_INTERNAL_H
#define BGI_LOG_INTERNAL_H

#include <bentogrpc/log.h>
#include <stdbool.h>

/* True when an event at `level` would be delivered (cheap: check before building a message). */
bool bgi_log_enabled(bg_log_level level);

/* Logs one event from the library (source "bentogrpc"). printf format; never pass metadata
 * values, tokens, PEM or other secrets. Arguments the server controls are escaped. */
void bgi_log(bg_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
