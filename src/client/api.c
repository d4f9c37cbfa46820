/* The API registry: lookup and introspection of discovered APIs. */
#include <stdlib.h>
#include <string.h>

#include "client/client_internal.h"

static void io_fini(bgi_api_io *io) {
  if (io->descriptor && io->spec)
    io->descriptor->free_spec(io->spec);
  free(io->descriptor_id);
  free(io->attributes_json);
}

void bgi_api_fini(bg_api *api) {
  free(api->name);
  free(api->docs);
  io_fini(&api->input);
  io_fini(&api->output);
  free(api->unsupported_reason);
}

BG_API size_t bg_client_api_count(const bg_client *client) { return client ? client->n_apis : 0; }

BG_API const bg_api *bg_client_api_at(const bg_client *client, size_t index) {
  return client && index < client->n_apis ? &client->apis[index] : NULL;
}

BG_API const bg_api *bg_client_api_find(const bg_client *client, const char *name) {
  if (!client || !name)
    return NULL;
  for (size_t i = 0; i < client->n_apis; i++)
    if (strcmp(client->apis[i].name, name) == 0)
      return &client->apis[i];
  return NULL;
}

BG_API const char *bg_api_name(const bg_api *api) { return api ? api->name : NULL; }
BG_API const char *bg_api_docs(const bg_api *api) { return api ? api->docs : NULL; }

BG_API const char *bg_api_input_descriptor(const bg_api *api) {
  return api ? api->input.descriptor_id : NULL;
}

BG_API const char *bg_api_output_descriptor(const bg_api *api) {
  return api ? api->output.descriptor_id : NULL;
}

BG_API const char *bg_api_input_attributes_json(const bg_api *api) {
  return api ? api->input.attributes_json : NULL;
}

BG_API const char *bg_api_output_attributes_json(const bg_api *api) {
  return api ? api->output.attributes_json : NULL;
}

BG_API bool bg_api_is_supported(const bg_api *api) { return api && !api->unsupported_reason; }

BG_API const char *bg_api_unsupported_reason(const bg_api *api) {
  return api ? api->unsupported_reason : NULL;
}
