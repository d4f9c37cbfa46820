/* The CLI's ndarray <-> JSON conversions (nested lists, as numpy's tolist() prints them). */
#ifndef CLI_NDARRAY_JSON_H
#define CLI_NDARRAY_JSON_H

#include <bentogrpc/bentogrpc.h>
#include <stdio.h>

#include "cli_json.h"

/* Parses nested JSON lists such as [[1,2],[3,4]] into a new ndarray value. `dtype_name` may
 * be NULL to infer it the way numpy does (bools -> bool, integers -> int64, or uint64 when one
 * is above INT64_MAX, other numbers -> float64, strings -> str). Every number must fit the
 * dtype exactly: an integer dtype refuses fractions and out-of-range values, float32/float64
 * refuse values that overflow; NaN, Infinity and -Infinity are read for float dtypes. Errors
 * are BG_ERR_INVALID_ARGUMENT prefixed with `what` (e.g. "--ndarray"). */
bg_value *cli_ndarray_from_json(const char *text, const char *dtype_name, const char *what,
                                bg_error *err);

/* The same from an already parsed node (a list, or a scalar for a 0-d array). `text_scalars`
 * is the number of scalars in the whole parsed text: no shape may need more. */
bg_value *cli_ndarray_from_node(const cj_node *node, size_t text_scalars, const char *dtype_name,
                                const char *what, bg_error *err);

/* Prints {"dtype": ..., "shape": [...], "data": <nested lists>} and a newline. Every value is
 * printed exactly: integers as integers, floats with the fewest digits that read back the same
 * value of their type (at most 9 for float32, 17 for float64; NaN, Infinity and -Infinity spelled
 * as in JSON5/Python), strings JSON-escaped with any control character as \uXXXX and any byte that
 * is not UTF-8 as \xHH. Returns < 0 when writing failed. */
int cli_print_ndarray(FILE *out, const bg_value *value);

/* The same as strict RFC 8259 JSON for --format json, without the newline: NaN, Infinity and
 * -Infinity as the strings "NaN", "Infinity", "-Infinity" (the proto3 JSON mapping's spelling,
 * as grpcurl prints them). Returns < 0 when writing failed. */
int cli_print_ndarray_json(FILE *out, const bg_value *value);

/* The length of the valid UTF-8 sequence at p (at most n bytes, n >= 1): 1 to 4, or 0 for
 * bytes that are not UTF-8 (overlong forms, surrogates and code points above U+10FFFF
 * included). */
size_t cli_utf8_sequence(const unsigned char *p, size_t n);

/* `d` as the CLI prints it: NaN, Infinity, -Infinity, or the shortest %g (at most `precision`
 * digits: 9 reads back as float32, 17 as float64) with ".0" added to a whole number (jansson's
 * spelling). `buf` needs 40 bytes. */
void cli_format_double(char *buf, size_t size, double d, int precision);

#endif
