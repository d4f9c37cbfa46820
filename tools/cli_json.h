/* The CLI's reader for the JSON it takes on the command line (--ndarray, --series,
 * --dataframe). Unlike jansson it keeps each number's literal text, so integers up to
 * 2^64-1 and down to INT64_MIN are read exactly and the dtype decides how a number converts. */
#ifndef CLI_JSON_H
#define CLI_JSON_H

#include <bentogrpc/bentogrpc.h>

typedef enum cj_kind {
  CJ_ARRAY,
  CJ_OBJECT,
  CJ_NUMBER,
  CJ_STRING,
  CJ_TRUE,
  CJ_FALSE,
  CJ_NULL
} cj_kind;

typedef struct cj_node {
  cj_kind kind;
  const char *text;       /* CJ_NUMBER: the literal as written (NaN and [-]Infinity too) */
  size_t len;             /* ... and its length; borrowed from the parsed text */
  char *str;              /* CJ_STRING: decoded UTF-8, NUL-terminated, no NUL inside */
  char *key;              /* a CJ_OBJECT member: its decoded name */
  struct cj_node **items; /* CJ_ARRAY elements / CJ_OBJECT members, in order */
  size_t n_items;
} cj_node;

/* Parses `text` (NUL-terminated) into a tree that borrows number text from it; NULL with err
 * (BG_ERR_INVALID_ARGUMENT, message prefixed with `what`) on bad JSON, nesting deeper than 64
 * or out of memory. `scalars` (may be NULL) receives the number of non-container values.
 * Free with cj_free(). */
cj_node *cj_parse(const char *text, const char *what, size_t *scalars, bg_error *err);

void cj_free(cj_node *node);

#endif
