/*
 * bentogrpc._fastcall: the Ctrl-C route of a call (client.py, the comment above _PLAIN; README
 * "Ctrl-C (Python)"), the same steps as client.py's _cancel_route and _run_watching without
 * their Python work: which options the call takes, the wake-up fd swap, the pipe drained.
 */
#include "_fastcall.h"

#include <dlfcn.h>
#include <errno.h>
#include <signal.h>
#include <unistd.h>

enum { ROUTE_FALLBACK = -2, ROUTE_ERROR = -3 }; /* and FC_ROUTE_PLAIN (-1), or an fd */

/* The signal module's (fc_route_init). */
static PyObject *getsignal; /* _signal.getsignal */
static PyObject *default_int_handler;
static PyObject *sigint_number;

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

char fc_no_options_marker;

int fc_route_init(void) {
  PyObject *signal_mod = PyImport_ImportModule("_signal");
  if (!signal_mod)
    return -1;
  getsignal = PyObject_GetAttrString(signal_mod, "getsignal");
  default_int_handler = PyObject_GetAttrString(signal_mod, "default_int_handler");
  set_wakeup_fd = PyObject_GetAttrString(signal_mod, "set_wakeup_fd");
  Py_DECREF(signal_mod);
  sigint_number = PyLong_FromLong(SIGINT);
  no_warn_kwargs = Py_BuildValue("{sO}", "warn_on_full_buffer", Py_False);
  if (!getsignal || !default_int_handler || !set_wakeup_fd || !sigint_number || !no_warn_kwargs)
    return -1;
  *(void **)&signal_set_wakeup_fd = dlsym(RTLD_DEFAULT, "PySignal_SetWakeupFd");
  return 0;
}

void fc_route_set_wake(int r, int w, bg_call_options *options, unsigned long ident) {
  wake_r = r;
  wake_w = w;
  wake_options = options;
  main_ident = ident;
}

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
 * Python's default handler), FC_ROUTE_PLAIN, ROUTE_FALLBACK (client.py decides: no pipe yet,
 * or someone else's wake-up fd is set) or ROUTE_ERROR (an exception is set).
 * The same steps as client.py's _cancel_route, without its Python work. */
static int cancel_route(void) {
  if (PyThread_get_thread_ident() != main_ident ||
      PyInterpreterState_Get() != PyInterpreterState_Main())
    return FC_ROUTE_PLAIN;
  PyObject *handler = PyObject_CallOneArg(getsignal, sigint_number);
  if (!handler)
    return ROUTE_ERROR;
  int ours = handler == default_int_handler;
  Py_DECREF(handler);
  if (!ours)
    return FC_ROUTE_PLAIN;
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

bg_call_options *fc_route_options(PyObject *co_plain, PyObject *co_watch, int interruptible,
                                  int *route) {
  *route = FC_ROUTE_PLAIN;
  bg_call_options *co = co_plain == Py_None ? NULL : PyLong_AsVoidPtr(co_plain);
  if (PyErr_Occurred())
    return FC_NO_OPTIONS;
  int fd = interruptible ? cancel_route() : FC_ROUTE_PLAIN;
  if (fd == FC_ROUTE_PLAIN)
    return co;
  if (fd < 0) /* ROUTE_FALLBACK, ROUTE_ERROR */
    return FC_NO_OPTIONS;
  if (!co) {
    co = wake_options;
  } else {
    co = NULL;
    if (PyTuple_CheckExact(co_watch) && PyTuple_GET_SIZE(co_watch) == 2 &&
        PyLong_AsLong(PyTuple_GET_ITEM(co_watch, 0)) == fd)
      co = PyLong_AsVoidPtr(PyTuple_GET_ITEM(co_watch, 1));
    PyErr_Clear();
  }
  if (!co || drain(fd) < 0) /* not made yet: client.py makes it, and hands it over */
    return FC_NO_OPTIONS;
  *route = fd;
  return co;
}

int fc_route_interrupted(int route, bg_status rc, const bg_error *err) {
  if (route < 0 || rc != BG_ERR_CANCELLED || PyErr_CheckSignals() == 0)
    return 0;
  /* the SIGINT that cancelled it: KeyboardInterrupt, from the library's CancelledError (as
   * client.py's `raise e from from_error(lib, err)`) */
  PyObject *type, *exc, *tb;
  PyErr_Fetch(&type, &exc, &tb);
  PyErr_NormalizeException(&type, &exc, &tb);
  PyObject *cause = exc ? PyException_GetCause(exc) : NULL;
  if (exc && !cause) {
    PyObject *e = PyObject_CallFunction(fc_error_from_fields, "iiy", (int)err->code,
                                        err->grpc_status, err->message);
    if (e)
      PyException_SetCause(exc, e); /* steals `e` */
    else
      PyErr_Clear();
  }
  Py_XDECREF(cause);
  PyErr_Restore(type, exc, tb);
  return 1;
}
