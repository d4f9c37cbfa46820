#include <string.h>

#include "bentoml/grpc/v1alpha1/service.pb-c.h"
#include "error_internal.h"
#include "wire/content.h"
#include "wire/tabular_wire.h"

typedef Bentoml__Grpc__V1alpha1__File v1alpha1_file;

const char *bgi_member_name(bgi_member member) {
  switch (member) {
  case BGI_MEMBER_SERIALIZED_BYTES: return "serialized_bytes";
  case BGI_MEMBER_NDARRAY: return "ndarray";
  case BGI_MEMBER_DATAFRAME: return "dataframe";
  case BGI_MEMBER_SERIES: return "series";
  case BGI_MEMBER_FILE: return "file";
  case BGI_MEMBER_TEXT: return "text";
  case BGI_MEMBER_JSON: return "json";
  case BGI_MEMBER_MULTIPART: return "multipart";
  case BGI_MEMBER_NONE: break;
  }
  return "nothing";
}

/* v1alpha1 File.FileType numbers, in order from 1 (§2.9). */
static const char *const v1alpha1_mimes[] = {NULL,
                                             "text/csv",
                                             "text/plain",
                                             "application/json",
                                             "application/octet-stream",
                                             "application/pdf",
                                             "image/png",
                                             "image/jpeg",
                                             "image/gif",
                                             "image/bmp",
                                             "image/tiff",
                                             "image/webp",
                                             "image/svg+xml"};
#define N_V1ALPHA1_KINDS (sizeof v1alpha1_mimes / sizeof v1alpha1_mimes[0])

const char *bgi_v1alpha1_kind_mime(int file_type) {
  return file_type > 0 && (size_t)file_type < N_V1ALPHA1_KINDS ? v1alpha1_mimes[file_type] : NULL;
}

/* A File message in the version's form, allocated in the arena; returned as the generic
 * message pointer protobuf-c packs through its own descriptor. */
static ProtobufCMessage *make_file(const bgi_file_content *file, bgi_protocol protocol,
                                   bgi_arena *arena, bg_error *err) {
  if (protocol == BGI_PROTOCOL_V1) {
    Bentoml__Grpc__V1__File *f = bgi_arena_alloc(arena, sizeof *f);
    if (!f) {
      BGI_FAIL_NOMEM(err);
      return NULL;
    }
    bentoml__grpc__v1__file__init(f);
    f->content = file->data;
    if (file->kind) {
      f->_kind_case = BENTOML__GRPC__V1__FILE___KIND_KIND;
      f->kind = (char *)file->kind;
    }
    return &f->base;
  }
  v1alpha1_file *f = bgi_arena_alloc(arena, sizeof *f);
  if (!f) {
    BGI_FAIL_NOMEM(err);
    return NULL;
  }
  bentoml__grpc__v1alpha1__file__init(f);
  f->content = file->data;
  if (file->kind) {
    size_t kind = 1;
    while (kind < N_V1ALPHA1_KINDS && strcmp(v1alpha1_mimes[kind], file->kind) != 0)
      kind++;
    if (kind == N_V1ALPHA1_KINDS) {
      bgi_fail(err, BG_ERR_INVALID_ARGUMENT, 0,
               "MIME type '%s' has no v1alpha1 File kind; v1alpha1 knows text/csv, text/plain, "
               "application/json, application/octet-stream, application/pdf and image/png, "
               "jpeg, gif, bmp, tiff, webp, svg+xml",
               file->kind);
      return NULL;
    }
    f->_kind_case = BENTOML__GRPC__V1ALPHA1__FILE___KIND_KIND;
    f->kind = (Bentoml__Grpc__V1alpha1__File__FileType)kind;
  }
  return &f->base;
}

/* Pointers to the members of Request and Part, which share C types but not numbers. */
typedef struct slots {
  ProtobufCMessage *message; /* the Request or Part */
  ProtobufCBinaryData *bytes;
  bgi_pb_ndarray **ndarray;
  Bentoml__Grpc__V1__DataFrame **dataframe;
  Bentoml__Grpc__V1__Series **series;
  Bentoml__Grpc__V1__File **file;
  Google__Protobuf__StringValue **text;
  Google__Protobuf__Value **json;
  Bentoml__Grpc__V1__Multipart **multipart;
} slots;

/* Members fill() sets as an unknown field holding their bytes (the oneof case stays unset). */
static bool as_unknown_field(bgi_member member) {
  return member == BGI_MEMBER_JSON || member == BGI_MEMBER_DATAFRAME || member == BGI_MEMBER_SERIES;
}

static bg_status fill(const bgi_content *c, bgi_protocol protocol, bgi_arena *arena, slots s,
                      bg_error *err) {
  switch (c->member) {
  case BGI_MEMBER_SERIALIZED_BYTES: *s.bytes = c->as.raw; return BG_OK;
  case BGI_MEMBER_NDARRAY: *s.ndarray = c->as.ndarray; return BG_OK;
  case BGI_MEMBER_DATAFRAME:
  case BGI_MEMBER_SERIES: {
    /* Written by hand (wire/tabular_request.c) and carried as an unknown field of the member's
     * number, as for json below: the same bytes as the member set, without a message tree. */
    const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field_by_name(
        s.message->descriptor, c->member == BGI_MEMBER_DATAFRAME ? "dataframe" : "series");
    ProtobufCMessageUnknownField *u = bgi_arena_alloc(arena, sizeof *u);
    ProtobufCBinaryData bytes;
    if (!u)
      return BGI_FAIL_NOMEM(err);
    bg_status st = bgi_frame_field_bytes(&c->as.frame, arena, &bytes, err);
    if (st != BG_OK)
      return st;
    u->tag = f->id;
    u->wire_type = PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED;
    u->len = bytes.len;
    u->data = bytes.data;
    s.message->n_unknown_fields = 1;
    s.message->unknown_fields = u;
    return BG_OK;
  }
  case BGI_MEMBER_TEXT: *s.text = c->as.text; return BG_OK;
  case BGI_MEMBER_JSON: {
    /* The Value's bytes are already wire bytes: protobuf-c writes an unknown field as it is,
     * after the known ones, so the message packs to the bytes it would with the json member
     * set (it is the last field of both messages that is set), without a tree. */
    const ProtobufCFieldDescriptor *f =
        protobuf_c_message_descriptor_get_field_by_name(s.message->descriptor, "json");
    ProtobufCMessageUnknownField *u = bgi_arena_alloc(arena, sizeof *u);
    if (!u)
      return BGI_FAIL_NOMEM(err);
    u->tag = f->id;
    u->wire_type = PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED;
    u->len = c->as.json_bytes.len;
    u->data = c->as.json_bytes.data;
    s.message->n_unknown_fields = 1;
    s.message->unknown_fields = u;
    return BG_OK;
  }
  case BGI_MEMBER_MULTIPART:
    if (!s.multipart)
      return bgi_fail(err, BG_ERR_INVALID_ARGUMENT, 0, "a multipart cannot be a part");
    *s.multipart = c->as.multipart;
    return BG_OK;
  case BGI_MEMBER_FILE: {
    ProtobufCMessage *f = make_file(&c->as.file, protocol, arena, err);
    if (!f)
      return err->code;
    *s.file = (Bentoml__Grpc__V1__File *)f; /* packed through f->descriptor */
    return BG_OK;
  }
  case BGI_MEMBER_NONE: break;
  }
  return bgi_fail(err, BG_ERR_INTERNAL, 0, "no content to send");
}

bg_status bgi_content_to_request(const bgi_content *content, bgi_protocol protocol,
                                 bgi_arena *arena, bgi_pb_request *r, bg_error *err) {
  static const int cases[] = {
      [BGI_MEMBER_SERIALIZED_BYTES] = BENTOML__GRPC__V1__REQUEST__CONTENT_SERIALIZED_BYTES,
      [BGI_MEMBER_NDARRAY] = BENTOML__GRPC__V1__REQUEST__CONTENT_NDARRAY,
      [BGI_MEMBER_DATAFRAME] = BENTOML__GRPC__V1__REQUEST__CONTENT_DATAFRAME,
      [BGI_MEMBER_SERIES] = BENTOML__GRPC__V1__REQUEST__CONTENT_SERIES,
      [BGI_MEMBER_FILE] = BENTOML__GRPC__V1__REQUEST__CONTENT_FILE,
      [BGI_MEMBER_TEXT] = BENTOML__GRPC__V1__REQUEST__CONTENT_TEXT,
      [BGI_MEMBER_JSON] = BENTOML__GRPC__V1__REQUEST__CONTENT_JSON,
      [BGI_MEMBER_MULTIPART] = BENTOML__GRPC__V1__REQUEST__CONTENT_MULTIPART};
  slots s = {
      &r->base, &r->serialized_bytes, &r->ndarray, &r->dataframe, &r->series, &r->file, &r->text,
      &r->json, &r->multipart};
  r->base.n_unknown_fields = 0; /* ours only: the hand-written member's (fill) */
  r->content_case = BENTOML__GRPC__V1__REQUEST__CONTENT__NOT_SET;
  bg_status st = fill(content, protocol, arena, s, err);
  if (st == BG_OK && !as_unknown_field(content->member))
    r->content_case = (Bentoml__Grpc__V1__Request__ContentCase)cases[content->member];
  return st;
}

bg_status bgi_content_to_part(const bgi_content *content, bgi_protocol protocol, bgi_arena *arena,
                              Bentoml__Grpc__V1__Part *p, bg_error *err) {
  static const int cases[] = {
      [BGI_MEMBER_SERIALIZED_BYTES] = BENTOML__GRPC__V1__PART__REPRESENTATION_SERIALIZED_BYTES,
      [BGI_MEMBER_NDARRAY] = BENTOML__GRPC__V1__PART__REPRESENTATION_NDARRAY,
      [BGI_MEMBER_DATAFRAME] = BENTOML__GRPC__V1__PART__REPRESENTATION_DATAFRAME,
      [BGI_MEMBER_SERIES] = BENTOML__GRPC__V1__PART__REPRESENTATION_SERIES,
      [BGI_MEMBER_FILE] = BENTOML__GRPC__V1__PART__REPRESENTATION_FILE,
      [BGI_MEMBER_TEXT] = BENTOML__GRPC__V1__PART__REPRESENTATION_TEXT,
      [BGI_MEMBER_JSON] = BENTOML__GRPC__V1__PART__REPRESENTATION_JSON,
      [BGI_MEMBER_MULTIPART] = 0};
  slots s = {&p->base,    &p->serialized_bytes,
             &p->ndarray, &p->dataframe,
             &p->series,  &p->file,
             &p->text,    &p->json,
             NULL};
  p->base.n_unknown_fields = 0; /* ours only: the hand-written member's (fill) */
  p->representation_case = BENTOML__GRPC__V1__PART__REPRESENTATION__NOT_SET;
  bg_status st = fill(content, protocol, arena, s, err);
  if (st == BG_OK && !as_unknown_field(content->member))
    p->representation_case = (Bentoml__Grpc__V1__Part__RepresentationCase)cases[content->member];
  return st;
}

/* v1 "appliction/octet-stream" is BentoML's misspelling (PROTOCOL.md §4.6). */
static const char *fix_kind(const char *kind) {
  return kind && strcmp(kind, "appliction/octet-stream") == 0 ? "application/octet-stream" : kind;
}

static bg_status read_file(const ProtobufCMessage *msg, bgi_protocol protocol, bgi_content *out,
                           bg_error *err) {
  out->member = BGI_MEMBER_FILE;
  if (protocol == BGI_PROTOCOL_V1) {
    Bentoml__Grpc__V1__File *f = (Bentoml__Grpc__V1__File *)msg;
    out->as.file.bytes = &f->content;
    out->as.file.kind =
        f->_kind_case == BENTOML__GRPC__V1__FILE___KIND_KIND ? fix_kind(f->kind) : NULL;
    return BG_OK;
  }
  v1alpha1_file *f = (v1alpha1_file *)msg;
  out->as.file.bytes = &f->content;
  out->as.file.kind = NULL;
  if (f->_kind_case == BENTOML__GRPC__V1ALPHA1__FILE___KIND_KIND && f->kind != 0) {
    out->as.file.kind = bgi_v1alpha1_kind_mime(f->kind);
    if (!out->as.file.kind)
      return bgi_fail(err, BG_ERR_PROTOCOL, 0, "the server sent unknown v1alpha1 File kind %d",
                      (int)f->kind);
  }
  return BG_OK;
}

/* The v1alpha1 Response/Part structs differ from v1 only in File, so the other members are
 * read through the v1 types (identical layouts, generated from identical declarations). */
bg_status bgi_content_from_response(const ProtobufCMessage *msg, bgi_protocol protocol,
                                    bgi_content *out, bg_error *err) {
  const bgi_pb_response *r = (const bgi_pb_response *)msg;
  memset(out, 0, sizeof *out);
  switch (r->content_case) {
  case BENTOML__GRPC__V1__RESPONSE__CONTENT_NDARRAY:
    out->member = BGI_MEMBER_NDARRAY;
    out->as.ndarray = r->ndarray;
    break;
  case BENTOML__GRPC__V1__RESPONSE__CONTENT_SERIALIZED_BYTES:
    out->member = BGI_MEMBER_SERIALIZED_BYTES;
    out->as.bytes = (ProtobufCBinaryData *)&r->serialized_bytes;
    break;
  case BENTOML__GRPC__V1__RESPONSE__CONTENT_DATAFRAME:
    out->member = BGI_MEMBER_DATAFRAME;
    out->as.dataframe = r->dataframe;
    break;
  case BENTOML__GRPC__V1__RESPONSE__CONTENT_SERIES:
    out->member = BGI_MEMBER_SERIES;
    out->as.series = r->series;
    break;
  case BENTOML__GRPC__V1__RESPONSE__CONTENT_FILE:
    return read_file(&r->file->base, protocol, out, err);
  case BENTOML__GRPC__V1__RESPONSE__CONTENT_TEXT:
    out->member = BGI_MEMBER_TEXT;
    out->as.text = r->text;
    break;
  case BENTOML__GRPC__V1__RESPONSE__CONTENT_JSON:
    out->member = BGI_MEMBER_JSON;
    out->as.json = r->json;
    break;
  case BENTOML__GRPC__V1__RESPONSE__CONTENT_MULTIPART:
    out->member = BGI_MEMBER_MULTIPART;
    out->as.multipart = r->multipart;
    break;
  default:
    return bgi_fail(err, BG_ERR_PROTOCOL, 0,
                    "the server's reply has no content (or content field %d, unknown here)",
                    (int)r->content_case);
  }
  return BG_OK;
}

bg_status bgi_content_from_part(const Bentoml__Grpc__V1__Part *p, bgi_protocol protocol,
                                bgi_content *out, bg_error *err) {
  memset(out, 0, sizeof *out);
  switch (p->representation_case) {
  case BENTOML__GRPC__V1__PART__REPRESENTATION_NDARRAY:
    out->member = BGI_MEMBER_NDARRAY;
    out->as.ndarray = p->ndarray;
    break;
  case BENTOML__GRPC__V1__PART__REPRESENTATION_SERIALIZED_BYTES:
    out->member = BGI_MEMBER_SERIALIZED_BYTES;
    out->as.bytes = (ProtobufCBinaryData *)&p->serialized_bytes;
    break;
  case BENTOML__GRPC__V1__PART__REPRESENTATION_DATAFRAME:
    out->member = BGI_MEMBER_DATAFRAME;
    out->as.dataframe = p->dataframe;
    break;
  case BENTOML__GRPC__V1__PART__REPRESENTATION_SERIES:
    out->member = BGI_MEMBER_SERIES;
    out->as.series = p->series;
    break;
  case BENTOML__GRPC__V1__PART__REPRESENTATION_FILE:
    return read_file(&p->file->base, protocol, out, err);
  case BENTOML__GRPC__V1__PART__REPRESENTATION_TEXT:
    out->member = BGI_MEMBER_TEXT;
    out->as.text = p->text;
    break;
  case BENTOML__GRPC__V1__PART__REPRESENTATION_JSON:
    out->member = BGI_MEMBER_JSON;
    out->as.json = p->json;
    break;
  default: return bgi_fail(err, BG_ERR_PROTOCOL, 0, "a multipart part in the reply has no content");
  }
  return BG_OK;
}
