"""One verifying TLS context per process, shared by every HTTP client this package makes.

httpx builds a new `ssl.SSLContext` for each client, reading the whole CA bundle every time (about 20 ms, most of
what creating a client costs). A context serves any number of connections and threads, so the client, the
proxy, the doctor and the sandbox's webhook sender share the one httpx would build: the same certificates
(certifi's, or SSL_CERT_FILE / SSL_CERT_DIR when the environment is trusted, as httpx decides), made once for
each such setting.
"""

from __future__ import annotations

import functools
import os
import ssl

import httpx


def shared_ssl_context(*, trust_env: bool = True) -> ssl.SSLContext:
    """The context `httpx.Client(trust_env=trust_env)` would create by default, built once per setting."""
    # The CA variables key the cache, so a changed setting gets a context of its own (httpx reads them itself).
    setting = (os.environ.get("SSL_CERT_FILE"), os.environ.get("SSL_CERT_DIR")) if trust_env else None
    return _context(setting)


@functools.lru_cache(maxsize=8)
def _context(setting: tuple[str | None, str | None] | None) -> ssl.SSLContext:
    return httpx.create_ssl_context(trust_env=setting is not None)
