/* Raw `serialized_bytes`: not a BentoML descriptor, the passthrough any descriptor that
 * accepts them uses, and the decoder for a reply that carries them. */
#include "descriptors/descriptor.h"
#include "error_internal.h"

static bg_status bytes_encode(const void *spec, const bg_value *input, const bgi_codec_ctx *ctx,
                              bgi_content *out, bg_error *err) {
  (void)spec;
  (void)ctx;
  (void)err;
  out->member = BGI_MEMBER_SERIALIZED_BYTES;
  out->as.raw = (ProtobufCBinaryData){input->as.blob.size, (uint8_t *)input->as.blob.data};
  return BG_OK;
}

static bg_status bytes_decode(const void *spec, bgi_content *in, const bgi_codec_ctx *ctx,
                              bg_value **out, bg_error *err) {
  (void)spec;
  (void)ctx;
  void *data = in->as.bytes->data; /* taken from the decoded message */
  size_t size = in->as.bytes->len;
  in->as.bytes->data = NULL;
  in->as.bytes->len = 0;
  *out = bgi_blob_adopt(BG_VALUE_BYTES, data, size, NULL, err);
  return *out ? BG_OK : BG_ERR_NO_MEMORY;
}

const bgi_descriptor bgi_bytes_descriptor = {
    .id = "serialized_bytes",
    .label = "serialized_bytes",
    .member = BGI_MEMBER_SERIALIZED_BYTES,
    .kind = BG_VALUE_BYTES,
    .accepts_bytes = true,
    .parse_spec = NULL,
    .free_spec = NULL,
    .encode = bytes_encode,
    .decode = bytes_decode,
};
