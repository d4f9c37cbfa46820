/* libFuzzer target: arbitrary bytes as JSON text and as UTF-8 text given by a caller. */
#include <bentogrpc/bentogrpc.h>
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  bg_value *v = bg_json_parse((const char *)data, size, NULL);
  if (v) {
    bg_json_text(v);
    bg_string_free(bg_json_format(v, 2));
    bg_value_free(v);
  }
  bg_value_free(bg_text_new((const char *)data, size, NULL));
  return 0;
}
