/* Building a call's input value from the command line. */
#ifndef BG_TOOLS_CLI_INPUT_H
#define BG_TOOLS_CLI_INPUT_H

#include <bentogrpc/bentogrpc.h>

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

#endif
