/* The content of a Request, Response or multipart Part, independent of where it sits.
 *
 * Descriptors encode a value into a bgi_content and decode one back; these functions move a
 * bgi_content into or out of the three messages, whose member numbers differ, and hide the
 * one difference between protocol versions: File.kind is a MIME string in v1 and an enum in
 * v1alpha1. */
#ifndef BGI_WIRE_CONTENT_H
#define BGI_WIRE_CONTENT_H

#include <stdbool.h>

#include "bentogrpc/common.h"
#include "value/value_internal.h"
#include "wire/arena.h"
#include "wire/proto.h"

typedef enum bgi_member {
  BGI_MEMBER_NONE = 0,
  BGI_MEMBER_SERIALIZED_BYTES,
  BGI_MEMBER_NDARRAY,
  BGI_MEMBER_DATAFRAME,
  BGI_MEMBER_SERIES,
  BGI_MEMBER_FILE,
  BGI_MEMBER_TEXT,
  BGI_MEMBER_JSON,
  BGI_MEMBER_MULTIPART
} bgi_member;

/* A File member: its bytes and optional MIME kind. */
typedef struct bgi_file_content {
  ProtobufCBinaryData *bytes; /* in a decoded message: decoders may take the buffer */
  ProtobufCBinaryData data;   /* when encoding */
  const char *kind;           /* MIME type; NULL when absent */
} bgi_file_content;

/* A DataFrame or Series to send (wire/tabular_request.c writes it without protobuf-c): the
 * columns' own elements, borrowed. */
typedef struct bgi_frame_content {
  size_t count;                     /* columns (1 for a Series) */
  const char *const *names;         /* DataFrame: one per column; NULL for a Series */
  const bg_ndarray *const *columns; /* borrowed, with their elements */
  size_t *sizes;                    /* set by bgi_frame_measure: each values field's bytes */
  size_t size;                      /* set by bgi_frame_measure: the message's bytes */
  const size_t **string_lengths;    /* set by bgi_frame_measure: per column, its strings'
                                     * lengths (NULL for other dtypes) */
} bgi_frame_content;

typedef struct bgi_content {
  bgi_member member;
  union {
    ProtobufCBinaryData *bytes; /* serialized_bytes (decoded: may be taken) */
    ProtobufCBinaryData raw;    /* serialized_bytes when encoding */
    bgi_pb_ndarray *ndarray;
    Bentoml__Grpc__V1__DataFrame *dataframe; /* decoded */
    Bentoml__Grpc__V1__Series *series;       /* decoded */
    bgi_frame_content frame;                 /* dataframe or series when encoding */
    bgi_file_content file;
    Google__Protobuf__StringValue *text;
    Google__Protobuf__Value *json;  /* decoded */
    ProtobufCBinaryData json_bytes; /* encoding: varint length + the Value's bytes */
    Bentoml__Grpc__V1__Multipart *multipart;
  } as;
} bgi_content;

/* The proto field name of a member ("ndarray", "serialized_bytes", ...). */
const char *bgi_member_name(bgi_member member);

/* Protocol version of the messages, decided once per client (bg_client.protocol) from its
 * options. Only File differs between the two (PROTOCOL.md §2.9). */
typedef enum bgi_protocol { BGI_PROTOCOL_V1 = 0, BGI_PROTOCOL_V1ALPHA1 = 1 } bgi_protocol;

/* Sets the request's content; File messages are built in `arena` in the version's form. */
bg_status bgi_content_to_request(const bgi_content *content, bgi_protocol protocol,
                                 bgi_arena *arena, bgi_pb_request *request, bg_error *err);
bg_status bgi_content_to_part(const bgi_content *content, bgi_protocol protocol, bgi_arena *arena,
                              Bentoml__Grpc__V1__Part *part, bg_error *err);

/* Reads the content of a decoded Response / Part (unpacked with the version's descriptor). */
bg_status bgi_content_from_response(const ProtobufCMessage *response, bgi_protocol protocol,
                                    bgi_content *out, bg_error *err);
bg_status bgi_content_from_part(const Bentoml__Grpc__V1__Part *part, bgi_protocol protocol,
                                bgi_content *out, bg_error *err);

/* The MIME type BentoML maps a v1alpha1 File.FileType to (PROTOCOL.md §2.9), or NULL. */
const char *bgi_v1alpha1_kind_mime(int file_type);

#endif
