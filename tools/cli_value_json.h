/* `--format json`: a call's output value as one JSON document. */
#ifndef CLI_VALUE_JSON_H
#define CLI_VALUE_JSON_H

#include <bentogrpc/bentogrpc.h>
#include <stdio.h>

/* Prints {"kind": ..., ...} for any value kind: ndarray/series {"dtype","shape","data"} exactly
 * as the text output, dataframe {"columns": [{"name", "dtype", "data"}]}, json {"value": the
 * document}, text {"value": string}, file/bytes {"mime", "size", "path"} (written to
 * `file_path`, or PATH.PART for multipart file parts, when given), multipart {"parts":
 * {name: value}}. Returns 0, or -1 when writing failed. */
int cli_print_value_json(FILE *out, const bg_value *value, const char *file_path);

/* Writes `text` (len bytes) as a JSON string; bytes that are not UTF-8 become U+FFFD. */
void cli_put_json_string(FILE *out, const char *text, size_t len);

#endif
