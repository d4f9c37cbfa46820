/*
 * _fastcall_strings.c: str columns to and from the library's string blocks, element by
 * element in C instead of through one big Python str (join, encode, decode, split: each
 * element's text copied three more times, and a list between them). Used by _values'
 * Encoder.series and _array when the extension is there; they keep their Python code for
 * everything these refuse (None), which also words every error.
 *
 * The block is what bg_series_borrow_strings takes and bg_series_string_block gives: each
 * element's UTF-8 bytes followed by one NUL, back to back.
 */
#include "_fastcall.h"

#include <stdint.h>
#include <string.h>

/* The UTF-8 length of `s`'s characters of one kind (UCS1, UCS2, UCS4), or -1 when one is a
 * surrogate (UTF-8 cannot carry it: str.encode() raises). */
#define UTF8_LENGTH(type)                                                                          \
  do {                                                                                             \
    const type *c = (const type *)data;                                                            \
    for (Py_ssize_t i = 0; i < n; i++) {                                                           \
      Py_UCS4 u = c[i];                                                                            \
      if (u >= 0xd800 && u <= 0xdfff)                                                              \
        return -1;                                                                                 \
      len += 1 + (u >= 0x80) + (u >= 0x800) + (u >= 0x10000);                                      \
    }                                                                                              \
  } while (0)

static Py_ssize_t utf8_length(PyObject *s) {
  Py_ssize_t n = PyUnicode_GET_LENGTH(s), len = 0;
  if (PyUnicode_IS_ASCII(s))
    return n;
  const void *data = PyUnicode_DATA(s);
  switch (PyUnicode_KIND(s)) {
  case PyUnicode_1BYTE_KIND: UTF8_LENGTH(Py_UCS1); break;
  case PyUnicode_2BYTE_KIND: UTF8_LENGTH(Py_UCS2); break;
  default: UTF8_LENGTH(Py_UCS4); break;
  }
  return len;
}

/* Writes `s` (no surrogate: utf8_length() said so) as UTF-8 at p; returns the end. */
static char *put_utf8(char *p, PyObject *s) {
  Py_ssize_t n = PyUnicode_GET_LENGTH(s);
  if (PyUnicode_IS_ASCII(s)) {
    memcpy(p, PyUnicode_DATA(s), (size_t)n);
    return p + n;
  }
  int kind = PyUnicode_KIND(s);
  const void *data = PyUnicode_DATA(s);
  for (Py_ssize_t i = 0; i < n; i++) {
    Py_UCS4 u = PyUnicode_READ(kind, data, i);
    if (u < 0x80) {
      *p++ = (char)u;
    } else if (u < 0x800) {
      *p++ = (char)(0xc0 | (u >> 6));
      *p++ = (char)(0x80 | (u & 0x3f));
    } else if (u < 0x10000) {
      *p++ = (char)(0xe0 | (u >> 12));
      *p++ = (char)(0x80 | ((u >> 6) & 0x3f));
      *p++ = (char)(0x80 | (u & 0x3f));
    } else {
      *p++ = (char)(0xf0 | (u >> 18));
      *p++ = (char)(0x80 | ((u >> 12) & 0x3f));
      *p++ = (char)(0x80 | ((u >> 6) & 0x3f));
      *p++ = (char)(0x80 | (u & 0x3f));
    }
  }
  return p;
}

/* The UTF-8 is written here rather than asked of CPython: PyUnicode_AsUTF8AndSize would keep a
 * UTF-8 copy inside every non-ASCII str of the caller's column for the str's life (a column
 * sent once would stay twice in memory), and str.encode() makes an object per element. */
PyObject *fc_str_block(PyObject *arr) {
  if (!PyArray_Check(arr))
    Py_RETURN_NONE;
  PyArrayObject *a = (PyArrayObject *)arr;
  if (PyArray_TYPE(a) != NPY_OBJECT || PyArray_NDIM(a) != 1 || !PyArray_IS_C_CONTIGUOUS(a))
    Py_RETURN_NONE;
  npy_intp n = PyArray_DIM(a, 0);
  PyObject **items = (PyObject **)PyArray_DATA(a);
  /* pass 1: every element an exact str without a surrogate, and the block's size */
  Py_ssize_t total = 0;
  for (npy_intp i = 0; i < n; i++) {
    PyObject *s = items[i];
    if (!s || !PyUnicode_CheckExact(s))
      Py_RETURN_NONE;
#if PY_VERSION_HEX < 0x030c0000 /* a str made by the old Py_UNICODE API; always ready since */
    if (PyUnicode_READY(s) < 0)
      return NULL;
#endif
    Py_ssize_t len = utf8_length(s);
    if (len < 0) /* a lone surrogate: the Python path words the error */
      Py_RETURN_NONE;
    if (len > PY_SSIZE_T_MAX - 1 - total) {
      PyErr_SetString(PyExc_OverflowError, "the strings are too long for one block");
      return NULL;
    }
    total += len + 1;
  }
  PyObject *block = PyBytes_FromStringAndSize(NULL, total);
  if (!block)
    return NULL;
  char *p = PyBytes_AS_STRING(block);
  for (npy_intp i = 0; i < n; i++) { /* pass 2: no Python code ran in between */
    p = put_utf8(p, items[i]);
    *p++ = '\0';
  }
  return block;
}

/* Equal strings of a decoded column share one str, as pyarrow's to_pandas makes them
 * (deduplicate_objects): columns of categories (cities, labels, flags as text) repeat a few
 * values, and a repeated non-ASCII string (~50 ns to decode) is then decoded once. A small
 * table of the strings last made (SEEN_SETS sets of two, by an FNV-1a hash of the bytes; a
 * hit moves to the set's front, a new one pushes out the set's back); a column whose first
 * REPEAT_PROBE strings repeat less than one in four stops looking, so a column of ids pays
 * the look-ups of its first strings only. */
enum { SEEN_SETS = 128, REPEAT_PROBE = 256 };
typedef struct seen_str {
  const char *bytes; /* in the block */
  size_t len;
  PyObject *str; /* borrowed: the output array holds it */
} seen_str;

static inline size_t seen_set(const char *p, size_t len) {
  uint64_t h = 0xcbf29ce484222325u;
  for (size_t i = 0; i < len; i++)
    h = (h ^ (unsigned char)p[i]) * 0x100000001b3u;
  return (size_t)(h ^ (h >> 29)) % SEEN_SETS;
}

/* The str made earlier for the n bytes at p (a new reference), or NULL; `set` is its set. */
static inline PyObject *seen_lookup(seen_str *set, const char *p, size_t n) {
  for (int way = 0; way < 2; way++) {
    seen_str *e = &set[way];
    if (e->str && e->len == n && !memcmp(e->bytes, p, n)) {
      seen_str hit = *e;
      if (way) { /* to the front */
        set[1] = set[0];
        set[0] = hit;
      }
      Py_INCREF(hit.str);
      return hit.str;
    }
  }
  return NULL;
}

/* A new str of the n bytes at p (valid UTF-8: the library checked them; were they not, the
 * decoder would raise). ASCII bytes are copied into a new compact str directly. */
static PyObject *str_of(const char *p, size_t n) {
  unsigned char high = 0;
  for (size_t i = 0; i < n; i++)
    high |= (unsigned char)p[i];
  if (high < 0x80) {
    PyObject *s = PyUnicode_New((Py_ssize_t)n, 127);
    if (s)
      memcpy(PyUnicode_DATA(s), p, n);
    return s;
  }
  return PyUnicode_DecodeUTF8(p, (Py_ssize_t)n, NULL);
}

PyObject *fc_str_objects(PyObject *const *args, Py_ssize_t nargs) {
  if (nargs != 3) {
    PyErr_SetString(PyExc_TypeError, "str_objects(address, size, count)");
    return NULL;
  }
  /* one at a time: no C API call with an exception already set */
  const char *block = PyLong_AsVoidPtr(args[0]);
  if (!block && PyErr_Occurred())
    return NULL;
  Py_ssize_t size = PyLong_AsSsize_t(args[1]);
  if (size == -1 && PyErr_Occurred())
    return NULL;
  Py_ssize_t count = PyLong_AsSsize_t(args[2]);
  if (count == -1 && PyErr_Occurred())
    return NULL;
  if (!block || size < 0 || count < 0 || count > size) /* each string takes its NUL at least */
    Py_RETURN_NONE;
  npy_intp dims[1] = {count};
  /* numpy zero-fills a new object array: its slots are NULL until set, and freeing it early
   * releases what was set */
  PyArrayObject *out = (PyArrayObject *)PyArray_SimpleNew(1, dims, NPY_OBJECT);
  if (!out)
    return NULL;
  PyObject **slots = (PyObject **)PyArray_DATA(out);
  seen_str seen[SEEN_SETS][2] = {{{0}}};
  Py_ssize_t repeats = 0;
  int look = 1;
  const char *p = block, *end = block + size;
  for (Py_ssize_t i = 0; i < count; i++) {
    const char *nul = p < end ? memchr(p, '\0', (size_t)(end - p)) : NULL;
    if (!nul) { /* fewer strings than the count: not the layout this reads */
      Py_DECREF(out);
      Py_RETURN_NONE;
    }
    size_t n = (size_t)(nul - p);
    PyObject *s = NULL;
    seen_str *set = NULL;
    if (look) {
      set = seen[seen_set(p, n)];
      if ((s = seen_lookup(set, p, n)))
        repeats++;
      if (i == REPEAT_PROBE && repeats < REPEAT_PROBE / 4)
        look = 0;
    }
    if (!s) {
      if (!(s = str_of(p, n))) {
        Py_DECREF(out);
        return NULL;
      }
      if (set) {
        set[1] = set[0];
        set[0] = (seen_str){p, n, s};
      }
    }
    Py_XSETREF(slots[i], s);
    p = nul + 1;
  }
  if (p != end) { /* more than the count */
    Py_DECREF(out);
    Py_RETURN_NONE;
  }
  return (PyObject *)out;
}
