/* `--format json`: a call's output value as one JSON document. */
#ifndef CLI_VALUE_JSON_H
#define CLI_VALUE_JSON_H

#include <bentogrpc/bentogrpc.h>
#include <stdio.h>

/* Prints {"kind": ..., ...} for any value kind, as one line of strict (RFC 8259) JSON without
 * the newline: ndarray/series {"dtype","shape","data"} with the text output's numbers, but NaN
 * and infinities as the strings "NaN", "Infinity", "-Infinity" (cli_print_ndarray_json), dataframe
 * {"columns": [{"name", "dtype", "data"}]}, json {"value": the document}, text {"value": string},
 * file/bytes {"mime", "size", "path"} (written to `file_path`, or PATH.PART for multipart file
 * parts, when given), multipart {"parts": {name: value}}. Returns 0, or -1 when writing failed. */
int cli_print_value_json(FILE *out, const bg_value *value, const char *file_path);

/* Writes `text` (len bytes) as a JSON string; text that is not UTF-8 is escaped first, as
 * bg_text_escape does (\xHH). */
void cli_put_json_string(FILE *out, const char *text, size_t len);

#endif
