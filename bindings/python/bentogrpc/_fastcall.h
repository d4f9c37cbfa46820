/*
 * What the files of the bentogrpc._fastcall extension share (internal to the extension; one
 * job a file):
 *   _fastcall.c         the module: setup(), set_wake(), call() (the call itself), errors
 *   _fastcall_route.c   the Ctrl-C route: the wake-up pipe, the fd swap, the drain
 *   _fastcall_input.c   the input: a borrowed numpy array, or JSON text (its own writer)
 *   _fastcall_output.c  the output: a numpy array over the value, JSON, or take_output
 *   _fastcall_strings.c str columns to and from the library's string blocks
 * bindings/python/README.md "The _fastcall extension" says what it does and why.
 */
#ifndef BENTOGRPC_PY_FASTCALL_H
#define BENTOGRPC_PY_FASTCALL_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>
/* numpy's C API table is one symbol for all the files: only _fastcall.c (which defines
 * FASTCALL_MODULE_FILE) fills it, with import_array() */
#define PY_ARRAY_UNIQUE_SYMBOL bentogrpc_fastcall_ARRAY_API
#ifndef FASTCALL_MODULE_FILE
#define NO_IMPORT_ARRAY
#endif
#define NPY_NO_DEPRECATED_API NPY_1_7_API_VERSION
#include <numpy/arrayobject.h>

#include <bentogrpc/bentogrpc.h>

typedef bg_status (*fc_call_fn)(bg_client *, const char *, const bg_value *, bg_value **,
                                const bg_call_options *, bg_error *);

/* The library's functions (setup(): addresses in the library ctypes loaded). */
struct fc_lib {
  fc_call_fn client_call, client_call_raw;
  bg_value *(*ndarray_borrow)(bg_dtype, const int64_t *, size_t, const void *, size_t, bg_error *);
  bg_value *(*json_parse)(const char *, size_t, bg_error *);
  const char *(*json_text)(const bg_value *);
  void (*value_free)(bg_value *);
  bg_value_kind (*value_get_kind)(const bg_value *);
  bg_dtype (*ndarray_dtype)(const bg_value *);
  size_t (*ndarray_ndim)(const bg_value *);
  const int64_t *(*ndarray_shape)(const bg_value *);
  void *(*ndarray_data_mut)(bg_value *);
};
extern struct fc_lib fc_lib;

/* Python objects handed in by setup() (strong references, kept for the process's life). */
extern PyObject *fc_error_from_fields; /* (code, grpc_status, message bytes) -> exception */
extern PyObject *fc_take_output;       /* (address, Api or None) -> the ctypes path's output */
extern PyObject *fc_json_encode;       /* _values._json_encode */
extern PyObject *fc_json_scan;         /* json's default decoder's scan_once */
extern PyObject *fc_json_loads;        /* json.loads: the errors of a text scan_once refuses */

/* _fastcall.c: raises the package's exception for `err` (errors.from_error); returns NULL. */
PyObject *fc_raise_error(const bg_error *err);

/* ---- _fastcall_route.c: the Ctrl-C route (client.py, the comment above _PLAIN) ---- */

/* route_options' "the call watches nothing" (else: the fd it watches) */
#define FC_ROUTE_PLAIN (-1)
/* fc_route_options' "make the call in client.py" (nothing done) or "an exception is set" */
extern char fc_no_options_marker;
#define FC_NO_OPTIONS ((bg_call_options *)&fc_no_options_marker)

/* The signal module's objects the route needs (at import); -1 with an exception set. */
int fc_route_init(void);
/* set_wake(): the binding's pipe (-1, -1: none), the options that watch it, the main thread. */
void fc_route_set_wake(int r, int w, bg_call_options *wake_options, unsigned long main_ident);
/* The call options for this call: `co_plain` (the client's, an address or None) when Ctrl-C
 * does not go through the pipe; the ones that watch the pipe when it does (the client's
 * `co_watch` pair (fd, address) made by Client._watching, or, for a client without options,
 * set_wake's), the pipe drained; FC_NO_OPTIONS when client.py must make the call (pipe or
 * options not made yet, someone else's wake-up fd) or an exception is set (a signal handler's,
 * run here). `*route`: the fd the options returned watch, or FC_ROUTE_PLAIN. */
bg_call_options *fc_route_options(PyObject *co_plain, PyObject *co_watch, int interruptible,
                                  int *route);
/* After a call on `route` that failed with `rc`: when a SIGINT cancelled it, raises the
 * KeyboardInterrupt (its __cause__ the library's error, as client.py's `raise e from`) and
 * returns 1; else 0 (nothing set). */
int fc_route_interrupted(int route, bg_status rc, const bg_error *err);

/* ---- _fastcall_input.c ---- */

/* A value borrowing `inp`'s buffer when it is an array that can be sent as it is, or NULL (the
 * ctypes path converts or refuses it; no exception set). `inp` stays alive through the call. */
bg_value *fc_borrow_ndarray(PyObject *inp);
/* Whether `o` is of the types Encoder.json sends as they are (`str_too`: str as well). */
int fc_plain_json(PyObject *o, int str_too);
/* Encoder.json: the library's value of `inp`'s JSON text, or NULL with an exception set. */
bg_value *fc_json_value(PyObject *inp);
/* json_text(obj): the text fc_json_value writes itself, or None when it would hand `obj` to
 * _values._json_encode. */
PyObject *fc_json_text(PyObject *obj);

/* ---- _fastcall_output.c ---- */

/* The Value type (the output arrays' base), made ready; -1 with an exception set. */
int fc_output_init(PyObject *module);
/* The Python value of a call's output, which it takes over (freed here or by what it
 * returns); `api`: the plan's Api or None, for take_output. NULL with an exception set. */
PyObject *fc_output(bg_value *out, PyObject *api);

/* ---- _fastcall_strings.c ---- */

/* str_block(arr): a 1-D C-contiguous object array of str as one block (each element's UTF-8
 * and a NUL), what bg_series_borrow_strings takes; None when it is not such an array or an
 * element is not a str or has no UTF-8 form (a lone surrogate): _values then converts it.
 * An element holding a NUL character is not looked for (the library counts the strings). */
PyObject *fc_str_block(PyObject *arr);
/* str_objects(address, size, count): bg_series_string_block's block of `count` strings as an
 * object array of str; None when the block does not hold exactly `count` NUL-terminated
 * strings. */
PyObject *fc_str_objects(PyObject *const *args, Py_ssize_t nargs);

#endif
