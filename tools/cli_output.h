/* Printing a call's output value for people and scripts. */
#ifndef CLI_OUTPUT_H
#define CLI_OUTPUT_H

#include <bentogrpc/bentogrpc.h>
#include <stdio.h>

/* Prints `value` to `out`: ndarray/series as JSON, dataframes as a table, JSON indented, text
 * as is, files written to `file_path` (multipart file parts to file_path.NAME) or summarised
 * when it is NULL; a text or JSON reply (not part) goes byte for byte to `file_path` when it is
 * given. Text from the server is escaped when `out` is a terminal (see cli_put_text). Returns 0, or
 * -1 when writing failed (message on stderr). */
int cli_print_value(FILE *out, const bg_value *value, const char *file_path);

/* Writes server-controlled text: to a terminal through bg_text_escape() (no control
 * character or invalid UTF-8 reaches it), elsewhere byte for byte. `len` (size_t)-1: up to
 * the NUL. */
void cli_put_text(FILE *out, const char *text, size_t len);

/* Writes `size` bytes to the file at `path` (created or truncated). Returns 0, or -1 with the
 * reason on stderr. */
int cli_write_file(const char *path, const void *data, size_t size);

#endif
