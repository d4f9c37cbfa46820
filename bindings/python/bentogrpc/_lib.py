"""Finding and loading libbentogrpc, and the C signatures the package uses (ctypes)."""
from __future__ import annotations

import ctypes
import ctypes.util
import importlib.machinery
import importlib.util
import json
import os
import threading
from typing import List, Optional

MESSAGE_SIZE = 1024  # BG_ERROR_MESSAGE_SIZE

p = ctypes.c_void_p
sz = ctypes.c_size_t
i64 = ctypes.c_int64
cstr = ctypes.c_char_p
cint = ctypes.c_int
cbool = ctypes.c_bool


class Error(ctypes.Structure):
    """struct bg_error"""
    _fields_ = [("code", ctypes.c_int), ("grpc_status", ctypes.c_int),
                ("message", ctypes.c_char * MESSAGE_SIZE)]


perr = ctypes.POINTER(Error)

ERR_CANCELLED = 10  # BG_ERR_CANCELLED

# bg_reason (include/bentogrpc/common.h): the reasons the package words its own remedy for
REASON_NONE = 0
REASON_NO_DISCOVERY_V1 = 4
REASON_NO_DISCOVERY_V1ALPHA1_ONLY = 5
REASON_NO_DISCOVERY_UNKNOWN = 6

# bg_async_call_cb and bg_async_health_cb (include/bentogrpc/async.h)
CALL_CB = ctypes.CFUNCTYPE(None, p, cint, p, perr, p)
HEALTH_CB = ctypes.CFUNCTYPE(None, p, cint, cint, perr, p)

_SIGNATURES = {
    "bg_version": (cstr, []),
    "bg_status_name": (cstr, [cint]),
    "bg_grpc_status_name": (cstr, [cint]),
    "bg_error_reason": (cint, [perr]),
    # options
    "bg_options_new": (p, []),
    "bg_options_free": (None, [p]),
    "bg_options_set_protocol_version": (cint, [p, cstr, perr]),
    "bg_options_set_discovery_timeout_ms": (cint, [p, i64, perr]),
    "bg_options_set_default_deadline_ms": (cint, [p, i64, perr]),
    "bg_options_set_max_receive_size": (cint, [p, sz, perr]),
    "bg_options_set_tls": (cint, [p, cbool, perr]),
    "bg_options_set_root_certs_file": (cint, [p, cstr, perr]),
    "bg_options_set_root_certs_pem": (cint, [p, cstr, sz, perr]),
    "bg_options_set_client_cert_file": (cint, [p, cstr, cstr, perr]),
    "bg_options_set_client_cert_pem": (cint, [p, cstr, sz, cstr, sz, perr]),
    "bg_options_set_authority": (cint, [p, cstr, perr]),
    "bg_options_set_compression": (cint, [p, cint, perr]),
    "bg_options_set_user_agent": (cint, [p, cstr, perr]),
    "bg_call_options_new": (p, []),
    "bg_call_options_free": (None, [p]),
    "bg_call_options_set_deadline_ms": (cint, [p, i64, perr]),
    "bg_call_options_add_metadata": (cint, [p, cstr, cstr, sz, perr]),
    "bg_call_options_set_validate": (cint, [p, cbool, perr]),
    "bg_call_options_set_compression": (cint, [p, cint, perr]),
    "bg_call_options_set_wait_for_ready": (cint, [p, cbool, perr]),
    "bg_call_options_set_cancel_token": (cint, [p, p, perr]),
    "bg_call_options_set_cancel_fd": (cint, [p, cint, cstr, sz, perr]),
    "bg_cancel_token_new": (p, []),
    "bg_cancel_token_free": (None, [p]),
    "bg_cancel_token_cancel": (None, [p]),
    # client
    "bg_client_from_url": (p, [cstr, p, perr]),
    "bg_client_open": (p, [cstr, p, perr]),
    "bg_client_close": (None, [p]),
    "bg_client_service_name": (cstr, [p]),
    "bg_client_service_docs": (cstr, [p]),
    "bg_client_url": (cstr, [p]),
    "bg_client_api_count": (sz, [p]),
    "bg_client_api_at": (p, [p, sz]),
    "bg_client_api_find": (p, [p, cstr]),
    "bg_api_name": (cstr, [p]),
    "bg_api_docs": (cstr, [p]),
    "bg_api_input_descriptor": (cstr, [p]),
    "bg_api_output_descriptor": (cstr, [p]),
    "bg_api_input_attributes_json": (cstr, [p]),
    "bg_api_output_attributes_json": (cstr, [p]),
    "bg_api_is_supported": (cbool, [p]),
    "bg_client_call": (cint, [p, cstr, p, ctypes.POINTER(p), p, perr]),
    "bg_client_call_raw": (cint, [p, cstr, p, ctypes.POINTER(p), p, perr]),
    "bg_client_health": (cint, [p, cstr, i64, ctypes.POINTER(cint), perr]),
    "bg_health_status_name": (cstr, [cint]),
    "bg_wait_until_server_ready": (cint, [cstr, i64, i64, p, perr]),
    # async
    "bg_async_client_from_client": (p, [p, ctypes.c_uint, perr]),
    "bg_async_client_close": (None, [p]),
    "bg_async_call": (cint, [p, cstr, p, p, CALL_CB, p, ctypes.POINTER(p), perr]),
    "bg_async_call_raw": (cint, [p, cstr, p, p, CALL_CB, p, ctypes.POINTER(p), perr]),
    "bg_async_health": (cint, [p, cstr, i64, HEALTH_CB, p, ctypes.POINTER(p), perr]),
    "bg_async_op_cancel": (cbool, [p]),
    "bg_async_op_release": (None, [p]),
    "bg_async_client_fd": (cint, [p]),
    "bg_async_client_dispatch": (cint, [p, ctypes.POINTER(sz), perr]),
    "bg_async_client_pending": (sz, [p]),
    # values
    "bg_value_free": (None, [p]),
    "bg_value_get_kind": (cint, [p]),
    "bg_ndarray_borrow": (p, [cint, ctypes.POINTER(i64), sz, p, sz, perr]),
    "bg_ndarray_copy": (p, [cint, ctypes.POINTER(i64), sz, p, sz, perr]),
    "bg_ndarray_dtype": (cint, [p]),
    "bg_ndarray_ndim": (sz, [p]),
    "bg_ndarray_shape": (ctypes.POINTER(i64), [p]),
    "bg_ndarray_count": (sz, [p]),
    "bg_ndarray_data": (p, [p]),
    "bg_ndarray_data_mut": (p, [p]),
    "bg_series_borrow": (p, [cint, p, sz, perr]),
    "bg_series_copy": (p, [cint, p, sz, perr]),
    "bg_series_borrow_strings": (p, [p, sz, perr]),
    "bg_series_dtype": (cint, [p]),
    "bg_series_count": (sz, [p]),
    "bg_series_data": (p, [p]),
    "bg_series_data_mut": (p, [p]),
    "bg_series_string_block": (p, [p, ctypes.POINTER(sz)]),
    "bg_dataframe_new": (p, [perr]),
    "bg_dataframe_add_column": (cint, [p, cstr, p, perr]),
    "bg_dataframe_column_count": (sz, [p]),
    "bg_dataframe_column_name_at": (cstr, [p, sz]),
    "bg_dataframe_column_at": (p, [p, sz]),
    "bg_json_parse": (p, [cstr, sz, perr]),
    "bg_json_text": (cstr, [p]),
    "bg_text_new": (p, [cstr, sz, perr]),
    "bg_text_data": (p, [p]),
    "bg_text_length": (sz, [p]),
    "bg_file_borrow": (p, [p, sz, cstr, perr]),
    "bg_file_from_path": (p, [cstr, cstr, perr]),
    "bg_file_data": (p, [p]),
    "bg_file_size": (sz, [p]),
    "bg_file_mime": (cstr, [p]),
    "bg_bytes_borrow": (p, [p, sz, perr]),
    "bg_bytes_data": (p, [p]),
    "bg_bytes_size": (sz, [p]),
    "bg_multipart_new": (p, [perr]),
    "bg_multipart_add": (cint, [p, cstr, p, perr]),
    "bg_multipart_count": (sz, [p]),
    "bg_multipart_name_at": (cstr, [p, sz]),
    "bg_multipart_part_at": (p, [p, sz]),
}

# Functions that return at once (accessors, constructors of in-memory values, frees, option
# setters): also bound on a ctypes.PyDLL of the same library (`quick`), which calls them with
# the GIL held. A CDLL call releases and re-takes the GIL around each call, which costs more
# than these functions themselves (some 0.15 µs a call, several calls per Client.call);
# anything that can block (RPCs, connecting, closing, reading files) stays on the CDLL.
QUICK = ("bg_status_name", "bg_grpc_status_name", "bg_error_reason", "bg_call_options_new",
         "bg_call_options_free", "bg_call_options_set_cancel_fd", "bg_value_free",
         "bg_value_get_kind", "bg_ndarray_borrow", "bg_ndarray_dtype", "bg_ndarray_ndim",
         "bg_ndarray_shape", "bg_ndarray_count", "bg_ndarray_data", "bg_ndarray_data_mut",
         "bg_series_dtype", "bg_series_count", "bg_series_data", "bg_series_data_mut", "bg_json_parse", "bg_json_text",
         "bg_text_new", "bg_text_data", "bg_text_length", "bg_bytes_borrow", "bg_bytes_data",
         "bg_bytes_size")


def candidates() -> List[str]:
    """Where the library is looked for, in order:
    1. BENTOGRPC_LIBRARY (a path), when set;
    2. next to this package: the libbentogrpc.so a wheel carries (setup.py builds it in);
    3. the system's search path (ctypes.util.find_library, then the dynamic loader's own
       search: LD_LIBRARY_PATH, ld.so.cache, an installed libbentogrpc.so.0).
    The first that loads and has every function the package calls is used."""
    out = []
    env = os.environ.get("BENTOGRPC_LIBRARY")
    if env:
        out.append(env)
    here = os.path.dirname(os.path.abspath(__file__))
    for name in ("libbentogrpc.so", "libbentogrpc.so.0"):
        out.append(os.path.join(here, name))
    found = ctypes.util.find_library("bentogrpc")
    if found:
        out.append(found)
    out.append("libbentogrpc.so.0")  # the dynamic loader's own search (LD_LIBRARY_PATH, ...)
    return out


_lock = threading.Lock()
_lib: Optional[ctypes.CDLL] = None
# The same library as a ctypes.PyDLL, with the QUICK functions bound (set by load()).
quick: Optional[ctypes.PyDLL] = None
# The path the library was loaded from, as candidates() gave it (library_path()).
loaded_path: Optional[str] = None
# The _fastcall extension module (README "The _fastcall extension") once load() has set it up,
# or None: Client.call then makes every call through ctypes.
fastcall = None
# The _fastcall.API this package speaks: a build of another generation is not used.
FASTCALL_API = 2
# The library's functions _fastcall calls, handed to it as addresses.
FASTCALL_FUNCTIONS = ("bg_client_call", "bg_client_call_raw", "bg_ndarray_borrow",
                      "bg_json_parse", "bg_json_text", "bg_value_free", "bg_value_get_kind",
                      "bg_ndarray_dtype", "bg_ndarray_ndim", "bg_ndarray_shape",
                      "bg_ndarray_data_mut")

# How many fork()s separate this process from the one that imported the package: a client
# remembers the value it was created under, and one created in an ancestor process refuses
# to be used (errors.forked) before any of its state reaches the library.
fork_generation = 0


def _after_fork_in_child() -> None:
    """In a fork()ed child: a new lock (the parent's may have been held by a thread that does
    not exist here) and the next fork generation."""
    global _lock, fork_generation
    _lock = threading.Lock()
    fork_generation += 1


os.register_at_fork(after_in_child=_after_fork_in_child)


def load() -> ctypes.CDLL:
    """The loaded library (once per process). ctypes.CDLL releases the GIL in every call."""
    global _lib, loaded_path, quick
    with _lock:
        if _lib is not None:
            return _lib
        tried = []
        for path in candidates():
            if os.sep in path and not os.path.exists(path):
                tried.append(f"{path} (no such file)")
                continue
            try:
                lib = ctypes.CDLL(path)
            except OSError as e:
                tried.append(f"{path} ({e})")
                continue
            missing = [n for n in _SIGNATURES if not hasattr(lib, n)]
            if missing:
                tried.append(f"{path} (too old: lacks {', '.join(missing[:3])})")
                continue
            fast = ctypes.PyDLL(path)  # the same mapping: dlopen counts a second reference
            for name, (restype, argtypes) in _SIGNATURES.items():
                for dll in (lib, fast) if name in QUICK else (lib,):
                    fn = getattr(dll, name)
                    fn.restype, fn.argtypes = restype, argtypes
            _lib, loaded_path, quick = lib, path, fast
            _setup_fastcall(lib, path)
            return lib
        raise ImportError("libbentogrpc not found; tried: " + "; ".join(tried) +
                          ". Install the package from a wheel that carries it (pip wheel "
                          "bindings/python), or build it (bash scripts/build.sh build) and set "
                          "BENTOGRPC_LIBRARY to build/libbentogrpc.so, or install it (cmake "
                          "--install build).")


def _find_fastcall(library: str):
    """The _fastcall extension: the package's own (a wheel carries it), else the one the
    repository's CMake build made next to the library loaded from a path (a build tree, as
    the tests use it); None when there is none, or BENTOGRPC_NO_EXTENSION is set."""
    if os.environ.get("BENTOGRPC_NO_EXTENSION", "") not in ("", "0"):
        return None
    try:
        from . import _fastcall  # type: ignore[attr-defined]
        return _fastcall
    except ImportError:  # not in the package, or built for another Python / numpy
        pass
    if os.sep not in library:
        return None
    here = os.path.dirname(library)
    for suffix in importlib.machinery.EXTENSION_SUFFIXES:
        path = os.path.join(here, "_fastcall" + suffix)
        if os.path.exists(path):
            try:
                spec = importlib.util.spec_from_file_location(__package__ + "._fastcall", path)
                module = importlib.util.module_from_spec(spec)
                spec.loader.exec_module(module)
                return module
            except ImportError:
                return None
    return None


def _error_from_fields(code: int, grpc_status: int, message: bytes):
    """errors.from_error for the fields of a bg_error _fastcall filled: the same exception."""
    from .errors import from_error
    return from_error(_lib, Error(code, grpc_status, message))


def _take_output(address: int, api):
    """The ctypes path's decoding of an output _fastcall does not convert itself (it takes
    the value over)."""
    from ._values import take_output
    if api is None:
        return take_output(_lib, address, None, None)
    return take_output(_lib, address, api.output, api.output_attrs)


def _setup_fastcall(lib: ctypes.CDLL, path: str) -> None:
    """Sets `fastcall` up: the addresses of the library's functions in `lib` (the extension
    is not linked against the library: one library instance, whatever path it came from) and
    the package's own encoder, decoder and error constructor (same texts, same exceptions)."""
    global fastcall
    module = _find_fastcall(path)
    if module is None or getattr(module, "API", None) != FASTCALL_API:
        return
    from ._values import _json_encode
    addresses = {n: ctypes.cast(getattr(lib, n), ctypes.c_void_p).value
                 for n in FASTCALL_FUNCTIONS}
    try:  # refused in a subinterpreter: its state is the main interpreter's
        module.setup(addresses, _error_from_fields, _take_output, _json_encode,
                     json.decoder.JSONDecoder().scan_once, json.loads)
        module.set_wake(-1, -1, None, threading.main_thread().ident)
    except ImportError:
        return
    fastcall = module


def library_path() -> str:
    """The file libbentogrpc was loaded from (loading it first if no client has yet): the
    wheel's own copy next to the package unless BENTOGRPC_LIBRARY names another."""
    load()
    if os.sep in loaded_path:
        return os.path.realpath(loaded_path)
    try:  # found by the dynamic loader's search: the file it mapped
        with open("/proc/self/maps", encoding="utf-8", errors="replace") as maps:
            for line in maps:
                path = line.split(maxsplit=5)[-1].strip()
                if os.path.basename(path).startswith("libbentogrpc.so"):
                    return path
    except OSError:
        pass
    return loaded_path
