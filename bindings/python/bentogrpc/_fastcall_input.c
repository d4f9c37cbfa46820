/*
 * bentogrpc._fastcall: the input of a call, as Encoder.json and borrow_ndarray make it in
 * _values.py: a numpy array's own buffer borrowed, or JSON text parsed by the library (the
 * text written here for plain values, else by _values._json_encode).
 */
#include "_fastcall.h"

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

/* Longest JSON text parsed with the GIL held (_values._QUICK_JSON_BYTES: a longer parse lets
 * other Python threads run). */
#define QUICK_JSON_BYTES (8 * 1024)

/* numpy type -> bg_dtype (0: none; the ctypes path converts or words the error) */
static bg_dtype dtype_of(int typenum) {
  switch (typenum) {
  case NPY_FLOAT: return BG_DTYPE_FLOAT;
  case NPY_DOUBLE: return BG_DTYPE_DOUBLE;
  case NPY_BOOL: return BG_DTYPE_BOOL;
  case NPY_INT: return BG_DTYPE_INT32;
  case NPY_LONG:
  case NPY_LONGLONG: return sizeof(long) == 8 || typenum == NPY_LONGLONG ? BG_DTYPE_INT64 : 0;
  case NPY_UINT: return BG_DTYPE_UINT32;
  case NPY_ULONG:
  case NPY_ULONGLONG: return sizeof(long) == 8 || typenum == NPY_ULONGLONG ? BG_DTYPE_UINT64 : 0;
  default: return 0;
  }
}

/* A value borrowing `arr`'s buffer when it can be sent as it is (C-contiguous, aligned,
 * native byte order, an NDArray dtype), or NULL: the ctypes path then copies or refuses.
 * `inp` (the caller's argument) keeps the array alive through the call. */
bg_value *fc_borrow_ndarray(PyObject *inp) {
  if (!PyArray_CheckExact(inp))
    return NULL;
  PyArrayObject *arr = (PyArrayObject *)inp;
  bg_dtype dtype = dtype_of(PyArray_TYPE(arr));
  int ndim = PyArray_NDIM(arr);
  if (!dtype || !PyArray_ISNOTSWAPPED(arr) ||
      !PyArray_CHKFLAGS(arr, NPY_ARRAY_C_CONTIGUOUS | NPY_ARRAY_ALIGNED) ||
      ndim > BG_NDARRAY_MAX_DIMS)
    return NULL;
  int64_t shape[NPY_MAXDIMS];
  const npy_intp *dims = PyArray_DIMS(arr);
  for (int i = 0; i < ndim; i++)
    shape[i] = dims[i];
  return fc_lib.ndarray_borrow(dtype, shape, (size_t)ndim, PyArray_DATA(arr),
                               (size_t)PyArray_SIZE(arr), NULL);
}

/* The types Encoder.json sends as they are (what by_type sends as JSON too, str aside). */
int fc_plain_json(PyObject *o, int str_too) {
  return PyDict_CheckExact(o) || PyList_CheckExact(o) || PyTuple_CheckExact(o) ||
         PyLong_CheckExact(o) || PyFloat_CheckExact(o) || PyBool_Check(o) || o == Py_None ||
         (str_too && PyUnicode_CheckExact(o));
}

/* ---- JSON text ----
 * _values._json_encode's text (json.JSONEncoder(allow_nan=False, separators=(",", ":")), its
 * defaults otherwise: ensure_ascii, insertion order), written straight into a buffer for the
 * values that encoder writes without calling back into Python: exact dict (str keys), list,
 * tuple, str, int (64-bit), finite float, bool, None. Byte for byte the same text (floats as
 * float.__repr__ writes them: short_float_text for the common ones, else its own
 * PyOS_double_to_string; strings escaped as json's ensure_ascii does),
 * without the encoder's chunk objects and join: about half its cost on a 1 KB document.
 * Anything else (another type or a subclass, a NaN, a non-str key, a big int, nesting deeper
 * than MAX_DEPTH: perhaps a cycle) makes the whole value go to _json_encode, which writes it or
 * raises exactly as the ctypes path does. */

#define MAX_DEPTH 64
enum { JSON_OK = 0, JSON_FALLBACK = 1, JSON_ERROR = -1 };

/* v's decimal digits, right-aligned to `end`; returns the first. */
static char *digits_before(char *end, uint64_t v) {
  do
    *--end = (char)('0' + v % 10);
  while (v /= 10);
  return end;
}

/* str(v) for an int that fits 64 bits, at buf (21 bytes at most); its length. */
static size_t int_text(char *buf, long long v) {
  char tmp[20], *end = tmp + sizeof tmp;
  uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v; /* LLONG_MIN too */
  char *first = digits_before(end, u);
  char *p = buf;
  if (v < 0)
    *p++ = '-';
  memcpy(p, first, (size_t)(end - first));
  return (size_t)(p - buf) + (size_t)(end - first);
}

/* float.__repr__'s text of the floats people mostly write, without PyOS_double_to_string
 * (about 1,500 instructions a float, two thirds of this writer's cost on a 1 KB document):
 * |d| in [1e-4, 1e15) with at most 15 significant digits, which repr writes plainly, the
 * shortest digits that read back, ".0" after an integer. For q = 0, 1, ... digits after the
 * point, m = round(|d| * 10^q) is the only integer that can read back as |d|: any that does
 * lies within |d| * 10^q * 2^-53 < 0.12 of the exact product, the computed product within as
 * much again. m / 10^q, both exact doubles (m < 10^15 < 2^53, q <= 18 < 23), is one correctly
 * rounded division: what strtod makes of those digits. So the first q that reads back gives the
 * shortest digits, unique below 16 significant digits: repr's. (The library prints its JSON
 * numbers by the same argument; tests compare this with repr over many floats.) Returns the
 * length written at buf (32 bytes), or 0 when repr must decide. */
static size_t short_float_text(char *buf, double d) {
#if FLT_EVAL_METHOD != 0 /* x87 or other extended intermediates: not plain binary64 */
  (void)buf, (void)d;
  return 0;
#else
  static const double pow10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8, 1e9,
                                 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18};
  double a = fabs(d);
  if (!(a >= 1e-4 && a < 1e15))
    return 0;
  int q = 0;
  double m = a;
  if ((double)(int64_t)a != a) { /* not an integer: the first q that reads back */
    for (q = 1;; q++) {
      if (q == (int)(sizeof pow10 / sizeof *pow10))
        return 0;
      double x = a * pow10[q];
      if (x >= 1e15)
        return 0; /* 16 or more significant digits */
      m = (double)(int64_t)(x + 0.5);
      if (m / pow10[q] == a)
        break;
    }
  }
  char tmp[24], *end = tmp + sizeof tmp;
  char *first = digits_before(end, (uint64_t)m);
  size_t n = (size_t)(end - first), point = (size_t)q;
  char *p = buf;
  if (d < 0)
    *p++ = '-';
  if (point == 0) { /* "7.0" */
    memcpy(p, first, n);
    memcpy(p + n, ".0", 2);
    return (size_t)(p - buf) + n + 2;
  }
  if (n <= point) { /* "0.05", "0.0001" */
    *p++ = '0';
    *p++ = '.';
    memset(p, '0', point - n);
    p += point - n;
    memcpy(p, first, n);
    return (size_t)(p - buf) + n;
  }
  memcpy(p, first, n - point); /* "5.1", "123.456" */
  p += n - point;
  *p++ = '.';
  memcpy(p, first + n - point, point);
  return (size_t)(p - buf) + point;
#endif
}

typedef struct {
  char *data;
  size_t len, cap;
  char small[4096];
} text_buf;

static int reserve(text_buf *b, size_t more) {
  if (b->len + more <= b->cap)
    return JSON_OK;
  size_t cap = b->cap * 2 > b->len + more ? b->cap * 2 : b->len + more;
  char *data = b->data == b->small ? PyMem_Malloc(cap) : PyMem_Realloc(b->data, cap);
  if (!data) {
    PyErr_NoMemory();
    return JSON_ERROR;
  }
  if (b->data == b->small)
    memcpy(data, b->small, b->len);
  b->data = data;
  b->cap = cap;
  return JSON_OK;
}

static int put(text_buf *b, const char *s, size_t n) {
  if (reserve(b, n) < 0)
    return JSON_ERROR;
  memcpy(b->data + b->len, s, n);
  b->len += n;
  return JSON_OK;
}

/* characters escaped between two reserve()s: the buffer grows with what is written (up to 12
 * bytes a character), not by the worst case for a whole long string at once */
#define STRING_CHUNK 4096

/* json's ensure_ascii string: printable ASCII but '"' and '\\' as is, the short escapes,
 * \u00XX (lowercase hex) for other bytes, surrogate pairs above U+FFFF */
static int put_string(text_buf *b, PyObject *str) {
  static const char hex[] = "0123456789abcdef";
  Py_ssize_t n = PyUnicode_GET_LENGTH(str);
  int kind = PyUnicode_KIND(str);
  const void *data = PyUnicode_DATA(str);
  Py_ssize_t i = 0;
  do { /* once for a short string */
    Py_ssize_t end = n - i > STRING_CHUNK ? i + STRING_CHUNK : n;
    /* the longest: a pair of \uXXXX per code point; and the quotes */
    if (reserve(b, (size_t)(end - i) * 12 + 2) < 0)
      return JSON_ERROR;
    char *o = b->data + b->len;
    if (i == 0)
      *o++ = '"';
    for (; i < end; i++) {
      Py_UCS4 c = PyUnicode_READ(kind, data, i);
      if (c >= ' ' && c <= '~' && c != '\\' && c != '"') {
        *o++ = (char)c;
        continue;
      }
      *o++ = '\\';
      switch (c) {
      case '\\': *o++ = '\\'; continue;
      case '"': *o++ = '"'; continue;
      case '\b': *o++ = 'b'; continue;
      case '\f': *o++ = 'f'; continue;
      case '\n': *o++ = 'n'; continue;
      case '\r': *o++ = 'r'; continue;
      case '\t': *o++ = 't'; continue;
      default: break;
      }
      if (c >= 0x10000) { /* a surrogate pair, as json writes it */
        Py_UCS4 v = c - 0x10000;
        Py_UCS4 hi = 0xd800 | ((v >> 10) & 0x3ff);
        *o++ = 'u';
        *o++ = hex[(hi >> 12) & 0xf];
        *o++ = hex[(hi >> 8) & 0xf];
        *o++ = hex[(hi >> 4) & 0xf];
        *o++ = hex[hi & 0xf];
        *o++ = '\\';
        c = 0xdc00 | (v & 0x3ff);
      }
      *o++ = 'u';
      *o++ = hex[(c >> 12) & 0xf];
      *o++ = hex[(c >> 8) & 0xf];
      *o++ = hex[(c >> 4) & 0xf];
      *o++ = hex[c & 0xf];
    }
    if (i == n)
      *o++ = '"';
    b->len = (size_t)(o - b->data);
  } while (i < n);
  return JSON_OK;
}

static int put_value(text_buf *b, PyObject *o, int depth);

static int put_items(text_buf *b, PyObject *seq, int depth) {
  Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
  PyObject **items = PySequence_Fast_ITEMS(seq);
  if (put(b, "[", 1) < 0)
    return JSON_ERROR;
  for (Py_ssize_t i = 0; i < n; i++) {
    if (i && put(b, ",", 1) < 0)
      return JSON_ERROR;
    int r = put_value(b, items[i], depth + 1);
    if (r != JSON_OK)
      return r;
  }
  return put(b, "]", 1);
}

static int put_value(text_buf *b, PyObject *o, int depth) {
  if (depth > MAX_DEPTH)
    return JSON_FALLBACK;
  if (PyUnicode_CheckExact(o))
    return put_string(b, o);
  if (o == Py_None)
    return put(b, "null", 4);
  if (o == Py_True)
    return put(b, "true", 4);
  if (o == Py_False)
    return put(b, "false", 5);
  if (PyFloat_CheckExact(o)) {
    double d = PyFloat_AS_DOUBLE(o);
    if (!isfinite(d))
      return JSON_FALLBACK; /* allow_nan=False: _json_encode raises its ValueError */
    char text[32];
    size_t n = short_float_text(text, d);
    if (n)
      return put(b, text, n);
    char *repr = PyOS_double_to_string(d, 'r', 0, Py_DTSF_ADD_DOT_0, NULL); /* float_repr's */
    if (!repr)
      return JSON_ERROR;
    int r = put(b, repr, strlen(repr));
    PyMem_Free(repr);
    return r;
  }
  if (PyLong_CheckExact(o)) {
    int overflow;
    long long v = PyLong_AsLongLongAndOverflow(o, &overflow);
    if (overflow)
      return JSON_FALLBACK;
    char digits[24];
    return put(b, digits, int_text(digits, v));
  }
  if (PyList_CheckExact(o) || PyTuple_CheckExact(o))
    return put_items(b, o, depth);
  if (PyDict_CheckExact(o)) {
    Py_ssize_t pos = 0;
    PyObject *key, *value;
    int first = 1;
    if (put(b, "{", 1) < 0)
      return JSON_ERROR;
    while (PyDict_Next(o, &pos, &key, &value)) {
      if (!PyUnicode_CheckExact(key))
        return JSON_FALLBACK; /* json converts numbers, bools and None keys, refuses others */
      if ((!first && put(b, ",", 1) < 0) || put_string(b, key) < 0 || put(b, ":", 1) < 0)
        return JSON_ERROR;
      first = 0;
      /* the value may run no Python code here (exact types only), so the dict cannot change */
      int r = put_value(b, value, depth + 1);
      if (r != JSON_OK)
        return r;
    }
    return put(b, "}", 1);
  }
  return JSON_FALLBACK;
}

/* The library's value of `text` (UTF-8, `len` bytes), or NULL with an exception set. */
static bg_value *parse_json(const char *text, size_t len) {
  bg_error err;
  bg_value *value;
  if (len <= QUICK_JSON_BYTES) {
    value = fc_lib.json_parse(text, len, &err);
  } else { /* a long parse lets other Python threads run */
    PyThreadState *thread = PyEval_SaveThread();
    value = fc_lib.json_parse(text, len, &err);
    PyEval_RestoreThread(thread);
  }
  if (!value)
    fc_raise_error(&err);
  return value;
}

/* The JSON text of `o` into `b` (its own buffer first, the heap past 4 KiB): JSON_OK,
 * JSON_FALLBACK or JSON_ERROR as put_value(); release_text() frees what it took. */
static int write_text(text_buf *b, PyObject *o) {
  b->data = b->small;
  b->len = 0;
  b->cap = sizeof b->small;
  return put_value(b, o, 0);
}

static void release_text(text_buf *b) {
  if (b->data != b->small)
    PyMem_Free(b->data);
}

/* Encoder.json: the value of `inp`'s JSON text (written here, or by _values._json_encode),
 * parsed by the library. Returns the value, or NULL with an exception set. */
bg_value *fc_json_value(PyObject *inp) {
  text_buf b;
  int r = write_text(&b, inp);
  bg_value *value = NULL;
  if (r == JSON_OK)
    value = parse_json(b.data, b.len);
  release_text(&b);
  if (r != JSON_FALLBACK)
    return value;
  PyObject *text = PyObject_CallOneArg(fc_json_encode, inp);
  if (!text)
    return NULL;
  Py_ssize_t len;
  const char *utf8 = PyUnicode_AsUTF8AndSize(text, &len); /* ASCII: no copy */
  if (utf8)
    value = parse_json(utf8, (size_t)len);
  Py_DECREF(text);
  return value;
}

PyObject *fc_json_text(PyObject *obj) {
  text_buf b;
  int r = write_text(&b, obj);
  PyObject *out = r == JSON_OK ? PyUnicode_DecodeASCII(b.data, (Py_ssize_t)b.len, "strict") : NULL;
  release_text(&b);
  if (r == JSON_FALLBACK)
    Py_RETURN_NONE;
  return out;
}
