/* google.protobuf.Struct / Value -> jansson JSON (for descriptor attributes). */
#ifndef BGI_WIRE_STRUCT_JSON_H
#define BGI_WIRE_STRUCT_JSON_H

#include <jansson.h>

#include "bentogrpc/common.h"
#include "google/protobuf/struct.pb-c.h"

/* Deepest nesting accepted from the network; deeper input is refused, not recursed into. */
#define BGI_JSON_MAX_DEPTH 64

/* New JSON object for `s` (NULL struct -> {}). A Value with no member set becomes null, as
 * BentoML reads it. Returns NULL with `err` filled on bad or too deep input. */
json_t *bgi_struct_to_json(const Google__Protobuf__Struct *s, bg_error *err);

/* New JSON value for `v`. */
json_t *bgi_proto_value_to_json(const Google__Protobuf__Value *v, bg_error *err);

#endif
