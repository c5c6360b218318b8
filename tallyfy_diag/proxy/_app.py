"""The reverse proxy itself: a raw ASGI app that forwards each request to the upstream and streams the answer back.

Transparency is the point: the application must see exactly what it would see without the proxy, or the
diagnosis is of something else. So the request goes out with its method, path (as sent, percent-encoding kept),
query, headers and body; only the hop-by-hop fields of RFC 9110 §7.6.1 and `Host` are the proxy's own. The answer
comes back with the upstream's status, headers and raw bytes (still compressed if they were), streamed chunk by
chunk so a large download passes in bounded memory. The proxy adds no header (no CORS header either: it must not
hide a CORS problem) and never follows a redirect.

Only a bounded prefix of each body is kept, for judging (`capture_limit`); the exchange is handed to
`on_exchange` once the answer has been sent, so judging never delays the application.
"""

from __future__ import annotations

import time
import zlib
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Any, Final

import attrs
import httpx

from tallyfy_diag._constants import API_PREFIX
from tallyfy_diag._tls import shared_ssl_context

HOP_BY_HOP: Final = frozenset(
    {b"connection", b"keep-alive", b"proxy-connection", b"transfer-encoding", b"te", b"trailer", b"upgrade"}
)
"""Fields that describe one connection, not the message (RFC 9110 §7.6.1): each hop sets its own."""
CAPTURE_LIMIT: Final = 1_048_576
"""Bytes of each body kept for judging; the rest streams through unseen."""
_GATEWAY_MESSAGES: Final = {
    "connect": "could not connect to the upstream",
    "timeout": "the upstream did not answer in time",
    "protocol": "the upstream broke the HTTP exchange",
    "tls": "the TLS handshake with the upstream failed",
    "other": "the upstream could not be reached",
}

Scope = dict[str, Any]
Receive = Callable[[], Any]
Send = Callable[[dict[str, Any]], Any]


@attrs.define
class Observed:
    """What passed through, as the proxy saw it (raw: secrets included; the judge scrubs)."""

    method: str
    upstream_url: str
    request_headers: list[tuple[str, str]]
    request_body: bytearray = attrs.field(factory=bytearray, repr=False)
    request_complete: bool = True
    status: int | None = None
    response_headers: list[tuple[str, str]] = attrs.field(factory=list)
    response_body: bytearray = attrs.field(factory=bytearray, repr=False)
    response_complete: bool = True
    failure: str | None = None
    """The kind of transport failure (`connect`, `timeout`, ...) when the upstream gave no answer."""
    started: datetime = attrs.field(factory=lambda: datetime.now(tz=UTC))
    elapsed: float = 0.0
    """Seconds from receiving the request to sending the last byte of the answer."""
    finished: float = 0.0
    """`time.monotonic()` when the answer was sent."""

    def decoded_response_body(self) -> tuple[bytes, bool]:
        """The body as the application reads it (gzip or deflate undone, bounded), and whether it is complete."""
        body = bytes(self.response_body)
        encoding = next(
            (value.strip().lower() for name, value in self.response_headers if name == "content-encoding"), ""
        )
        if encoding in ("", "identity"):
            return body, self.response_complete
        if encoding not in ("gzip", "deflate", "x-gzip") or not self.response_complete:
            return b"", False
        decoder = zlib.decompressobj(zlib.MAX_WBITS | 32)  # gzip or zlib, told apart by the header
        try:
            decoded = decoder.decompress(body, CAPTURE_LIMIT)
        except zlib.error:
            return b"", False
        return decoded, not decoder.unconsumed_tail


def _capture(buffer: bytearray, chunk: bytes) -> bool:
    """Keep what fits; False once something did not."""
    room = CAPTURE_LIMIT - len(buffer)
    buffer += chunk[: max(room, 0)]
    return len(chunk) <= room


def _not_forwarded(headers: list[tuple[bytes, bytes]]) -> frozenset[bytes]:
    """Header names the proxy does not pass on: hop-by-hop ones (and any a `Connection` field lists, RFC 9110
    §7.6.1), `Host` (the upstream's own is sent), and `Expect`: the server side already answered 100-continue."""
    listed = {
        token.strip().lower()
        for name, value in headers
        if name.lower() == b"connection"
        for token in value.split(b",")
        if token.strip()
    }
    return HOP_BY_HOP | {b"host", b"expect"} | listed


async def _raw_chunks(response: httpx.Response) -> AsyncIterator[bytes]:
    """The body's bytes as they came (still compressed); a transport that handed over a body already read
    (httpx's MockTransport does) gives it in one piece."""
    if response.is_stream_consumed:
        yield response.content
        return
    async for chunk in response.aiter_raw():
        yield chunk


def _failure_kind(error: httpx.TransportError) -> str:
    if isinstance(error, httpx.TimeoutException):
        return "timeout"
    if isinstance(error, httpx.ConnectError):
        return "tls" if "ssl" in str(error).lower() or "certificate" in str(error).lower() else "connect"
    if isinstance(error, httpx.RemoteProtocolError | httpx.LocalProtocolError):
        return "protocol"
    return "other"


class ProxyApp:
    """ASGI app: forward to `upstream` (a base URL such as https://go.tallyfy.com/api), report each exchange."""

    def __init__(
        self,
        upstream: str,
        on_exchange: Callable[[Observed], None],
        *,
        timeout: float = 30.0,
        max_connections: int = 256,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.upstream = upstream.rstrip("/")
        self._on_exchange = on_exchange
        self._timeout = httpx.Timeout(timeout)
        self._limits = httpx.Limits(max_connections=max_connections, max_keepalive_connections=64)
        self._transport = transport
        self._client: httpx.AsyncClient | None = None
        self.in_flight = 0
        """Exchanges received and not yet handed to `on_exchange` (read by `Proxy.drain`)."""

    def _new_client(self) -> httpx.AsyncClient:
        # trust_env=False: never route through a proxy from the environment, never read .netrc credentials.
        return httpx.AsyncClient(
            timeout=self._timeout,
            limits=self._limits,
            follow_redirects=False,
            trust_env=False,
            transport=self._transport,
            verify=shared_ssl_context(trust_env=False),
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
        elif scope["type"] == "http":
            await self._http(scope, receive, send)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                self._client = self._new_client()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if self._client is not None:
                    await self._client.aclose()
                await send({"type": "lifespan.shutdown.complete"})
                return

    def upstream_url(self, raw_path: bytes, query: bytes) -> str:
        """The upstream URL for a request path: one `/api` prefix (if any) is dropped, so both host styles work."""
        path = raw_path.decode("latin-1")
        if path == API_PREFIX or path.startswith(API_PREFIX + "/"):
            path = path[len(API_PREFIX) :]
        url = self.upstream + path
        return f"{url}?{query.decode('latin-1')}" if query else url

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.in_flight += 1
        try:
            await self._forward(scope, receive, send)
        finally:
            self.in_flight -= 1

    async def _forward(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        raw_headers: list[tuple[bytes, bytes]] = list(scope["headers"])
        headers = [(name.decode("latin-1"), value.decode("latin-1")) for name, value in raw_headers]
        observed = Observed(
            method=scope["method"],
            upstream_url=self.upstream_url(scope.get("raw_path") or scope["path"].encode(), scope["query_string"]),
            request_headers=headers,
        )
        dropped = _not_forwarded(raw_headers)
        forwarded = [(name, value) for name, value in raw_headers if name.lower() not in dropped]
        names = {name.lower() for name, _ in raw_headers}
        has_body = b"transfer-encoding" in names or any(
            name.lower() == b"content-length" and value.strip() not in (b"0", b"") for name, value in raw_headers
        )

        async def body() -> AsyncIterator[bytes]:
            while True:
                message = await receive()
                if message["type"] == "http.disconnect":
                    return
                chunk = message.get("body", b"")
                if chunk:
                    observed.request_complete &= _capture(observed.request_body, chunk)
                    yield chunk
                if not message.get("more_body"):
                    return

        client = self._client
        if client is None:  # served without lifespan (tests with an ASGI transport)
            client = self._client = self._new_client()
        try:
            request = httpx.Request(
                observed.method, observed.upstream_url, headers=forwarded, content=body() if has_body else None
            )
            if not has_body:
                # httpx adds Content-Length: 0 to some bodiless requests; the application did not send it.
                for name in [name for name in request.headers if name.lower() == "content-length"]:
                    if b"content-length" not in names:
                        del request.headers[name]
            response = await client.send(request, stream=True)
        except httpx.TransportError as error:
            observed.failure = _failure_kind(error)
            await self._gateway_error(send, observed)
        except Exception:  # noqa: BLE001 - a URL or header httpx refuses: answer, never a traceback with its text
            observed.failure = "other"
            await self._gateway_error(send, observed)
        else:
            try:
                await self._relay(response, send, observed)
            finally:
                await response.aclose()
        observed.elapsed = time.perf_counter() - started
        observed.finished = time.monotonic()
        self._on_exchange(observed)

    async def _relay(self, response: httpx.Response, send: Send, observed: Observed) -> None:
        observed.status = response.status_code
        raw = response.headers.raw
        observed.response_headers = [(name.decode("latin-1").lower(), value.decode("latin-1")) for name, value in raw]
        await send(
            {
                "type": "http.response.start",
                "status": response.status_code,
                "headers": [(name, value) for name, value in raw if name.lower() not in HOP_BY_HOP],
            }
        )
        try:
            async for chunk in _raw_chunks(response):
                observed.response_complete &= _capture(observed.response_body, chunk)
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
        except httpx.TransportError as error:
            # Headers are gone already: end the body here; the application sees a short read, as it would have.
            observed.failure = _failure_kind(error)
            observed.response_complete = False
        await send({"type": "http.response.body", "body": b"", "more_body": False})

    @staticmethod
    async def _gateway_error(send: Send, observed: Observed) -> None:
        """No answer from the upstream: 502 (504 on a timeout), plain text that says it is the proxy speaking."""
        kind = observed.failure or "other"
        status = 504 if kind == "timeout" else 502
        body = f"tallyfy-diag proxy: {_GATEWAY_MESSAGES[kind]}\n".encode()
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", b"%d" % len(body))],
            }
        )
        await send({"type": "http.response.body", "body": body, "more_body": False})
