/* Building a call's input value from the command line. */
#ifndef CLI_INPUT_H
#define CLI_INPUT_H

#include <bentogrpc/bentogrpc.h>
#include <stdbool.h>

typedef struct cli_input {
  const char *ndarray;   /* --ndarray JSON nested lists */
  const char *series;    /* --series JSON list */
  const char *dataframe; /* --dataframe JSON object {"col": [..], ...} */
  const char *dtype;     /* --dtype for ndarray / series / dataframe columns */
  const char *json;      /* --json TEXT */
  const char *text;      /* --text TEXT */
  const char *file;      /* --file PATH */
  const char *mime;      /* --mime TYPE for --file */
  const char *bytes;     /* --bytes PATH: raw serialized_bytes */
  const char *parts[32]; /* --part NAME=KIND:VALUE */
  size_t n_parts;
} cli_input;

/* The value the flags describe (exactly one input kind, or parts), or NULL with err. */
bg_value *cli_build_input(const cli_input *in, bg_error *err);

/* Splits a --part argument NAME=KIND:VALUE. On success *name and *kind are malloc'd copies
 * (free both) and *value points into `spec`; values of any length are kept whole. */
bg_status cli_parse_part(const char *spec, char **name, char **kind, const char **value,
                         bg_error *err);

/* Splits a -H argument "name: value" (spaces after the colon are skipped). On success *key is
 * a malloc'd copy (free it) and *value points into `arg`. The error never repeats the
 * argument, which may carry a secret such as a bearer token. */
bg_status cli_parse_header(const char *arg, char **key, const char **value, bg_error *err);

/* Whether the value of header `key` (lower-case) may be a secret, so `-v` must not print it:
 * authorization and proxy-authorization, cookies, and any name with auth, token, key, secret,
 * pass, session, credential or signature in it. Errs on the side of hiding. */
bool cli_header_is_secret(const char *key);

#endif
