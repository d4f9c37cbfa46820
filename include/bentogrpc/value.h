/* libbentogrpc — values sent to and received from an API.
 *
 * A bg_value is an opaque, immutable value of one kind. This version supports
 * NumpyNdarray values (BG_VALUE_NDARRAY); later kinds (series, dataframe, JSON, text,
 * file, multipart) use the same handle.
 *
 * Ownership: every constructor returns a value the caller owns and frees with
 * bg_value_free(). Values returned by a call (outputs) are owned by the caller too.
 * Values are immutable, so one value may be read from several threads at once. */
#ifndef BENTOGRPC_VALUE_H
#define BENTOGRPC_VALUE_H

#include <stdbool.h>

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct bg_value bg_value;

typedef enum bg_value_kind {
  BG_VALUE_NDARRAY = 1,
} bg_value_kind;

/** Element types of an ndarray; the numbers are the wire's NDArray.DType values. */
typedef enum bg_dtype {
  BG_DTYPE_FLOAT = 1,  /* float    (numpy float32) */
  BG_DTYPE_DOUBLE = 2, /* double   (numpy float64) */
  BG_DTYPE_BOOL = 3,   /* bool, one byte per element (numpy bool) */
  BG_DTYPE_INT32 = 4,  /* int32_t */
  BG_DTYPE_INT64 = 5,  /* int64_t */
  BG_DTYPE_UINT32 = 6, /* uint32_t */
  BG_DTYPE_UINT64 = 7, /* uint64_t */
  BG_DTYPE_STRING = 8  /* const char *, NUL-terminated UTF-8, one pointer per element */
} bg_dtype;

/** Name of a dtype as numpy spells it ("float32", "int64", "bool", "str", ...), or NULL. */
BG_API const char *bg_dtype_name(bg_dtype dtype);
/** Parses a numpy-style dtype name ("float32", "f4", "double", "int64", "str", ...).
 *  Returns BG_OK and sets *dtype, or BG_ERR_INVALID_ARGUMENT. */
BG_API bg_status bg_dtype_from_name(const char *name, bg_dtype *dtype);
/** Bytes per element in the data buffer: 4, 8, 1, 4, 8, 4, 8, sizeof(char *). 0 if unknown. */
BG_API size_t bg_dtype_size(bg_dtype dtype);

/** Maximum number of dimensions of an ndarray. */
#define BG_NDARRAY_MAX_DIMS 32

/**
 * An ndarray over the caller's buffer, without copying it (zero-copy input).
 *
 * `data` holds `count` elements of `dtype` in row-major (C) order; `count` must equal the
 * product of the `ndim` entries of `shape` (1 for ndim 0, a scalar). Each dimension must be
 * in 0..INT32_MAX (the wire carries int32 dimensions).
 *
 * Lifetime: `shape` is copied. `data` (and, for BG_DTYPE_STRING, every string it points to)
 * is BORROWED: it must stay valid and unchanged until bg_value_free() of the returned value.
 * `data` may be NULL only when count is 0.
 *
 * Returns the new value, or NULL with `err` filled (BG_ERR_INVALID_ARGUMENT names the
 * problem, e.g. a shape/count mismatch). Thread-safe.
 */
BG_API bg_value *bg_ndarray_borrow(bg_dtype dtype, const int64_t *shape, size_t ndim,
                                   const void *data, size_t count, bg_error *err);

/** Same as bg_ndarray_borrow(), but copies `data` (and strings), so the caller's buffer may
 *  be reused or freed as soon as this returns. */
BG_API bg_value *bg_ndarray_copy(bg_dtype dtype, const int64_t *shape, size_t ndim,
                                 const void *data, size_t count, bg_error *err);

/** Frees a value and everything it owns. Accepts NULL. Borrowed buffers are not touched. */
BG_API void bg_value_free(bg_value *value);

/** Kind of a value. */
BG_API bg_value_kind bg_value_get_kind(const bg_value *value);

/* ndarray accessors. They return 0/NULL when `value` is NULL or not an ndarray. Returned
 * pointers are borrowed from the value and valid until bg_value_free(). */
BG_API bg_dtype bg_ndarray_dtype(const bg_value *value);
BG_API size_t bg_ndarray_ndim(const bg_value *value);
BG_API const int64_t *bg_ndarray_shape(const bg_value *value);
/** Number of elements (the product of the shape). */
BG_API size_t bg_ndarray_count(const bg_value *value);
/** The elements, row-major: `float *` for BG_DTYPE_FLOAT, `bool *` for BG_DTYPE_BOOL,
 *  `const char *const *` for BG_DTYPE_STRING, and so on. May be NULL when count is 0. */
BG_API const void *bg_ndarray_data(const bg_value *value);

#ifdef __cplusplus
}
#endif
#endif
