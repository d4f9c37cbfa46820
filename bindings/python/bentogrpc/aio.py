"""AsyncClient: BentoML calls as asyncio coroutines.

Every call is started with bg_async_call() (bg_async_call_raw() for APIs whose descriptors
the library does not support, as Client.call does) and completes through the library's
eventfd, which the running loop watches with ``loop.add_reader`` — no thread per call;
callbacks run on the loop's thread inside bg_async_client_dispatch(). Cancelling the awaiting
task cancels the gRPC call (bg_async_op_cancel).
"""
from __future__ import annotations

import asyncio
import ctypes
import itertools
from typing import Any, Dict, Optional

from . import _lib
from ._values import take_output
from .client import Api, Metadata, _ClientBase, _ms
from .errors import from_error


class AsyncClient(_ClientBase):
    """The asyncio twin of Client: ``await client.call("predict", x)`` or
    ``await client.predict(x)``; many calls may be in flight at once. Use it from one event
    loop; close it with ``await client.close()`` or ``async with``."""

    def __init__(self, url: str, **options: Any):
        """Connects and discovers (blocking). Prefer ``await AsyncClient.from_url(...)``."""
        self._aclient = None
        self._open(url, **options)
        lib, err = self._lib, _lib.Error()
        self._aclient = lib.bg_async_client_from_client(self._handle, 0, ctypes.byref(err))
        if not self._aclient:
            lib.bg_client_close(self._handle)
            self._handle = None
            raise from_error(lib, err)
        self._fd = lib.bg_async_client_fd(self._aclient)
        self._loop: Optional[asyncio.AbstractEventLoop] = None
        self._ids = itertools.count(1)
        self._pending: Dict[int, tuple] = {}  # id -> (future, handle, api)
        # one C callback per client; user_data carries the call's id
        self._call_cb = _lib.CALL_CB(self._on_call)
        self._health_cb = _lib.HEALTH_CB(self._on_health)

    @classmethod
    async def from_url(cls, url: str, **options: Any) -> "AsyncClient":
        """Connects without blocking the loop (discovery runs in the default executor).
        Keyword arguments as Client.from_url."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(None, lambda: cls(url, **options))

    # ---- the event loop side
    def _attach(self) -> asyncio.AbstractEventLoop:
        self._live_async()  # before the loop watches the library's fd (a parent's, if forked)
        loop = asyncio.get_running_loop()
        if self._loop is None:
            loop.add_reader(self._fd, self._dispatch)
            self._loop = loop
        elif self._loop is not loop:
            raise RuntimeError("an AsyncClient serves the event loop it was first used on")
        return loop

    def _dispatch(self) -> None:
        if self._inherited():
            # a loop carried over a fork (asyncio does not support that): the fd and the
            # loop's epoll set are shared with the parent, so touch neither
            return
        err = _lib.Error()
        if self._lib.bg_async_client_dispatch(self._aclient, None, ctypes.byref(err)) != 0:
            raise from_error(self._lib, err)

    def _finish(self, key: int):
        entry = self._pending.pop(key, None)
        if entry is not None:
            self._lib.bg_async_op_release(entry[1])
        return entry

    def _on_call(self, _call, status, output, err, user_data):
        entry = self._finish(user_data or 0)
        lib = self._lib
        if entry is None or entry[0].done():  # cancelled meanwhile
            if output:
                lib.bg_value_free(output)
            return
        future, _, api = entry
        try:
            if status != 0:
                future.set_exception(from_error(lib, err.contents))
            else:
                future.set_result(take_output(lib, output, api.output if api else None,
                                              api.output_attrs if api else None))
        except BaseException as e:  # a decoding failure belongs to the caller
            if not future.done():
                future.set_exception(e)

    def _on_health(self, _call, status, health, err, user_data):
        entry = self._finish(user_data or 0)
        if entry is None or entry[0].done():
            return
        if status != 0:
            entry[0].set_exception(from_error(self._lib, err.contents))
        else:
            entry[0].set_result(self._lib.bg_health_status_name(health).decode())

    def _track(self, loop, key, handle, api):
        future = loop.create_future()
        self._pending[key] = (future, handle, api)

        def cancelled(f):
            entry = self._pending.get(key)
            if f.cancelled() and entry is not None:
                self._lib.bg_async_op_cancel(entry[1])
        future.add_done_callback(cancelled)
        return future

    # ---- operations
    async def call(self, api_name: str, inp: Any = None, *, timeout: Optional[float] = None,
                   headers: Optional[Metadata] = None, compression: Optional[str] = None,
                   validate: Optional[bool] = None,
                   wait_for_ready: Optional[bool] = None) -> Any:
        """Calls API ``api_name`` with ``inp``; same values, options and errors as
        Client.call. The input is serialized before this starts waiting.

        As in Client.call, APIs whose descriptors the library does not know (custom IO) are
        called raw (bg_async_call_raw): the input's own type picks the Request field, e.g.
        bytes -> serialized_bytes. And as there, a File input that the server refuses as
        ``file`` (BentoML >= 1.0.16) is sent once more as serialized_bytes, by the library
        itself (bg_async_call)."""
        loop = self._attach()
        lib, aclient = self._lib, self._live_async()
        enc, value, co, api = self._prepare(api_name, inp, locals())
        fn = lib.bg_async_call if api is None or api.supported else lib.bg_async_call_raw
        try:
            future = self._start(loop, fn, aclient, api_name, value, co, api)
        finally:
            enc.free(value)
            if co:
                lib.bg_call_options_free(co)
        return await future

    def _start(self, loop, fn, aclient, api_name: str, value, co, api: Optional[Api]):
        """Starts one call with bg_async_call or bg_async_call_raw (`fn`): its future."""
        lib, err, handle, key = self._lib, _lib.Error(), ctypes.c_void_p(), next(self._ids)
        rc = fn(aclient, api_name.encode(), value, co, self._call_cb, key, ctypes.byref(handle),
                ctypes.byref(err))
        if rc != 0:
            raise from_error(lib, err)
        return self._track(loop, key, handle.value, api)

    async def health(self, service: Optional[str] = None, timeout: float = 5.0) -> str:
        """Health/Check of ``service`` (None: the BentoService); returns "SERVING", ..."""
        loop = self._attach()
        lib, err, handle, key = self._lib, _lib.Error(), ctypes.c_void_p(), next(self._ids)
        rc = lib.bg_async_health(self._live_async(), service.encode() if service is not None
                                 else None, _ms(timeout), self._health_cb, key,
                                 ctypes.byref(handle), ctypes.byref(err))
        if rc != 0:
            raise from_error(lib, err)
        return await self._track(loop, key, handle.value, None)

    def _bound(self, api: Api):
        async def method(inp: Any = None, **kw: Any) -> Any:
            return await self.call(api.name, inp, **kw)
        method.__name__ = api.name
        method.__doc__ = (api.docs or f"Calls API {api.name!r}.") + \
            f"\n\nInput: {api.input}; output: {api.output}."
        return method

    def _live_async(self):
        self._live()
        return self._aclient

    @property
    def in_flight(self) -> int:
        """Calls started whose results have not been delivered yet."""
        if self._inherited():
            return 0  # none of them is this process's
        return self._lib.bg_async_client_pending(self._aclient) if self._aclient else 0

    def close_now(self) -> None:
        """Cancels what is in flight (its awaiters get CancelledError) and frees the client.
        In a fork()ed child, a client of the parent frees only this process's copy: its calls
        and connection stay the parent's (the library leaves them alone)."""
        aclient, self._aclient = self._aclient, None
        if aclient:
            # a loop carried over a fork shares its epoll set with the parent's: leave it be
            if self._loop is not None and not self._loop.is_closed() \
                    and not self._inherited():
                self._loop.remove_reader(self._fd)
            self._lib.bg_async_client_close(aclient)  # runs the remaining callbacks here
        handle, self._handle = self._handle, None
        if handle:
            self._lib.bg_client_close(handle)
        self._free_call_options()

    async def close(self) -> None:
        """Closes the client; calls still in flight fail with CancelledError (ours)."""
        self.close_now()

    async def __aenter__(self) -> "AsyncClient":
        return self

    async def __aexit__(self, *exc) -> None:
        await self.close()

    def __del__(self):
        try:
            self.close_now()
        except Exception:
            pass
