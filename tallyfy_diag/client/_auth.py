"""Authentication: strategies (what you configure) and the httpx.Auth flow that runs them.

Strategies: `PersonalAccessToken` (Settings > Integrations > REST API), `PasswordGrant` (user context, what
most operations need), `ClientCredentials` (application context only) and `RefreshToken` (resume from a
stored refresh token). `strategy.get_auth_flow(...)` builds a `TallyfyAuth`, which:

- fetches a token lazily, through the same httpx client and transport as every other call (so mocks and
  cassettes see the token request), and refreshes it `refresh_margin` seconds before it expires (the earlier of
  `expires_in` and the JWT `exp`);
- on a 401 refreshes once and retries once, never in a loop (not when the token was fetched for this very
  request: a brand-new token that is refused will not do better the second time);
- is single-flight: a `threading.Lock` (sync) or an `asyncio.Lock` per event loop (async) makes concurrent
  requests holding the same expired token wait for ONE token request and then use its result;
- refuses, before sending, an application-only token (client_credentials, or a JWT with an empty `sub`) on an
  operation the spec marks `x-requires-user`, naming the fix (the password grant); on other paths the 401
  mapping says the same after the fact;
- can persist tokens for command-line use (`FileTokenStore`, a file created with mode 0600).

Nothing here puts a secret in a `repr()`: secret fields show `[redacted]`, tokens show a SHA-256 fingerprint.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import os
import tempfile
import threading
import time
import weakref
from collections.abc import AsyncGenerator, Callable, Generator, Mapping
from pathlib import Path
from typing import Any, ClassVar, Final, Protocol

import attrs
import httpx

from tallyfy_diag import _constants as c
from tallyfy_diag import _json
from tallyfy_diag._jwt import JwtError, decode_unverified
from tallyfy_diag._redact import REDACTED, fingerprint
from tallyfy_diag._spec import find_operation_under
from tallyfy_diag.client._errors import (
    APP_ONLY_TOKEN_EXTENSION,
    TOKEN_REQUEST_EXTENSION,
    USE_PASSWORD_GRANT,
    ConfigurationError,
    UserContextRequiredError,
    error_from_response,
    unexpected_response,
)

DEFAULT_REFRESH_MARGIN: Final = 60.0
TOKEN_FILE_MODE: Final = 0o600

Clock = Callable[[], float]


def _hidden(_: object) -> str:
    return REDACTED


def _check_credential(name: str, value: str) -> None:
    """Reject values that cannot be right, without echoing them."""
    if not value:
        raise ConfigurationError(f"{name} is empty", next_step=f"set {name}")
    if any(ch.isspace() or ord(ch) < 32 or ch == "\x7f" for ch in value):
        raise ConfigurationError(
            f"{name} contains whitespace or control characters",
            next_step=f"copy {name} again without quotes, spaces or a trailing newline",
        )


def _check_client_id(client_id: str) -> None:
    _check_credential("client_id", client_id)
    if not client_id.isdigit():
        raise ConfigurationError(
            "client_id must be numeric (Tallyfy answers invalid_client otherwise)",
            next_step="use the numeric Client ID Tallyfy Support issued for your application",
        )


def jwt_claims(token: str) -> dict[str, Any] | None:
    """The (unverified) claims of a JWT, or None for an opaque token: used only to plan refreshes."""
    try:
        return decode_unverified(token).claims
    except JwtError:
        return None


@attrs.frozen
class Token:
    """An access token, its refresh token and when it stops working (client clock, seconds since the epoch)."""

    access_token: str = attrs.field(repr=fingerprint)
    refresh_token: str | None = attrs.field(default=None, repr=lambda v: "None" if v is None else REDACTED)
    expires_at: float | None = None
    issued_at: float | None = None
    app_only: bool = False

    @classmethod
    def issued(
        cls, access_token: str, *, refresh_token: str | None, expires_in: float | None, now: float, grant: str
    ) -> Token:
        claims = jwt_claims(access_token)
        deadlines = [now + expires_in] if expires_in is not None else []
        exp = claims.get("exp") if claims else None
        # bool is an int in Python, and NaN or infinity would poison min(): only a finite NumericDate counts.
        if isinstance(exp, int | float) and not isinstance(exp, bool) and math.isfinite(exp):
            deadlines.append(float(exp))
        # league/oauth2-server leaves `sub` empty on client_credentials tokens: an offline way to tell them apart.
        app_only = grant == c.GRANT_CLIENT_CREDENTIALS or (claims is not None and not claims.get("sub"))
        return cls(
            access_token,
            refresh_token=refresh_token,
            expires_at=min(deadlines) if deadlines else None,
            issued_at=now,
            app_only=app_only,
        )

    def refresh_at(self, margin: float) -> float:
        """When it is due for refresh: `margin` before expiry (at most half its lifetime, so short tokens still
        get used); never for a token without an expiry."""
        if self.expires_at is None:
            return math.inf
        if self.issued_at is not None:
            margin = min(margin, (self.expires_at - self.issued_at) / 2)
        return self.expires_at - margin

    def to_json(self) -> dict[str, Any]:
        return attrs.asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Token:
        return cls(**{field.name: data[field.name] for field in attrs.fields(cls) if field.name in data})


class TokenStore(Protocol):
    """Where tokens survive between runs; `key` identifies the credential (never contains a secret)."""

    def load(self, key: str) -> Token | None: ...

    def save(self, key: str, token: Token) -> None: ...


@attrs.define
class FileTokenStore:
    """A JSON file readable by its owner only (created 0600, rewritten atomically)."""

    path: Path = attrs.field(converter=Path)

    @classmethod
    def default(cls) -> FileTokenStore:
        base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
        return cls(Path(base) / "tallyfy-diag" / "tokens.json")

    def _read(self) -> dict[str, Any]:
        try:
            data = _json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def load(self, key: str) -> Token | None:
        entry = self._read().get(key)
        if not isinstance(entry, dict):
            return None
        try:
            return Token.from_json(entry)
        except TypeError:
            return None

    def save(self, key: str, token: Token) -> None:
        entries = self._read()
        entries[key] = token.to_json()
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        # mkstemp creates the file 0600 before anything is written; os.replace keeps that mode.
        handle, scratch = tempfile.mkstemp(dir=self.path.parent, prefix=".tokens-", suffix=".tmp")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as stream:
                json.dump(entries, stream)
            os.chmod(scratch, TOKEN_FILE_MODE)
            os.replace(scratch, self.path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(scratch)
            raise


class AuthStrategy:
    """What the user configures; `get_auth_flow` turns it into an httpx.Auth."""

    grant: ClassVar[str | None] = None
    # An application-only strategy: refused before sending on operations that need a user.
    app_only: ClassVar[bool] = False

    def grant_form(self) -> dict[str, str] | None:
        """The token-request form of this strategy's own grant, or None when it cannot fetch tokens."""
        return None

    def client_form(self) -> dict[str, str] | None:
        """client_id and client_secret for a refresh_token grant, or None when there is no client."""
        return None

    def initial_token(self, now: float) -> Token | None:
        return None

    def secrets(self) -> tuple[str, ...]:
        """Values to redact wherever they might appear (error bodies, logs)."""
        return ()

    def store_key(self, token_url: str) -> str:
        """Which stored token belongs to this credential: a fingerprint, never the credential itself."""
        return fingerprint(f"{token_url}\0{self.grant}\0{self!r}")

    def get_auth_flow(
        self,
        *,
        token_url: str,
        api_root_path: str = "",
        clock: Clock = time.time,
        token_store: TokenStore | None = None,
        refresh_margin: float = DEFAULT_REFRESH_MARGIN,
        check_user_context: bool = True,
    ) -> TallyfyAuth:
        return TallyfyAuth(
            self,
            token_url=token_url,
            api_root_path=api_root_path,
            clock=clock,
            token_store=token_store,
            refresh_margin=refresh_margin,
            check_user_context=check_user_context,
        )


@attrs.frozen
class PersonalAccessToken(AuthStrategy):
    """A ready token (Settings > Integrations > REST API); it cannot be refreshed, so a 401 is final."""

    token: str = attrs.field(repr=fingerprint)

    def __attrs_post_init__(self) -> None:
        _check_credential("access token", self.token)

    def initial_token(self, now: float) -> Token:
        return Token.issued(self.token, refresh_token=None, expires_in=None, now=now, grant="")

    def secrets(self) -> tuple[str, ...]:
        return (self.token,)


@attrs.frozen
class PasswordGrant(AuthStrategy):
    """OAuth password grant: a user context, refreshed with its refresh token (or the password again)."""

    grant: ClassVar[str | None] = c.GRANT_PASSWORD
    client_id: str
    client_secret: str = attrs.field(repr=_hidden)
    username: str
    password: str = attrs.field(repr=_hidden)
    scope: str | None = None

    def __attrs_post_init__(self) -> None:
        _check_client_id(self.client_id)
        _check_credential("client_secret", self.client_secret)
        _check_credential("username", self.username)
        if not self.password:
            raise ConfigurationError("password is empty", next_step="set the user's password")

    def client_form(self) -> dict[str, str]:
        return {"client_id": self.client_id, "client_secret": self.client_secret}

    def grant_form(self) -> dict[str, str]:
        form = {"grant_type": c.GRANT_PASSWORD, **self.client_form()}
        form |= {"username": self.username, "password": self.password}
        if self.scope is not None:
            form["scope"] = self.scope
        return form

    def secrets(self) -> tuple[str, ...]:
        return (self.client_secret, self.password)


@attrs.frozen
class ClientCredentials(AuthStrategy):
    """OAuth client_credentials: application context only (most operations need a user: see PasswordGrant)."""

    grant: ClassVar[str | None] = c.GRANT_CLIENT_CREDENTIALS
    app_only: ClassVar[bool] = True
    client_id: str
    client_secret: str = attrs.field(repr=_hidden)
    scope: str | None = None

    def __attrs_post_init__(self) -> None:
        _check_client_id(self.client_id)
        _check_credential("client_secret", self.client_secret)

    def client_form(self) -> dict[str, str]:
        return {"client_id": self.client_id, "client_secret": self.client_secret}

    def grant_form(self) -> dict[str, str]:
        form = {"grant_type": c.GRANT_CLIENT_CREDENTIALS, **self.client_form()}
        if self.scope is not None:
            form["scope"] = self.scope
        return form

    def secrets(self) -> tuple[str, ...]:
        return (self.client_secret,)


@attrs.frozen
class RefreshToken(AuthStrategy):
    """Resume a user session from a refresh token (and, optionally, the access token issued with it)."""

    grant: ClassVar[str | None] = c.GRANT_REFRESH_TOKEN
    client_id: str
    client_secret: str = attrs.field(repr=_hidden)
    refresh_token: str = attrs.field(repr=_hidden)
    access_token: str | None = attrs.field(default=None, repr=lambda v: "None" if v is None else REDACTED)

    def __attrs_post_init__(self) -> None:
        _check_client_id(self.client_id)
        _check_credential("client_secret", self.client_secret)
        _check_credential("refresh_token", self.refresh_token)

    def client_form(self) -> dict[str, str]:
        return {"client_id": self.client_id, "client_secret": self.client_secret}

    def initial_token(self, now: float) -> Token:
        # Without an access token, an already-expired placeholder makes the first request refresh.
        if self.access_token is None:
            return Token("", refresh_token=self.refresh_token, expires_at=0.0)
        token = Token.issued(
            self.access_token, refresh_token=None, expires_in=None, now=now, grant=c.GRANT_REFRESH_TOKEN
        )
        return attrs.evolve(token, refresh_token=self.refresh_token)

    def secrets(self) -> tuple[str, ...]:
        return tuple(s for s in (self.client_secret, self.refresh_token, self.access_token) if s)


def _sent_for(token_request: httpx.Request, request: httpx.Request) -> httpx.Request:
    """A token request sent on behalf of `request`: it gets the same timeouts (a request built outside the
    client has none, and would wait forever), and a mark, so the retry policy judges it on its own terms
    instead of resending it with the call that needed it."""
    if "timeout" in request.extensions:
        token_request.extensions["timeout"] = dict(request.extensions["timeout"])
    token_request.extensions[TOKEN_REQUEST_EXTENSION] = True
    return token_request


class TallyfyAuth(httpx.Auth):
    """The flow behind every strategy (see the module docstring)."""

    def __init__(
        self,
        strategy: AuthStrategy,
        *,
        token_url: str,
        api_root_path: str,
        clock: Clock,
        token_store: TokenStore | None,
        refresh_margin: float,
        check_user_context: bool,
    ) -> None:
        self.strategy = strategy
        self._token_url = token_url
        parsed_token_url = httpx.URL(token_url)
        self._token_endpoint = (parsed_token_url.host, parsed_token_url.path)
        self._root = api_root_path.rstrip("/")
        self._clock = clock
        self._store = token_store
        self._store_key = strategy.store_key(token_url)
        self._margin = refresh_margin
        self._check_user_context = check_user_context
        self._can_fetch = strategy.grant_form() is not None or strategy.client_form() is not None
        self._token = strategy.initial_token(clock())
        self._issued_secrets: list[str] = []
        self._thread_lock = threading.Lock()
        self._async_locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
            weakref.WeakKeyDictionary()
        )
        if self._token is None and token_store is not None:
            self._token = token_store.load(self._store_key)

    def __repr__(self) -> str:
        return f"TallyfyAuth({self.strategy!r})"

    def secrets(self) -> tuple[str, ...]:
        """Every secret this flow knows, tokens it was issued included (for redaction)."""
        return (*self.strategy.secrets(), *self._issued_secrets)

    # -- decisions shared by the sync and async flows (no I/O) --------------------------------------------

    def _usable(self, token: Token | None) -> bool:
        if token is None or not token.access_token:
            return False
        return not self._can_fetch or self._clock() < token.refresh_at(self._margin)

    def _refuse_if_user_needed(self, request: httpx.Request, app_only: bool) -> None:
        """For an application-only token: refuse, before sending, an operation that needs a user."""
        if not (app_only and self._check_user_context):
            return
        # Read as the server routes: `/me/` still reaches get_me, so it is refused just the same.
        operation = find_operation_under(request.method, request.url.path, self._root)
        if operation is not None and operation.requires_user:
            raise UserContextRequiredError(
                f"{operation.operation_id} needs a user, and this client has an application-only "
                "(client_credentials) token; nothing was sent",
                next_step=USE_PASSWORD_GRANT,
                method=request.method,
                url=str(request.url),
            )

    def _token_request(self, *, use_refresh: bool) -> tuple[httpx.Request, str]:
        current = self._token
        client = self.strategy.client_form()
        if use_refresh and current is not None and current.refresh_token and client is not None:
            form = {"grant_type": c.GRANT_REFRESH_TOKEN, **client, "refresh_token": current.refresh_token}
        else:
            primary = self.strategy.grant_form()
            if primary is None:
                raise ConfigurationError(
                    "no way to get a new token: the refresh token was refused and no other grant is configured",
                    next_step="sign in again (PasswordGrant) or supply a fresh RefreshToken",
                )
            form = primary
        headers = {
            c.CLIENT_HEADER: c.CLIENT_HEADER_VALUE,
            "Accept": "application/json",
            "Content-Type": c.FORM_CONTENT_TYPE,
        }
        return httpx.Request("POST", self._token_url, data=form, headers=headers), form["grant_type"]

    def _falls_back(self, response: httpx.Response, grant: str) -> bool:
        """A refused refresh token is retried once with the strategy's own grant (the password, say)."""
        return (
            grant == c.GRANT_REFRESH_TOKEN
            and response.status_code in (400, 401)
            and self.strategy.grant_form() is not None
        )

    def _accept(self, response: httpx.Response, grant: str) -> Token:
        if response.status_code != 200:
            raise error_from_response(response, secrets=self.secrets())
        try:
            body = _json.loads(response.content)
            access_token = body["access_token"]
        except (ValueError, KeyError, TypeError):
            raise unexpected_response(
                response, "the token response is not a JSON object with an access_token", secrets=self.secrets()
            ) from None
        if not isinstance(access_token, str) or not access_token:
            raise unexpected_response(
                response, "the token response's access_token is not a string", secrets=self.secrets()
            )
        refresh_token = body.get("refresh_token") or (
            self._token.refresh_token if self._token and grant == c.GRANT_REFRESH_TOKEN else None
        )
        expires_in = body.get("expires_in")
        token = Token.issued(
            access_token,
            refresh_token=refresh_token,
            expires_in=float(expires_in) if isinstance(expires_in, int | float) else None,
            now=self._clock(),
            grant=self.strategy.grant or grant,
        )
        self._issued_secrets.extend(s for s in (access_token, refresh_token) if s)
        del self._issued_secrets[:-8]  # keep the last few: enough for redaction, bounded memory
        self._token = token
        if self._store is not None:
            self._store.save(self._store_key, token)
        return token

    def _authorize(self, request: httpx.Request, token: Token) -> None:
        self._refuse_if_user_needed(request, token.app_only)
        request.headers["Authorization"] = f"{c.BEARER_SCHEME} {token.access_token}"
        request.extensions[APP_ONLY_TOKEN_EXTENSION] = token.app_only

    def _async_lock(self) -> asyncio.Lock:
        loop = asyncio.get_running_loop()
        lock = self._async_locks.get(loop)
        if lock is None:
            lock = self._async_locks[loop] = asyncio.Lock()
        return lock

    def _is_token_request(self, request: httpx.Request) -> bool:
        """Calls to the token endpoint itself (say, the generated issue_token) carry no bearer token. Token
        requests are POSTs (RFC 6749 §3.2), so other methods skip the URL's decoding, which costs every call."""
        return request.method == "POST" and (request.url.host, request.url.path) == self._token_endpoint

    def _needs_fetch(self, retrying_after_401: bool, refused: Token | None) -> bool:
        """Under the lock: fetch unless another request already replaced the token we hold."""
        if retrying_after_401:
            return self._token is refused
        return not self._usable(self._token)

    def _fetch_steps(self) -> Generator[httpx.Request, httpx.Response, Token]:
        """The token requests to send (each response arrives read): refresh grant, then the strategy's own."""
        token_request, grant = self._token_request(use_refresh=True)
        response = yield token_request
        if self._falls_back(response, grant):
            token_request, grant = self._token_request(use_refresh=False)
            response = yield token_request
        return self._accept(response, grant)

    # -- the flows: try once; after a 401, refresh once and try once more ----------------------------------

    def sync_auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        if self._is_token_request(request):
            yield request
            return
        self._refuse_if_user_needed(request, self.strategy.app_only)
        token, fetched = self._token, False
        for retrying in (False, True):
            if retrying or not self._usable(token):
                with self._thread_lock:
                    if self._needs_fetch(retrying, token):
                        steps = self._fetch_steps()
                        token_request = _sent_for(next(steps), request)
                        while True:
                            token_response = yield token_request
                            token_response.read()
                            try:
                                token_request = _sent_for(steps.send(token_response), request)
                            except StopIteration:
                                break
                        fetched = True
                    token = self._token
            assert token is not None
            self._authorize(request, token)
            response = yield request
            if response.status_code != 401 or fetched or not self._can_fetch:
                return

    async def async_auth_flow(self, request: httpx.Request) -> AsyncGenerator[httpx.Request, httpx.Response]:
        if self._is_token_request(request):
            yield request
            return
        self._refuse_if_user_needed(request, self.strategy.app_only)
        token, fetched = self._token, False
        for retrying in (False, True):
            if retrying or not self._usable(token):
                async with self._async_lock():
                    if self._needs_fetch(retrying, token):
                        steps = self._fetch_steps()
                        token_request = _sent_for(next(steps), request)
                        while True:
                            token_response = yield token_request
                            await token_response.aread()
                            try:
                                token_request = _sent_for(steps.send(token_response), request)
                            except StopIteration:
                                break
                        fetched = True
                    token = self._token
            assert token is not None
            self._authorize(request, token)
            response = yield request
            if response.status_code != 401 or fetched or not self._can_fetch:
                return
