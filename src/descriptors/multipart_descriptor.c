/* bentoml.io.Multipart: spec {<part name>: {id, args}}, field `multipart` (a map of Parts).
 * Each part is encoded and decoded by its own child descriptor. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "descriptors/descriptor.h"
#include "error_internal.h"
#include "wire/byte_buffer.h"

typedef struct part_spec {
  char *name;
  const bgi_descriptor *descriptor;
  void *spec;
} part_spec;

typedef struct multipart_spec {
  size_t count;
  part_spec *parts;
} multipart_spec;

static void multipart_free_spec(void *p) {
  multipart_spec *spec = p;
  if (!spec)
    return;
  for (size_t i = 0; i < spec->count; i++) {
    if (spec->parts[i].spec)
      spec->parts[i].descriptor->free_spec(spec->parts[i].spec);
    free(spec->parts[i].name);
  }
  free(spec->parts);
  free(spec);
}

static void *multipart_parse_spec(const json_t *args, bg_error *err) {
  if (!json_is_object(args)) {
    bgi_fail(err, BG_ERR_PROTOCOL, 0, "Multipart spec: 'args' is not an object of parts");
    return NULL;
  }
  multipart_spec *spec = calloc(1, sizeof *spec);
  size_t n = json_object_size(args);
  if (!spec || !(spec->parts = calloc(n ? n : 1, sizeof *spec->parts))) {
    free(spec);
    BGI_FAIL_NOMEM(err);
    return NULL;
  }
  const char *name;
  json_t *child;
  json_object_foreach((json_t *)args, name, child) {
    part_spec *part = &spec->parts[spec->count++];
    const char *id = json_string_value(json_object_get(child, "id"));
    part->name = strdup(name);
    part->descriptor = bgi_descriptor_find(id);
    if (!part->name) {
      part->descriptor = NULL;
      multipart_free_spec(spec);
      BGI_FAIL_NOMEM(err);
      return NULL;
    }
    if (!part->descriptor || part->descriptor == &bgi_multipart_descriptor) {
      bgi_fail(err, BG_ERR_UNSUPPORTED, 0, "part '%s' has descriptor '%s', which %s", name,
               id ? id : "(none)",
               part->descriptor ? "cannot be nested" : "this library does not support");
      part->descriptor = NULL;
      multipart_free_spec(spec);
      return NULL;
    }
    part->spec = part->descriptor->parse_spec(json_object_get(child, "args"), err);
    if (!part->spec) {
      bgi_error_prefix(err, "part '%s'", name);
      multipart_free_spec(spec);
      return NULL;
    }
  }
  return spec;
}

static const part_spec *find_part(const multipart_spec *spec, const char *name) {
  for (size_t i = 0; spec && i < spec->count; i++)
    if (strcmp(spec->parts[i].name, name) == 0)
      return &spec->parts[i];
  return NULL;
}

static void list_names(const multipart_spec *spec, char *buf, size_t size) {
  size_t used = 0;
  buf[0] = '\0';
  for (size_t i = 0; i < spec->count && used < size; i++)
    used += (size_t)snprintf(buf + used, size - used, "%s'%s'", i ? ", " : "", spec->parts[i].name);
}

/* Every declared part given, nothing else: the server rejects both (PROTOCOL.md §4.8). */
static bg_status check_names(const multipart_spec *spec, const bg_value *input, bg_error *err) {
  char expected[512];
  list_names(spec, expected, sizeof expected);
  for (size_t i = 0; i < input->as.children.count; i++)
    if (!find_part(spec, input->as.children.names[i]))
      return bgi_fail(err, BG_ERR_INVALID_ARGUMENT, 0,
                      "multipart: unknown part '%s'; the API's parts are %s",
                      input->as.children.names[i], expected);
  for (size_t i = 0; i < spec->count; i++)
    if (!bg_multipart_find(input, spec->parts[i].name))
      return bgi_fail(err, BG_ERR_INVALID_ARGUMENT, 0,
                      "multipart: part '%s' is missing; the API's parts are %s",
                      spec->parts[i].name, expected);
  return BG_OK;
}

static bg_status multipart_encode(const void *spec_p, const bg_value *input,
                                  const bgi_codec_ctx *ctx, bgi_content *out, bg_error *err) {
  const multipart_spec *spec = spec_p;
  const bgi_children *c = &input->as.children;
  if (spec) {
    bg_status st = check_names(spec, input, err);
    if (st != BG_OK)
      return st;
  }
  Bentoml__Grpc__V1__Multipart *m = bgi_arena_alloc(ctx->arena, sizeof *m);
  Bentoml__Grpc__V1__Multipart__FieldsEntry **entries =
      bgi_arena_alloc(ctx->arena, c->count * sizeof *entries);
  if (!m || !entries)
    return BGI_FAIL_NOMEM(err);
  bentoml__grpc__v1__multipart__init(m);
  for (size_t i = 0; i < c->count; i++) {
    const part_spec *ps = find_part(spec, c->names[i]);
    const bgi_descriptor *d = ps ? ps->descriptor : bgi_descriptor_for_kind(c->values[i]->kind);
    Bentoml__Grpc__V1__Multipart__FieldsEntry *e = bgi_arena_alloc(ctx->arena, sizeof *e);
    Bentoml__Grpc__V1__Part *part = bgi_arena_alloc(ctx->arena, sizeof *part);
    if (!e || !part)
      return BGI_FAIL_NOMEM(err);
    bentoml__grpc__v1__multipart__fields_entry__init(e);
    bentoml__grpc__v1__part__init(part);
    bgi_content content;
    bg_status st = bgi_descriptor_encode(d, ps ? ps->spec : NULL, c->values[i], ctx, &content, err);
    if (st == BG_OK)
      st = bgi_content_to_part(&content, ctx->protocol, ctx->arena, part, err);
    if (st != BG_OK) {
      bgi_error_prefix(err, "multipart part '%s'", c->names[i]);
      return st;
    }
    e->key = c->names[i];
    e->value = part;
    entries[i] = e;
  }
  m->n_fields = c->count;
  m->fields = entries;
  out->member = BGI_MEMBER_MULTIPART;
  out->as.multipart = m;
  return BG_OK;
}

static bg_status multipart_decode(const void *spec_p, bgi_content *in, const bgi_codec_ctx *ctx,
                                  bg_value **out, bg_error *err) {
  const multipart_spec *spec = spec_p;
  const Bentoml__Grpc__V1__Multipart *m = in->as.multipart;
  bg_value *mp = bg_multipart_new(err);
  if (!mp)
    return BG_ERR_NO_MEMORY;
  for (size_t i = 0; i < m->n_fields; i++) {
    const char *name = m->fields[i]->key;
    const part_spec *ps = find_part(spec, name);
    bgi_content content;
    bg_value *part = NULL;
    bg_status st = name && bgi_wire_string_length(name) != strlen(name)
                       ? bgi_fail(err, BG_ERR_PROTOCOL, 0, "the part's name contains a NUL byte")
                   : m->fields[i]->value
                       ? bgi_content_from_part(m->fields[i]->value, ctx->protocol, &content, err)
                       : bgi_fail(err, BG_ERR_PROTOCOL, 0, "the part is empty");
    if (st == BG_OK)
      st = ps ? bgi_descriptor_decode(ps->descriptor, ps->spec, &content, ctx, &part, err)
              : bgi_content_decode_any(&content, ctx, &part, err);
    if (st == BG_OK)
      st = bg_multipart_add(mp, name, part, err);
    if (st != BG_OK) {
      bg_value_free(mp);
      bgi_error_prefix(err, "multipart part '%s' of the reply", name);
      return bgi_as_protocol(err, st); /* e.g. a name twice: the server's fault, not the caller's */
    }
  }
  *out = mp;
  return BG_OK;
}

const bgi_descriptor bgi_multipart_descriptor = {
    .id = "bentoml.io.Multipart",
    .label = "Multipart",
    .member = BGI_MEMBER_MULTIPART,
    .kind = BG_VALUE_MULTIPART,
    .accepts_bytes = false, /* the server refuses serialized_bytes for Multipart */
    .parse_spec = multipart_parse_spec,
    .free_spec = multipart_free_spec,
    .encode = multipart_encode,
    .decode = multipart_decode,
};
