#include <math.h>
#include <stdio.h>
#include <string.h>

#include "descriptors/descriptor.h"
#include "error_internal.h"
#include "tabular_oracle.h"
#include "wire/byte_buffer.h"
#include "wire/tabular_wire.h"

bg_status tabular_oracle_decode(grpc_byte_buffer *buffer, bgi_member member, bg_dtype empty_dtype,
                                bg_value **out, bg_error *err) {
  *out = NULL;
  ProtobufCMessage *msg;
  bg_status st =
      bgi_wire_unpack(&bentoml__grpc__v1__response__descriptor, buffer, "Call reply", &msg, err);
  if (st != BG_OK)
    return st;
  bgi_content content;
  st = bgi_content_from_response(msg, BGI_PROTOCOL_V1, &content, err);
  if (st == BG_OK && content.member != member)
    st = bgi_fail(err, BG_ERR_PROTOCOL, 0, "not the member asked for");
  if (st == BG_OK)
    st = member == BGI_MEMBER_DATAFRAME
             ? bgi_dataframe_from_proto(content.as.dataframe, out, err)
             : bgi_series_from_proto(content.as.series, empty_dtype, out, err);
  protobuf_c_message_free_unpacked(msg, NULL);
  return st;
}

static bool series_equal(const bg_value *a, const bg_value *b) {
  if (bg_value_get_kind(a) != BG_VALUE_SERIES || bg_value_get_kind(b) != BG_VALUE_SERIES ||
      bg_series_dtype(a) != bg_series_dtype(b) || bg_series_count(a) != bg_series_count(b))
    return false;
  size_t n = bg_series_count(a);
  if (n == 0)
    return true;
  if (bg_series_dtype(a) == BG_DTYPE_STRING) {
    const char *const *x = bg_series_data(a), *const *y = bg_series_data(b);
    for (size_t i = 0; i < n; i++)
      if (strcmp(x[i], y[i]) != 0)
        return false;
    return true;
  }
  return memcmp(bg_series_data(a), bg_series_data(b), n * bg_dtype_size(bg_series_dtype(a))) == 0;
}

bool tabular_values_equal(const bg_value *a, const bg_value *b) {
  if (!a || !b)
    return a == b;
  if (bg_value_get_kind(a) == BG_VALUE_SERIES)
    return series_equal(a, b);
  if (bg_value_get_kind(a) != BG_VALUE_DATAFRAME || bg_value_get_kind(b) != BG_VALUE_DATAFRAME ||
      bg_dataframe_column_count(a) != bg_dataframe_column_count(b))
    return false;
  for (size_t i = 0; i < bg_dataframe_column_count(a); i++)
    if (strcmp(bg_dataframe_column_name_at(a, i), bg_dataframe_column_name_at(b, i)) != 0 ||
        !series_equal(bg_dataframe_column_at(a, i), bg_dataframe_column_at(b, i)))
      return false;
  return true;
}

const char *tabular_disagreement(grpc_byte_buffer *buffer, bgi_member member, bg_dtype empty_dtype,
                                 bg_status *direct) {
  bg_value *fast = NULL, *tree = NULL;
  bg_error fast_err, tree_err;
  *direct = bgi_tabular_reply_decode(buffer, member, empty_dtype, &fast, &fast_err);
  bg_status oracle = tabular_oracle_decode(buffer, member, empty_dtype, &tree, &tree_err);
  const char *why = NULL;
  if (*direct == BG_OK && oracle != BG_OK)
    why = "the direct reader accepted a reply protobuf-c's path refuses";
  else if (*direct == BG_OK && !tabular_values_equal(fast, tree))
    why = "the direct reader's value differs from protobuf-c's path";
  else if (*direct != BG_OK && *direct != BG_ERR_UNSUPPORTED &&
           (oracle != *direct || strcmp(fast_err.message, tree_err.message) != 0)) {
    static char text[3 * BG_ERROR_MESSAGE_SIZE];
    snprintf(text, sizeof text, "refused with \"%s\" (%d), protobuf-c's path says \"%s\" (%d)",
             fast_err.message, (int)*direct, oracle == BG_OK ? "OK" : tree_err.message,
             (int)oracle);
    why = text;
  }
  bg_value_free(fast);
  bg_value_free(tree);
  return why;
}
