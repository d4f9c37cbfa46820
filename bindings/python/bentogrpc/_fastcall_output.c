/*
 * bentogrpc._fastcall: the output of a call: a numeric ndarray as a writable numpy array over
 * the value's own buffer (its base a Value that frees it), JSON through the json module's
 * scanner, anything else through the ctypes path's take_output.
 */
#include "_fastcall.h"

#include <string.h>

/* ---- the output's owner: frees the bg_value when the last array over it goes ---- */

typedef struct {
  PyObject_HEAD bg_value *value;
  PyObject *weakrefs;
} Value;

static void value_dealloc(Value *self) {
  if (self->weakrefs)
    PyObject_ClearWeakRefs((PyObject *)self);
  if (self->value)
    fc_lib.value_free(self->value);
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

/* ---- the output ---- */

/* bg_dtype -> numpy type (-1: none) */
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
  size_t ndim = fc_lib.ndarray_ndim(out);
  const int64_t *shape = fc_lib.ndarray_shape(out);
  npy_intp dims[NPY_MAXDIMS];
  for (size_t i = 0; i < ndim; i++)
    dims[i] = (npy_intp)shape[i];
  void *data = fc_lib.ndarray_data_mut(out);
  if (!data) { /* no elements (as _values._array: a fresh empty array) */
    fc_lib.value_free(out);
    return PyArray_ZEROS((int)ndim, dims, typenum, 0);
  }
  Value *owner = PyObject_New(Value, &ValueType);
  if (!owner) {
    fc_lib.value_free(out);
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
  const char *text = fc_lib.json_text(out);
  PyObject *s = text ? PyUnicode_DecodeUTF8(text, (Py_ssize_t)strlen(text), "strict") : NULL;
  fc_lib.value_free(out);
  if (!s) {
    if (!PyErr_Occurred())
      PyErr_NoMemory();
    return NULL;
  }
  PyObject *zero = PyLong_FromLong(0);
  PyObject *pair = zero ? PyObject_CallFunctionObjArgs(fc_json_scan, s, zero, NULL) : NULL;
  Py_XDECREF(zero);
  PyObject *obj = NULL;
  if (pair && PyTuple_Check(pair) && PyTuple_GET_SIZE(pair) == 2 &&
      PyLong_AsSsize_t(PyTuple_GET_ITEM(pair, 1)) == PyUnicode_GET_LENGTH(s)) {
    obj = PyTuple_GET_ITEM(pair, 0);
    Py_INCREF(obj);
  } else {
    PyErr_Clear();
    obj = PyObject_CallOneArg(fc_json_loads, s);
  }
  Py_XDECREF(pair);
  Py_DECREF(s);
  return obj;
}

PyObject *fc_output(bg_value *out, PyObject *api) {
  if (fc_lib.value_get_kind(out) == BG_VALUE_NDARRAY) {
    int typenum = typenum_of(fc_lib.ndarray_dtype(out));
    if (typenum >= 0)
      return array_output(out, typenum);
  } else if (fc_lib.value_get_kind(out) == BG_VALUE_JSON) {
    return json_output(out);
  }
  /* anything else: the ctypes path's decoding, which takes `out` over at once */
  PyObject *address = PyLong_FromVoidPtr(out);
  if (!address) {
    fc_lib.value_free(out);
    return NULL;
  }
  PyObject *result = PyObject_CallFunctionObjArgs(fc_take_output, address, api, NULL);
  Py_DECREF(address);
  return result;
}

int fc_output_init(PyObject *module) {
  if (PyType_Ready(&ValueType) < 0)
    return -1;
  Py_INCREF(&ValueType);
  if (PyModule_AddObject(module, "Value", (PyObject *)&ValueType) < 0) {
    Py_DECREF(&ValueType);
    return -1;
  }
  return 0;
}
