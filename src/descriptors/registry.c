#include <string.h>

#include "descriptors/descriptor.h"

static const bg_descriptor *const registry[] = {
    &bg_ndarray_descriptor,
};

const bg_descriptor *bg_descriptor_find(const char *id) {
  if (!id)
    return NULL;
  for (size_t i = 0; i < sizeof registry / sizeof registry[0]; i++)
    if (strcmp(registry[i]->id, id) == 0)
      return registry[i];
  return NULL;
}

const char *bg_response_member_name(int content_case) {
  switch (content_case) {
  case BENTOML__GRPC__V1__RESPONSE__CONTENT_NDARRAY: return "ndarray";
  case BENTOML__GRPC__V1__RESPONSE__CONTENT_SERIALIZED_BYTES: return "serialized_bytes";
  case BENTOML__GRPC__V1__RESPONSE__CONTENT_DATAFRAME: return "dataframe";
  case BENTOML__GRPC__V1__RESPONSE__CONTENT_SERIES: return "series";
  case BENTOML__GRPC__V1__RESPONSE__CONTENT_FILE: return "file";
  case BENTOML__GRPC__V1__RESPONSE__CONTENT_TEXT: return "text";
  case BENTOML__GRPC__V1__RESPONSE__CONTENT_JSON: return "json";
  case BENTOML__GRPC__V1__RESPONSE__CONTENT_MULTIPART: return "multipart";
  default: return "nothing";
  }
}
