/* jansson JSON -> google.protobuf.Value (the other direction is struct_json.h). */
#ifndef BGI_WIRE_JSON_WIRE_H
#define BGI_WIRE_JSON_WIRE_H

#include <jansson.h>

#include "bentogrpc/common.h"
#include "google/protobuf/struct.pb-c.h"
#include "wire/arena.h"

/* A Value tree in `arena` for `json` (strings point into `json`, which must outlive it). */
bg_status bgi_json_to_proto_value(const json_t *json, bgi_arena *arena,
                                  Google__Protobuf__Value **out, bg_error *err);

#endif
