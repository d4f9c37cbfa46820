/* The oracle of the direct DataFrame/Series reply reader (wire/tabular_reply.c): the same
 * reply unpacked by protobuf-c and read by the tree-based decoders (wire/tabular_wire.c), as
 * the library did before and still does for what the direct reader leaves to protobuf-c.
 * Shared by unit_tabular_wire and fuzz_reply. */
#ifndef BGT_TABULAR_ORACLE_H
#define BGT_TABULAR_ORACLE_H

#include <grpc/byte_buffer.h>
#include <stdbool.h>

#include "wire/content.h"

/* Decodes `buffer` as a v1 Response carrying `member` (BGI_MEMBER_DATAFRAME or
 * BGI_MEMBER_SERIES, whose all-empty Series gets `empty_dtype`) the tree-based way. */
bg_status tabular_oracle_decode(grpc_byte_buffer *buffer, bgi_member member, bg_dtype empty_dtype,
                                bg_value **out, bg_error *err);

/* true when `a` and `b` are equal series or dataframes: names, dtypes, counts and elements
 * (floats bit for bit, strings byte for byte). */
bool tabular_values_equal(const bg_value *a, const bg_value *b);

/* Runs the direct reader and the oracle on `buffer` and returns NULL when they agree: the
 * reader's value equals the oracle's, or the reader fails with the oracle's code and message,
 * or the reader leaves the reply to protobuf-c (BG_ERR_UNSUPPORTED); else what differs (static
 * text). `*direct` gets the reader's status. */
const char *tabular_disagreement(grpc_byte_buffer *buffer, bgi_member member, bg_dtype empty_dtype,
                                 bg_status *direct);

#endif
