#include "wire/file_as_bytes.h"

#include "bentoml/grpc/v1alpha1/service.pb-c.h"
#include "error_internal.h"
#include "wire/byte_buffer.h"

typedef Bentoml__Grpc__V1alpha1__Request v1alpha1_request;

static bg_status not_a_file_request(bg_error *err) {
  return bgi_fail(err, BG_ERR_INTERNAL, 0,
                  "the Request to send again as serialized_bytes does not hold a File input "
                  "(or was already sent and emptied by gRPC); this is a libbentogrpc bug");
}

bg_status bgi_wire_request_file_as_bytes(const grpc_byte_buffer *request, bgi_protocol protocol,
                                         grpc_byte_buffer **out, bg_error *err) {
  *out = NULL;
  bool v1 = protocol == BGI_PROTOCOL_V1;
  ProtobufCMessage *msg;
  /* only read: the reader leaves a raw buffer as it is */
  bg_status st = bgi_wire_unpack(v1 ? &bentoml__grpc__v1__request__descriptor
                                    : &bentoml__grpc__v1alpha1__request__descriptor,
                                 (grpc_byte_buffer *)request, "the refused Request", &msg, err);
  if (st != BG_OK)
    return not_a_file_request(err);
  /* Only File differs between the versions' Requests; api_name (1) and serialized_bytes (2)
   * are the same fields in both, so the resend is packed as a v1 Request either way. It
   * borrows the name and the bytes of the unpacked message, which outlives it. */
  const char *api_name = NULL;
  const ProtobufCBinaryData *bytes = NULL;
  if (v1) {
    const bgi_pb_request *old = (const bgi_pb_request *)msg;
    if (old->content_case == BENTOML__GRPC__V1__REQUEST__CONTENT_FILE && old->file) {
      api_name = old->api_name;
      bytes = &old->file->content;
    }
  } else {
    const v1alpha1_request *old = (const v1alpha1_request *)msg;
    if (old->content_case == BENTOML__GRPC__V1ALPHA1__REQUEST__CONTENT_FILE && old->file) {
      api_name = old->api_name;
      bytes = &old->file->content;
    }
  }
  if (!bytes) {
    st = not_a_file_request(err);
  } else {
    bgi_pb_request again = BENTOML__GRPC__V1__REQUEST__INIT;
    again.api_name = (char *)api_name;
    again.content_case = BENTOML__GRPC__V1__REQUEST__CONTENT_SERIALIZED_BYTES;
    again.serialized_bytes = *bytes;
    st = bgi_wire_pack(&again.base, out, err);
  }
  protobuf_c_message_free_unpacked(msg, NULL);
  return st;
}
