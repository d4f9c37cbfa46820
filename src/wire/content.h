/* The content of a Request, Response or multipart Part, independent of where it sits.
 *
 * Descriptors encode a value into a bg_content and decode one back; these functions move a
 * bg_content into or out of the three messages, whose member numbers differ, and hide the
 * one difference between protocol versions: File.kind is a MIME string in v1 and an enum in
 * v1alpha1. */
#ifndef BG_WIRE_CONTENT_H
#define BG_WIRE_CONTENT_H

#include <stdbool.h>

#include "bentogrpc/common.h"
#include "wire/arena.h"
#include "wire/proto.h"

typedef enum bg_member {
  BG_MEMBER_NONE = 0,
  BG_MEMBER_SERIALIZED_BYTES,
  BG_MEMBER_NDARRAY,
  BG_MEMBER_DATAFRAME,
  BG_MEMBER_SERIES,
  BG_MEMBER_FILE,
  BG_MEMBER_TEXT,
  BG_MEMBER_JSON,
  BG_MEMBER_MULTIPART
} bg_member;

/* A File member: its bytes and optional MIME kind. */
typedef struct bg_file_content {
  ProtobufCBinaryData *bytes; /* in a decoded message: decoders may take the buffer */
  ProtobufCBinaryData data;   /* when encoding */
  const char *kind;           /* MIME type; NULL when absent */
} bg_file_content;

typedef struct bg_content {
  bg_member member;
  union {
    ProtobufCBinaryData *bytes; /* serialized_bytes (decoded: may be taken) */
    ProtobufCBinaryData raw;    /* serialized_bytes when encoding */
    bg_pb_ndarray *ndarray;
    Bentoml__Grpc__V1__DataFrame *dataframe;
    Bentoml__Grpc__V1__Series *series;
    bg_file_content file;
    Google__Protobuf__StringValue *text;
    Google__Protobuf__Value *json;
    Bentoml__Grpc__V1__Multipart *multipart;
  } as;
} bg_content;

/* The proto field name of a member ("ndarray", "serialized_bytes", ...). */
const char *bg_member_name(bg_member member);

/* Protocol version of the messages: v1 (false) or v1alpha1 (true). */
typedef bool bg_v1alpha1;

/* Sets the request's content; File messages are built in `arena` in the version's form. */
bg_status bg_content_to_request(const bg_content *content, bg_v1alpha1 v1alpha1, bg_arena *arena,
                                bg_pb_request *request, bg_error *err);
bg_status bg_content_to_part(const bg_content *content, bg_v1alpha1 v1alpha1, bg_arena *arena,
                             Bentoml__Grpc__V1__Part *part, bg_error *err);

/* Reads the content of a decoded Response / Part (unpacked with the version's descriptor). */
bg_status bg_content_from_response(const ProtobufCMessage *response, bg_v1alpha1 v1alpha1,
                                   bg_content *out, bg_error *err);
bg_status bg_content_from_part(const Bentoml__Grpc__V1__Part *part, bg_v1alpha1 v1alpha1,
                               bg_content *out, bg_error *err);

/* The MIME type BentoML maps a v1alpha1 File.FileType to (PROTOCOL.md §2.9), or NULL. */
const char *bg_v1alpha1_kind_mime(int file_type);

#endif
