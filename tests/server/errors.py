"""BentoML's exception classes and their mapping to gRPC status codes (PROTOCOL.md §5)."""
from __future__ import annotations

import grpc

RUNTIME_ERROR_MSG = "A runtime error has occurred, see stacktrace from logs."
USER_CODE_ERROR_MSG = ("An error has occurred in BentoML user code when handling this request, "
                       "find the error details in server logs.")

# §5.1: HTTP error_code -> gRPC status (404 -> UNIMPLEMENTED is BentoML's own choice).
_HTTP_TO_GRPC = {
    200: grpc.StatusCode.OK,
    400: grpc.StatusCode.INVALID_ARGUMENT,
    401: grpc.StatusCode.UNAUTHENTICATED,
    403: grpc.StatusCode.PERMISSION_DENIED,
    404: grpc.StatusCode.UNIMPLEMENTED,
    422: grpc.StatusCode.FAILED_PRECONDITION,
    429: grpc.StatusCode.UNAVAILABLE,
    500: grpc.StatusCode.INTERNAL,
    502: grpc.StatusCode.UNAVAILABLE,
    503: grpc.StatusCode.UNAVAILABLE,
    504: grpc.StatusCode.DEADLINE_EXCEEDED,
}


class BentoMLException(Exception):
    error_code = 500

    def __init__(self, message: str, error_code: int | None = None):
        super().__init__(message)
        self.message = message
        if error_code is not None:
            self.error_code = error_code


class InvalidArgument(BentoMLException):
    error_code = 400


class BadInput(InvalidArgument):
    pass


class NotFound(BentoMLException):
    error_code = 404


class UnprocessableEntity(BentoMLException):
    error_code = 422


class ServiceUnavailable(BentoMLException):
    error_code = 503


class GrpcStatus(Exception):
    """Test-only: end the call with exactly this status code and details (fail_with_status)."""

    def __init__(self, code: grpc.StatusCode, details: str):
        super().__init__(details)
        self.code = code
        self.details = details


def status_for_exception(exc: BaseException) -> tuple[grpc.StatusCode, str]:
    """The (code, details) BentoML's servicer reports for an exception from Call (§5.2 2-4)."""
    if isinstance(exc, GrpcStatus):
        return exc.code, exc.details
    if isinstance(exc, BentoMLException):
        return _HTTP_TO_GRPC.get(exc.error_code, grpc.StatusCode.UNKNOWN), exc.message
    if isinstance(exc, (RuntimeError, TypeError, NotImplementedError)):
        return grpc.StatusCode.INTERNAL, RUNTIME_ERROR_MSG
    return grpc.StatusCode.INTERNAL, USER_CODE_ERROR_MSG
