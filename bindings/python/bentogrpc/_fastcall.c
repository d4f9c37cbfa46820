/*
 * bentogrpc._fastcall: the Python binding's common call (Client.call without per-call
 * options, a numpy array or a JSON-able value in, an array or JSON out) in one foreign call
 * instead of the ~10 ctypes calls and the Python work around them (bindings/python/README.md
 * "The _fastcall extension"; docs/INTERNALS.md "Python binding: the _fastcall extension").
 *
 * What it does NOT do: anything the ctypes path does differently. Every case it does not
 * handle (another descriptor, an input it would have to convert, no wake-up pipe made yet,
 * someone else's wake-up fd) returns NotImplemented BEFORE anything irreversible happens,
 * and client.py then runs its ctypes path, which words errors and converts as it always did.
 * Errors of the library go through the package's own errors.from_error (handed in by
 * setup()), so the exceptions are the same objects of the same classes as without it.
 *
 * How it reaches the library: setup() is handed the addresses of the functions of the
 * libbentogrpc that ctypes loaded (the package's _lib.load()). The extension is not linked
 * against libbentogrpc: one library instance in the process whatever BENTOGRPC_LIBRARY names
 * (a second copy would have its own globals, and a value of one freed by the other), and no
 * run-time search path to get right. The public headers give the types only.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#define NPY_NO_DEPRECATED_API NPY_1_7_API_VERSION
#include <numpy/arrayobject.h>

#include <bentogrpc/bentogrpc.h>

#include <dlfcn.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* What client.py checks before using the module: bumped when call()'s or setup()'s
 * arguments change, so that a stale build next to a newer package is not used. */
#define FASTCALL_API 1

/* Longest JSON text parsed with the GIL held (_values._QUICK_JSON_BYTES: a longer parse lets
 * other Python threads run). */
#define QUICK_JSON_BYTES (8 * 1024)

/* plan kinds (client.py Client._plan): how call() converts the input */
enum { IN_NDARRAY = 1, IN_JSON = 2, IN_BY_TYPE = 3 };

typedef bg_status (*call_fn)(bg_client *, const char *, const bg_value *, bg_value **,
                             const bg_call_options *, bg_error *);

/* The library's functions (setup()). */
static struct {
  call_fn client_call, client_call_raw;
  bg_value *(*ndarray_borrow)(bg_dtype, const int64_t *, size_t, const void *, size_t, bg_error *);
  bg_value *(*json_parse)(const char *, size_t, bg_error *);
  const char *(*json_text)(const bg_value *);
  void (*value_free)(bg_value *);
  bg_value_kind (*value_get_kind)(const bg_value *);
  bg_dtype (*ndarray_dtype)(const bg_value *);
  size_t (*ndarray_ndim)(const bg_value *);
  const int64_t *(*ndarray_shape)(const bg_value *);
  void *(*ndarray_data_mut)(bg_value *);
} lib;

/* Python objects handed in by setup() (strong references, kept for the process's life). */
static PyObject *error_from_fields; /* (code, grpc_status, message bytes) -> exception */
static PyObject *take_output;       /* (address, Api or None) -> the ctypes path's output */
static PyObject *json_encode;       /* _values._json_encode */
static PyObject *json_scan;         /* json's default decoder's scan_once */
static PyObject *json_loads;        /* json.loads: the errors of a text scan_once refuses */
static PyObject *getsignal;         /* _signal.getsignal */
static PyObject *default_int_handler;
static PyObject *sigint_number;
static int ready;

/* Setting the wake-up fd. CPython's C function PySignal_SetWakeupFd swaps it without the
 * fstat and fcntl that signal.set_wakeup_fd makes to check the fd, but CPython 3.11 does not
 * export it (declared without PyAPI_FUNC): looked up at import, and where it is missing the
 * module calls signal.set_wakeup_fd itself (still without client.py's Python work around it).
 * PySignal_SetWakeupFd also sets warn_on_full_buffer, which client.py turns off: README
 * "The _fastcall extension" says why either is harmless here. */
static int (*signal_set_wakeup_fd)(int);
static PyObject *set_wakeup_fd;  /* signal.set_wakeup_fd */
static PyObject *no_warn_kwargs; /* {"warn_on_full_buffer": False} */

/* The binding's wake-up pipe and the thread Python runs signal handlers on (set_wake(),
 * called by client.py when it makes the pipe, its call options, and after fork()). */
static int wake_r = -1, wake_w = -1;
static bg_call_options *wake_options; /* watches wake_r; for clients without options */
static unsigned long main_ident;

/* ---- the output's owner: frees the bg_value when the last array over it goes ---- */

typedef struct {
  PyObject_HEAD bg_value *value;
  PyObject *weakrefs;
} Value;

static void value_dealloc(Value *self) {
  if (self->weakrefs)
    PyObject_ClearWeakRefs((PyObject *)self);
  if (self->value)
    lib.value_free(self->value);
  Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyObject *value_ptr(Value *self, void *closure) {
  (void)closure;
  return PyLong_FromVoidPtr(self->value);
}

static PyGetSetDef value_getset[] = {
    {"ptr", (getter)value_ptr, NULL, "the bg_value's address (as OwnedValue.ptr)", NULL},
    {NULL, NULL, NULL, NULL, NULL}};

static PyTypeObject ValueType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "bentogrpc._fastcall.Value",
    .tp_basicsize = sizeof(Value),
    .tp_dealloc = (destructor)value_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "Owns one output bg_value: the base of the numpy arrays over its buffer.",
    .tp_weaklistoffset = offsetof(Value, weakrefs),
    .tp_getset = value_getset,
};

/* ---- errors ---- */

/* Raises the package's exception for `err` (errors.from_error); returns NULL. */
static PyObject *raise_error(const bg_error *err) {
  PyObject *exc = PyObject_CallFunction(error_from_fields, "iiy", (int)err->code, err->grpc_status,
                                        err->message);
  if (exc) {
    PyErr_SetObject((PyObject *)Py_TYPE(exc), exc);
    Py_DECREF(exc);
  }
  return NULL;
}

/* ---- the Ctrl-C route (client.py, the comment above _PLAIN) ---- */

enum { ROUTE_PLAIN = -1, ROUTE_FALLBACK = -2, ROUTE_ERROR = -3 };

/* Sets Python's signal wake-up fd to `fd`; returns the previous one, or ROUTE_ERROR with an
 * exception set. `give_back`: someone else's fd restored with signal.set_wakeup_fd's
 * default warn_on_full_buffer (asyncio's own setting), as client.py does. */
static int swap_wakeup_fd(int fd, int give_back) {
  if (signal_set_wakeup_fd)
    return signal_set_wakeup_fd(fd);
  PyObject *arg = PyLong_FromLong(fd);
  if (!arg)
    return ROUTE_ERROR;
  PyObject *argv[1] = {arg};
  PyObject *prev = give_back ? PyObject_Vectorcall(set_wakeup_fd, argv, 1, NULL)
                             : PyObject_VectorcallDict(set_wakeup_fd, argv, 1, no_warn_kwargs);
  Py_DECREF(arg);
  if (!prev)
    return ROUTE_ERROR;
  long old = PyLong_AsLong(prev);
  Py_DECREF(prev);
  return old == -1 && PyErr_Occurred() ? ROUTE_ERROR : (int)old;
}

/* The read end of the wake-up pipe to watch (the call is on the main thread and SIGINT has
 * Python's default handler), ROUTE_PLAIN, ROUTE_FALLBACK (client.py decides: no pipe yet,
 * or someone else's wake-up fd is set) or ROUTE_ERROR (an exception is set).
 * The same steps as client.py's _cancel_route, without its Python work. */
static int cancel_route(void) {
  if (PyThread_get_thread_ident() != main_ident ||
      PyInterpreterState_Get() != PyInterpreterState_Main())
    return ROUTE_PLAIN;
  PyObject *handler = PyObject_CallOneArg(getsignal, sigint_number);
  if (!handler)
    return ROUTE_ERROR;
  int ours = handler == default_int_handler;
  Py_DECREF(handler);
  if (!ours)
    return ROUTE_PLAIN;
  if (wake_r < 0)
    return ROUTE_FALLBACK; /* client.py makes the pipe */
  int prev = swap_wakeup_fd(wake_w, 0);
  /* refused (nothing changed): client.py's own swap meets the same refusal and handles it as
   * without the extension (a ValueError: the call watches nothing; anything else raises) */
  if (prev == ROUTE_ERROR) {
    PyErr_Clear();
    return ROUTE_FALLBACK;
  }
  if (prev != wake_w && prev != -1) { /* the user's or asyncio's: give it back */
    if (swap_wakeup_fd(prev, 1) == ROUTE_ERROR)
      return ROUTE_ERROR;
    return ROUTE_FALLBACK; /* client.py takes the helper-thread route */
  }
  /* just installed: signals since it was unset wrote no byte, so run their handlers now (a
   * SIGINT raises here, before anything is sent) */
  if (prev == -1 && PyErr_CheckSignals() < 0)
    return ROUTE_ERROR;
  return wake_r;
}

/* Empties the pipe before the call (a byte left by a signal already handled would cancel
 * it) and runs the handlers of signals that arrived since: a SIGINT raises here. With the pipe
 * empty (the common case) this is one read that fails with EAGAIN: one system call, where the
 * ctypes path polls and then reads when the poll found bytes. */
static int drain(int fd) {
  char buf[512];
  int got = 0;
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n > 0) {
      got = 1;
      if ((size_t)n == sizeof buf)
        continue;
    } else if (n < 0 && errno == EINTR) {
      continue;
    }
    break;
  }
  return got ? PyErr_CheckSignals() : 0;
}

/* route_options' "make the call in client.py" (nothing done) or "an exception is set" */
static char no_options_marker;
#define NO_OPTIONS ((bg_call_options *)&no_options_marker)
/* the options route_options returned last when they watch the pipe */
static bg_call_options *watching;

/* The call options for this call: `co_plain` (the client's, an address or None) when Ctrl-C
 * does not go through the pipe; the ones that watch the pipe when it does (the client's
 * `co_watch` pair (fd, address) made by Client._watching, or, for a client without options,
 * wake_options), the pipe drained; NO_OPTIONS when client.py must make the call (pipe or
 * options not made yet, someone else's wake-up fd) or an exception is set (a signal handler's,
 * run here). Sets `watching` to the options returned when they watch the pipe (else NULL). */
static bg_call_options *route_options(PyObject *co_plain, PyObject *co_watch, int interruptible) {
  watching = NULL;
  bg_call_options *co = co_plain == Py_None ? NULL : PyLong_AsVoidPtr(co_plain);
  if (PyErr_Occurred())
    return NO_OPTIONS;
  int route = interruptible ? cancel_route() : ROUTE_PLAIN;
  if (route == ROUTE_PLAIN)
    return co;
  if (route < 0) /* ROUTE_FALLBACK, ROUTE_ERROR */
    return NO_OPTIONS;
  if (!co) {
    co = wake_options;
  } else {
    co = NULL;
    if (PyTuple_CheckExact(co_watch) && PyTuple_GET_SIZE(co_watch) == 2 &&
        PyLong_AsLong(PyTuple_GET_ITEM(co_watch, 0)) == route)
      co = PyLong_AsVoidPtr(PyTuple_GET_ITEM(co_watch, 1));
    PyErr_Clear();
  }
  if (!co || drain(route) < 0) /* not made yet: client.py makes it, and hands it over */
    return NO_OPTIONS;
  watching = co;
  return co;
}

/* ---- input ---- */

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
static bg_value *borrow_ndarray(PyObject *inp) {
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
  return lib.ndarray_borrow(dtype, shape, (size_t)ndim, PyArray_DATA(arr),
                            (size_t)PyArray_SIZE(arr), NULL);
}

/* The types Encoder.json sends as they are (what by_type sends as JSON too, str aside). */
static int plain_json(PyObject *o, int str_too) {
  return PyDict_CheckExact(o) || PyList_CheckExact(o) || PyTuple_CheckExact(o) ||
         PyLong_CheckExact(o) || PyFloat_CheckExact(o) || PyBool_Check(o) || o == Py_None ||
         (str_too && PyUnicode_CheckExact(o));
}

/* ---- JSON text ----
 * _values._json_encode's text (json.JSONEncoder(allow_nan=False, separators=(",", ":")), its
 * defaults otherwise: ensure_ascii, insertion order), written straight into a buffer for the
 * values that encoder writes without calling back into Python: exact dict (str keys), list,
 * tuple, str, int (64-bit), finite float, bool, None. Byte for byte the same text (floats by
 * float.__repr__'s own PyOS_double_to_string, strings escaped as json's ensure_ascii does),
 * without the encoder's chunk objects and join: about half its cost on a 1 KB document.
 * Anything else (another type or a subclass, a NaN, a non-str key, a big int, nesting deeper
 * than MAX_DEPTH: perhaps a cycle) makes the whole value go to _json_encode, which writes it or
 * raises exactly as the ctypes path does. */

#define MAX_DEPTH 64
enum { JSON_OK = 0, JSON_FALLBACK = 1, JSON_ERROR = -1 };

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

/* json's ensure_ascii string: printable ASCII but '"' and '\\' as is, the short escapes,
 * \u00XX (lowercase hex) for other bytes, surrogate pairs above U+FFFF */
static int put_string(text_buf *b, PyObject *str) {
  static const char hex[] = "0123456789abcdef";
  Py_ssize_t n = PyUnicode_GET_LENGTH(str);
  int kind = PyUnicode_KIND(str);
  const void *data = PyUnicode_DATA(str);
  if (reserve(b, (size_t)n * 12 + 2) < 0) /* the longest: a pair of \uXXXX per code point */
    return JSON_ERROR;
  char *o = b->data + b->len;
  *o++ = '"';
  for (Py_ssize_t i = 0; i < n; i++) {
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
  *o++ = '"';
  b->len = (size_t)(o - b->data);
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
    int n = snprintf(digits, sizeof digits, "%lld", v);
    return put(b, digits, (size_t)n);
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
    value = lib.json_parse(text, len, &err);
  } else { /* a long parse lets other Python threads run */
    PyThreadState *thread = PyEval_SaveThread();
    value = lib.json_parse(text, len, &err);
    PyEval_RestoreThread(thread);
  }
  if (!value)
    raise_error(&err);
  return value;
}

/* Encoder.json: the value of `inp`'s JSON text (written here, or by _values._json_encode),
 * parsed by the library. Returns the value, or NULL with an exception set. */
static bg_value *json_value(PyObject *inp) {
  text_buf b;
  b.data = b.small;
  b.len = 0;
  b.cap = sizeof b.small;
  int r = put_value(&b, inp, 0);
  bg_value *value = NULL;
  if (r == JSON_OK)
    value = parse_json(b.data, b.len);
  if (b.data != b.small)
    PyMem_Free(b.data);
  if (r != JSON_FALLBACK)
    return value;
  PyObject *text = PyObject_CallOneArg(json_encode, inp);
  if (!text)
    return NULL;
  Py_ssize_t len;
  const char *utf8 = PyUnicode_AsUTF8AndSize(text, &len); /* ASCII: no copy */
  if (utf8)
    value = parse_json(utf8, (size_t)len);
  Py_DECREF(text);
  return value;
}

/* json_text(obj): the text json_value writes for `obj` itself, or None when it would hand
 * `obj` to _values._json_encode (for the tests: the two must agree byte for byte). */
static PyObject *fast_json_text(PyObject *module, PyObject *obj) {
  (void)module;
  text_buf b;
  b.data = b.small;
  b.len = 0;
  b.cap = sizeof b.small;
  int r = put_value(&b, obj, 0);
  PyObject *out = r == JSON_OK ? PyUnicode_DecodeASCII(b.data, (Py_ssize_t)b.len, "strict") : NULL;
  if (b.data != b.small)
    PyMem_Free(b.data);
  if (r == JSON_FALLBACK)
    Py_RETURN_NONE;
  return out;
}

/* ---- output ---- */

static int typenum_of(bg_dtype dtype) {
  switch (dtype) {
  case BG_DTYPE_FLOAT: return NPY_FLOAT32;
  case BG_DTYPE_DOUBLE: return NPY_FLOAT64;
  case BG_DTYPE_BOOL: return NPY_BOOL;
  case BG_DTYPE_INT32: return NPY_INT32;
  case BG_DTYPE_INT64: return NPY_INT64;
  case BG_DTYPE_UINT32: return NPY_UINT32;
  case BG_DTYPE_UINT64: return NPY_UINT64;
  default: return -1; /* strings: the ctypes path */
  }
}

/* A writable numpy array over the ndarray's own buffer (no copy) whose base owns `out`, or
 * NULL with an exception set (`out` freed). */
static PyObject *array_output(bg_value *out, int typenum) {
  size_t ndim = lib.ndarray_ndim(out);
  const int64_t *shape = lib.ndarray_shape(out);
  npy_intp dims[NPY_MAXDIMS];
  for (size_t i = 0; i < ndim; i++)
    dims[i] = (npy_intp)shape[i];
  void *data = lib.ndarray_data_mut(out);
  if (!data) { /* no elements (as _values._array: a fresh empty array) */
    lib.value_free(out);
    return PyArray_ZEROS((int)ndim, dims, typenum, 0);
  }
  Value *owner = PyObject_New(Value, &ValueType);
  if (!owner) {
    lib.value_free(out);
    return NULL;
  }
  owner->value = out;
  owner->weakrefs = NULL;
  PyObject *arr =
      PyArray_New(&PyArray_Type, (int)ndim, dims, typenum, NULL, data, 0, NPY_ARRAY_CARRAY, NULL);
  if (!arr || PyArray_SetBaseObject((PyArrayObject *)arr, (PyObject *)owner) < 0) {
    Py_XDECREF(arr);
    if (!arr)
      Py_DECREF(owner);
    return NULL; /* SetBaseObject took `owner` even when it failed */
  }
  return arr;
}

/* json.loads of the value's text, through the decoder's scanner without json.loads' Python
 * wrapper; a text the scanner does not take whole goes to json.loads for its error. */
static PyObject *json_output(bg_value *out) {
  const char *text = lib.json_text(out);
  PyObject *s = text ? PyUnicode_DecodeUTF8(text, (Py_ssize_t)strlen(text), "strict") : NULL;
  lib.value_free(out);
  if (!s) {
    if (!PyErr_Occurred())
      PyErr_NoMemory();
    return NULL;
  }
  PyObject *zero = PyLong_FromLong(0);
  PyObject *pair = zero ? PyObject_CallFunctionObjArgs(json_scan, s, zero, NULL) : NULL;
  Py_XDECREF(zero);
  PyObject *obj = NULL;
  if (pair && PyTuple_Check(pair) && PyTuple_GET_SIZE(pair) == 2 &&
      PyLong_AsSsize_t(PyTuple_GET_ITEM(pair, 1)) == PyUnicode_GET_LENGTH(s)) {
    obj = PyTuple_GET_ITEM(pair, 0);
    Py_INCREF(obj);
  } else {
    PyErr_Clear();
    obj = PyObject_CallOneArg(json_loads, s);
  }
  Py_XDECREF(pair);
  Py_DECREF(s);
  return obj;
}

/* ---- call ---- */

/* call(handle, plan, inp, co_plain, co_watch, interruptible): Client.call's common case.
 * handle: the bg_client's address; plan: Client._plan's tuple (name bytes, function, Api or
 * None, ndarray_in, plan kind, raw); co_plain: the client's call options' address or None;
 * co_watch: Client._co_watch ((fd, address) or None). Returns the output, or NotImplemented
 * when client.py must make the call itself (nothing was sent). */
static PyObject *fast_call(PyObject *module, PyObject *const *args, Py_ssize_t nargs) {
  (void)module;
  if (nargs != 6 || !ready) {
    PyErr_SetString(PyExc_TypeError, "_fastcall.call(handle, plan, inp, co_plain, co_watch, "
                                     "interruptible) after setup()");
    return NULL;
  }
  /* its state (the hooks, the pipe) is the main interpreter's: subinterpreters use ctypes */
  if (PyInterpreterState_Get() != PyInterpreterState_Main())
    Py_RETURN_NOTIMPLEMENTED;
  PyObject *plan = args[1], *inp = args[2];
  if (!PyTuple_CheckExact(plan) || PyTuple_GET_SIZE(plan) < 6)
    Py_RETURN_NOTIMPLEMENTED;
  long kind = PyLong_AsLong(PyTuple_GET_ITEM(plan, 4));
  if (kind == IN_BY_TYPE)
    kind = PyArray_CheckExact(inp) ? IN_NDARRAY : plain_json(inp, 0) ? IN_JSON : 0;
  else if (kind == IN_JSON && !plain_json(inp, 1))
    kind = 0; /* pandas objects, numpy scalars: the ctypes path */
  if (kind != IN_NDARRAY && kind != IN_JSON)
    Py_RETURN_NOTIMPLEMENTED;
  bg_client *handle = PyLong_AsVoidPtr(args[0]);
  const char *name = PyBytes_AsString(PyTuple_GET_ITEM(plan, 0));
  if (!handle || !name)
    return NULL;
  call_fn fn = PyObject_IsTrue(PyTuple_GET_ITEM(plan, 5)) ? lib.client_call_raw : lib.client_call;

  /* the input: first, so that an input handed back to client.py leaves the wake-up fd alone */
  bg_value *value;
  if (kind == IN_NDARRAY) {
    value = borrow_ndarray(inp);
    if (!value) /* to be converted (or refused, in the ctypes path's words) */
      Py_RETURN_NOTIMPLEMENTED;
  } else {
    value = json_value(inp);
    if (!value)
      return NULL;
  }

  /* the route, and the options that go with it */
  bg_call_options *co = route_options(args[3], args[4], PyObject_IsTrue(args[5]));
  if (co == NO_OPTIONS) {
    lib.value_free(value);
    if (PyErr_Occurred())
      return NULL;
    Py_RETURN_NOTIMPLEMENTED;
  }
  int route = watching ? wake_r : ROUTE_PLAIN;

  bg_value *out = NULL;
  bg_error err;
  bg_status rc;
  PyThreadState *thread = PyEval_SaveThread(); /* the GIL released for the call */
  rc = fn(handle, name, value, &out, co, &err);
  PyEval_RestoreThread(thread);
  lib.value_free(value);

  if (rc != BG_OK) {
    if (route >= 0 && rc == BG_ERR_CANCELLED && PyErr_CheckSignals() < 0) {
      /* the SIGINT that cancelled it: KeyboardInterrupt, from the library's CancelledError
       * (as client.py's `raise e from from_error(lib, err)`) */
      PyObject *type, *exc, *tb;
      PyErr_Fetch(&type, &exc, &tb);
      PyErr_NormalizeException(&type, &exc, &tb);
      PyObject *cause = exc ? PyException_GetCause(exc) : NULL;
      if (exc && !cause) {
        PyObject *e = PyObject_CallFunction(error_from_fields, "iiy", (int)err.code,
                                            err.grpc_status, err.message);
        if (e)
          PyException_SetCause(exc, e); /* steals `e` */
        else
          PyErr_Clear();
      }
      Py_XDECREF(cause);
      PyErr_Restore(type, exc, tb);
      return NULL;
    }
    return raise_error(&err);
  }

  /* the output */
  if (lib.value_get_kind(out) == BG_VALUE_NDARRAY) {
    int typenum = typenum_of(lib.ndarray_dtype(out));
    if (typenum >= 0)
      return array_output(out, typenum);
  } else if (lib.value_get_kind(out) == BG_VALUE_JSON) {
    return json_output(out);
  }
  /* anything else: the ctypes path's decoding, which takes `out` over at once */
  PyObject *address = PyLong_FromVoidPtr(out);
  if (!address) {
    lib.value_free(out);
    return NULL;
  }
  PyObject *result =
      PyObject_CallFunctionObjArgs(take_output, address, PyTuple_GET_ITEM(plan, 2), NULL);
  Py_DECREF(address);
  return result;
}

/* ---- setup ---- */

static int address_of(PyObject *addresses, const char *name, void **slot) {
  PyObject *a = PyDict_GetItemString(addresses, name); /* borrowed */
  if (!a) {
    PyErr_Format(PyExc_KeyError, "_fastcall.setup: no address for %s", name);
    return -1;
  }
  *slot = PyLong_AsVoidPtr(a);
  return *slot ? 0 : -1;
}

/* setup(addresses, error_from_fields, take_output, json_encode, json_scan, json_loads):
 * addresses maps the library's function names to their addresses in the library ctypes
 * loaded. Once per process (_lib.load()). */
static PyObject *fast_setup(PyObject *module, PyObject *args) {
  (void)module;
  if (PyInterpreterState_Get() != PyInterpreterState_Main()) {
    PyErr_SetString(PyExc_ImportError, "bentogrpc._fastcall serves the main interpreter only");
    return NULL;
  }
  PyObject *addresses, *hooks[5];
  if (!PyArg_ParseTuple(args, "O!OOOOO:setup", &PyDict_Type, &addresses, &hooks[0], &hooks[1],
                        &hooks[2], &hooks[3], &hooks[4]))
    return NULL;
  struct {
    const char *name;
    void **slot;
  } fns[] = {
      {"bg_client_call", (void **)&lib.client_call},
      {"bg_client_call_raw", (void **)&lib.client_call_raw},
      {"bg_ndarray_borrow", (void **)&lib.ndarray_borrow},
      {"bg_json_parse", (void **)&lib.json_parse},
      {"bg_json_text", (void **)&lib.json_text},
      {"bg_value_free", (void **)&lib.value_free},
      {"bg_value_get_kind", (void **)&lib.value_get_kind},
      {"bg_ndarray_dtype", (void **)&lib.ndarray_dtype},
      {"bg_ndarray_ndim", (void **)&lib.ndarray_ndim},
      {"bg_ndarray_shape", (void **)&lib.ndarray_shape},
      {"bg_ndarray_data_mut", (void **)&lib.ndarray_data_mut},
  };
  for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++)
    if (address_of(addresses, fns[i].name, fns[i].slot) < 0)
      return NULL;
  PyObject **keep[] = {&error_from_fields, &take_output, &json_encode, &json_scan, &json_loads};
  for (size_t i = 0; i < 5; i++) {
    Py_INCREF(hooks[i]);
    Py_XSETREF(*keep[i], hooks[i]);
  }
  ready = 1;
  Py_RETURN_NONE;
}

/* set_wake(r, w, wake_options, main_ident): the binding's pipe (-1, -1 when there is none),
 * the call options that watch it (address or 0) and the main thread's ident. */
static PyObject *fast_set_wake(PyObject *module, PyObject *args) {
  (void)module;
  int r, w;
  PyObject *options;
  unsigned long ident;
  if (!PyArg_ParseTuple(args, "iiOk:set_wake", &r, &w, &options, &ident))
    return NULL;
  void *co = options == Py_None ? NULL : PyLong_AsVoidPtr(options);
  if (PyErr_Occurred())
    return NULL;
  wake_r = r;
  wake_w = w;
  wake_options = co;
  main_ident = ident;
  Py_RETURN_NONE;
}

static PyMethodDef methods[] = {
    {"call", (PyCFunction)(void (*)(void))fast_call, METH_FASTCALL,
     "Client.call's common case in one call (NotImplemented: client.py makes it)."},
    {"setup", fast_setup, METH_VARARGS, "The library's function addresses and the hooks."},
    {"set_wake", fast_set_wake, METH_VARARGS, "The wake-up pipe, its options, the main thread."},
    {"json_text", fast_json_text, METH_O, "The JSON text call() writes itself, or None."},
    {NULL, NULL, 0, NULL}};

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT,
    "bentogrpc._fastcall",
    "Client.call's common case in one foreign call (bindings/python/README.md).",
    -1,
    methods,
    NULL,
    NULL,
    NULL,
    NULL};

PyMODINIT_FUNC PyInit__fastcall(void) {
  import_array(); /* returns NULL with ImportError set: the package falls back to ctypes */
  if (PyType_Ready(&ValueType) < 0)
    return NULL;
  PyObject *signal_mod = PyImport_ImportModule("_signal");
  if (!signal_mod)
    return NULL;
  getsignal = PyObject_GetAttrString(signal_mod, "getsignal");
  default_int_handler = PyObject_GetAttrString(signal_mod, "default_int_handler");
  set_wakeup_fd = PyObject_GetAttrString(signal_mod, "set_wakeup_fd");
  Py_DECREF(signal_mod);
  sigint_number = PyLong_FromLong(SIGINT);
  no_warn_kwargs = Py_BuildValue("{sO}", "warn_on_full_buffer", Py_False);
  if (!getsignal || !default_int_handler || !set_wakeup_fd || !sigint_number || !no_warn_kwargs)
    return NULL;
  *(void **)&signal_set_wakeup_fd = dlsym(RTLD_DEFAULT, "PySignal_SetWakeupFd");
  PyObject *m = PyModule_Create(&module_def);
  if (!m)
    return NULL;
  Py_INCREF(&ValueType);
  if (PyModule_AddObject(m, "Value", (PyObject *)&ValueType) < 0 ||
      PyModule_AddIntConstant(m, "API", FASTCALL_API) < 0) {
    Py_DECREF(m);
    return NULL;
  }
  return m;
}
