"""Serving a `WebhookReceiver` over HTTP: uvicorn in a background thread, bound before it starts.

with WebhookListener(host="127.0.0.1", port=0) as listener:   # port 0: any free port
    print(listener.url)                                        # give this URL to Tallyfy (or the sandbox)
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from types import TracebackType
from typing import TextIO

import uvicorn

from tallyfy_diag.webhooks._receiver import WebhookReceiver

_START_TIMEOUT = 10.0


class WebhookListener:
    """A `WebhookReceiver` on a real socket. `start()` raises OSError when the address cannot be bound."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, *, out: TextIO | None = None) -> None:
        self.receiver = WebhookReceiver(out)
        self._host, self._port = host, port
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None
        self._bound: tuple[str, int] | None = None

    @property
    def url(self) -> str:
        if self._bound is None:
            raise RuntimeError("the listener is not running: use `with WebhookListener() as listener:`")
        host, port = self._bound
        return f"http://{f'[{host}]' if ':' in host else host}:{port}/"

    def start(self) -> None:
        if self._thread is not None:
            return
        sock = socket.socket(socket.AF_INET6 if ":" in self._host else socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((self._host, self._port))
        except OSError:
            sock.close()
            raise
        self._bound = sock.getsockname()[:2]
        config = uvicorn.Config(
            self.receiver.app, log_config=None, log_level="warning", access_log=False, lifespan="off"
        )
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="tallyfy-webhooks", daemon=True)
        self._server, self._thread, self._socket = server, thread, sock
        thread.start()
        deadline = time.monotonic() + _START_TIMEOUT
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("the webhook listener did not start")
            time.sleep(0.005)

    def wait(self) -> None:
        """Block until the server ends (the CLI's foreground loop; Ctrl-C interrupts it)."""
        while self._thread is not None and self._thread.is_alive():
            self._thread.join(timeout=0.5)

    def stop(self) -> None:
        """Stop serving; safe to call twice."""
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(timeout=_START_TIMEOUT)
        if self._socket is not None:
            with contextlib.suppress(OSError):
                self._socket.close()
        self._server = self._thread = self._socket = None
        self._bound = None

    def __enter__(self) -> WebhookListener:
        self.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.stop()
