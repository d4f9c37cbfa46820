"""libbentogrpc for Python: a BentoML gRPC client over the C library (ctypes).

    import numpy as np
    from bentogrpc import Client

    with Client.from_url("localhost:3000", timeout=5) as client:
        y = client.predict(np.array([[5.9, 3.0, 5.1, 1.8]], dtype=np.float32))

asyncio: ``bentogrpc.AsyncClient`` (``await client.predict(x)``). The shared library is
looked for in BENTOGRPC_LIBRARY, next to this package (a wheel carries its own), then on the
system's search path; ``bentogrpc.library_path()`` says which file was loaded.
"""
from ._lib import library_path
from ._values import File
from ._version import __version__  # noqa: F401 (the package's version)
from .aio import AsyncClient
from .client import Api, Client, wait_until_server_ready
from .errors import (BentoGrpcError, CancelledError, DeadlineExceededError, ForkedError,
                     InternalError, InvalidArgumentError, OutOfMemoryError, ProtocolError,
                     ServerError, ServerNotReadyError, UnavailableError, UnknownApiError,
                     UnsupportedError)

__all__ = ["Api", "AsyncClient", "BentoGrpcError", "CancelledError", "Client",
           "DeadlineExceededError", "File", "ForkedError", "InternalError",
           "InvalidArgumentError", "OutOfMemoryError", "ProtocolError", "ServerError",
           "ServerNotReadyError", "UnavailableError", "UnknownApiError", "UnsupportedError",
           "library_path", "wait_until_server_ready"]
