/* Printing a call's output value for people and scripts. */
#ifndef BG_TOOLS_CLI_OUTPUT_H
#define BG_TOOLS_CLI_OUTPUT_H

#include <bentogrpc/bentogrpc.h>
#include <stdio.h>

/* Prints `value` to `out`: ndarray/series as JSON, dataframes as a table, JSON indented, text
 * as is, files written to `file_path` (multipart file parts to file_path.NAME) or summarised
 * when it is NULL. Returns 0, or -1 when writing a file failed (message on stderr). */
int cli_print_value(FILE *out, const bg_value *value, const char *file_path);

#endif
