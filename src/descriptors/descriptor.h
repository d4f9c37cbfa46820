/* The IO-descriptor interface: one implementation per BentoML descriptor id.
 *
 * Each descriptor parses its spec from the `args` of the ServiceMetadata attributes, encodes
 * a bg_value into the Request's content field and decodes the Response's. Adding a
 * descriptor means one new file and one line in registry.c; nothing else changes. */
#ifndef BG_DESCRIPTORS_DESCRIPTOR_H
#define BG_DESCRIPTORS_DESCRIPTOR_H

#include <jansson.h>

#include "bentogrpc/value.h"
#include "wire/arena.h"
#include "wire/proto.h"

typedef struct bg_descriptor {
  const char *id;    /* e.g. "bentoml.io.NumpyNdarray" */
  const char *label; /* e.g. "NumpyNdarray", used in messages */
  /* Parses `args` (the attributes' "args" member, or NULL when absent) into a new spec.
   * On malformed args returns NULL with err filled; the API is then marked unsupported. */
  void *(*parse_spec)(const json_t *args, bg_error *err);
  void (*free_spec)(void *spec);
  /* Sets the request's content from `input`; everything allocated goes into `arena`. */
  bg_status (*encode)(const void *spec, const bg_value *input, bg_arena *arena,
                      bg_pb_request *request, bg_error *err);
  /* Builds the output value from `response` (which it may take arrays out of). */
  bg_status (*decode)(const void *spec, bg_pb_response *response, bg_value **out, bg_error *err);
} bg_descriptor;

/* The descriptor registered under `id`, or NULL when this library does not know it. */
const bg_descriptor *bg_descriptor_find(const char *id);

/* Name of a Response content member ("ndarray", "json", ...) for messages. */
const char *bg_response_member_name(int content_case);

extern const bg_descriptor bg_ndarray_descriptor;

#endif
