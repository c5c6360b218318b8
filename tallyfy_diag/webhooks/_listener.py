"""Serving a `WebhookReceiver` over HTTP: uvicorn in a background thread, bound before it starts.

with WebhookListener(host="127.0.0.1", port=0) as listener:   # port 0: any free port
    print(listener.url)                                        # give this URL to Tallyfy (or the sandbox)
"""

from __future__ import annotations

from typing import TextIO

from tallyfy_diag._serve import BackgroundServer, Served
from tallyfy_diag.webhooks._receiver import WebhookReceiver


class WebhookListener(Served):
    """A `WebhookReceiver` on a real socket. `start()` raises OSError when the address cannot be bound."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, *, out: TextIO | None = None) -> None:
        self.receiver = WebhookReceiver(out)
        self._server = BackgroundServer(self.receiver.app, host, port, name="webhook listener")

    @property
    def url(self) -> str:
        if self._server.bound is None:
            raise RuntimeError("the listener is not running: use `with WebhookListener() as listener:`")
        return self._server.root_url + "/"
