"""The background server stops cleanly whether or not a client still holds a connection."""

from __future__ import annotations

import httpx
import pytest

from tallyfy_diag.sandbox import Sandbox


def test_stopping_with_no_connection_open_closes_the_port() -> None:
    sandbox = Sandbox()
    with sandbox:
        root = sandbox.root_url
        assert httpx.get(root + "/api/me").status_code == 404  # no X-Tallyfy-Client
    assert not sandbox._server.running
    with pytest.raises(httpx.ConnectError):
        httpx.get(root + "/api/me")


def test_stopping_with_an_idle_keep_alive_connection_closes_it() -> None:
    sandbox = Sandbox()
    with httpx.Client() as client:
        with sandbox:
            root = sandbox.root_url
            assert client.get(root + "/api/me").status_code == 404  # the connection stays open, idle
        assert not sandbox._server.running
        with pytest.raises(httpx.TransportError):
            client.get(root + "/api/me")
