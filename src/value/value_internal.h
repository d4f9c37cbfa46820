/* The value model's representation, shared by the value module and the codecs. */
#ifndef BGI_VALUE_INTERNAL_H
#define BGI_VALUE_INTERNAL_H

#include <stdint.h>

#include "bentogrpc/value.h"

typedef struct bg_ndarray {
  bg_dtype dtype;
  size_t ndim;
  int64_t shape[BG_NDARRAY_MAX_DIMS];
  size_t count;
  const void *data;       /* count elements; borrowed or == owned */
  void *owned;            /* element buffer to free(), NULL when borrowed */
  bool owns_strings;      /* BG_DTYPE_STRING: each element was malloc'd and is ours to free */
  size_t string_block;    /* BG_DTYPE_STRING: bytes of the one block holding the strings back to
                           * back from data[0] (bg_series_string_block), 0 when not so */
  size_t *string_lengths; /* owned, or NULL: a str series' string lengths, found when it was
                           * checked (bgi_array_borrow), with their sum and the longest */
  size_t string_lengths_total, string_longest;
  void *owned_text; /* owned, or NULL: the block a decoded str column's strings live in, when
                     * apart from `owned` (the pointers) */
} bg_ndarray;

/* Bytes with an optional MIME type: BG_VALUE_FILE and BG_VALUE_BYTES. */
typedef struct bgi_blob {
  const uint8_t *data; /* borrowed or == owned */
  size_t size;
  void *owned;
  char *mime; /* owned; NULL when none */
} bgi_blob;

/* Named children: dataframe columns (series) and multipart parts. */
typedef struct bgi_children {
  size_t count;
  size_t capacity;
  char **names;      /* owned; a dataframe column name may be NULL */
  bg_value **values; /* owned */
} bgi_children;

/* A JSON value is held as its google.protobuf.Value bytes (wire/json_transcode.h, whose
 * bgi_json_wire has these fields): no tree. */
typedef struct bgi_json_value {
  void *block;          /* owns bytes and ints; free() */
  const uint8_t *bytes; /* the Value message */
  size_t size;
  size_t prefix;      /* bytes[-prefix, 0): the varint of size, when sent as a field */
  const size_t *ints; /* offsets of numbers that were integers in the parsed text */
  size_t n_ints;
  _Atomic(char *) text; /* compact text, owned; rendered on first bg_json_text() */
} bgi_json_value;

typedef struct bg_text {
  char *utf8; /* owned, NUL-terminated */
  size_t length;
} bg_text;

struct bg_value {
  bg_value_kind kind;
  union {
    bg_ndarray ndarray; /* BG_VALUE_NDARRAY, and BG_VALUE_SERIES as a 1-D array */
    bgi_blob blob;
    bgi_children children;
    bgi_json_value json;
    bg_text text;
  } as;
};

/* The array storage shared by ndarray and series values (kind says which). */
bg_value *bgi_array_borrow(bg_value_kind kind, bg_dtype dtype, const int64_t *shape, size_t ndim,
                           const void *data, size_t count, bg_error *err);
bg_value *bgi_array_copy(bg_value_kind kind, bg_dtype dtype, const int64_t *shape, size_t ndim,
                         const void *data, size_t count, bg_error *err);
bg_value *bgi_array_adopt(bg_value_kind kind, bg_dtype dtype, const int64_t *shape, size_t ndim,
                          void *buffer, size_t count, bool owns_strings, bg_error *err);

/* A zeroed value of `kind`, or NULL with err. */
bg_value *bgi_value_alloc(bg_value_kind kind, bg_error *err);

/* A text value that takes ownership of `utf8` (malloc'd, `length` bytes plus NUL), after
 * checking it is UTF-8. Frees it on failure. */
bg_value *bgi_text_adopt(char *utf8, size_t length, bg_error *err);

/* bgi_text_adopt for a server's text, which may hold NUL bytes (kept: bg_text_length counts
 * them); still UTF-8 only. */
bg_value *bgi_text_adopt_reply(char *utf8, size_t length, bg_error *err);

/* A series built from a 1-D ndarray's storage (taken over; freed on failure). */
bg_value *bgi_series_adopt(bg_dtype dtype, void *buffer, size_t count, bool owns_strings,
                           bg_error *err);

/* A file or bytes value owning `data` (malloc'd; freed on failure). */
bg_value *bgi_blob_adopt(bg_value_kind kind, void *data, size_t size, const char *mime,
                         bg_error *err);

/* true when `mime` is type/subtype in RFC 6838 token characters. */
bool bgi_mime_valid(const char *mime);

/* Room for any bgi_json_format_real() text, NUL included. */
#define BGI_JSON_REAL_MAX 40

/* The shortest text that reads back as exactly `d`, written as a person writes numbers
 * ("10.0", "0.1", "1e+300"); locale-independent. */
void bgi_json_format_real(char *buf, size_t cap, double d);

/* bgi_json_format_real into `buf` (BGI_JSON_REAL_MAX bytes), without the NUL; returns the
 * length. */
size_t bgi_json_format_real_n(char *buf, double d);

/* true when `s` (n bytes) is valid UTF-8 without NUL bytes. */
bool bgi_utf8_valid(const char *s, size_t n);

/* bgi_utf8_valid for a short string such as a column's element: a table-driven DFA, a table
 * load and a shift per byte whatever the bytes (over 64 bytes: bgi_utf8_valid). */
bool bgi_utf8_valid_string(const char *s, size_t n);

/* Checks `count` NUL-terminated strings in one pass each (the NUL found and the bytes checked
 * for UTF-8 together), storing their lengths at `lengths` and, when all
 * are valid, their sum at *total and the longest at *longest (each when not NULL): returns the
 * index of the first NULL or invalid one, `count` when there is none. */
size_t bgi_utf8_cstrings(const char *const *strings, size_t count, size_t *lengths, size_t *total,
                         size_t *longest);

/* For a string of up to 32 bytes at s, known to hold no NUL: true when it is valid UTF-8,
 * `high` having bit i set exactly where s[i] has its high bit set (0: all ASCII). Only the
 * bytes from the first to the last such byte are looked at. */
bool bgi_utf8_valid_high(const char *s, unsigned high);

/* true when `block` (n bytes) is `count` NUL-terminated strings back to back, each valid UTF-8
 * (one pass over the block: a decoded string column). */
bool bgi_utf8_valid_strings(const char *block, size_t n, size_t count);

/* Checks dtype, shape and count and returns the element count the shape implies. */
bg_status bgi_ndarray_check(bg_dtype dtype, const int64_t *shape, size_t ndim, const void *data,
                            size_t count, bg_error *err);

/* bgi_ndarray_check that also stores, when dtype is BG_DTYPE_STRING, each string's length at
 * `lengths` (count of them), their sum at *total and the longest at *longest (each when not
 * NULL). */
bg_status bgi_ndarray_check_lengths(bg_dtype dtype, const int64_t *shape, size_t ndim,
                                    const void *data, size_t count, size_t *lengths, size_t *total,
                                    size_t *longest, bg_error *err);

/* Takes ownership of `buffer` (malloc'd, `count` elements; for strings also each element
 * when `owns_strings`) and wraps it in a new value. On failure the buffer is freed too. */
bg_value *bgi_ndarray_adopt(bg_dtype dtype, const int64_t *shape, size_t ndim, void *buffer,
                            size_t count, bool owns_strings, bg_error *err);

#endif
