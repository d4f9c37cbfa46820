/* libFuzzer target: arbitrary bytes as the CLI's command-line input. The first byte picks the
 * parser — --ndarray / --series / --dataframe JSON (with or without --dtype), --part
 * NAME=KIND:VALUE, -H name:value, or the server URL — and the rest is its argument. Each must
 * refuse or accept cleanly: no crash, no leak, no undefined behaviour, and a refusal always
 * says why. */
#include <bentogrpc/bentogrpc.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cli_input.h"
#include "transport/url.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const dtypes[] = {NULL,    "float32", "float64", "bool", "int32",
                                     "int64", "uint32",  "uint64",  "str",  "UINT16"};

/* A failure without a code or message is a defect (a failure must always say what failed): crash so
 * libFuzzer keeps it. */
static void check_failure(const bg_error *err) {
  if (err->code == BG_OK || err->message[0] == '\0')
    abort();
}

static void build(cli_input *in) {
  bg_error err = {0};
  bg_value *v = cli_build_input(in, &err);
  if (v)
    bg_value_free(v);
  else
    check_failure(&err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 2)
    return 0;
  char *text = malloc(size - 1); /* argv strings are NUL-terminated: cut at the first NUL */
  if (!text)
    return 0;
  memcpy(text, data + 2, size - 2);
  text[size - 2] = '\0';
  cli_input in = {.dtype = dtypes[data[1] % (sizeof dtypes / sizeof dtypes[0])]};
  bg_error err = {0};
  switch (data[0] % 6) {
  case 0:
    in.ndarray = text;
    build(&in);
    break;
  case 1:
    in.series = text;
    build(&in);
    break;
  case 2:
    in.dataframe = text;
    build(&in);
    break;
  case 3: {
    char *name, *kind;
    const char *value;
    if (cli_parse_part(text, &name, &kind, &value, &err) != BG_OK) {
      check_failure(&err);
    } else {
      /* file and bytes parts read paths: only the inline kinds are built */
      if (strcmp(kind, "file") != 0 && strcmp(kind, "bytes") != 0) {
        in.parts[0] = text;
        in.n_parts = 1;
        build(&in);
      }
      free(name);
      free(kind);
    }
    break;
  }
  case 4: {
    char *key;
    const char *value;
    if (cli_parse_header(text, &key, &value, &err) != BG_OK)
      check_failure(&err);
    free(key);
    break;
  }
  default: {
    bgi_url url;
    if (bgi_url_parse(text, &url, &err) != BG_OK)
      check_failure(&err);
    break;
  }
  }
  free(text);
  return 0;
}
