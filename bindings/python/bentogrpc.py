"""Python bindings for libbentogrpc through ctypes (no compiler needed).

    from bentogrpc import Client
    with Client("localhost:3000") as client:
        print(client.apis())
        y = client.call("predict", numpy.array([[5.9, 3.0, 5.1, 1.8]], dtype=numpy.float32))

NumpyNdarray inputs and outputs are supported here; the library itself covers every BentoML
descriptor (see include/bentogrpc/). Errors raise BentoGrpcError with the library's status,
the gRPC status and its message. The shared library is found through BENTOGRPC_LIBRARY (a
path) or the system's library search path.
"""
import ctypes
import ctypes.util
import os

import numpy as np

_MESSAGE_SIZE = 1024


class _Error(ctypes.Structure):
    _fields_ = [("code", ctypes.c_int), ("grpc_status", ctypes.c_int),
                ("message", ctypes.c_char * _MESSAGE_SIZE)]


class BentoGrpcError(Exception):
    """A failed libbentogrpc call: `status` (e.g. "BG_ERR_SERVER"), `grpc_status`, message."""

    def __init__(self, status, grpc_status, message):
        super().__init__(f"{status}: {message}")
        self.status, self.grpc_status, self.message = status, grpc_status, message


# bg_dtype numbers (include/bentogrpc/value.h) <-> numpy dtypes
_DTYPES = {1: np.float32, 2: np.float64, 3: np.bool_, 4: np.int32, 5: np.int64, 6: np.uint32,
           7: np.uint64}
_NUMPY_TO_BG = {np.dtype(v): k for k, v in _DTYPES.items()}


def _load():
    path = os.environ.get("BENTOGRPC_LIBRARY") or ctypes.util.find_library("bentogrpc")
    if not path:
        raise OSError("libbentogrpc not found: set BENTOGRPC_LIBRARY to the .so file")
    lib = ctypes.CDLL(path)
    p, err = ctypes.c_void_p, ctypes.POINTER(_Error)
    sig = {
        "bg_client_from_url": (p, [ctypes.c_char_p, p, err]),
        "bg_client_close": (None, [p]),
        "bg_client_api_count": (ctypes.c_size_t, [p]),
        "bg_client_api_at": (p, [p, ctypes.c_size_t]),
        "bg_api_name": (ctypes.c_char_p, [p]),
        "bg_client_call": (ctypes.c_int, [p, ctypes.c_char_p, p, ctypes.POINTER(p), p, err]),
        "bg_client_health": (ctypes.c_int, [p, ctypes.c_char_p, ctypes.c_int64,
                                            ctypes.POINTER(ctypes.c_int), err]),
        "bg_ndarray_borrow": (p, [ctypes.c_int, ctypes.POINTER(ctypes.c_int64), ctypes.c_size_t,
                                  p, ctypes.c_size_t, err]),
        "bg_value_free": (None, [p]),
        "bg_value_get_kind": (ctypes.c_int, [p]),
        "bg_ndarray_dtype": (ctypes.c_int, [p]),
        "bg_ndarray_ndim": (ctypes.c_size_t, [p]),
        "bg_ndarray_shape": (ctypes.POINTER(ctypes.c_int64), [p]),
        "bg_ndarray_count": (ctypes.c_size_t, [p]),
        "bg_ndarray_data": (p, [p]),
        "bg_status_str": (ctypes.c_char_p, [ctypes.c_int]),
        "bg_health_status_str": (ctypes.c_char_p, [ctypes.c_int]),
    }
    for name, (restype, argtypes) in sig.items():
        fn = getattr(lib, name)
        fn.restype, fn.argtypes = restype, argtypes
    return lib


_lib = None


def _library():
    global _lib
    if _lib is None:
        _lib = _load()
    return _lib


def _raise(err):
    lib = _library()
    raise BentoGrpcError(lib.bg_status_str(err.code).decode(), err.grpc_status,
                         err.message.decode("utf-8", "replace"))


class Client:
    """One connection to a BentoML gRPC server; safe to share between threads."""

    def __init__(self, url):
        lib = _library()
        err = _Error()
        self._handle = lib.bg_client_from_url(url.encode(), None, ctypes.byref(err))
        if not self._handle:
            _raise(err)

    def close(self):
        if self._handle:
            _library().bg_client_close(self._handle)
            self._handle = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        self.close()

    def apis(self):
        lib = _library()
        return [lib.bg_api_name(lib.bg_client_api_at(self._handle, i)).decode()
                for i in range(lib.bg_client_api_count(self._handle))]

    def health(self, service=None, timeout_ms=5000):
        lib, err, status = _library(), _Error(), ctypes.c_int()
        if lib.bg_client_health(self._handle, service.encode() if service is not None else None,
                                timeout_ms, ctypes.byref(status), ctypes.byref(err)) != 0:
            _raise(err)
        return lib.bg_health_status_str(status.value).decode()

    def call(self, api, array):
        """Calls an NumpyNdarray API with `array` (sent without a copy) and returns the output
        as a new numpy array."""
        lib, err = _library(), _Error()
        array = np.ascontiguousarray(array)
        if array.dtype not in _NUMPY_TO_BG:
            raise TypeError(f"dtype {array.dtype} has no NDArray field; use one of "
                            f"{sorted(str(np.dtype(d)) for d in _DTYPES.values())}")
        shape = (ctypes.c_int64 * array.ndim)(*array.shape)
        value = lib.bg_ndarray_borrow(_NUMPY_TO_BG[array.dtype], shape, array.ndim,
                                      array.ctypes.data_as(ctypes.c_void_p), array.size,
                                      ctypes.byref(err))
        if not value:
            _raise(err)
        output = ctypes.c_void_p()
        try:
            if lib.bg_client_call(self._handle, api.encode(), value, ctypes.byref(output), None,
                                  ctypes.byref(err)) != 0:
                _raise(err)
            return _to_numpy(lib, output)
        finally:
            lib.bg_value_free(output)
            lib.bg_value_free(value)


def _to_numpy(lib, value):
    if lib.bg_value_get_kind(value) != 1:
        raise BentoGrpcError("BG_ERR_UNSUPPORTED", 0, "the API's output is not an ndarray")
    dtype = np.dtype(_DTYPES[lib.bg_ndarray_dtype(value)])
    shape = tuple(lib.bg_ndarray_shape(value)[i] for i in range(lib.bg_ndarray_ndim(value)))
    count = lib.bg_ndarray_count(value)
    if count == 0:
        return np.zeros(shape, dtype=dtype)
    data = ctypes.string_at(lib.bg_ndarray_data(value), count * dtype.itemsize)
    return np.frombuffer(data, dtype=dtype).reshape(shape)  # string_at made the copy
