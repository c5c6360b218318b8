"""TLS set-up is done once per process: every client shares the verifying context httpx would build, unless the
caller brings a `verify` or a transport of their own."""

from __future__ import annotations

import asyncio
import ssl
from pathlib import Path

import certifi
import httpx
import pytest

from tallyfy_diag._tls import shared_ssl_context
from tallyfy_diag.client import AsyncTallyfy, PersonalAccessToken, Tallyfy


def _context_of(client: httpx.Client | httpx.AsyncClient) -> ssl.SSLContext:
    # httpx keeps the context on its connection pool; there is no public accessor.
    context: ssl.SSLContext = client._transport._pool._ssl_context  # type: ignore[attr-defined]
    return context


def test_the_shared_context_verifies_like_httpx_default() -> None:
    context = shared_ssl_context()
    reference = httpx.create_ssl_context()
    assert context.verify_mode == reference.verify_mode == ssl.CERT_REQUIRED
    assert context.check_hostname
    assert reference.check_hostname
    assert context.cert_store_stats() == reference.cert_store_stats()
    assert context.cert_store_stats()["x509_ca"] > 0


def test_clients_share_one_context() -> None:
    with Tallyfy(PersonalAccessToken("t0ken")) as first, Tallyfy(PersonalAccessToken("t0ken")) as second:
        assert _context_of(first.http) is _context_of(second.http) is shared_ssl_context()

    async def async_context() -> ssl.SSLContext:
        async with AsyncTallyfy(PersonalAccessToken("t0ken")) as client:
            return _context_of(client.http)

    assert asyncio.run(async_context()) is shared_ssl_context()


def test_a_verify_of_the_callers_own_wins() -> None:
    own = ssl.create_default_context()
    with Tallyfy(PersonalAccessToken("t0ken"), httpx_args={"verify": own}) as client:
        assert _context_of(client.http) is own
    with Tallyfy(PersonalAccessToken("t0ken"), httpx_args={"verify": False}) as client:
        assert _context_of(client.http).verify_mode == ssl.CERT_NONE


def test_the_ca_bundle_variables_are_honoured_and_ignored_like_httpx(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    default = shared_ssl_context()
    bundle = tmp_path / "ca.pem"
    bundle.write_bytes(Path(certifi.where()).read_bytes())
    monkeypatch.setenv("SSL_CERT_FILE", str(bundle))
    from_variable = shared_ssl_context()
    assert from_variable is not default
    assert from_variable is shared_ssl_context()  # made once for this setting too
    assert shared_ssl_context(trust_env=False) is not from_variable
    with Tallyfy(PersonalAccessToken("t0ken"), httpx_args={"trust_env": False}) as client:
        assert _context_of(client.http) is shared_ssl_context(trust_env=False)
    monkeypatch.undo()
    assert shared_ssl_context() is default
