/* JSON text <-> google.protobuf.Value wire bytes, without trees (PROTOCOL.md §2.12).
 *
 * A JSON value is held as the bytes it goes on the wire as (bgi_json_wire): parsing writes
 * them straight from the text, a call copies them into the Request once, a reply's bytes are
 * checked and kept as they came, and text is rendered from them when asked for. See
 * docs/INTERNALS.md, "JSON values without trees". */
#ifndef BGI_WIRE_JSON_TRANSCODE_H
#define BGI_WIRE_JSON_TRANSCODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The wire form of a JSON value. */
typedef struct bgi_json_wire {
  void *block;          /* the one malloc'd block holding bytes and ints; free() it */
  const uint8_t *bytes; /* a google.protobuf.Value message */
  size_t size;
  /* bytes[-prefix, 0) hold a varint of `size`: the message as the value of a length-delimited
   * field (what protobuf-c packs an unknown field from) without copying it. */
  size_t prefix;
  /* Offsets in `bytes`, ascending, of the number_value tags of numbers that were integers in
   * the parsed text (rendered "7", not "7.0"); none for a server's values. */
  const size_t *ints;
  size_t n_ints;
} bgi_json_wire;

typedef enum bgi_json_result {
  BGI_JSON_DONE = 0,
  BGI_JSON_REFUSED, /* not JSON this encoder takes: the caller asks jansson why */
  BGI_JSON_NO_MEMORY
} bgi_json_result;

/* Encodes JSON text (`len` bytes, any value at the top) as Value bytes into `out`, in one
 * pass that validates and writes (length prefixes filled in as what they measure completes).
 * `allow_nul` takes "\u0000" in strings
 * (for text jansson wrote from a server's value, whose strings may hold NUL). Refuses everything
 * bg_json_parse refuses (invalid JSON or UTF-8, NUL escapes, lone surrogates, duplicate keys,
 * integers beyond
 * +-2^53, numbers too large for a double, containers nested deeper than `max_nesting`), with
 * no message: those are the cold path, where jansson says what is wrong. */
bgi_json_result bgi_json_encode_text(const char *text, size_t len, int max_nesting, bool allow_nul,
                                     bgi_json_wire *out);

/* Deepest max_nesting bgi_json_encode_text takes. */
#define BGI_JSON_TEXT_MAX_NESTING 64

/* Deepest Value/Struct/ListValue level a server's value may reach, counted as the tree-based
 * reader counts it (each Value, Struct and ListValue one level; struct_json.h). */
#define BGI_JSON_WIRE_MAX_DEPTH 64

/* true when `bytes` is a Value this library takes from a server as it is: each Value has at
 * most one member, every field is of its known number and wire type, numbers are finite,
 * strings UTF-8 (keys without NUL), nesting within BGI_JSON_WIRE_MAX_DEPTH. Anything else
 * (unknown fields, repeated members, bad bytes) is false: the tree-based reader judges it. */
bool bgi_json_wire_valid(const uint8_t *bytes, size_t size);

/* The text of a value (bytes from bgi_json_encode_text or accepted by bgi_json_wire_valid):
 * compact (indent 0) or indented by `indent` spaces per level, keys sorted bytewise and, for
 * a key a server sent twice, its last value. malloc'd; NULL when out of memory. */
char *bgi_json_render(const bgi_json_wire *wire, int indent);

#endif
