/** @file value.h
 * Values sent to and received from an API.
 *
 * A bg_value is an opaque value of one kind, one per BentoML IO descriptor:
 *
 * | descriptor                | kind               |
 * |---------------------------|--------------------|
 * | NumpyNdarray              | BG_VALUE_NDARRAY   |
 * | PandasSeries              | BG_VALUE_SERIES    |
 * | PandasDataFrame           | BG_VALUE_DATAFRAME |
 * | JSON                      | BG_VALUE_JSON      |
 * | Text                      | BG_VALUE_TEXT      |
 * | File, Image               | BG_VALUE_FILE      |
 * | Multipart                 | BG_VALUE_MULTIPART |
 *
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

/** An opaque value of one kind (see bg_value_kind); owned by whoever made or received it. */
typedef struct bg_value bg_value;

/** The kind of a value: which BentoML IO descriptor it is for. */
typedef enum bg_value_kind {
  BG_VALUE_NDARRAY = 1,   /**< NumpyNdarray: a typed n-dimensional array */
  BG_VALUE_SERIES = 2,    /**< PandasSeries: one typed column */
  BG_VALUE_DATAFRAME = 3, /**< PandasDataFrame: named columns of series */
  BG_VALUE_JSON = 4,      /**< JSON (google.protobuf.Value on the wire) */
  BG_VALUE_TEXT = 5,      /**< Text (google.protobuf.StringValue on the wire) */
  BG_VALUE_FILE = 6,      /**< File and Image: bytes plus an optional MIME type */
  BG_VALUE_MULTIPART = 7, /**< Multipart: named parts of the other kinds */
  BG_VALUE_BYTES = 8      /**< raw `serialized_bytes`, meaning defined by the descriptor */
} bg_value_kind;

/** The name of a kind.
 *  @param kind any value.
 *  @return "ndarray", "series", "dataframe", "json", "text", "file", "multipart", "bytes";
 *          static storage; "unknown" for anything else. */
BG_API const char *bg_value_kind_name(bg_value_kind kind);

/** Element types of an ndarray; the numbers are the wire's NDArray.DType values. */
typedef enum bg_dtype {
  BG_DTYPE_FLOAT = 1,  /**< float    (numpy float32) */
  BG_DTYPE_DOUBLE = 2, /**< double   (numpy float64) */
  BG_DTYPE_BOOL = 3,   /**< bool, one byte per element (numpy bool) */
  BG_DTYPE_INT32 = 4,  /**< int32_t */
  BG_DTYPE_INT64 = 5,  /**< int64_t */
  BG_DTYPE_UINT32 = 6, /**< uint32_t */
  BG_DTYPE_UINT64 = 7, /**< uint64_t */
  BG_DTYPE_STRING = 8  /**< const char *, NUL-terminated UTF-8, one pointer per element */
} bg_dtype;

/** Name of a dtype as numpy spells it.
 *  @param dtype any value.
 *  @return "float32", "int64", "bool", "str", ... (static storage), or NULL for a value
 *          outside bg_dtype. */
BG_API const char *bg_dtype_name(bg_dtype dtype);
/** Parses a numpy dtype name exactly as numpy spells it (case-sensitive): names ("float32",
 *  "float" = float64, "double", "int64", "uint", "bool", "str", ...), type codes with an
 *  optional byte-order character ("f4", "<f8", ">i8", "?", "i", "Q", "U", "<U5") and pandas'
 *  "string". The byte-order character only names the type: ">f4" is BG_DTYPE_FLOAT, whose
 *  elements in a bg_value are always in the host's byte order (a caller holding big-endian
 *  data converts it before building the value; the Python binding does so itself).
 *  @param name  the name (borrowed for the call).
 *  @param dtype receives the dtype on BG_OK; untouched otherwise.
 *  @return BG_OK, or BG_ERR_INVALID_ARGUMENT (e.g. "UINT16", "uint16": no such dtype in the
 *          protocol; also for NULL arguments). */
BG_API bg_status bg_dtype_from_name(const char *name, bg_dtype *dtype);
/** Bytes per element in the data buffer.
 *  @param dtype any value.
 *  @return 4, 8, 1, 4, 8, 4, 8, sizeof(char *) in bg_dtype order; 0 if unknown. */
BG_API size_t bg_dtype_size(bg_dtype dtype);

/** Maximum number of dimensions of an ndarray. */
#define BG_NDARRAY_MAX_DIMS 32

/**
 * An ndarray over the caller's buffer, without copying it (zero-copy input).
 *
 * `data` holds `count` elements of `dtype` in row-major (C) order, in the host's byte order;
 * `count` must equal the product of the `ndim` entries of `shape`. Each dimension must be
 * in 0..INT32_MAX (the wire carries int32 dimensions).
 *
 * A 0-d array (numpy shape `()`, a scalar) is `ndim` 0 with `count` 1: the product of no
 * dimensions is 1. `shape` is not read then, so it may be NULL or any pointer. On the wire it
 * is an NDArray with an empty `shape` and one value. BentoML reads an empty shape as 1-D of all
 * the values (PROTOCOL.md §4.1 step 4), so the server sees shape (1,): an enforced spec shape
 * is checked against (1,), and an echo answers shape [1]. A reply with an empty shape is
 * decoded by the same rule: ndim 1, the values' count as its dimension.
 *
 * Lifetime: `shape` is copied. `data` (and, for BG_DTYPE_STRING, every string it points to)
 * is BORROWED: it must stay valid and unchanged until bg_value_free() of the returned value.
 * BG_DTYPE_STRING elements are NUL-terminated, valid UTF-8 (checked here; the first bad
 * element is named by index). Thread-safe.
 *
 * @param dtype the element type.
 * @param shape `ndim` dimensions (copied); not read when ndim is 0 (NULL allowed).
 * @param ndim  number of dimensions, 0..BG_NDARRAY_MAX_DIMS (0: one element).
 * @param data  the elements (BORROWED, see above); may be NULL only when count is 0.
 * @param count number of elements.
 * @param err   filled on failure; may be NULL.
 * @return the new value (free with bg_value_free()), or NULL with `err` filled
 *         (BG_ERR_INVALID_ARGUMENT names the problem, e.g. a shape/count mismatch;
 *         BG_ERR_NO_MEMORY).
 */
BG_API bg_value *bg_ndarray_borrow(bg_dtype dtype, const int64_t *shape, size_t ndim,
                                   const void *data, size_t count, bg_error *err);

/** Same as bg_ndarray_borrow(), but copies `data` (and strings), so the caller's buffer may
 *  be reused or freed as soon as this returns.
 *  @param dtype the element type.
 *  @param shape `ndim` dimensions (copied); not read when ndim is 0 (NULL allowed).
 *  @param ndim  number of dimensions, 0..BG_NDARRAY_MAX_DIMS (0: one element).
 *  @param data  the elements (copied); may be NULL only when count is 0.
 *  @param count number of elements.
 *  @param err   filled on failure; may be NULL.
 *  @return the new value, or NULL with `err` filled (as bg_ndarray_borrow()). */
BG_API bg_value *bg_ndarray_copy(bg_dtype dtype, const int64_t *shape, size_t ndim,
                                 const void *data, size_t count, bg_error *err);

/** Frees a value and everything it owns. Borrowed buffers are not touched.
 *  @param value the value (taken); NULL is accepted and does nothing. */
BG_API void bg_value_free(bg_value *value);

/** Kind of a value.
 *  @param value the value (borrowed).
 *  @return its kind; 0 (no kind) for NULL. */
BG_API bg_value_kind bg_value_get_kind(const bg_value *value);

/* ---- NumpyNdarray accessors ----
 * They return 0/NULL when `value` is NULL or not an ndarray. Returned pointers are borrowed
 * from the value and valid until bg_value_free(). */

/** Element type of an ndarray.
 *  @param value an ndarray (borrowed).
 *  @return its dtype, or 0 when `value` is NULL or not an ndarray. */
BG_API bg_dtype bg_ndarray_dtype(const bg_value *value);
/** Number of dimensions of an ndarray.
 *  @param value an ndarray (borrowed).
 *  @return 0..BG_NDARRAY_MAX_DIMS (0: a scalar), or 0 when not an ndarray. */
BG_API size_t bg_ndarray_ndim(const bg_value *value);
/** The shape of an ndarray.
 *  @param value an ndarray (borrowed).
 *  @return bg_ndarray_ndim() dimensions (borrowed, valid until bg_value_free()), or NULL when
 *          not an ndarray. */
BG_API const int64_t *bg_ndarray_shape(const bg_value *value);
/** Number of elements (the product of the shape; 1 when ndim is 0).
 *  @param value an ndarray (borrowed).
 *  @return the element count, or 0 when not an ndarray. */
BG_API size_t bg_ndarray_count(const bg_value *value);
/** The elements, row-major.
 *  @param value an ndarray (borrowed).
 *  @return `float *` for BG_DTYPE_FLOAT, `bool *` for BG_DTYPE_BOOL, `const char *const *`
 *          for BG_DTYPE_STRING (each valid UTF-8, also in a server's reply: one that is not
 *          fails the call with BG_ERR_PROTOCOL), and so on; borrowed, valid until
 *          bg_value_free(). May be NULL when count is 0; NULL when not an ndarray. */
BG_API const void *bg_ndarray_data(const bg_value *value);

/* ---- PandasSeries: one typed column ----
 * dtypes: BG_DTYPE_BOOL, FLOAT, DOUBLE, INT32, INT64, STRING (the wire's Series has no
 * unsigned fields). `data` holds `count` elements laid out as for an ndarray. */

/** A series over the caller's buffer (borrowed until bg_value_free(), like
 *  bg_ndarray_borrow()).
 *  @param dtype BG_DTYPE_BOOL, FLOAT, DOUBLE, INT32, INT64 or STRING.
 *  @param data  `count` elements (BORROWED until bg_value_free() of the result); may be NULL
 *               only when count is 0.
 *  @param count number of elements.
 *  @param err   filled on failure; may be NULL.
 *  @return the new value, or NULL with `err` filled (BG_ERR_INVALID_ARGUMENT on a dtype
 *          Series cannot carry or invalid UTF-8; BG_ERR_NO_MEMORY). */
BG_API bg_value *bg_series_borrow(bg_dtype dtype, const void *data, size_t count, bg_error *err);
/** A str series borrowing one block of strings: `size` bytes holding the elements back to back,
 *  each NUL-terminated (the element count is the number of NULs), e.g. a bindings' joined
 *  column. Checked as one block (UTF-8 throughout); the strings are not copied, only an array
 *  of pointers into the block is made. bg_series_string_block() returns the block again.
 *  @param block the strings (borrowed: must outlive the value and stay unchanged); may be NULL
 *               only when size is 0 (an empty series).
 *  @param size  bytes of the block, its last byte a NUL.
 *  @param err   filled on failure; may be NULL.
 *  @return the new value, or NULL with `err` filled (BG_ERR_INVALID_ARGUMENT when the block
 *          does not end with a NUL or an element is not valid UTF-8, naming the element;
 *          BG_ERR_NO_MEMORY). */
BG_API bg_value *bg_series_borrow_strings(const char *block, size_t size, bg_error *err);
/** Same as bg_series_borrow(), copying `data` (and strings).
 *  @param dtype BG_DTYPE_BOOL, FLOAT, DOUBLE, INT32, INT64 or STRING.
 *  @param data  `count` elements (copied); may be NULL only when count is 0.
 *  @param count number of elements.
 *  @param err   filled on failure; may be NULL.
 *  @return the new value, or NULL with `err` filled (as bg_series_borrow()). */
BG_API bg_value *bg_series_copy(bg_dtype dtype, const void *data, size_t count, bg_error *err);
/** Element type of a series.
 *  @param value a series (borrowed).
 *  @return its dtype, or 0 when `value` is not a series. */
BG_API bg_dtype bg_series_dtype(const bg_value *value);
/** Number of elements of a series.
 *  @param value a series (borrowed).
 *  @return the count, or 0 when `value` is not a series. */
BG_API size_t bg_series_count(const bg_value *value);
/** The elements of a series, laid out as for bg_ndarray_data().
 *  @param value a series (borrowed).
 *  @return the elements (borrowed, valid until bg_value_free()), or NULL when `value` is not
 *          a series (may be NULL when it has no elements). */
BG_API const void *bg_series_data(const bg_value *value);

/* ---- PandasDataFrame: named columns of series (BentoML's "columns" orientation) ---- */

/** An empty dataframe; add columns with bg_dataframe_add_column().
 *  @param err filled on failure; may be NULL.
 *  @return the new value, or NULL with `err` filled (BG_ERR_NO_MEMORY). */
BG_API bg_value *bg_dataframe_new(bg_error *err);
/** Appends a column. Duplicate names are refused.
 *  @param dataframe a dataframe being built (not shared with other threads yet).
 *  @param name      the column name (copied); NULL leaves the column unnamed, and the call
 *                   then uses the descriptor's column names when it has them, else "0",
 *                   "1", ... like pandas.
 *  @param series    a BG_VALUE_SERIES with as many rows as the columns before it; TAKEN: its
 *                   ownership passes to the dataframe, even when this fails.
 *  @param err       filled on failure; may be NULL.
 *  @return BG_OK, BG_ERR_INVALID_ARGUMENT (not a dataframe or series, row count mismatch,
 *          duplicate name) or BG_ERR_NO_MEMORY. */
BG_API bg_status bg_dataframe_add_column(bg_value *dataframe, const char *name, bg_value *series,
                                         bg_error *err);
/** Number of columns of a dataframe.
 *  @param value a dataframe (borrowed).
 *  @return the count, or 0 when `value` is not a dataframe. */
BG_API size_t bg_dataframe_column_count(const bg_value *value);
/** Number of rows of a dataframe (every column has as many).
 *  @param value a dataframe (borrowed).
 *  @return the count, or 0 when `value` is not a dataframe or has no columns. */
BG_API size_t bg_dataframe_row_count(const bg_value *value);
/** Name of a column.
 *  @param value a dataframe (borrowed).
 *  @param index 0-based column index.
 *  @return the name (borrowed, valid until bg_value_free()), or NULL when unnamed or out of
 *          range. */
BG_API const char *bg_dataframe_column_name_at(const bg_value *value, size_t index);
/** A column, as a series.
 *  @param value a dataframe (borrowed).
 *  @param index 0-based column index.
 *  @return the series (borrowed from the dataframe), or NULL when out of range. */
BG_API const bg_value *bg_dataframe_column_at(const bg_value *value, size_t index);
/** The column named `name`.
 *  @param value a dataframe (borrowed).
 *  @param name  the exact, case-sensitive name.
 *  @return the series (borrowed from the dataframe), or NULL when there is none. */
BG_API const bg_value *bg_dataframe_column_find(const bg_value *value, const char *name);
/** @deprecated Use bg_dataframe_column_name_at(); the old name is kept for this minor version
 *  only.
 *  @param value as for bg_dataframe_column_name_at().
 *  @param index as for bg_dataframe_column_name_at().
 *  @return as bg_dataframe_column_name_at(). */
BG_DEPRECATED("use bg_dataframe_column_name_at")
BG_API const char *bg_dataframe_column_name(const bg_value *value, size_t index);
/** @deprecated Use bg_dataframe_column_at(); the old name is kept for this minor version only.
 *  @param value as for bg_dataframe_column_at().
 *  @param index as for bg_dataframe_column_at().
 *  @return as bg_dataframe_column_at(). */
BG_DEPRECATED("use bg_dataframe_column_at")
BG_API const bg_value *bg_dataframe_column(const bg_value *value, size_t index);
/** @deprecated Use bg_dataframe_column_find(); the old name is kept for this minor version
 *  only.
 *  @param value as for bg_dataframe_column_find().
 *  @param name  as for bg_dataframe_column_find().
 *  @return as bg_dataframe_column_find(). */
BG_DEPRECATED("use bg_dataframe_column_find")
BG_API const bg_value *bg_dataframe_find_column(const bg_value *value, const char *name);

/* ---- JSON (google.protobuf.Value on the wire) ---- */

/** Parses UTF-8 JSON text straight into the google.protobuf.Value bytes it is sent as (no
 *  parse tree). Refused with a clear error (jansson's words for invalid JSON): invalid JSON,
 *  duplicate keys, NaN/Infinity, integers beyond +-2^53 (the wire carries every number as a
 *  double; they would silently change), nesting deeper than BG_JSON_MAX_NESTING.
 *  @param text the JSON text (read, not kept).
 *  @param len  its length in bytes; (size_t)-1 for NUL-terminated text.
 *  @param err  filled on failure; may be NULL.
 *  @return the new value, or NULL with `err` filled (BG_ERR_INVALID_ARGUMENT naming the
 *          problem; BG_ERR_NO_MEMORY). */
BG_API bg_value *bg_json_parse(const char *text, size_t len, bg_error *err);
/** Deepest JSON nesting (arrays and objects) accepted. Each JSON level costs BentoML's server
 *  up to three protobuf message levels and Python protobuf parses at most 100, so deeper JSON
 *  would fail there; 32 levels round-trip (tests/integration/test_descriptors.c). */
#define BG_JSON_MAX_NESTING 32
/** The value as compact JSON text (keys sorted), made on first use and kept with the value.
 *  Numbers received from a server are doubles, so 1 comes back as 1.0. Thread-safe.
 *  @param value a JSON value (borrowed).
 *  @return NUL-terminated text borrowed from the value (valid until bg_value_free()); NULL
 *          when out of memory or `value` is not JSON. */
BG_API const char *bg_json_text(const bg_value *value);
/** The value as JSON text indented per level, keys sorted.
 *  @param value  a JSON value (borrowed).
 *  @param indent spaces per level, 0..16; 0 = compact.
 *  @return a new string the caller frees with bg_string_free(), or NULL (out of memory, not
 *          JSON, indent out of range). */
BG_API char *bg_json_format(const bg_value *value, int indent);
/** Frees a string returned by this library (bg_json_format(), bg_text_escape()).
 *  @param text the string (taken); NULL is accepted. */
BG_API void bg_string_free(char *text);

/* ---- Text (google.protobuf.StringValue on the wire) ---- */

/** A text value. Invalid UTF-8 and embedded NUL bytes are refused.
 *  @param utf8 the text (copied).
 *  @param len  its length in bytes; (size_t)-1: NUL-terminated.
 *  @param err  filled on failure; may be NULL.
 *  @return the new value, or NULL with `err` filled (BG_ERR_INVALID_ARGUMENT,
 *          BG_ERR_NO_MEMORY). */
BG_API bg_value *bg_text_new(const char *utf8, size_t len, bg_error *err);
/** The text of a text value. Text from a server may contain NUL bytes (kept, never cut): use
 *  bg_text_length(), not strlen(), for its full length.
 *  @param value a text value (borrowed).
 *  @return NUL-terminated UTF-8 borrowed from the value, or NULL when not text. */
BG_API const char *bg_text_data(const bg_value *value);
/** Length of a text value.
 *  @param value a text value (borrowed).
 *  @return its length in bytes (embedded NULs included), or 0 when not text. */
BG_API size_t bg_text_length(const bg_value *value);

/* ---- File and Image: bytes plus an optional MIME type ---- */

/** A file over the caller's bytes.
 *  @param data the bytes (BORROWED until bg_value_free() of the result); may be NULL when
 *              size is 0.
 *  @param size number of bytes.
 *  @param mime MIME type such as "image/png" (copied); NULL means none. It must look like
 *              type/subtype.
 *  @param err  filled on failure; may be NULL.
 *  @return the new value, or NULL with `err` filled (BG_ERR_INVALID_ARGUMENT for a bad MIME
 *          type, BG_ERR_NO_MEMORY). */
BG_API bg_value *bg_file_borrow(const void *data, size_t size, const char *mime, bg_error *err);
/** Same as bg_file_borrow(), copying the bytes.
 *  @param data the bytes (copied); may be NULL when size is 0.
 *  @param size number of bytes.
 *  @param mime MIME type (copied); NULL means none.
 *  @param err  filled on failure; may be NULL.
 *  @return the new value, or NULL with `err` filled (as bg_file_borrow()). */
BG_API bg_value *bg_file_copy(const void *data, size_t size, const char *mime, bg_error *err);
/** Reads a file from disk into a new file value.
 *  @param path the file to read.
 *  @param mime MIME type (copied); NULL means none.
 *  @param err  filled on failure; may be NULL.
 *  @return the new value, or NULL with `err` filled; errors name the path. */
BG_API bg_value *bg_file_from_path(const char *path, const char *mime, bg_error *err);
/** The bytes of a file value.
 *  @param value a file value (borrowed).
 *  @return the bytes (borrowed), or NULL when not a file (may be NULL when empty). */
BG_API const void *bg_file_data(const bg_value *value);
/** Size of a file value.
 *  @param value a file value (borrowed).
 *  @return number of bytes, or 0 when not a file. */
BG_API size_t bg_file_size(const bg_value *value);
/** The MIME type of a file value. A server's misspelt "appliction/octet-stream" is reported as
 *  "application/octet-stream".
 *  @param value a file value (borrowed).
 *  @return the MIME type (borrowed), or NULL when none. */
BG_API const char *bg_file_mime(const bg_value *value);

/* ---- Raw serialized_bytes ---- */

/** Bytes sent as `serialized_bytes`, whose meaning the input descriptor defines (raw array
 *  buffer for NumpyNdarray, UTF-8 JSON for JSON, UTF-8 for Text, file bytes for File/Image).
 *  @param data the bytes (BORROWED until bg_value_free() of the result); may be NULL when
 *              size is 0.
 *  @param size number of bytes.
 *  @param err  filled on failure; may be NULL.
 *  @return the new value, or NULL with `err` filled. */
BG_API bg_value *bg_bytes_borrow(const void *data, size_t size, bg_error *err);
/** Same as bg_bytes_borrow(), copying the bytes.
 *  @param data the bytes (copied); may be NULL when size is 0.
 *  @param size number of bytes.
 *  @param err  filled on failure; may be NULL.
 *  @return the new value, or NULL with `err` filled. */
BG_API bg_value *bg_bytes_copy(const void *data, size_t size, bg_error *err);
/** The bytes of a bytes value.
 *  @param value a bytes value (borrowed).
 *  @return the bytes (borrowed), or NULL when not bytes (may be NULL when empty). */
BG_API const void *bg_bytes_data(const bg_value *value);
/** Size of a bytes value.
 *  @param value a bytes value (borrowed).
 *  @return number of bytes, or 0 when not bytes. */
BG_API size_t bg_bytes_size(const bg_value *value);

/* ---- Multipart: named parts, each any kind but multipart ---- */

/** An empty multipart; add parts with bg_multipart_add().
 *  @param err filled on failure; may be NULL.
 *  @return the new value, or NULL with `err` filled (BG_ERR_NO_MEMORY). */
BG_API bg_value *bg_multipart_new(bg_error *err);
/** Adds a named part. Refused: a multipart part (BentoML cannot nest them), a duplicate name.
 *  @param multipart a multipart being built (not shared with other threads yet).
 *  @param name      the part's name (copied).
 *  @param part      the part; TAKEN: its ownership passes to the multipart, even when this
 *                   fails.
 *  @param err       filled on failure; may be NULL.
 *  @return BG_OK, BG_ERR_INVALID_ARGUMENT or BG_ERR_NO_MEMORY. */
BG_API bg_status bg_multipart_add(bg_value *multipart, const char *name, bg_value *part,
                                  bg_error *err);
/** Number of parts of a multipart.
 *  @param value a multipart (borrowed).
 *  @return the count, or 0 when not a multipart. */
BG_API size_t bg_multipart_count(const bg_value *value);
/** Name of the part at `index` in insertion order (server order for outputs).
 *  @param value a multipart (borrowed).
 *  @param index 0-based index.
 *  @return the name (borrowed), or NULL when out of range. */
BG_API const char *bg_multipart_name_at(const bg_value *value, size_t index);
/** The part at `index` in insertion order (server order for outputs).
 *  @param value a multipart (borrowed).
 *  @param index 0-based index.
 *  @return the part (borrowed from the multipart), or NULL when out of range. */
BG_API const bg_value *bg_multipart_part_at(const bg_value *value, size_t index);
/** The part named `name`.
 *  @param value a multipart (borrowed).
 *  @param name  the exact name.
 *  @return the part (borrowed from the multipart), or NULL. */
BG_API const bg_value *bg_multipart_find(const bg_value *value, const char *name);

/* ---- Writable elements (for bindings that wrap a value's buffer in a mutable array) ---- */

/** The elements of an ndarray that OWNS its buffer — every output of a call (but one decoded
 *  into the caller's buffer of bg_call_options_set_output_buffer(), which borrows it), and
 *  values made by bg_ndarray_copy() — as a writable pointer, the same address
 *  bg_ndarray_data() returns.
 *  Writing changes the value in place; the buffer stays the value's and is freed by
 *  bg_value_free(), so a binding keeps the value alive as long as its array (e.g. as a numpy
 *  array's base) instead of copying the elements. Not synchronised: do not write while another
 *  thread reads.
 *  @param value an ndarray (borrowed).
 *  @return the elements, or NULL when `value` is NULL, of another kind, borrows its buffer
 *          (bg_ndarray_borrow(), an output in a bg_call_options_set_output_buffer() buffer:
 *          the buffer is the caller's already), has no elements, or holds
 *          BG_DTYPE_STRING (its pointers are the library's to free). */
BG_API void *bg_ndarray_data_mut(bg_value *value);
/** The elements of a series that OWNS its buffer, writable; as bg_ndarray_data_mut() (outputs
 *  and bg_series_copy() values).
 *  @param value a series (borrowed).
 *  @return the elements, or NULL in the cases of bg_ndarray_data_mut(). */
BG_API void *bg_series_data_mut(bg_value *value);
/** The strings of a str series as one block, when the value holds them so: each element
 *  NUL-terminated, one right after the other, in order, so that element 0 starts the block
 *  and element i+1 starts after element i's NUL. The string columns of a decoded reply
 *  (DataFrame or Series) are held this way; a binding can convert a whole column at once
 *  (one decode and one split at the NULs) instead of element by element.
 *  @param value a series (borrowed).
 *  @param size  set to the block's bytes (the NULs included), 0 when NULL is returned; may be
 *               NULL.
 *  @return the block (borrowed, valid until bg_value_free()), or NULL when `value` is not a
 *          str series, has no elements, or holds its strings otherwise (borrowed or copied
 *          inputs): read them with bg_series_data() then. */
BG_API const char *bg_series_string_block(const bg_value *value, size_t *size);

#ifdef __cplusplus
}
#endif
#endif
