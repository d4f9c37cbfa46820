/* libbentogrpc — values sent to and received from an API.
 *
 * A bg_value is an opaque value of one kind, one per BentoML IO descriptor:
 *   NumpyNdarray -> BG_VALUE_NDARRAY     PandasSeries -> BG_VALUE_SERIES
 *   PandasDataFrame -> BG_VALUE_DATAFRAME JSON -> BG_VALUE_JSON   Text -> BG_VALUE_TEXT
 *   File, Image -> BG_VALUE_FILE          Multipart -> BG_VALUE_MULTIPART
 * plus BG_VALUE_BYTES, raw `serialized_bytes` that any descriptor accepting them passes on.
 *
 * Ownership: every constructor returns a value the caller owns and frees with
 * bg_value_free(), which frees everything inside (dataframe columns, multipart parts).
 * Values returned by a call (outputs) are owned by the caller too. Accessors return
 * pointers borrowed from the value, valid until it is freed.
 *
 * Thread-safety: a finished value is immutable and may be read from several threads at
 * once. Dataframes and multiparts are built with *_add functions; finish building on one
 * thread before sharing them. */
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
  BG_VALUE_SERIES = 2,
  BG_VALUE_DATAFRAME = 3,
  BG_VALUE_JSON = 4,
  BG_VALUE_TEXT = 5,
  BG_VALUE_FILE = 6,
  BG_VALUE_MULTIPART = 7,
  BG_VALUE_BYTES = 8
} bg_value_kind;

/** "ndarray", "series", "dataframe", "json", "text", "file", "multipart", "bytes";
 *  static storage; "unknown" for anything else. */
BG_API const char *bg_value_kind_name(bg_value_kind kind);

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
/** Parses a numpy dtype name exactly as numpy spells it (case-sensitive): names ("float32",
 *  "float" = float64, "double", "int64", "uint", "bool", "str", ...), type codes with an
 *  optional byte-order character ("f4", "<f8", "?", "i", "Q", "U", "<U5") and pandas'
 *  "string". Returns BG_OK and sets *dtype, or BG_ERR_INVALID_ARGUMENT (e.g. "UINT16",
 *  "uint16": no such dtype in the protocol). */
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
 * `data` may be NULL only when count is 0. BG_DTYPE_STRING elements are NUL-terminated,
 * valid UTF-8 (checked here; the first bad element is named by index).
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
 *  `const char *const *` for BG_DTYPE_STRING (each valid UTF-8, also in a server's reply:
 *  one that is not fails the call with BG_ERR_PROTOCOL), and so on. May be NULL when count
 *  is 0. */
BG_API const void *bg_ndarray_data(const bg_value *value);

/* ---- PandasSeries: one typed column ----
 * dtypes: BG_DTYPE_BOOL, FLOAT, DOUBLE, INT32, INT64, STRING (the wire's Series has no
 * unsigned fields). `data` holds `count` elements laid out as for an ndarray. */

/** A series over the caller's buffer (borrowed until bg_value_free(), like
 *  bg_ndarray_borrow()). NULL with err on a dtype Series cannot carry. */
BG_API bg_value *bg_series_borrow(bg_dtype dtype, const void *data, size_t count, bg_error *err);
/** Same, copying `data` (and strings). */
BG_API bg_value *bg_series_copy(bg_dtype dtype, const void *data, size_t count, bg_error *err);
/* Accessors: 0/NULL when `value` is not a series. */
BG_API bg_dtype bg_series_dtype(const bg_value *value);
BG_API size_t bg_series_count(const bg_value *value);
BG_API const void *bg_series_data(const bg_value *value);

/* ---- PandasDataFrame: named columns of series (BentoML's "columns" orientation) ---- */

/** An empty dataframe; add columns with bg_dataframe_add_column(). */
BG_API bg_value *bg_dataframe_new(bg_error *err);
/** Appends a column. `name` is copied; NULL leaves the column unnamed, and the call then
 *  uses the descriptor's column names when it has them, else "0", "1", ... like pandas.
 *  `series` must be a BG_VALUE_SERIES with as many rows as the columns before it; its
 *  ownership passes to the dataframe, even when this fails. Duplicate names are refused. */
BG_API bg_status bg_dataframe_add_column(bg_value *dataframe, const char *name, bg_value *series,
                                         bg_error *err);
BG_API size_t bg_dataframe_column_count(const bg_value *value);
BG_API size_t bg_dataframe_row_count(const bg_value *value);
/** Name of column `index`, or NULL when unnamed or out of range. */
BG_API const char *bg_dataframe_column_name(const bg_value *value, size_t index);
/** Column `index` (a series), or NULL when out of range. */
BG_API const bg_value *bg_dataframe_column(const bg_value *value, size_t index);
BG_API const bg_value *bg_dataframe_find_column(const bg_value *value, const char *name);

/* ---- JSON (google.protobuf.Value on the wire) ---- */

/** Parses UTF-8 JSON text (`len` bytes; `len` may be (size_t)-1 for NUL-terminated text) with
 *  jansson. Refused with a clear error: invalid JSON, NaN/Infinity, integers beyond +-2^53
 *  (the wire carries every number as a double; they would silently change), nesting
 *  deeper than BG_JSON_MAX_NESTING. */
BG_API bg_value *bg_json_parse(const char *text, size_t len, bg_error *err);
/** Deepest JSON nesting (arrays and objects) accepted. Each JSON level costs BentoML's server
 *  up to three protobuf message levels and Python protobuf parses at most 100, so deeper JSON
 *  would fail there; 32 levels round-trip (tests/integration/test_descriptors.c). */
#define BG_JSON_MAX_NESTING 32
/** The value as compact JSON text (NUL-terminated, keys sorted), made on first use and kept
 *  with the value; NULL only when out of memory. Numbers received from a server are doubles,
 *  so 1 comes back as 1.0. Thread-safe. */
BG_API const char *bg_json_text(const bg_value *value);
/** The value as JSON text indented by `indent` spaces per level (0..16; 0 = compact), keys
 *  sorted. Returns a new string the caller frees with bg_string_free(), or NULL. */
BG_API char *bg_json_format(const bg_value *value, int indent);
/** Frees a string returned by this library (bg_json_format). Accepts NULL. */
BG_API void bg_string_free(char *text);

/* ---- Text (google.protobuf.StringValue on the wire) ---- */

/** Copies `len` bytes of UTF-8 text ((size_t)-1: NUL-terminated). Invalid UTF-8 and embedded
 *  NUL bytes are refused. */
BG_API bg_value *bg_text_new(const char *utf8, size_t len, bg_error *err);
/** NUL-terminated UTF-8 text and its length in bytes. Text from a server may contain NUL
 *  bytes (kept, never cut): use bg_text_length(), not strlen(), for its full length. */
BG_API const char *bg_text_data(const bg_value *value);
BG_API size_t bg_text_length(const bg_value *value);

/* ---- File and Image: bytes plus an optional MIME type ---- */

/** A file over the caller's bytes (borrowed until bg_value_free()). `mime` (e.g.
 *  "image/png") is copied; NULL means none. A MIME type must look like type/subtype. */
BG_API bg_value *bg_file_borrow(const void *data, size_t size, const char *mime, bg_error *err);
/** Same, copying the bytes. */
BG_API bg_value *bg_file_copy(const void *data, size_t size, const char *mime, bg_error *err);
/** Reads the file at `path` into a new file value. Errors name the path. */
BG_API bg_value *bg_file_from_path(const char *path, const char *mime, bg_error *err);
BG_API const void *bg_file_data(const bg_value *value);
BG_API size_t bg_file_size(const bg_value *value);
/** The MIME type, or NULL when none. A server's misspelt "appliction/octet-stream" is
 *  reported as "application/octet-stream". */
BG_API const char *bg_file_mime(const bg_value *value);

/* ---- Raw serialized_bytes ---- */

/** Bytes sent as `serialized_bytes`, whose meaning the input descriptor defines (raw array
 *  buffer for NumpyNdarray, UTF-8 JSON for JSON, UTF-8 for Text, file bytes for File/Image).
 *  Borrowed until bg_value_free(). */
BG_API bg_value *bg_bytes_borrow(const void *data, size_t size, bg_error *err);
BG_API bg_value *bg_bytes_copy(const void *data, size_t size, bg_error *err);
BG_API const void *bg_bytes_data(const bg_value *value);
BG_API size_t bg_bytes_size(const bg_value *value);

/* ---- Multipart: named parts, each any kind but multipart ---- */

/** An empty multipart; add parts with bg_multipart_add(). */
BG_API bg_value *bg_multipart_new(bg_error *err);
/** Adds part `name` (copied). `part`'s ownership passes to the multipart, even when this
 *  fails. Refused: a multipart part (BentoML cannot nest them), a duplicate name. */
BG_API bg_status bg_multipart_add(bg_value *multipart, const char *name, bg_value *part,
                                  bg_error *err);
BG_API size_t bg_multipart_count(const bg_value *value);
/** Name and part at `index` in insertion order (server order for outputs), or NULL. */
BG_API const char *bg_multipart_name_at(const bg_value *value, size_t index);
BG_API const bg_value *bg_multipart_part_at(const bg_value *value, size_t index);
/** The part named `name`, or NULL. */
BG_API const bg_value *bg_multipart_find(const bg_value *value, const char *name);

/* ---- Writable elements (for bindings that wrap a value's buffer in a mutable array) ---- */

/** The elements of an ndarray (resp. series) that OWNS its buffer — every output of a call,
 *  and values made by bg_ndarray_copy()/bg_series_copy() — as a writable pointer, the same
 *  address bg_ndarray_data() returns. Writing changes the value in place; the buffer stays
 *  the value's and is freed by bg_value_free(), so a binding keeps the value alive as long
 *  as its array (e.g. as a numpy array's base) instead of copying the elements.
 *  NULL when `value` is NULL, of another kind, borrows its buffer (bg_*_borrow: the buffer
 *  is the caller's already), has no elements, or holds BG_DTYPE_STRING (its pointers are
 *  the library's to free). Not synchronised: do not write while another thread reads. */
BG_API void *bg_ndarray_data_mut(bg_value *value);
BG_API void *bg_series_data_mut(bg_value *value);

#ifdef __cplusplus
}
#endif
#endif
