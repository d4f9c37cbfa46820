"""The exceptions: one class per library status code, all under BentoGrpcError."""
from __future__ import annotations

from typing import Dict, Type


class BentoGrpcError(Exception):
    """A failed libbentogrpc operation.

    Attributes: ``code`` (the library's bg_status number), ``status`` (its name, e.g.
    "BG_ERR_SERVER"), ``grpc_status`` (the gRPC status code the server or transport gave, 0 if
    none), ``grpc_status_name`` (e.g. "INVALID_ARGUMENT") and ``message`` (what went wrong and
    what to do)."""

    code = 0

    def __init__(self, message: str, *, code: int = 0, status: str = "", grpc_status: int = 0,
                 grpc_status_name: str = ""):
        super().__init__(f"{status}: {message}" if status else message)
        self.code = code or type(self).code
        self.status, self.grpc_status, self.message = status, grpc_status, message
        self.grpc_status_name = grpc_status_name


class InvalidArgumentError(BentoGrpcError, ValueError):
    """The input or an option is unusable (nothing was sent). BG_ERR_INVALID_ARGUMENT."""
    code = 1


class OutOfMemoryError(BentoGrpcError, MemoryError):
    code = 2


class UnavailableError(BentoGrpcError, ConnectionError):
    """The server could not be reached. BG_ERR_UNAVAILABLE."""
    code = 3


class DeadlineExceededError(BentoGrpcError, TimeoutError):
    """The call's timeout passed before the server answered. BG_ERR_DEADLINE."""
    code = 4


class ServerError(BentoGrpcError):
    """The server answered with a non-OK gRPC status (see ``grpc_status``). BG_ERR_SERVER."""
    code = 5


class ProtocolError(BentoGrpcError):
    """The server's reply does not follow the BentoML protocol. BG_ERR_PROTOCOL."""
    code = 6


class UnknownApiError(BentoGrpcError, LookupError):
    """No API of that name on the server. BG_ERR_UNKNOWN_API."""
    code = 7


class UnsupportedError(BentoGrpcError):
    code = 8


class ServerNotReadyError(BentoGrpcError, TimeoutError):
    """wait_until_server_ready() timed out. BG_ERR_TIMEOUT."""
    code = 9


class CancelledError(BentoGrpcError):
    code = 10


class InternalError(BentoGrpcError):
    code = 11


class ForkedError(BentoGrpcError):
    """A client created before fork() was used in the child process: a client belongs to the
    process that created it. Create clients in the child, after the fork (e.g. in a
    multiprocessing Pool initializer). BG_ERR_FORKED."""
    code = 12


BY_CODE: Dict[int, Type[BentoGrpcError]] = {
    c.code: c for c in (InvalidArgumentError, OutOfMemoryError, UnavailableError,
                        DeadlineExceededError, ServerError, ProtocolError, UnknownApiError,
                        UnsupportedError, ServerNotReadyError, CancelledError, InternalError,
                        ForkedError)}


def from_error(lib, err) -> BentoGrpcError:
    """The exception for a filled struct bg_error."""
    cls = BY_CODE.get(err.code, BentoGrpcError)
    return cls(err.message.decode("utf-8", "replace"), code=err.code,
               status=lib.bg_status_name(err.code).decode(), grpc_status=err.grpc_status,
               grpc_status_name=(lib.bg_grpc_status_name(err.grpc_status) or b"").decode())


def forked(what: str) -> ForkedError:
    """The error for a client of the parent process used in a fork()ed child (raised by the
    binding itself, before anything reaches the library)."""
    return ForkedError(f"{what} was created before fork() and cannot be used in the child "
                       "process: create clients after fork, in the process that uses them "
                       "(e.g. in a multiprocessing Pool initializer)", status="BG_ERR_FORKED")


def with_advice(exc: BentoGrpcError, advice: str) -> BentoGrpcError:
    """``exc`` with ``advice`` appended to its message (``exc`` itself when there is none)."""
    if not advice:
        return exc
    return type(exc)(exc.message + advice, code=exc.code, status=exc.status,
                     grpc_status=exc.grpc_status, grpc_status_name=exc.grpc_status_name)
