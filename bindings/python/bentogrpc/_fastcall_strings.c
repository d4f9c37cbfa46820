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

#include <string.h>

PyObject *fc_str_block(PyObject *arr) {
  if (!PyArray_Check(arr))
    Py_RETURN_NONE;
  PyArrayObject *a = (PyArrayObject *)arr;
  if (PyArray_TYPE(a) != NPY_OBJECT || PyArray_NDIM(a) != 1 || !PyArray_IS_C_CONTIGUOUS(a))
    Py_RETURN_NONE;
  npy_intp n = PyArray_DIM(a, 0);
  PyObject **items = (PyObject **)PyArray_DATA(a);
  /* pass 1: every element a str with a UTF-8 form, and the block's size (an ASCII str's
   * UTF-8 is its own data; another's is made once and kept by the str, as str.encode's
   * cache would be) */
  Py_ssize_t total = 0;
  for (npy_intp i = 0; i < n; i++) {
    PyObject *s = items[i];
    Py_ssize_t len;
    if (!s || !PyUnicode_CheckExact(s))
      Py_RETURN_NONE;
    if (!PyUnicode_AsUTF8AndSize(s, &len)) { /* a lone surrogate: the Python path words it */
      PyErr_Clear();
      Py_RETURN_NONE;
    }
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
  for (npy_intp i = 0; i < n; i++) { /* pass 2: nothing in between could change the items */
    Py_ssize_t len;
    const char *utf8 = PyUnicode_AsUTF8AndSize(items[i], &len);
    memcpy(p, utf8, (size_t)len);
    p[len] = '\0';
    p += len + 1;
  }
  return block;
}

PyObject *fc_str_objects(PyObject *const *args, Py_ssize_t nargs) {
  if (nargs != 3) {
    PyErr_SetString(PyExc_TypeError, "str_objects(address, size, count)");
    return NULL;
  }
  const char *block = PyLong_AsVoidPtr(args[0]);
  Py_ssize_t size = PyLong_AsSsize_t(args[1]), count = PyLong_AsSsize_t(args[2]);
  if (PyErr_Occurred())
    return NULL;
  if (!block || size < 0 || count < 0)
    Py_RETURN_NONE;
  npy_intp dims[1] = {count};
  /* numpy zero-fills a new object array: its slots are NULL until set, and freeing it early
   * releases what was set */
  PyArrayObject *out = (PyArrayObject *)PyArray_SimpleNew(1, dims, NPY_OBJECT);
  if (!out)
    return NULL;
  PyObject **slots = (PyObject **)PyArray_DATA(out);
  const char *p = block, *end = block + size;
  for (Py_ssize_t i = 0; i < count; i++) {
    const char *nul = p < end ? memchr(p, '\0', (size_t)(end - p)) : NULL;
    if (!nul) { /* fewer strings than the count: not the layout this reads */
      Py_DECREF(out);
      Py_RETURN_NONE;
    }
    /* the library checked the block's UTF-8; a decode error here would still raise */
    PyObject *s = PyUnicode_DecodeUTF8(p, nul - p, NULL);
    if (!s) {
      Py_DECREF(out);
      return NULL;
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
