"""Running a sandbox: uvicorn on loopback in a background thread, or in-process without a socket.

with Sandbox() as sandbox:                      # a real HTTP server on 127.0.0.1, ephemeral port
    httpx.get(sandbox.base_url + "/me", ...)

with Sandbox.in_process() as sandbox:           # no thread, no port
    client = httpx.Client(base_url=sandbox.base_url, transport=sandbox.transport())
"""

from __future__ import annotations

import asyncio
import threading

import httpx

from tallyfy_diag._constants import API_PREFIX
from tallyfy_diag._serve import BackgroundServer, Served
from tallyfy_diag.sandbox._app import SandboxApp, create_app
from tallyfy_diag.sandbox._config import SandboxConfig
from tallyfy_diag.sandbox._credentials import SandboxCredentials

IN_PROCESS_ROOT = "http://sandbox.test"


class PortalTransport(httpx.BaseTransport):
    """A synchronous httpx transport that runs the ASGI app on an event loop in a helper thread.

    The thread is a daemon, so a transport nobody closed never keeps the interpreter from exiting.
    """

    def __init__(self, app: SandboxApp) -> None:
        self._asgi = httpx.ASGITransport(app=app)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="tallyfy-sandbox-transport", daemon=True)
        self._thread.start()
        self._closed = False

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if self._closed:
            raise RuntimeError("the sandbox transport is closed")
        request.read()  # the app reads the body on the loop thread, so it must be in memory first

        async def roundtrip() -> tuple[int, list[tuple[bytes, bytes]], bytes]:
            response = await self._asgi.handle_async_request(request)
            content = await response.aread()
            return response.status_code, response.headers.raw, content

        status, headers, content = asyncio.run_coroutine_threadsafe(roundtrip(), self._loop).result()
        return httpx.Response(status, headers=headers, content=content, request=request)

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join()
            self._loop.close()


class Sandbox(Served):
    """A sandbox server: `with Sandbox() as sb:` serves over HTTP; `Sandbox.in_process()` does not bind."""

    def __init__(self, config: SandboxConfig | None = None, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.app = create_app(config)
        self.config = self.app.config
        self.credentials: SandboxCredentials = self.app.credentials
        self._in_process = False
        self._server = BackgroundServer(
            self.app,
            host,
            port,
            name="sandbox server",
            date_header=False,  # the app writes Date itself, shifted by clock_offset
            server_header=False,
            timeout_graceful_shutdown=2,
        )
        self._transports: list[PortalTransport] = []

    @classmethod
    def in_process(cls, config: SandboxConfig | None = None) -> Sandbox:
        """A sandbox reached only through `transport()` / `async_transport()`: no thread, no port."""
        sandbox = cls(config)
        sandbox._in_process = True
        return sandbox

    def __repr__(self) -> str:
        where = "in-process" if self._in_process else (self.root_url if self._server.bound else "stopped")
        return f"Sandbox({where}, seed={self.config.seed}, scenario={self.config.scenario!r})"

    # ---------------------------------------------------------------- addresses

    @property
    def root_url(self) -> str:
        if self._in_process:
            return IN_PROCESS_ROOT
        if self._server.bound is None:
            raise RuntimeError("the sandbox is not running: use `with Sandbox() as sandbox:` or call start()")
        return self._server.root_url

    @property
    def base_url(self) -> str:
        return self.root_url + API_PREFIX

    # ---------------------------------------------------------------- test helpers

    def advance_clock(self, seconds: float) -> None:
        """Move the server clock (token expiry, rate-limit windows, timestamps) without sleeping."""
        self.app.clock.advance(seconds)

    def mint_access_token(self, *, user: bool = True, ttl: int | None = None) -> str:
        """A valid token for the demo user (or, with `user=False`, an application token of the app client).

        A negative `ttl` gives a token that has already expired.
        """
        credentials = self.credentials
        client_id = credentials.client_id if user else credentials.app_client_id
        user_id = credentials.user_id if user else None
        return self.app.issuer.mint_access(client_id, user_id, [], self.config.token_ttl if ttl is None else ttl)

    def transport(self) -> httpx.BaseTransport:
        """A synchronous in-process transport (no socket); closing the client closes it."""
        transport = PortalTransport(self.app)
        self._transports.append(transport)
        return transport

    def async_transport(self) -> httpx.AsyncBaseTransport:
        return httpx.ASGITransport(app=self.app)

    # ---------------------------------------------------------------- lifecycle

    def start(self) -> None:
        """Bind and serve in a background thread; returns once the server accepts connections."""
        if not self._in_process:
            self._server.start()

    def stop(self) -> None:
        """Stop serving and close in-process transports; safe to call twice."""
        for transport in self._transports:
            transport.close()
        self._transports.clear()
        self._server.stop()
        self.app.webhooks.close()
