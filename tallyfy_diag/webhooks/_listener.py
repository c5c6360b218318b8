"""Serving a `WebhookReceiver` over HTTP: uvicorn in a background thread, bound before it starts.

with WebhookListener(host="127.0.0.1", port=0) as listener:   # port 0: any free port
    print(listener.url)                                        # give this URL to Tallyfy (or the sandbox)
"""

from __future__ import annotations

from types import TracebackType
from typing import TextIO

from tallyfy_diag._serve import BackgroundServer
from tallyfy_diag.webhooks._receiver import WebhookReceiver


class WebhookListener:
    """A `WebhookReceiver` on a real socket. `start()` raises OSError when the address cannot be bound."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, *, out: TextIO | None = None) -> None:
        self.receiver = WebhookReceiver(out)
        self._server = BackgroundServer(self.receiver.app, host, port, name="webhook listener")

    @property
    def url(self) -> str:
        if self._server.bound is None:
            raise RuntimeError("the listener is not running: use `with WebhookListener() as listener:`")
        return self._server.root_url + "/"

    def start(self) -> None:
        self._server.start()

    def stop(self) -> None:
        """Stop serving; safe to call twice."""
        self._server.stop()

    def wait(self) -> None:
        """Block until the server ends (the CLI's foreground loop; Ctrl-C interrupts it)."""
        self._server.wait()

    def __enter__(self) -> WebhookListener:
        self.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.stop()
