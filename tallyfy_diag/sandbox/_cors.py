"""CORS as the WHATWG Fetch standard expects a server to answer, plus switchable misconfigurations.

An allowed origin is reflected exactly (with `Vary: Origin`) and may send credentials; preflights list every
method and header Tallyfy calls need and answer 204. An origin not on the list gets no
`Access-Control-*` header at all, which is what the real API is believed to do. Each `CorsFault` breaks one
of these promises the way real deployments do.
"""

from __future__ import annotations

from collections.abc import Iterable

from tallyfy_diag._constants import CLIENT_HEADER, REQUEST_ID_HEADER
from tallyfy_diag.sandbox._config import CorsFault

ALLOWED_METHODS = ("GET", "POST", "PUT", "DELETE", "OPTIONS")
ALLOWED_HEADERS = ("Accept", "Authorization", "Content-Type", CLIENT_HEADER)
# Without these a script cannot read why a call failed or when to retry (Fetch: CORS-safelisted
# response headers are all it sees otherwise).
EXPOSED_HEADERS = (REQUEST_ID_HEADER, "Retry-After", "X-RateLimit-Limit", "X-RateLimit-Remaining", "WWW-Authenticate")
PREFLIGHT_MAX_AGE = "600"

Headers = list[tuple[str, str]]


class CorsPolicy:
    def __init__(self, origins: Iterable[str], faults: Iterable[CorsFault]) -> None:
        self._origins = frozenset(origins)
        self.faults = frozenset(faults)

    @staticmethod
    def is_preflight(method: str, origin: str | None, requested_method: str | None) -> bool:
        return method == "OPTIONS" and origin is not None and requested_method is not None

    def _allows(self, origin: str) -> bool:
        return "*" in self._origins or origin in self._origins

    def _origin_headers(self, origin: str) -> Headers:
        if CorsFault.WILDCARD_WITH_CREDENTIALS in self.faults:
            return [("Access-Control-Allow-Origin", "*"), ("Access-Control-Allow-Credentials", "true")]
        if CorsFault.WILDCARD_ORIGIN in self.faults:
            return [("Access-Control-Allow-Origin", "*")]
        if not self._allows(origin):
            return []
        echoed = origin + "/" if CorsFault.ORIGIN_TRAILING_SLASH in self.faults else origin
        return [
            ("Access-Control-Allow-Origin", echoed),
            ("Access-Control-Allow-Credentials", "true"),
            ("Vary", "Origin"),
        ]

    def preflight_headers(self, origin: str) -> Headers:
        """Headers of a 204 preflight answer (none when the origin is not allowed)."""
        headers = self._origin_headers(origin)
        if not headers:
            return []
        allowed_headers = [
            name
            for name in ALLOWED_HEADERS
            if not (name == CLIENT_HEADER and CorsFault.MISSING_CLIENT_HEADER in self.faults)
        ]
        if CorsFault.ALLOW_HEADERS_WILDCARD in self.faults:
            allowed_headers = ["*"]
        methods = [
            method
            for method in ALLOWED_METHODS
            if not (method == "PUT" and CorsFault.METHODS_WITHOUT_PUT in self.faults)
        ]
        return [
            *headers,
            ("Access-Control-Allow-Methods", ", ".join(methods)),
            ("Access-Control-Allow-Headers", ", ".join(allowed_headers)),
            ("Access-Control-Max-Age", PREFLIGHT_MAX_AGE),
        ]

    def response_headers(self, origin: str | None, status: int) -> Headers:
        """Headers for an actual (non-preflight) response to a request from `origin`."""
        if origin is None or (status >= 400 and CorsFault.NO_ORIGIN_ON_ERROR in self.faults):
            return []
        headers = self._origin_headers(origin)
        if headers and CorsFault.NO_EXPOSE_HEADERS not in self.faults:
            headers.append(("Access-Control-Expose-Headers", ", ".join(EXPOSED_HEADERS)))
        return headers
