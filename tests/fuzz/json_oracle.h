/* The tree-based JSON pipeline, kept as the transcoder's oracle (json_oracle.c). */
#ifndef BGT_JSON_ORACLE_H
#define BGT_JSON_ORACLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct oracle_json {
  uint8_t *bytes; /* oracle_parse: the Value protobuf-c packed from jansson's tree */
  size_t size;
  char *compact, *pretty; /* the old printer's text, indent 0 and 2 */
} oracle_json;

/* bg_json_parse as it was: false with its error message when it refused the text. */
bool oracle_parse(const char *text, size_t len, oracle_json *out, char *message, size_t cap);

/* A server's Value bytes as the tree-based reader takes them (protobuf-c, struct_json.c):
 * false with the reason when refused. `bytes` of the result stay NULL. */
bool oracle_read(const uint8_t *bytes, size_t size, oracle_json *out, char *message, size_t cap);

/* The old number formatting (snprintf with 15..17 digits, checked with strtod). */
void oracle_format_real(char *buf, size_t cap, double d);

void oracle_json_fini(oracle_json *j);

#endif
