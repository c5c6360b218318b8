"""Hard time limits that a server cannot stretch, and a cap on how much of a response is read.

httpx's `timeout=` bounds each socket operation, not a request: a server that drips one header byte a second,
or streams an endless body, never trips a 10-second read timeout. So a *deadline* (a point on the monotonic
clock) rides in a context variable, and the network streams under httpx's own connection pool cap every
connect, read and write at the time left before it; once it has passed, the next socket operation fails with
a timeout. Everything inside one `deadline_scope` shares it: the request, its body, a token request the auth
flow sends on the way, and every retry.

The streams are installed into httpx's default transports (`install_deadline_backend`); a transport the caller
brings (a mock, an ASGI app) is left alone, and there the deadline is still checked between attempts.
"""

from __future__ import annotations

import contextlib
import contextvars
import math
import ssl
import time
import typing
from collections.abc import Iterator
from typing import Any, Final

import httpcore
import httpx

_DEADLINE: Final[contextvars.ContextVar[float | None]] = contextvars.ContextVar("tallyfy_diag_deadline", default=None)

clock = time.monotonic


def current_deadline() -> float | None:
    """The monotonic time the innermost `deadline_scope` ends at (None: no deadline)."""
    return _DEADLINE.get()


def time_left() -> float | None:
    """Seconds until the current deadline (never negative), or None without one."""
    deadline = _DEADLINE.get()
    return None if deadline is None else max(0.0, deadline - clock())


def start_deadline(seconds: float | None) -> contextvars.Token[float | None]:
    """Start a deadline `seconds` from now (an enclosing, earlier deadline still wins); `end_deadline` it.

    For a hot path that cannot afford a context manager; everything else uses `deadline_scope`."""
    outer = _DEADLINE.get()
    deadline = outer
    if seconds is not None:
        mine = clock() + seconds
        deadline = mine if outer is None else min(outer, mine)
    return _DEADLINE.set(deadline)


def end_deadline(started: contextvars.Token[float | None]) -> None:
    _DEADLINE.reset(started)


@contextlib.contextmanager
def deadline_scope(seconds: float | None) -> Iterator[float | None]:
    """Run the block under a deadline `seconds` from now (an enclosing, earlier deadline still wins)."""
    started = start_deadline(seconds)
    try:
        yield current_deadline()
    finally:
        end_deadline(started)


def _capped(timeout: float | None, kind: type[Exception]) -> float | None:
    """`timeout` cut to the time left; raises `kind` when the deadline has already passed."""
    left = time_left()
    if left is None:
        return timeout
    if left <= 0:
        raise kind("the deadline passed")
    return left if timeout is None else min(timeout, left)


def capped_timeout(timeout: httpx.Timeout) -> dict[str, float | None]:
    """httpx's per-request timeout extension with every phase cut to the time left (for any transport)."""
    left = time_left()
    phases = {"connect": timeout.connect, "read": timeout.read, "write": timeout.write, "pool": timeout.pool}
    if left is None:
        return phases
    return {name: left if value is None else min(value, left) for name, value in phases.items()}


class _Stream(httpcore.NetworkStream):
    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, _capped(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _capped(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        timeout = _capped(timeout, httpcore.ConnectTimeout)
        return _Stream(self._inner.start_tls(ssl_context, server_hostname, timeout))

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class _Backend(httpcore.NetworkBackend):
    def __init__(self, inner: httpcore.NetworkBackend) -> None:
        self._inner = inner

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        timeout = _capped(timeout, httpcore.ConnectTimeout)
        return _Stream(self._inner.connect_tcp(host, port, timeout, local_address, socket_options))

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        timeout = _capped(timeout, httpcore.ConnectTimeout)
        return _Stream(self._inner.connect_unix_socket(path, timeout, socket_options))

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


class _AsyncStream(httpcore.AsyncNetworkStream):
    def __init__(self, inner: httpcore.AsyncNetworkStream) -> None:
        self._inner = inner

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return await self._inner.read(max_bytes, _capped(timeout, httpcore.ReadTimeout))

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        await self._inner.write(buffer, _capped(timeout, httpcore.WriteTimeout))

    async def aclose(self) -> None:
        await self._inner.aclose()

    async def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.AsyncNetworkStream:
        timeout = _capped(timeout, httpcore.ConnectTimeout)
        return _AsyncStream(await self._inner.start_tls(ssl_context, server_hostname, timeout))

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class _AsyncBackend(httpcore.AsyncNetworkBackend):
    def __init__(self, inner: httpcore.AsyncNetworkBackend) -> None:
        self._inner = inner

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        timeout = _capped(timeout, httpcore.ConnectTimeout)
        return _AsyncStream(await self._inner.connect_tcp(host, port, timeout, local_address, socket_options))

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        timeout = _capped(timeout, httpcore.ConnectTimeout)
        return _AsyncStream(await self._inner.connect_unix_socket(path, timeout, socket_options))

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


def _patch(transport: object) -> None:
    # httpx builds its pools itself and has no hook for the network backend; the attribute is stable across
    # httpx 0.2x / httpcore 1.x. A transport without it (a mock, ASGI) simply keeps between-attempt checks.
    pool = getattr(transport, "_pool", None)
    backend = getattr(pool, "_network_backend", None)
    if isinstance(backend, _Backend | _AsyncBackend) or backend is None:
        return
    if isinstance(backend, httpcore.NetworkBackend):
        pool._network_backend = _Backend(backend)  # type: ignore[union-attr]
    elif isinstance(backend, httpcore.AsyncNetworkBackend):
        pool._network_backend = _AsyncBackend(backend)  # type: ignore[union-attr]


def install_deadline_transport(transport: httpx.BaseTransport | httpx.AsyncBaseTransport) -> None:
    """Make one httpx transport honour `deadline_scope` (for transports built after their client)."""
    _patch(transport)


def install_deadline_backend(client: httpx.Client | httpx.AsyncClient) -> None:
    """Make `client`'s own transports (default and proxy mounts) honour `deadline_scope`."""
    _patch(client._transport)
    for mounted in client._mounts.values():
        _patch(mounted)


MAX_PROBE_RESPONSE_BYTES: Final = 5_000_000
"""Far above any Tallyfy answer a probe reads; an endless body stops here instead of filling memory."""


class ResponseTooLarge(httpx.DecodingError):
    """The server sent more than the reader accepts (a protocol-level failure, like a broken encoding)."""


class BoundedClient(httpx.Client):
    """An httpx.Client whose every request (headers and body) ends within `request_deadline` seconds and
    reads at most `max_response_bytes`: for probes that must finish whatever the server does."""

    def __init__(
        self,
        *,
        request_deadline: float,
        max_response_bytes: int = MAX_PROBE_RESPONSE_BYTES,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if not (math.isfinite(request_deadline) and request_deadline > 0):
            raise ValueError("request_deadline must be a positive number of seconds")
        self.request_deadline = request_deadline
        self.max_response_bytes = max_response_bytes
        install_deadline_backend(self)

    def send(self, request: httpx.Request, **kwargs: Any) -> httpx.Response:
        streaming = kwargs.pop("stream", False)
        with deadline_scope(self.request_deadline):
            # A transport that is not ours (tests, ASGI) still gets the phases cut to the time left.
            phases = request.extensions.get("timeout") or self.timeout.as_dict()
            request.extensions["timeout"] = capped_timeout(httpx.Timeout(**phases))
            response = super().send(request, stream=True, **kwargs)
            if streaming:
                return response
            try:
                chunks: list[bytes] = []
                size = 0
                # Decoded bytes are counted, so a small compressed body cannot unpack into gigabytes either.
                for chunk in response.iter_bytes():
                    size += len(chunk)
                    if size > self.max_response_bytes:
                        raise ResponseTooLarge(
                            f"the response body exceeds {self.max_response_bytes} bytes", request=request
                        )
                    chunks.append(chunk)
            finally:
                response.close()
            response._content = b"".join(chunks)
            return response
