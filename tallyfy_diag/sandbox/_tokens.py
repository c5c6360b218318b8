"""Access and refresh tokens shaped like Laravel Passport's.

Access tokens are RS256 JWTs with Passport's claims (`aud` client id, `jti`, `iat`, `nbf`, `exp`, `sub` user
id or EMPTY for client_credentials, `scopes`) plus `iss`. Like Passport, a token is only good while its `jti`
is on record and not revoked: refreshing revokes the old access token. Refresh tokens are opaque
`def50200...` hex strings that rotate on use and expire. Expiry follows the server clock, never the wall
clock, so tests move time instead of sleeping.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable
from typing import Any

import attrs

from tallyfy_diag.sandbox._signing import sign_rs256, signing_key, verified_claims

TOKEN_ISSUER = "https://account.tallyfy.com"
_REFRESH_PREFIX = "def50200"
_VERIFIED_CACHE_SIZE = 4096


@attrs.define
class AccessRecord:
    jti: str
    client_id: str
    user_id: int | None
    scopes: list[str]
    expires_at: int
    revoked: bool = False


@attrs.define
class RefreshRecord:
    client_id: str
    user_id: int
    scopes: list[str]
    expires_at: float
    access_jti: str
    revoked: bool = False


class RefreshTokenError(Exception):
    """A refresh token that cannot be used; the message is league/oauth2-server's hint."""


class ScopeNotGrantedError(Exception):
    """A refresh asked for a scope the original grant did not have."""

    def __init__(self, scope: str) -> None:
        super().__init__(scope)
        self.scope = scope


class TokenIssuer:
    """Mints, verifies and rotates tokens for one sandbox; guarded by the store's lock."""

    def __init__(self, seed: int, clock: Callable[[], float], lock: threading.RLock) -> None:
        self._key = signing_key(seed)
        self._public_key = self._key.public_key()
        self._clock = clock
        self._lock = lock
        self._access: dict[str, AccessRecord] = {}
        self._refresh: dict[str, RefreshRecord] = {}
        self._verified: dict[str, dict[str, Any]] = {}

    def mint_access(self, client_id: str, user_id: int | None, scopes: list[str], ttl: int) -> str:
        """A signed JWT; a negative `ttl` gives one that has already expired."""
        token, _record = self._mint(client_id, user_id, scopes, ttl)
        return token

    def issue(
        self, client_id: str, user_id: int | None, scopes: list[str], ttl: int, refresh_ttl: int
    ) -> tuple[str, str | None]:
        """An access token, and a refresh token when it acts for a user (client_credentials gets none)."""
        token, record = self._mint(client_id, user_id, scopes, ttl)
        if user_id is None:
            return token, None
        refresh = _REFRESH_PREFIX + secrets.token_hex(256)
        with self._lock:
            self._refresh[refresh] = RefreshRecord(
                client_id, user_id, list(scopes), self._clock() + refresh_ttl, record.jti
            )
        return token, refresh

    def _mint(self, client_id: str, user_id: int | None, scopes: list[str], ttl: int) -> tuple[str, AccessRecord]:
        now = int(self._clock())
        record = AccessRecord(secrets.token_hex(40), client_id, user_id, list(scopes), now + ttl)
        claims = {
            "iss": TOKEN_ISSUER,
            "aud": client_id,
            "jti": record.jti,
            "iat": now,
            "nbf": now,
            "exp": record.expires_at,
            "sub": "" if user_id is None else str(user_id),
            "scopes": list(scopes),
        }
        with self._lock:
            self._access[record.jti] = record
        return sign_rs256(self._key, claims), record

    def verify(self, token: str) -> AccessRecord | None:
        """The token's record when it is signed by this sandbox, on record, unrevoked and valid now."""
        claims = self._signed_claims(token)
        if claims is None:
            return None
        now = self._clock()
        with self._lock:
            record = self._access.get(str(claims.get("jti")))
            if record is None or record.revoked:
                return None
        exp, nbf = claims.get("exp"), claims.get("nbf")
        if not isinstance(exp, int) or not isinstance(nbf, int) or now >= exp or now < nbf:
            return None
        return record

    def _signed_claims(self, token: str) -> dict[str, Any] | None:
        """The claims of a token this sandbox signed, or None; the signature check is memoized because
        clients resend the same token on every call (time claims are checked by the caller, every time)."""
        with self._lock:
            cached = self._verified.get(token)
        if cached is not None:
            return cached
        claims = verified_claims(self._public_key, token)
        if claims is None:
            return None
        with self._lock:
            if len(self._verified) >= _VERIFIED_CACHE_SIZE:
                self._verified.clear()
            self._verified[token] = claims
        return claims

    def rotate_refresh(self, value: str, client_id: str, requested_scopes: list[str] | None) -> RefreshRecord:
        """Spend a refresh token: it and its access token are revoked, and its record is returned.

        Requested scopes must be among the original ones (checked before anything is revoked).
        """
        with self._lock:
            record = self._refresh.get(value)
            if record is None:
                raise RefreshTokenError("Cannot decrypt the refresh token")
            if record.client_id != client_id:
                raise RefreshTokenError("Token is not linked to client")
            if record.expires_at < self._clock():
                raise RefreshTokenError("Token has expired")
            if record.revoked:
                raise RefreshTokenError("Token has been revoked")
            for scope in requested_scopes or ():
                if scope not in record.scopes:
                    raise ScopeNotGrantedError(scope)
            record.revoked = True
            access = self._access.get(record.access_jti)
            if access is not None:
                access.revoked = True
            return record
