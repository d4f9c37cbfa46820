/*
 * bentogrpc._fastcall: the Python binding's common call (Client.call without per-call
 * options, a numpy array or a JSON-able value in, an array or JSON out) in one foreign call
 * instead of the ~10 ctypes calls and the Python work around them (bindings/python/README.md
 * "The _fastcall extension"; docs/INTERNALS.md "Python binding: the _fastcall extension").
 *
 * This file: the module (setup(), set_wake(), call() and the call itself); the Ctrl-C route,
 * the input and the output are in _fastcall_route.c, _fastcall_input.c and _fastcall_output.c
 * (_fastcall.h: what they share).
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
#define FASTCALL_MODULE_FILE /* fills numpy's C API table (import_array) */
#include "_fastcall.h"

/* What client.py checks before using the module: bumped when call()'s or setup()'s
 * arguments change or a function the package calls is added, so that a stale build next to
 * a newer package is not used. */
#define FASTCALL_API 2

/* plan kinds (client.py Client._plan): how call() converts the input */
enum { IN_NDARRAY = 1, IN_JSON = 2, IN_BY_TYPE = 3 };

struct fc_lib fc_lib;
PyObject *fc_error_from_fields, *fc_take_output, *fc_json_encode, *fc_json_scan, *fc_json_loads;
static int ready; /* setup() done */

PyObject *fc_raise_error(const bg_error *err) {
  PyObject *exc = PyObject_CallFunction(fc_error_from_fields, "iiy", (int)err->code,
                                        err->grpc_status, err->message);
  if (exc) {
    PyErr_SetObject((PyObject *)Py_TYPE(exc), exc);
    Py_DECREF(exc);
  }
  return NULL;
}

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
    kind = PyArray_CheckExact(inp) ? IN_NDARRAY : fc_plain_json(inp, 0) ? IN_JSON : 0;
  else if (kind == IN_JSON && !fc_plain_json(inp, 1))
    kind = 0; /* pandas objects, numpy scalars: the ctypes path */
  if (kind != IN_NDARRAY && kind != IN_JSON)
    Py_RETURN_NOTIMPLEMENTED;
  bg_client *handle = PyLong_AsVoidPtr(args[0]);
  const char *name = PyBytes_AsString(PyTuple_GET_ITEM(plan, 0));
  if (!handle || !name)
    return NULL;
  fc_call_fn fn =
      PyObject_IsTrue(PyTuple_GET_ITEM(plan, 5)) ? fc_lib.client_call_raw : fc_lib.client_call;

  /* the input: first, so that an input handed back to client.py leaves the wake-up fd alone */
  bg_value *value;
  if (kind == IN_NDARRAY) {
    value = fc_borrow_ndarray(inp);
    if (!value) /* to be converted (or refused, in the ctypes path's words) */
      Py_RETURN_NOTIMPLEMENTED;
  } else {
    value = fc_json_value(inp);
    if (!value)
      return NULL;
  }

  /* the route, and the options that go with it */
  int route;
  bg_call_options *co = fc_route_options(args[3], args[4], PyObject_IsTrue(args[5]), &route);
  if (co == FC_NO_OPTIONS) {
    fc_lib.value_free(value);
    if (PyErr_Occurred())
      return NULL;
    Py_RETURN_NOTIMPLEMENTED;
  }

  bg_value *out = NULL;
  bg_error err;
  bg_status rc;
  PyThreadState *thread = PyEval_SaveThread(); /* the GIL released for the call */
  rc = fn(handle, name, value, &out, co, &err);
  PyEval_RestoreThread(thread);
  fc_lib.value_free(value);

  if (rc != BG_OK)
    return fc_route_interrupted(route, rc, &err) ? NULL : fc_raise_error(&err);
  return fc_output(out, PyTuple_GET_ITEM(plan, 2));
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
      {"bg_client_call", (void **)&fc_lib.client_call},
      {"bg_client_call_raw", (void **)&fc_lib.client_call_raw},
      {"bg_ndarray_borrow", (void **)&fc_lib.ndarray_borrow},
      {"bg_json_parse", (void **)&fc_lib.json_parse},
      {"bg_json_text", (void **)&fc_lib.json_text},
      {"bg_value_free", (void **)&fc_lib.value_free},
      {"bg_value_get_kind", (void **)&fc_lib.value_get_kind},
      {"bg_ndarray_dtype", (void **)&fc_lib.ndarray_dtype},
      {"bg_ndarray_ndim", (void **)&fc_lib.ndarray_ndim},
      {"bg_ndarray_shape", (void **)&fc_lib.ndarray_shape},
      {"bg_ndarray_data_mut", (void **)&fc_lib.ndarray_data_mut},
  };
  for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++)
    if (address_of(addresses, fns[i].name, fns[i].slot) < 0)
      return NULL;
  PyObject **keep[] = {&fc_error_from_fields, &fc_take_output, &fc_json_encode, &fc_json_scan,
                       &fc_json_loads};
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
  fc_route_set_wake(r, w, co, ident);
  Py_RETURN_NONE;
}

/* json_text(obj): the text call() writes for `obj` itself, or None when it would hand `obj`
 * to _values._json_encode (for the tests: the two must agree byte for byte). */
static PyObject *fast_json_text(PyObject *module, PyObject *obj) {
  (void)module;
  return fc_json_text(obj);
}

static PyObject *fast_str_block(PyObject *module, PyObject *arr) {
  (void)module;
  return fc_str_block(arr);
}

static PyObject *fast_str_objects(PyObject *module, PyObject *const *args, Py_ssize_t nargs) {
  (void)module;
  return fc_str_objects(args, nargs);
}

static PyMethodDef methods[] = {
    {"call", (PyCFunction)(void (*)(void))fast_call, METH_FASTCALL,
     "Client.call's common case in one call (NotImplemented: client.py makes it)."},
    {"setup", fast_setup, METH_VARARGS, "The library's function addresses and the hooks."},
    {"set_wake", fast_set_wake, METH_VARARGS, "The wake-up pipe, its options, the main thread."},
    {"json_text", fast_json_text, METH_O, "The JSON text call() writes itself, or None."},
    {"str_block", fast_str_block, METH_O, "An object array of str as one NUL-separated block."},
    {"str_objects", (PyCFunction)(void (*)(void))fast_str_objects, METH_FASTCALL,
     "A block of NUL-terminated strings as an object array of str."},
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
  if (fc_route_init() < 0)
    return NULL;
  PyObject *m = PyModule_Create(&module_def);
  if (!m)
    return NULL;
  if (fc_output_init(m) < 0 || PyModule_AddIntConstant(m, "API", FASTCALL_API) < 0) {
    Py_DECREF(m);
    return NULL;
  }
  return m;
}
