/* libFuzzer target: arbitrary bytes as a server's reply. Every decoder a reply can reach runs
 * on them — Response through protobuf-c and through the streaming ndarray decoder, every
 * content member decoded with and without a descriptor, ServiceMetadataResponse with each
 * API's descriptor attributes and spec, HealthCheckResponse — and must refuse or accept
 * cleanly: no crash, no leak, no undefined behaviour. The direct DataFrame/Series reader
 * (wire/tabular_reply.c) must also agree with protobuf-c's path (tabular_oracle.c): the same
 * value, or the same refusal, or the reply left to protobuf-c; a difference aborts. */
#include <grpc/byte_buffer.h>
#include <grpc/grpc.h>
#include <stddef.h>
#include <stdint.h>

#include "bentoml/grpc/v1alpha1/service.pb-c.h"
#include "descriptors/descriptor.h"
#include "tabular_oracle.h"
#include "wire/byte_buffer.h"
#include "wire/ndarray_stream.h"
#include "wire/struct_json.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  grpc_init();
  return 0;
}

static grpc_byte_buffer *as_buffer(const uint8_t *data, size_t size) {
  /* two slices, so the decoders see a message that is not contiguous */
  size_t half = size / 2;
  grpc_slice slices[2] = {grpc_slice_from_copied_buffer((const char *)data, half),
                          grpc_slice_from_copied_buffer((const char *)data + half, size - half)};
  grpc_byte_buffer *bb = grpc_raw_byte_buffer_create(slices, 2);
  grpc_slice_unref(slices[0]);
  grpc_slice_unref(slices[1]);
  return bb;
}

static void decode_response(grpc_byte_buffer *bb, bool v1alpha1) {
  ProtobufCMessage *msg;
  bg_error err;
  const ProtobufCMessageDescriptor *type = v1alpha1 ? &bentoml__grpc__v1alpha1__response__descriptor
                                                    : &bentoml__grpc__v1__response__descriptor;
  if (bgi_wire_unpack(type, bb, "fuzz", &msg, &err) != BG_OK)
    return;
  bgi_protocol protocol = v1alpha1 ? BGI_PROTOCOL_V1ALPHA1 : BGI_PROTOCOL_V1;
  bgi_codec_ctx ctx = {.protocol = protocol};
  bgi_content content;
  if (bgi_content_from_response(msg, protocol, &content, &err) == BG_OK) {
    bg_value *out = NULL;
    /* through the descriptor the member names (with its default spec), then any */
    const bgi_descriptor *d = bgi_descriptor_for_member(content.member);
    if (d && bgi_descriptor_decode(d, NULL, &content, &ctx, &out, &err) == BG_OK) {
      bg_json_text(out);
      bg_value_free(out);
    }
  }
  protobuf_c_message_free_unpacked(msg, NULL);
}

static void decode_metadata(grpc_byte_buffer *bb) {
  ProtobufCMessage *msg;
  bg_error err;
  if (bgi_wire_unpack(&bentoml__grpc__v1__service_metadata_response__descriptor, bb, "fuzz", &msg,
                      &err) != BG_OK)
    return;
  const bgi_pb_metadata *m = (const bgi_pb_metadata *)msg;
  for (size_t i = 0; i < m->n_apis; i++) {
    const bgi_pb_descriptor *sides[2] = {m->apis[i]->_input_case ? m->apis[i]->input : NULL,
                                         m->apis[i]->_output_case ? m->apis[i]->output : NULL};
    for (int s = 0; s < 2; s++) {
      if (!sides[s])
        continue;
      json_t *attrs = bgi_struct_to_json(sides[s]->attributes, &err);
      const bgi_descriptor *d =
          sides[s]->_descriptor_id_case ? bgi_descriptor_find(sides[s]->descriptor_id) : NULL;
      if (attrs && d) {
        void *spec = d->parse_spec(json_object_get(attrs, "args"), &err);
        if (spec)
          d->free_spec(spec);
      }
      json_decref(attrs);
    }
  }
  protobuf_c_message_free_unpacked(msg, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  grpc_byte_buffer *bb = as_buffer(data, size);
  bg_value *out = NULL;
  bg_error err;
  if (bgi_ndarray_stream_decode(bb, NULL, &out, &err) == BG_OK)
    bg_value_free(out);
  /* into a caller's buffer (bg_call_options_set_output_buffer): used only when the values fit,
   * never freed */
  static double mine[64];
  bgi_out_buffer into = {mine, size % 2 ? sizeof mine : 12};
  if (bgi_ndarray_stream_decode(bb, &into, &out, &err) == BG_OK) {
    if (bg_ndarray_data(out) == (const void *)mine &&
        bg_ndarray_count(out) * bg_dtype_size(bg_ndarray_dtype(out)) > into.capacity)
      __builtin_trap();
    bg_value_free(out);
  }
  bg_status direct;
  if (tabular_disagreement(bb, BGI_MEMBER_DATAFRAME, BG_DTYPE_DOUBLE, &direct) ||
      tabular_disagreement(bb, BGI_MEMBER_SERIES, size % 3 ? BG_DTYPE_INT64 : BG_DTYPE_DOUBLE,
                           &direct))
    __builtin_trap();
  decode_response(bb, false);
  decode_response(bb, true);
  decode_metadata(bb);
  ProtobufCMessage *health;
  if (bgi_wire_unpack(&grpc__health__v1__health_check_response__descriptor, bb, "fuzz", &health,
                      &err) == BG_OK)
    protobuf_c_message_free_unpacked(health, NULL);
  grpc_byte_buffer_destroy(bb);
  return 0;
}
