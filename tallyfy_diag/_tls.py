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
    if not trust_env:
        return _context(None, None, trust_env=False)
    return _context(os.environ.get("SSL_CERT_FILE"), os.environ.get("SSL_CERT_DIR"), trust_env=True)


@functools.lru_cache(maxsize=8)
def _context(cert_file: str | None, cert_dir: str | None, *, trust_env: bool) -> ssl.SSLContext:
    # The variables are part of the key so a changed setting gets its own context; httpx reads them itself.
    del cert_file, cert_dir
    return httpx.create_ssl_context(trust_env=trust_env)
