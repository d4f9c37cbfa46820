"""The synchronous client, shaped like BentoML's own ``bentoml.client.Client``."""
from __future__ import annotations

import _signal
import _thread
import ctypes
import json
import os
import queue
import select
import signal
import threading
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple, Union

import numpy as np

from . import _lib
from ._values import Encoder, borrow_ndarray, take_output
from .errors import InvalidArgumentError, forked, from_error, with_advice

PathOrPem = Union[str, os.PathLike, bytes]
Metadata = Union[Mapping[str, Union[str, bytes]], Sequence[Tuple[str, Union[str, bytes]]]]
COMPRESSION = {None: 0, "none": 0, "deflate": 1, "gzip": 2}


def _ms(seconds: Optional[float]) -> int:
    return 0 if seconds is None else max(1, int(round(seconds * 1000)))


def _compression(name: Optional[str]) -> int:
    try:
        return COMPRESSION[name.lower() if isinstance(name, str) else name]
    except KeyError:
        raise InvalidArgumentError(f"compression {name!r}: use None, 'gzip' or 'deflate'",
                                   status="BG_ERR_INVALID_ARGUMENT") from None


def _args(text: Optional[str]) -> dict:
    attrs = json.loads(text or "{}")
    return attrs.get("args", attrs) if isinstance(attrs, dict) else {}


class Api:
    """One API the server reported: name, docs, descriptors and their attributes."""

    def __init__(self, lib, ptr):
        s = lambda b: b.decode() if b is not None else None  # noqa: E731
        self.name: str = s(lib.bg_api_name(ptr))
        self.docs: Optional[str] = s(lib.bg_api_docs(ptr))
        self.input: Optional[str] = s(lib.bg_api_input_descriptor(ptr))
        self.output: Optional[str] = s(lib.bg_api_output_descriptor(ptr))
        # the descriptor's arguments (BentoML sends {"args": {...}})
        self.input_attrs: dict = _args(s(lib.bg_api_input_attributes_json(ptr)))
        self.output_attrs: dict = _args(s(lib.bg_api_output_attributes_json(ptr)))
        self.supported: bool = bool(lib.bg_api_is_supported(ptr))
        # what the call path needs, computed once: the descriptor's last name component
        self._in_kind = (self.input or "").rsplit(".", 1)[-1]

    def __repr__(self) -> str:
        return f"Api({self.name!r}, {self.input} -> {self.output})"


def build_options(lib, *, timeout, discovery_timeout, tls, root_certs, client_cert, client_key,
                  authority, compression, protocol_version, user_agent):
    """A bg_options (caller frees) from the keyword arguments of Client.from_url."""
    opts = lib.bg_options_new()
    if not opts:
        raise MemoryError("bg_options_new")
    err, e = _lib.Error(), None

    def ok(rc):
        if rc != 0:
            raise from_error(lib, err)

    try:
        e = ctypes.byref(err)
        if protocol_version:
            ok(lib.bg_options_set_protocol_version(opts, protocol_version.encode(), e))
        if discovery_timeout is not None:
            ok(lib.bg_options_set_discovery_timeout_ms(opts, _ms(discovery_timeout), e))
        if timeout is not None:
            ok(lib.bg_options_set_default_deadline_ms(opts, _ms(timeout), e))
        if tls:
            ok(lib.bg_options_set_tls(opts, True, e))
        if root_certs is not None:
            if isinstance(root_certs, bytes):
                ok(lib.bg_options_set_root_certs_pem(opts, root_certs, len(root_certs), e))
            else:
                ok(lib.bg_options_set_root_certs_file(opts, os.fsencode(root_certs), e))
        if (client_cert is None) != (client_key is None):
            raise InvalidArgumentError("client_cert and client_key go together (mutual TLS)",
                                       status="BG_ERR_INVALID_ARGUMENT")
        if client_cert is not None:
            if isinstance(client_cert, bytes) and isinstance(client_key, bytes):
                ok(lib.bg_options_set_client_cert_pem(opts, client_cert, len(client_cert),
                                                      client_key, len(client_key), e))
            elif not isinstance(client_cert, bytes) and not isinstance(client_key, bytes):
                ok(lib.bg_options_set_client_cert_file(opts, os.fsencode(client_cert),
                                                       os.fsencode(client_key), e))
            else:
                raise InvalidArgumentError("client_cert and client_key: both paths or both "
                                           "PEM bytes", status="BG_ERR_INVALID_ARGUMENT")
        if authority:
            ok(lib.bg_options_set_authority(opts, authority.encode(), e))
        if compression is not None:
            ok(lib.bg_options_set_compression(opts, _compression(compression), e))
        if user_agent:
            ok(lib.bg_options_set_user_agent(opts, user_agent.encode(), e))
    except BaseException:
        lib.bg_options_free(opts)
        raise
    return opts


def build_call_options(lib, *, timeout=None, headers: Optional[Metadata] = None,
                       compression=None, validate=None, wait_for_ready=None, cancel=None):
    """A bg_call_options (caller frees), or None when every argument is the default."""
    if timeout is None and not headers and compression is None and validate is None \
            and wait_for_ready is None and cancel is None:
        return None
    co = lib.bg_call_options_new()
    if not co:
        raise MemoryError("bg_call_options_new")
    err = _lib.Error()
    e = ctypes.byref(err)

    def ok(rc):
        if rc != 0:
            raise from_error(lib, err)

    try:
        if timeout is not None:
            if timeout <= 0:
                raise InvalidArgumentError(f"timeout must be > 0 seconds, got {timeout}",
                                           status="BG_ERR_INVALID_ARGUMENT")
            ok(lib.bg_call_options_set_deadline_ms(co, _ms(timeout), e))
        items = headers.items() if isinstance(headers, Mapping) else (headers or ())
        for key, value in items:
            v = value if isinstance(value, bytes) else str(value).encode()
            ok(lib.bg_call_options_add_metadata(co, str(key).encode(), v, len(v), e))
        if compression is not None:
            ok(lib.bg_call_options_set_compression(co, _compression(compression), e))
        if validate is not None:
            ok(lib.bg_call_options_set_validate(co, bool(validate), e))
        if wait_for_ready is not None:
            ok(lib.bg_call_options_set_wait_for_ready(co, bool(wait_for_ready), e))
        if cancel is not None:
            ok(lib.bg_call_options_set_cancel_token(co, cancel, e))
    except BaseException:
        lib.bg_call_options_free(co)
        raise
    return co


def _no_discovery_advice(reason: int) -> str:
    """The Python remedy for a server without ServiceMetadata, chosen by the library's reason
    (bg_error_reason(): BG_REASON_NO_DISCOVERY_*), or ""."""
    if reason == _lib.REASON_NO_DISCOVERY_V1ALPHA1_ONLY:
        return (" (Python: bentogrpc.Client.open(url, protocol_version='v1alpha1') calls its "
                "APIs without discovery: client.call('API', value))")
    if reason == _lib.REASON_NO_DISCOVERY_V1:
        return (" (Python: bentogrpc.Client.open(url) calls its APIs without discovery: "
                "client.call('API', value))")
    if reason == _lib.REASON_NO_DISCOVERY_UNKNOWN:
        return (" (Python: bentogrpc.Client.open(url) calls APIs without discovery, with "
                "protocol_version='v1alpha1' for BentoML 1.0.6 to 1.0.10)")
    return ""


class _ClientBase:
    """What Client and AsyncClient share: the bg_client, its APIs and call preparation."""

    _handle = None
    _fork_generation = 0
    _co_plain = None
    _co_watch = None

    def _open(self, url: str, *, timeout=None, discovery_timeout=None, tls=False,
              root_certs=None, client_cert=None, client_key=None, authority=None,
              compression=None, headers=None, validate=True, protocol_version=None,
              user_agent=None, interruptible=True, discover=True):
        self._lib = lib = _lib.load()
        self._fork_generation = _lib.fork_generation
        self._interruptible = interruptible
        self._headers = list(headers.items() if isinstance(headers, Mapping)
                             else (headers or ()))
        self._validate = validate
        opts = build_options(lib, timeout=timeout, discovery_timeout=discovery_timeout,
                             tls=tls, root_certs=root_certs, client_cert=client_cert,
                             client_key=client_key, authority=authority,
                             compression=compression, protocol_version=protocol_version,
                             user_agent=user_agent)
        err = _lib.Error()
        connect = lib.bg_client_from_url if discover else lib.bg_client_open
        try:
            handle = connect(str(url).encode(), opts, ctypes.byref(err))
        finally:
            lib.bg_options_free(opts)
        if not handle:
            exc = from_error(lib, err)
            if not discover:
                raise exc
            raise with_advice(exc, _no_discovery_advice(lib.bg_error_reason(ctypes.byref(err))))
        self._discovered = discover
        # api name -> Client._plan's tuple: Client.call's per-API work, done once
        self._plans: Dict[str, tuple] = {}
        # the client-wide call options (headers, validate=False), made once: None when there
        # are none; the same with the wake-up pipe watched, made at the first call that
        # watches it: (fd, options)
        try:  # a bad client-wide header is refused here: the connection must not outlive it
            self._co_plain = build_call_options(lib, headers=self._headers,
                                                validate=None if validate else False)
        except BaseException:
            lib.bg_client_close(handle)
            raise
        self._co_watch: Optional[tuple] = None
        self._handle = handle
        self.url = url
        self.service_name = lib.bg_client_service_name(handle).decode()
        self.service_docs = lib.bg_client_service_docs(handle).decode()
        self.apis: Dict[str, Api] = {}
        for i in range(lib.bg_client_api_count(handle)):
            api = Api(lib, lib.bg_client_api_at(handle, i))
            self.apis[api.name] = api

    def _inherited(self) -> bool:
        """True in a fork()ed child for a client its parent created: the child must not use
        it (its channel and sockets are the parent's)."""
        return self._fork_generation != _lib.fork_generation

    def _free_call_options(self) -> None:
        """Frees the client's call options (close(); in a forked child, this process's copy)."""
        co, self._co_plain = self._co_plain, None
        watch, self._co_watch = self._co_watch, None
        for c in (co, watch[1] if watch else None):
            if c:
                self._lib.bg_call_options_free(c)

    def _live(self):
        if self._inherited():
            raise forked(f"this {type(self).__name__} (for {self.url})")
        if not self._handle:
            raise InvalidArgumentError("the client is closed", status="BG_ERR_INVALID_ARGUMENT")
        return self._handle

    def _prepare(self, api_name: str, inp, kw,
                 cancel=None) -> Tuple[Encoder, int, Any, Optional[Api]]:
        lib = self._lib
        api = self.apis.get(api_name)
        headers = self._headers + list(
            kw["headers"].items() if isinstance(kw.get("headers"), Mapping)
            else (kw.get("headers") or ()))
        validate = kw.get("validate")
        if validate is None and not self._validate:
            validate = False
        co = build_call_options(lib, timeout=kw.get("timeout"), headers=headers,
                                compression=kw.get("compression"), validate=validate,
                                wait_for_ready=kw.get("wait_for_ready"), cancel=cancel)
        enc = Encoder(lib)
        try:
            value = enc.encode_kind(inp, api._in_kind, api.input_attrs) if api \
                else enc.by_type(inp)
        except BaseException:
            if co:
                lib.bg_call_options_free(co)
            raise
        return enc, value, co, api

    def __getattr__(self, name: str):
        apis = self.__dict__.get("apis")
        if apis is None or name.startswith("_") or name not in apis:
            raise AttributeError(f"{type(self).__name__!s} has no attribute or API {name!r}"
                                 + (f"; APIs: {', '.join(apis)}" if apis else ""))
        return self._bound(apis[name])

    def __dir__(self) -> List[str]:
        return sorted(set(super().__dir__()) | set(self.__dict__.get("apis", {})))


class Client(_ClientBase):
    """A connection to a BentoML gRPC server, with its APIs discovered.

    ``client.call("predict", x)`` or ``client.predict(x)`` calls an API; inputs are native
    values (numpy arrays, pandas objects, JSON-able objects, str, bytes, files, PIL images,
    dicts for Multipart) converted by the API's descriptor. Thread-safe: share one client;
    calls release the GIL. Close it with ``close()`` or a ``with`` block.
    """

    def __init__(self, url: str, **options: Any):
        """Same as :meth:`from_url`."""
        self._open(url, **options)

    @classmethod
    def from_url(cls, url: str, *, timeout: Optional[float] = None,
                 discovery_timeout: Optional[float] = None, tls: bool = False,
                 root_certs: Optional[PathOrPem] = None,
                 client_cert: Optional[PathOrPem] = None,
                 client_key: Optional[PathOrPem] = None, authority: Optional[str] = None,
                 compression: Optional[str] = None, headers: Optional[Metadata] = None,
                 validate: bool = True, protocol_version: Optional[str] = None,
                 user_agent: Optional[str] = None, interruptible: bool = True) -> "Client":
        """Connects to ``url`` ("host:port", "grpc://", "grpcs://", "unix:/path") and
        discovers its APIs.

        timeout: default deadline of each call in seconds (None: none).
        discovery_timeout: bound on connecting + discovery (library default 10 s).
        tls / root_certs / client_cert / client_key / authority: TLS and mutual TLS; the
        certificates are paths or PEM bytes.
        compression: "gzip" or "deflate" for requests. headers: metadata sent with each call.
        validate: check inputs against the descriptors before sending (default True).
        interruptible: Ctrl-C cancels a call made on the main thread (default True), within
        some 20 ms: the call watches Python's signal wake-up fd, which the package sets to a
        pipe of its own (README "Ctrl-C"). False: Ctrl-C waits for the call to end.
        """
        return cls(url, timeout=timeout, discovery_timeout=discovery_timeout, tls=tls,
                   root_certs=root_certs, client_cert=client_cert, client_key=client_key,
                   authority=authority, compression=compression, headers=headers,
                   validate=validate, protocol_version=protocol_version, user_agent=user_agent,
                   interruptible=interruptible)

    @classmethod
    def open(cls, url: str, **options: Any) -> "Client":
        """Connects to ``url`` WITHOUT discovering its APIs, for servers that have no
        ServiceMetadata: BentoML 1.0.11, and 1.0.6 to 1.0.10 with
        ``protocol_version="v1alpha1"`` (README "BentoML releases"). ``apis`` is empty and
        ``call(api_name, inp)`` sends every input raw: its Python type picks the Request field
        (bytes -> serialized_bytes, str -> text, numpy -> ndarray, ...), without client-side
        validation. ``health()`` works as usual. Keyword arguments as :meth:`from_url`; no RPC
        is made, so a server that is not there shows at the first call."""
        client = cls.__new__(cls)
        client._open(url, discover=False, **options)
        return client

    def call(self, api_name: str, inp: Any = None, *, timeout: Optional[float] = None,
             headers: Optional[Metadata] = None, compression: Optional[str] = None,
             validate: Optional[bool] = None, wait_for_ready: Optional[bool] = None) -> Any:
        """Calls API ``api_name`` with ``inp`` and returns its output as a Python value.

        NumpyNdarray outputs are writable numpy arrays over the library's buffer (no copy).
        APIs whose descriptors the library does not know (custom IO) are called raw: the
        input's own type picks the Request field, e.g. bytes -> serialized_bytes.
        Raises a BentoGrpcError subclass (e.g. DeadlineExceededError after ``timeout``
        seconds, ServerError with ``grpc_status``)."""
        handle = self._handle
        if not handle or self._fork_generation != _lib.fork_generation:
            handle = self._live()  # raises: closed, or a parent's client in a forked child
        plan = self._plans.get(api_name)
        if plan is None:
            plan = self._plan(api_name)
        fast = _lib.fastcall
        if fast is not None and timeout is None and headers is None and compression is None \
                and validate is None and wait_for_ready is None:
            # the common case in one foreign call (README "The _fastcall extension"), or
            # NotImplemented, before anything was sent: made below
            out = fast.call(handle, plan, inp, self._co_plain, self._co_watch,
                            self._interruptible)
            if out is not NotImplemented:
                return out
        route = _cancel_route() if self._interruptible else _PLAIN
        if route == _HELPER or timeout is not None or headers is not None \
                or compression is not None or validate is not None or wait_for_ready is not None:
            return self._call_with_options(handle, plan, api_name, inp, route, locals())
        # The common case: no per-call options. Everything per API and per client was made
        # once (_plan, the client's call options); per call: the input value, the call, the
        # output (bench/RESULTS.md "Python binding: per-call overhead").
        lib, (name, fn, api, ndarray_in) = self._lib, plan[:4]
        co = self._co_plain if route < 0 else self._watching(route)
        # a numpy array that can be sent as it is (inp keeps it alive through the call)
        value = borrow_ndarray(inp) if ndarray_in and type(inp) is np.ndarray else None
        enc = None
        if value is None:
            enc = Encoder(lib)
            value = enc.encode_kind(inp, api._in_kind, api.input_attrs) if api is not None \
                else enc.by_type(inp)
        err, out = _lib.Error(), ctypes.c_void_p()
        try:
            args = (handle, name, value, ctypes.byref(out), co, ctypes.byref(err))
            rc = _run_watching(lib, route, fn, args, err, out) if route >= 0 \
                else _run_plain(lib, fn, args, out)
        finally:
            if enc is None:
                _lib.quick.bg_value_free(value)
            else:
                enc.free(value)
        if rc != 0:
            raise from_error(lib, err)
        if api is None:
            return take_output(lib, out.value, None, None)
        return take_output(lib, out.value, api.output, api.output_attrs)

    def _plan(self, api_name: str) -> tuple:
        """(name as bytes, the library function, Api or None, whether the input is a
        NumpyNdarray, how _fastcall converts the input (_FAST_KINDS), whether the call is raw)
        for calls of `api_name`; kept for the APIs the server listed (and every
        name of a client opened without discovery), so that typos do not fill the table."""
        lib = self._lib
        api = self.apis.get(api_name)
        raw = (api is None and not self._discovered) or (api is not None and not api.supported)
        in_kind = api._in_kind if api is not None else None
        plan = (api_name.encode(), lib.bg_client_call_raw if raw else lib.bg_client_call, api,
                in_kind == "NumpyNdarray", _FAST_KINDS.get(in_kind, 0), raw)
        if (api is not None or not self._discovered) and len(self._plans) < 4096:
            self._plans[api_name] = plan
        return plan

    def _watching(self, fd: int):
        """The client's call options with the wake-up pipe's read end `fd` watched (main
        thread only), made once per fd."""
        if self._co_plain is None:
            return _watching_options(self._lib, fd)
        cached = self._co_watch
        if cached is not None and cached[0] == fd:
            return cached[1]
        lib = self._lib
        co = build_call_options(lib, headers=self._headers,
                                validate=None if self._validate else False)
        try:
            _set_cancel_fd(lib, co, fd)
        except BaseException:
            lib.bg_call_options_free(co)
            raise
        self._co_watch = (fd, co)
        if cached is not None:
            lib.bg_call_options_free(cached[1])
        return co

    def _call_with_options(self, handle, plan, api_name, inp, route, kw) -> Any:
        """Client.call with per-call options (or, when someone else's wake-up fd is set,
        through the helper thread): the options are made for this call."""
        lib, (name, fn) = self._lib, plan[:2]
        token = lib.bg_cancel_token_new() if route == _HELPER else None
        try:
            enc, value, co, api = self._prepare(api_name, inp, kw, cancel=token)
            err, out = _lib.Error(), ctypes.c_void_p()
            try:
                if route >= 0:  # watches the wake-up pipe on this thread
                    if co:
                        _set_cancel_fd(lib, co, route)
                    args = (handle, name, value, ctypes.byref(out),
                            co or _watching_options(lib, route), ctypes.byref(err))
                    rc = _run_watching(lib, route, fn, args, err, out)
                else:
                    args = (handle, name, value, ctypes.byref(out), co, ctypes.byref(err))
                    rc = _run_cancellable(lib, token, fn, args, err) if token \
                        else _run_plain(lib, fn, args, out)
            finally:
                enc.free(value)
                if co:
                    lib.bg_call_options_free(co)
        finally:
            if token:
                lib.bg_cancel_token_free(token)
        if rc != 0:
            raise from_error(lib, err)
        return take_output(lib, out.value, api.output if api else None,
                           api.output_attrs if api else None)

    def _bound(self, api: Api):
        def method(inp: Any = None, **kw: Any) -> Any:
            return self.call(api.name, inp, **kw)
        method.__name__ = api.name
        method.__doc__ = (api.docs or f"Calls API {api.name!r}.") + \
            f"\n\nInput: {api.input}; output: {api.output}."
        return method

    def health(self, service: Optional[str] = None, timeout: float = 5.0) -> str:
        """grpc.health.v1 Check of ``service`` (None: the BentoService; "": the server);
        returns "SERVING", "NOT_SERVING", ..."""
        lib, err, status = self._lib, _lib.Error(), ctypes.c_int()
        rc = lib.bg_client_health(self._live(), service.encode() if service is not None
                                  else None, _ms(timeout), ctypes.byref(status),
                                  ctypes.byref(err))
        if rc != 0:
            raise from_error(lib, err)
        return lib.bg_health_status_name(status.value).decode()

    def close(self) -> None:
        """Closes the channel. Calls must not be running; idempotent. In a fork()ed child, a
        client of the parent is closed without touching the parent's connection (the library
        frees only this process's copy)."""
        handle, self._handle = self._handle, None
        if handle:
            self._lib.bg_client_close(handle)
        self._free_call_options()

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __del__(self):
        try:
            self.close()
        except Exception:  # interpreter shutdown: nothing sensible left to do
            pass


# How Ctrl-C reaches a call (README "Ctrl-C"). Python runs signal handlers on the main thread
# only, between bytecodes, so a call blocked in the library would hold KeyboardInterrupt back
# until it ends. Instead the binding installs a pipe of its own as Python's signal wake-up fd
# (signal.set_wakeup_fd: Python's C-level handler writes each signal's number there, from
# whatever thread took the signal) and the call watches it on the caller's thread
# (bg_call_options_set_cancel_fd): a SIGINT byte cancels it within ~20 ms, and Python's
# handler then raises KeyboardInterrupt as the call returns. Other signals' bytes are dropped
# by the library: their handlers run when the call returns, and the call is neither cancelled
# nor retried (a handler that does not raise must not fail the call; one that raises, raises
# after the call).
_PLAIN = -1  # called as is: not the main thread, or SIGINT has no Python default handler
_HELPER = -2  # someone else's wake-up fd is set (asyncio, a GUI toolkit): the helper thread
_SIGINT_BYTE = bytes([signal.SIGINT])
_wake: Optional[Tuple[int, int]] = None  # the binding's pipe (read end, write end), or None
_wake_options = None  # bg_call_options watching _wake's read end, for calls without options
_wake_poll = select.poll()  # _wake's read end: whether there is anything to drain
# the thread Python runs signal handlers on (a fork()ed child's is the thread that forked)
_main_ident = threading.main_thread().ident
_check_signals = ctypes.pythonapi.PyErr_CheckSignals  # runs pending handlers; raises theirs
_check_signals.restype, _check_signals.argtypes = ctypes.c_int, []


# Client._plan's input kinds for _fastcall.call: 1 NumpyNdarray, 2 JSON, 3 no descriptor (the
# input's type decides), 0 any other descriptor (the ctypes path)
_FAST_KINDS = {"NumpyNdarray": 1, "JSON": 2, None: 3}


def _share_wake() -> None:
    """Hands the wake-up pipe, the options that watch it and the main thread to _fastcall,
    which takes the same route as _cancel_route (made here first) from then on."""
    fast = _lib.fastcall
    if fast is not None:
        r, w = _wake if _wake is not None else (-1, -1)
        fast.set_wake(r, w, _wake_options, _main_ident)


def _cancel_route() -> int:
    """How Ctrl-C cancels a call made now: the read end of the binding's wake-up pipe (the
    call watches it; the pipe is made and installed with signal.set_wakeup_fd the first time,
    and re-installed if someone cleared it), _HELPER or _PLAIN (see above)."""
    global _wake
    # _signal.getsignal: signal.getsignal's conversion to an enum costs microseconds
    if _thread.get_ident() != _main_ident \
            or _signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
        return _PLAIN  # KeyboardInterrupt goes to the main thread, and only from that handler
    if _wake is None:
        r, w = os.pipe()
        os.set_blocking(r, False)
        os.set_blocking(w, False)  # set_wakeup_fd requires it
        _wake = (r, w)
        _wake_poll.register(r, select.POLLIN)
        _share_wake()
    r, w = _wake
    try:
        # the only way to read the current fd is to set one; setting ours again costs two
        # system calls. Full-buffer warnings off: bytes pile up between calls, each call
        # drains them first.
        prev = signal.set_wakeup_fd(w, warn_on_full_buffer=False)
    except ValueError:  # not the main interpreter
        return _PLAIN
    if prev not in (w, -1):  # the user's or asyncio's: give it back (with the default
        signal.set_wakeup_fd(prev)  # warn_on_full_buffer, asyncio's own setting)
        return _HELPER
    if prev == -1:  # just installed: signals since it was unset wrote no byte, so run
        _check_signals()  # their handlers now (a SIGINT raises here, before anything is sent)
    return r


def _set_cancel_fd(lib, co, fd: int) -> None:
    err = _lib.Error()
    if lib.bg_call_options_set_cancel_fd(co, fd, _SIGINT_BYTE, 1, ctypes.byref(err)) != 0:
        raise from_error(lib, err)


def _watching_options(lib, fd: int):
    """Call options that only watch the wake-up pipe, made once (main thread only)."""
    global _wake_options
    if _wake_options is None:
        co = lib.bg_call_options_new()
        if not co:
            raise MemoryError("bg_call_options_new")
        try:
            _set_cancel_fd(lib, co, fd)
        except BaseException:
            lib.bg_call_options_free(co)
            raise
        _wake_options = co
        _share_wake()
    return _wake_options


def _run_watching(lib, fd: int, fn, args, err, out) -> int:
    """Runs fn(*args) on this (the main) thread with the wake-up pipe watched. Bytes of signals
    that arrived before are drained first, and their handlers run now (a drained SIGINT raises
    here, before anything is sent). With no byte there, no signal arrived since the last
    drain (_cancel_route checked when the pipe was just installed): nothing to run."""
    if _wake_poll.poll(0):  # cheaper than a read that fails
        try:
            os.read(fd, 65536)  # a pipe holds 64 KiB: one read empties it
        except BlockingIOError:
            pass
        _check_signals()
    try:
        rc = fn(*args)
        if rc == _lib.ERR_CANCELLED:
            _check_signals()  # the SIGINT that cancelled it: KeyboardInterrupt
    except BaseException as e:  # KeyboardInterrupt, raised as the call returned or just above
        if out.value:  # it had completed: its output is nobody's
            lib.bg_value_free(out.value)
            out.value = None
        if err.code == _lib.ERR_CANCELLED and e.__cause__ is None:
            raise e from from_error(lib, err)
        raise
    return rc


def _run_plain(lib, fn, args, out) -> int:
    try:
        return fn(*args)
    except BaseException:  # a signal handler's exception as the call returned
        if out.value:
            lib.bg_value_free(out.value)
            out.value = None
        raise


_jobs: "queue.SimpleQueue" = queue.SimpleQueue()
_worker: Optional[threading.Thread] = None


def _after_fork_in_child() -> None:
    """The helper thread does not exist in a fork()ed child, and the queue's lock may have
    been held at the fork: a new queue, and a new thread at the next call. The wake-up pipe is
    shared with the parent: the child stops using it (a signal to the child must not cancel
    the parent's call, nor the reverse) and makes its own at its next call."""
    global _jobs, _worker, _wake, _wake_options, _wake_poll, _main_ident
    _jobs, _worker = queue.SimpleQueue(), None
    _main_ident = threading.main_thread().ident  # threading's own after-fork hook ran first
    if _wake is not None:
        r, w = _wake
        _wake, _wake_poll = None, select.poll()
        try:
            prev = signal.set_wakeup_fd(-1)
            if prev not in (w, -1):  # not ours (any more): left as it was
                signal.set_wakeup_fd(prev)
        except ValueError:
            pass
        os.close(r)
        os.close(w)
    if _wake_options is not None:
        _lib.load().bg_call_options_free(_wake_options)  # this process's copy
        _wake_options = None
    _share_wake()


os.register_at_fork(after_in_child=_after_fork_in_child)


def _work() -> None:
    while True:
        fn, args, done, box = _jobs.get()
        try:
            box.append(fn(*args))
        except BaseException as e:  # ctypes argument errors: re-raised by the caller
            box.append(e)
        done.release()


def _run_cancellable(lib, token, fn, args, err):
    """Runs fn(*args) (a blocking library call that releases the GIL) on the helper thread
    while the main thread waits interruptibly (only when another wake-up fd is set); Ctrl-C cancels the call through `token`,
    waits for it to end, and raises KeyboardInterrupt from the library's CancelledError.
    A bare lock (not an Event) keeps the hand-off cheap."""
    global _worker
    if _worker is None:
        _worker = threading.Thread(target=_work, name="bentogrpc-call", daemon=True)
        _worker.start()
    done, box = _thread.allocate_lock(), []
    done.acquire()
    _jobs.put((fn, args, done, box))
    interrupted = None
    while True:
        try:
            # wake now and then: SIGINT may land on any thread, and Python runs its
            # handler only when the main thread gets back to bytecode
            if done.acquire(timeout=0.05):
                break
        except KeyboardInterrupt as e:
            interrupted = interrupted or e
            lib.bg_cancel_token_cancel(token)
    if isinstance(box[0], BaseException):
        raise box[0]
    if interrupted is not None:
        cause = from_error(lib, err) if box[0] != 0 else None
        raise interrupted from cause
    return box[0]


def wait_until_server_ready(url: str, timeout: float = 30.0, check_interval: float = 0.5,
                            **options: Any) -> None:
    """Polls the server's health until it is SERVING; raises ServerNotReadyError after
    ``timeout`` seconds. ``options``: TLS keywords of Client.from_url."""
    lib = _lib.load()
    opts = build_options(lib, timeout=None, discovery_timeout=None,
                         tls=options.get("tls", False), root_certs=options.get("root_certs"),
                         client_cert=options.get("client_cert"),
                         client_key=options.get("client_key"),
                         authority=options.get("authority"), compression=None,
                         protocol_version=options.get("protocol_version"), user_agent=None)
    err = _lib.Error()
    try:
        rc = lib.bg_wait_until_server_ready(str(url).encode(), _ms(timeout),
                                            _ms(check_interval), opts, ctypes.byref(err))
    finally:
        lib.bg_options_free(opts)
    if rc != 0:
        raise from_error(lib, err)
