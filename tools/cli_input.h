/* A call's input from the command line: reading option values (inline, @PATH, @-, stdin) and
 * building the bg_value they describe. */
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
  /* what the cli_input_* readers below read, owned until cli_input_free */
  bool stdin_used;  /* one input at most may read stdin */
  char *loaded[64]; /* @PATH / @- contents and rewritten --part values */
  size_t n_loaded;
} cli_input;

/* The readers below fill `out` from an option's argument. They return BG_OK, or
 * BG_ERR_INVALID_ARGUMENT for a usage error (err says why, naming `flag`), or
 * BG_ERR_NO_MEMORY. */

/* An input VALUE (--ndarray, --json, ...): "@PATH" / "@-" is read from a file / stdin as text
 * (NUL bytes refused; one trailing newline dropped), "@@x" is the literal "@x". */
bg_status cli_input_value(cli_input *in, const char *flag, const char *arg, const char **out,
                          bg_error *err);

/* --file/--bytes PATH: "-" or "@-" is stdin, "@PATH" is PATH. */
bg_status cli_input_path(cli_input *in, const char *flag, const char *arg, const char **out,
                         bg_error *err);

/* --part NAME=KIND:VALUE, added to in->parts. For the inline kinds a VALUE "@PATH" or "@-" is
 * replaced by the text it names; for file and bytes VALUE is a PATH read as cli_input_path
 * reads one. */
bg_status cli_input_add_part(cli_input *in, const char *arg, bg_error *err);

/* Frees what the readers read. */
void cli_input_free(cli_input *in);

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
