/* The CLI's ndarray <-> JSON conversions (nested lists, as numpy's tolist() prints them). */
#ifndef BG_TOOLS_NDARRAY_JSON_H
#define BG_TOOLS_NDARRAY_JSON_H

#include <bentogrpc/bentogrpc.h>

/* Parses nested JSON lists such as [[1,2],[3,4]] into a new ndarray value. `dtype_name` may
 * be NULL to infer it the way numpy does (bools -> bool, integers -> int64, other numbers ->
 * float64, strings -> str). */
bg_value *bg_cli_ndarray_from_json(const char *text, const char *dtype_name, bg_error *err);

/* Prints {"dtype": ..., "shape": [...], "data": <nested lists>} and a newline. */
int bg_cli_print_ndarray(FILE *out, const bg_value *value);

#endif
