#include <stdlib.h>
#include <string.h>

#include "error_internal.h"
#include "wire/byte_buffer.h"
#include "wire/ndarray_wire.h"

/* Where each dtype's elements live in the generated struct: count and array pointer. */
typedef struct {
  size_t *count;
  void **values;
} values_field;

static values_field field_of(bgi_pb_ndarray *msg, bg_dtype dtype) {
  switch (dtype) {
  case BG_DTYPE_FLOAT: return (values_field){&msg->n_float_values, (void **)&msg->float_values};
  case BG_DTYPE_DOUBLE: return (values_field){&msg->n_double_values, (void **)&msg->double_values};
  case BG_DTYPE_BOOL: return (values_field){&msg->n_bool_values, (void **)&msg->bool_values};
  case BG_DTYPE_INT32: return (values_field){&msg->n_int32_values, (void **)&msg->int32_values};
  case BG_DTYPE_INT64: return (values_field){&msg->n_int64_values, (void **)&msg->int64_values};
  case BG_DTYPE_UINT32: return (values_field){&msg->n_uint32_values, (void **)&msg->uint32_values};
  case BG_DTYPE_UINT64: return (values_field){&msg->n_uint64_values, (void **)&msg->uint64_values};
  case BG_DTYPE_STRING: return (values_field){&msg->n_string_values, (void **)&msg->string_values};
  }
  return (values_field){NULL, NULL};
}

bg_status bgi_ndarray_to_proto(const bg_ndarray *nd, bgi_arena *arena, bgi_pb_ndarray **out,
                               bg_error *err) {
  bgi_pb_ndarray *msg = bgi_arena_alloc(arena, sizeof *msg);
  int32_t *shape = bgi_arena_alloc(arena, nd->ndim * sizeof *shape);
  if (!msg || !shape)
    return BGI_FAIL_NOMEM(err);
  bentoml__grpc__v1__ndarray__init(msg);
  for (size_t i = 0; i < nd->ndim; i++)
    shape[i] = (int32_t)nd->shape[i]; /* range checked when the value was built */
  msg->dtype = (Bentoml__Grpc__V1__NDArray__DType)nd->dtype;
  msg->n_shape = nd->ndim;
  msg->shape = shape;

  values_field field = field_of(msg, nd->dtype);
  if (!field.count)
    return bgi_fail(err, BG_ERR_INVALID_ARGUMENT, 0, "ndarray: unknown dtype %d", (int)nd->dtype);
  *field.count = nd->count;
  if (nd->dtype == BG_DTYPE_BOOL && nd->count > 0) {
    protobuf_c_boolean *bools = bgi_arena_alloc(arena, nd->count * sizeof *bools);
    if (!bools)
      return BGI_FAIL_NOMEM(err);
    const bool *src = nd->data;
    for (size_t i = 0; i < nd->count; i++)
      bools[i] = src[i];
    *field.values = bools;
  } else {
    /* protobuf-c only reads through this pointer while packing. */
    *field.values = (void *)nd->data;
  }
  *out = msg;
  return BG_OK;
}

static bg_status infer_dtype(bgi_pb_ndarray *msg, bg_dtype *dtype, bg_error *err) {
  static const bg_dtype all[] = {BG_DTYPE_FLOAT, BG_DTYPE_DOUBLE, BG_DTYPE_STRING, BG_DTYPE_BOOL,
                                 BG_DTYPE_INT32, BG_DTYPE_INT64,  BG_DTYPE_UINT32, BG_DTYPE_UINT64};
  size_t found = 0;
  *dtype = BG_DTYPE_DOUBLE; /* no values at all: the server's empty float64 array */
  for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
    if (*field_of(msg, all[i]).count > 0) {
      *dtype = all[i];
      found++;
    }
  if (found > 1)
    return bgi_fail(err, BG_ERR_PROTOCOL, 0,
                    "ndarray in reply has no dtype and %zu non-empty values fields; the protocol "
                    "allows exactly one",
                    found);
  return BG_OK;
}

/* With a dtype given, values in any other dtype's field would be silently dropped: refused. */
static bg_status check_fields(bgi_pb_ndarray *msg, bg_dtype dtype, bg_error *err) {
  static const bg_dtype all[] = {BG_DTYPE_FLOAT, BG_DTYPE_DOUBLE, BG_DTYPE_STRING, BG_DTYPE_BOOL,
                                 BG_DTYPE_INT32, BG_DTYPE_INT64,  BG_DTYPE_UINT32, BG_DTYPE_UINT64};
  for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
    if (all[i] != dtype && *field_of(msg, all[i]).count > 0)
      return bgi_fail(err, BG_ERR_PROTOCOL, 0,
                      "ndarray in reply says dtype %s but carries %zu values in the %s field; "
                      "the server's reply is inconsistent",
                      bg_dtype_name(dtype), *field_of(msg, all[i]).count, bg_dtype_name(all[i]));
  return BG_OK;
}

bg_status bgi_ndarray_from_proto(bgi_pb_ndarray *msg, bg_value **out, bg_error *err) {
  *out = NULL;
  bg_dtype dtype = (bg_dtype)msg->dtype;
  if (msg->dtype == BENTOML__GRPC__V1__NDARRAY__DTYPE__DTYPE_UNSPECIFIED) {
    bg_status st = infer_dtype(msg, &dtype, err);
    if (st != BG_OK)
      return st;
  } else if (bg_dtype_size(dtype) == 0) {
    return bgi_fail(err, BG_ERR_PROTOCOL, 0, "ndarray in reply has unknown dtype %d",
                    (int)msg->dtype);
  }
  bg_status st = check_fields(msg, dtype, err);
  if (st != BG_OK)
    return st;
  values_field field = field_of(msg, dtype);
  size_t count = *field.count;

  int64_t shape[BG_NDARRAY_MAX_DIMS];
  size_t ndim = msg->n_shape;
  if (ndim > BG_NDARRAY_MAX_DIMS)
    return bgi_fail(err, BG_ERR_PROTOCOL, 0,
                    "ndarray in reply has %zu dimensions; at most %d "
                    "are supported",
                    ndim, BG_NDARRAY_MAX_DIMS);
  /* PROTOCOL.md §4.1 step 4: an empty shape means 1-D of all the values, as BentoML
   * reads it (it reshapes only to a non-empty shape). A 0-d value is sent that way
   * (empty shape, one value), so its echo comes back as shape [1]. */
  if (ndim == 0) {
    ndim = 1;
    shape[0] = (int64_t)count;
  } else {
    for (size_t i = 0; i < ndim; i++)
      shape[i] = msg->shape[i];
  }
  /* Also for strings without a shape: each must be UTF-8, as value.h promises. */
  st = bgi_ndarray_check(dtype, shape, ndim, *field.values, count, err);
  if (st == BG_OK && dtype == BG_DTYPE_STRING)
    st = bgi_wire_strings_check(msg->string_values, count, err);
  if (st != BG_OK) {
    err->code = BG_ERR_PROTOCOL;
    bgi_error_prefix(err, "ndarray in the server's reply is inconsistent");
    return BG_ERR_PROTOCOL;
  }

  void *buffer;
  if (dtype == BG_DTYPE_BOOL) {
    bool *bools = malloc(count ? count : 1);
    if (!bools)
      return BGI_FAIL_NOMEM(err);
    for (size_t i = 0; i < count; i++)
      bools[i] = msg->bool_values[i] != 0;
    buffer = bools;
  } else {
    /* Take the decoded array out of the message so freeing the message leaves it alone. */
    buffer = *field.values;
    *field.values = NULL;
    *field.count = 0;
  }
  *out = bgi_ndarray_adopt(dtype, shape, ndim, buffer, count, true, err);
  return *out ? BG_OK : BG_ERR_NO_MEMORY;
}
