"""An ASGI app served by uvicorn in a background thread, on a socket bound before the thread starts.

Binding first means port 0 yields the real port at once and a busy address fails in the caller's thread
(OSError), not silently in the server's. The sandbox and the webhook listener both run this way.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
import time
from types import TracebackType
from typing import Any, Final, Self

import uvicorn

START_TIMEOUT: Final = 10.0
_TICK_SECONDS: Final = 0.1


class _PromptServer(uvicorn.Server):
    """uvicorn's server, stopping without fixed waits: woken at once by `request_exit()` rather than at its next
    0.1 s tick, and without the 0.1 s drain pause when no connection is open. A short-lived sandbox, such as
    `doctor --sandbox`'s, would otherwise spend up to 0.2 s of its run stopping."""

    _loop: asyncio.AbstractEventLoop | None = None
    _exit_requested: asyncio.Event | None = None

    async def main_loop(self) -> None:
        # uvicorn's own loop, with its sleep made interruptible; on_tick still runs every tick (Date header).
        self._exit_requested = asyncio.Event()
        self._loop = asyncio.get_running_loop()
        counter = 0
        should_exit = await self.on_tick(counter)
        while not should_exit:
            counter = (counter + 1) % 864000
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._exit_requested.wait(), _TICK_SECONDS)
            should_exit = await self.on_tick(counter)

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        if self.server_state.connections or self.server_state.tasks:
            await super().shutdown(sockets)
            return
        # Nothing to drain: uvicorn would still sleep a fixed 0.1 s for connections to finish. Without them its
        # shutdown comes down to closing the listeners and telling the app (a no-op with lifespan off).
        for server in self.servers:
            server.close()
        for sock in sockets or []:
            sock.close()
        for server in self.servers:
            await server.wait_closed()
        if not self.force_exit:
            await self.lifespan.shutdown()

    def request_exit(self) -> None:
        self.should_exit = True
        loop, event = self._loop, self._exit_requested
        if loop is not None and event is not None:
            with contextlib.suppress(RuntimeError):  # the loop has already closed
                loop.call_soon_threadsafe(event.set)


class BackgroundServer:
    """`start()` returns once connections are accepted; `stop()` is safe to call twice."""

    def __init__(self, app: Any, host: str, port: int, *, name: str, **uvicorn_options: Any) -> None:
        self._app, self._host, self._port, self._name = app, host, port, name
        self._options = {
            "log_config": None,  # never reconfigure the host program's logging
            "log_level": "warning",
            "access_log": False,
            "lifespan": "off",
            **uvicorn_options,
        }
        self._server: _PromptServer | None = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None
        self.bound: tuple[str, int] | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None

    @property
    def root_url(self) -> str:
        if self.bound is None:
            raise RuntimeError(f"the {self._name} is not running")
        host, port = self.bound
        return f"http://{f'[{host}]' if ':' in host else host}:{port}"

    def start(self) -> None:
        if self._thread is not None:
            return
        sock = socket.socket(socket.AF_INET6 if ":" in self._host else socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        # Accepted connections inherit this; without it Nagle's algorithm and delayed ACKs add ~40 ms to
        # every response on loopback (the headers and the body go out as separate writes).
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            sock.bind((self._host, self._port))
        except OSError:
            sock.close()
            raise
        self.bound = sock.getsockname()[:2]
        server = _PromptServer(uvicorn.Config(self._app, **self._options))
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name=self._name, daemon=True)
        self._server, self._thread, self._socket = server, thread, sock
        thread.start()
        deadline = time.monotonic() + START_TIMEOUT
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the {self._name} did not start")
            time.sleep(0.005)

    def stop(self) -> None:
        if self._server is not None and self._thread is not None:
            self._server.request_exit()
            self._thread.join(timeout=START_TIMEOUT)
        if self._socket is not None:
            with contextlib.suppress(OSError):
                self._socket.close()
        self._server = self._thread = self._socket = None
        self.bound = None

    def wait(self) -> None:
        """Block until the server ends (a CLI's foreground loop; Ctrl-C or SIGTERM interrupts it).

        Polls instead of joining the server thread: a KeyboardInterrupt landing inside `Thread.join` can leave
        the thread marked stopped while it still runs (CPython gh-90882), and `stop()` would then close the
        listening socket under it."""
        while self._thread is not None and self._thread.is_alive():
            time.sleep(0.2)


class Served:
    """`start`, `stop`, `wait` and `with` for an object that serves through the `BackgroundServer` in its
    `_server`. Subclasses that do more around serving override `start` and `stop`; `with` calls theirs."""

    _server: BackgroundServer

    def start(self) -> None:
        self._server.start()

    def stop(self) -> None:
        """Stop serving; safe to call twice."""
        self._server.stop()

    def wait(self) -> None:
        """Block until the server ends (the CLI's foreground loop; Ctrl-C, or a signal the CLI turns into it,
        interrupts it)."""
        self._server.wait()

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.stop()
