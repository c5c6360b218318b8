"""The live probes set TLS up only for https: a run against a local http sandbox skips loading the CA bundle,
and an https URL is still verified."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tallyfy_diag.diagnostics._doctor import probe_client
from tallyfy_diag.sandbox import Sandbox


@pytest.fixture(scope="module")
def running() -> Iterator[Sandbox]:
    with Sandbox() as sandbox:
        yield sandbox


@pytest.fixture
def loaded_ca_bundles(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    calls: list[Any] = []
    original = ssl.SSLContext.load_verify_locations

    def counting(self: ssl.SSLContext, *args: Any, **kwargs: Any) -> None:
        calls.append(args or kwargs)
        original(self, *args, **kwargs)

    monkeypatch.setattr(ssl.SSLContext, "load_verify_locations", counting)
    return calls


def test_plain_http_probes_load_no_certificates(running: Sandbox, loaded_ca_bundles: list[Any]) -> None:
    with probe_client(5.0) as client:
        response = client.get(f"{running.base_url}/me")
    assert response.status_code == 404  # no X-Tallyfy-Client: the server's documented answer
    assert loaded_ca_bundles == []


def test_https_probes_verify_certificates(running: Sandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    handshakes: list[ssl.SSLContext] = []
    original = ssl.SSLContext.wrap_socket

    def recording(self: ssl.SSLContext, *args: Any, **kwargs: Any) -> ssl.SSLSocket:
        handshakes.append(self)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(ssl.SSLContext, "wrap_socket", recording)
    # The sandbox speaks plain http, so the TLS handshake fails; what matters is that it was a verifying one.
    https_url = running.base_url.replace("http://", "https://", 1) + "/me"
    with probe_client(5.0) as client, pytest.raises(httpx.ConnectError):
        client.get(https_url)
    (context,) = handshakes
    assert context.verify_mode == ssl.CERT_REQUIRED
    assert context.check_hostname
    assert context.cert_store_stats()["x509_ca"] > 0  # a CA bundle is loaded
