"""`Tallyfy` and `AsyncTallyfy`: the generated client, configured to be safe, with no per-operation code.

The generated functions (`tallyfy_client.api.<tag>.<operation_id>`) all send through
`client.get_httpx_client().request(...)`. So everything this wrapper adds lives in the httpx client it hands
to the generated `AuthenticatedClient`, and every generated operation gets it, including ones added later:

- `X-Tallyfy-Client: APIClient` and `Accept: application/json` on every request; a normalised base URL
  (either host style); timeouts; `raise_on_unexpected_status=True`;
- auth (`TallyfyAuth`: lazy token, refresh, single-flight, user-context check);
- request dates: datetimes in JSON bodies and query parameters go out in the seed format (`_dates`);
- retries (`RetryPolicy`) around the whole auth flow, so each retry uses the current token;
- errors: any status >= 300 raises the mapped `APIError` (so `sync()` never hands back an error model or
  None for a failure), transport failures raise `TransportError`; a success the spec does not document (an
  unlisted 2xx, a body that is not the documented JSON) raises `UnexpectedResponseError`;
- bounds: `timeout=` applies to every request sent, token requests included, and `deadline=` (seconds, off by
  default) caps a whole call, its retries and any token request, even against a server that drips bytes;
- redacting debug logs.

Call operations through the generated resources (`tf.blueprints.list()`, see `_facade` and `_resources`), or
use the generated functions directly (`list_blueprints.sync(org, client=tf.client)`), or let `tf.call(...)`
fill in `client=` and the organization (`org=`), and `tf.paginate(...)` walk every page.
"""

from __future__ import annotations

import contextvars
import functools
import inspect
import json
import math
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from types import ModuleType
from typing import Any, Final, NamedTuple, Self, TypeVar, overload

import httpx
from tallyfy_client.client import AuthenticatedClient

from tallyfy_diag import __version__, _json
from tallyfy_diag import _constants as c
from tallyfy_diag._deadline import (
    capped_timeout,
    end_deadline,
    install_deadline_backend,
    start_deadline,
    time_left,
)
from tallyfy_diag._spec import find_operation_under, load_spec
from tallyfy_diag._tls import shared_ssl_context
from tallyfy_diag.client._auth import (
    DEFAULT_REFRESH_MARGIN,
    AuthStrategy,
    Clock,
    TallyfyAuth,
    TokenStore,
)
from tallyfy_diag.client._config import normalize_base_url, settings_from_env
from tallyfy_diag.client._dates import DEFAULT_DATES, DateSettings, contains_date
from tallyfy_diag.client._errors import (
    TOKEN_REQUEST_EXTENSION,
    ConfigurationError,
    RateLimitError,
    RequestTimeoutError,
    TallyfyError,
    error_from_response,
    error_from_transport,
    unexpected_response,
)
from tallyfy_diag.client._facade import LazyPage, ListShape, aiterate_pages, iterate_pages, lazy_page
from tallyfy_diag.client._logging import alog_request, alog_response, log_request, log_response
from tallyfy_diag.client._parsing import PARSE_ERRORS, schema_mismatch
from tallyfy_diag.client._resources import LIST_SHAPES, AsyncResources, SyncResources
from tallyfy_diag.client._retry import RetryPolicy

DEFAULT_TIMEOUT: Final = httpx.Timeout(30.0, connect=10.0)
ORG_PARAMETER: Final = "org"

T = TypeVar("T")


def _default_headers() -> dict[str, str]:
    return {
        c.CLIENT_HEADER: c.CLIENT_HEADER_VALUE,
        "Accept": "application/json",
        "User-Agent": f"tallyfy-diag/{__version__}",
    }


_ENCODED: Final = (str, bytes)


def _convert_dates(dates: DateSettings, kwargs: dict[str, Any]) -> None:
    if kwargs.get("json") is None and kwargs.get("params") is None and kwargs.get("data") is None:
        return  # most requests: nothing that could hold a date
    for name in ("json", "params", "data"):
        value = kwargs.get(name)
        if value is not None and not isinstance(value, _ENCODED) and contains_date(value):
            kwargs[name] = dates.convert(value)


Outcome = httpx.Response | httpx.TransportError | RateLimitError

# The last response a call received, for turning a generated parser's KeyError/TypeError into a typed error.
# A list, so that tasks (which copy the context) still report back to the call that started them.
_RECEIVED: contextvars.ContextVar[list[httpx.Response] | None] = contextvars.ContextVar(
    "tallyfy_diag_received", default=None
)


def _failed_request(error: httpx.TransportError, request: httpx.Request) -> httpx.Request:
    """The request that failed: the call's own, or a token request the auth flow sent for it."""
    try:
        return error.request
    except RuntimeError:  # httpx raises when no request was attached
        return request


def _retry_delay(policy: RetryPolicy, request: httpx.Request, outcome: Outcome, attempt: int) -> float | None:
    if isinstance(outcome, httpx.Response):
        return policy.delay_for_response(outcome, attempt)
    if isinstance(outcome, httpx.TransportError):
        failed = _failed_request(outcome, request)
        if failed is not request and failed.extensions.get(TOKEN_REQUEST_EXTENSION):
            return policy.delay_for_token_request_error(failed, outcome, attempt)
        return policy.delay_for_transport_error(request, outcome, attempt)
    # A RateLimitError, raised by the auth flow: the token request was rate limited.
    return None if outcome.response is None else policy.delay_for_response(outcome.response, attempt)


@functools.lru_cache(maxsize=1024)  # a client calls the same paths again: one dict lookup per response
def _documented(method: str, path: str, api_root: str) -> tuple[str, dict[int, bool | None], str | None] | None:
    """What the spec documents for a request's URL path under the client's API root (None: no operation of the
    spec): the operation id, then status -> None (no JSON body), True (a JSON object), False (a JSON array), and
    the 2xx codes it lists (None when `default` or `2XX` allows any). Read from the spec once per path."""
    operation = find_operation_under(method, path, api_root)
    if operation is None:
        return None
    method_spec = load_spec()["paths"][operation.path_template][operation.method.lower()]
    responses: Mapping[str, Any] = method_spec.get("responses") or {}
    shapes: dict[int, bool | None] = {}
    for code, documented in responses.items():
        if not code.isdigit():
            continue  # `default` or `2XX`: no one status, and `listed` below says any is allowed
        content = documented.get("content") or {}
        json_schema = next((media.get("schema") or {} for kind, media in content.items() if "json" in kind), None)
        shapes[int(code)] = None if json_schema is None else json_schema.get("type") != "array"
    if "default" in responses or "2XX" in responses:
        return operation.operation_id, shapes, None
    return operation.operation_id, shapes, ", ".join(sorted(code for code in responses if code.startswith("2")))


_SPENT: Final = object()


class _ParsedJSON:
    """`response.json()` that hands the first caller (the generated parser) the body `_undocumented` already
    parsed, so a response is parsed once; later calls parse afresh, as httpx does, so no one shares a value."""

    __slots__ = ("_content", "_value")

    def __init__(self, value: Any, content: bytes) -> None:
        self._value = value
        self._content = content

    def __call__(self, **kwargs: Any) -> Any:
        value, self._value = self._value, _SPENT
        return json.loads(self._content, **kwargs) if value is _SPENT or kwargs else value


def _undocumented(response: httpx.Response, api_root: str) -> str | None:
    """Why a success cannot be what the spec documents for its operation (None: it can, or it is not one)."""
    request = response.request
    documented = _documented(request.method, request.url.path, api_root)
    if documented is None:
        return None
    operation_id, shapes, listed = documented
    status = response.status_code
    if status not in shapes:
        if listed is None:
            return None
        return f"status {response.status_code}; {operation_id} answers {listed or 'no success status'}"
    wants_object = shapes[status]
    if wants_object is None:
        return None
    try:
        # Parsed once here; the generated parser gets this value (see loads_for_models for why no depth walk).
        body = _json.loads_for_models(response.content)
    except ValueError:
        return f"status {response.status_code} with a body that is not JSON"
    if wants_object and not isinstance(body, dict):
        return f"status {response.status_code} with JSON that is not an object"
    response.json = _ParsedJSON(body, response.content)  # type: ignore[method-assign]
    return None


def _final(
    request: httpx.Request, outcome: Outcome, auth: httpx.Auth | None, api_root: str, deadline: float | None
) -> httpx.Response:
    """The response to hand back, or the error it maps to (the body must have been read already)."""
    if isinstance(outcome, httpx.TransportError):
        ran_out = deadline is not None and isinstance(outcome, httpx.TimeoutException) and time_left() == 0
        failed = _failed_request(outcome, request)
        raise error_from_transport(failed, outcome, deadline=deadline if ran_out else None) from outcome
    if isinstance(outcome, RateLimitError):
        raise outcome
    if outcome.status_code >= 300:
        raise error_from_response(outcome, secrets=_secrets(auth))
    problem = _undocumented(outcome, api_root)
    if problem is not None:
        raise unexpected_response(outcome, problem, secrets=_secrets(auth))
    received = _RECEIVED.get()
    if received is not None:
        received[:] = [outcome]
    return outcome


def _secrets(auth: httpx.Auth | None) -> tuple[str, ...]:
    return auth.secrets() if isinstance(auth, TallyfyAuth) else ()


def _out_of_time(request: httpx.Request, deadline: float | None) -> RequestTimeoutError:
    return RequestTimeoutError(
        f"the call did not finish within its {deadline:g}s deadline (retries and token requests included)",
        next_step="retry later, or raise deadline= if the server is just slow",
        method=request.method,
        url=str(request.url),
    )


def _bound_attempt(request: httpx.Request, deadline: float) -> None:
    """Before each attempt: stop if the call's deadline has passed, else cut every timeout to what is left."""
    if time_left() == 0:
        raise _out_of_time(request, deadline)
    timeout = request.extensions.get("timeout")
    if timeout:
        request.extensions["timeout"] = capped_timeout(httpx.Timeout(**timeout))


def _outlasts_deadline(delay: float, deadline: float | None) -> bool:
    """A retry whose wait would outlast the call's deadline is not made (waiting to fail helps nobody)."""
    left = time_left()
    return deadline is not None and left is not None and delay >= left


# The response headers the cookie jar reads (http.cookiejar: Netscape and RFC 2965 cookies).
_SET_COOKIE_HEADERS: Final = (b"set-cookie", b"set-cookie2")


class _CookieStore(httpx.Cookies):
    """httpx's cookie store, except that a response setting no cookie is not handed to the jar.

    To ask the jar, httpx wraps every response and its request in urllib adapters (copying their headers and
    URL), about 30 us: a sixth of what a whole request costs with no network, for an API that answers with a
    bearer token and rarely sets a cookie. A response that sets one is stored exactly as httpx stores it."""

    def extract_cookies(self, response: httpx.Response) -> None:
        if any(name.lower() in _SET_COOKIE_HEADERS for name, _ in response.headers.raw):
            super().extract_cookies(response)


class _StoresCookies:
    """The clients' `cookies` is a `_CookieStore`, whether given at construction or set later. httpx keeps the
    store in `_cookies` and reads it only through this property; the clients' __init__ replaces the one httpx
    built (a caller's `CookieJar` is shared, not copied, as httpx does)."""

    _cookies: httpx.Cookies

    @property
    def cookies(self) -> httpx.Cookies:
        return self._cookies

    @cookies.setter
    def cookies(self, cookies: Any) -> None:
        self._cookies = _CookieStore(cookies)


class _HTTPClient(_StoresCookies, httpx.Client):
    """httpx.Client plus request dates, retries, a deadline and error mapping (auth and logging are standard)."""

    def __init__(
        self, *, retry: RetryPolicy, dates: DateSettings, deadline: float | None, api_root: str, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.cookies = kwargs.get("cookies")
        self.retry_policy = retry
        self.date_settings = dates
        self.deadline = deadline
        self.api_root = api_root
        install_deadline_backend(self)

    def build_request(self, method: str, url: httpx.URL | str, **kwargs: Any) -> httpx.Request:
        _convert_dates(self.date_settings, kwargs)
        return super().build_request(method, url, **kwargs)

    def send(self, request: httpx.Request, **kwargs: Any) -> httpx.Response:
        # Without a deadline of its own a send needs no scope: an enclosing one still rides in the context.
        started = None if self.deadline is None else start_deadline(self.deadline)
        try:
            attempt = 0
            while True:
                if self.deadline is not None:
                    _bound_attempt(request, self.deadline)
                outcome: Outcome
                try:
                    outcome = super().send(request, **kwargs)
                except (httpx.TransportError, RateLimitError) as error:
                    outcome = error
                delay = _retry_delay(self.retry_policy, request, outcome, attempt)
                if delay is None or _outlasts_deadline(delay, self.deadline):
                    if isinstance(outcome, httpx.Response):
                        outcome.read()
                    return _final(request, outcome, self.auth, self.api_root, self.deadline)
                if isinstance(outcome, httpx.Response):
                    outcome.close()
                self.retry_policy.sleep(delay)
                attempt += 1
        finally:
            if started is not None:
                end_deadline(started)


class _AsyncHTTPClient(_StoresCookies, httpx.AsyncClient):
    """The async twin of `_HTTPClient`."""

    def __init__(
        self, *, retry: RetryPolicy, dates: DateSettings, deadline: float | None, api_root: str, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.cookies = kwargs.get("cookies")
        self.retry_policy = retry
        self.date_settings = dates
        self.deadline = deadline
        self.api_root = api_root
        install_deadline_backend(self)

    def build_request(self, method: str, url: httpx.URL | str, **kwargs: Any) -> httpx.Request:
        _convert_dates(self.date_settings, kwargs)
        return super().build_request(method, url, **kwargs)

    async def send(self, request: httpx.Request, **kwargs: Any) -> httpx.Response:
        # Without a deadline of its own a send needs no scope: an enclosing one still rides in the context.
        started = None if self.deadline is None else start_deadline(self.deadline)
        try:
            attempt = 0
            while True:
                if self.deadline is not None:
                    _bound_attempt(request, self.deadline)
                outcome: Outcome
                try:
                    outcome = await super().send(request, **kwargs)
                except (httpx.TransportError, RateLimitError) as error:
                    outcome = error
                delay = _retry_delay(self.retry_policy, request, outcome, attempt)
                if delay is None or _outlasts_deadline(delay, self.deadline):
                    if isinstance(outcome, httpx.Response):
                        await outcome.aread()
                    return _final(request, outcome, self.auth, self.api_root, self.deadline)
                if isinstance(outcome, httpx.Response):
                    await outcome.aclose()
                await self.retry_policy.async_sleep(delay)
                attempt += 1
        finally:
            if started is not None:
                end_deadline(started)


class _TypedParseErrors:
    """Around a generated function the client cannot look inside (`sync_detailed`, a caller's own): a parser
    tripping over a body (`PARSE_ERRORS`) becomes UnexpectedResponseError; the same exceptions raised before
    any response arrived (bad arguments) pass through untouched."""

    __slots__ = ("_received", "_secrets", "_token")

    def __init__(self, secrets: Callable[[], tuple[str, ...]]) -> None:
        self._secrets = secrets
        self._received: list[httpx.Response] = []

    def __enter__(self) -> None:
        self._token = _RECEIVED.set(self._received)

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, traceback: object) -> None:
        _RECEIVED.reset(self._token)
        if error is None or isinstance(error, TallyfyError) or not self._received:
            return
        if isinstance(error, PARSE_ERRORS):
            raise schema_mismatch(self._received[0], error, secrets=self._secrets()) from None


@functools.cache
def _parameters(function: Callable[..., Any]) -> frozenset[str]:
    return frozenset(inspect.signature(function).parameters)


class _Direct(NamedTuple):
    """A generated operation's request builder and response parser, and whether it takes the organization."""

    build: Callable[..., dict[str, Any]]
    parse: Callable[..., Any]
    takes_org: bool


@functools.lru_cache(maxsize=1024)  # a program calls the same few operations again and again
def _plan(operation: ModuleType | Callable[..., Any], variant: str) -> tuple[Callable[..., Any], _Direct | None]:
    """What `call` runs for `operation`: the function (a generated module's `variant`; a function as given), and
    its builder and parser when it is a generated one."""
    if not isinstance(operation, ModuleType):
        return operation, _direct(operation)
    function = getattr(operation, variant, None)
    if not callable(function):
        raise TypeError(f"{operation.__name__} is not a generated operation module (no {variant}())")
    return function, _direct(function)


def _direct(function: Callable[..., Any]) -> _Direct | None:
    """For a generated operation's `sync` or `asyncio`: its module's request builder and response parser.

    Those two are all the generated function does around sending (it also wraps the response in a `Response`
    that `sync` drops at once): calling them directly saves that wrapping, about a quarter of what `call` added
    to a request over raw httpx. None for any other function, which is then called as it is."""
    module = sys.modules.get(getattr(function, "__module__", ""))
    if module is None or getattr(module, getattr(function, "__name__", ""), None) is not function:
        return None
    if function.__name__ not in {"sync", "asyncio"}:
        return None
    build, parse = getattr(module, "_get_kwargs", None), getattr(module, "_parse_response", None)
    if not (callable(build) and callable(parse)):
        return None
    return _Direct(build, parse, ORG_PARAMETER in _parameters(function))


class _Paged(NamedTuple):
    """A paged list operation: its generated request builder and how it answers."""

    name: str
    request: Callable[..., dict[str, Any]]
    takes_org: bool
    shape: ListShape[Any]


def _paged(operation: ModuleType | Callable[..., Any]) -> _Paged:
    """A paged list operation given as its generated module or any of its four functions."""
    module = operation if isinstance(operation, ModuleType) else sys.modules.get(getattr(operation, "__module__", ""))
    name = getattr(module, "__name__", "")
    shape = LIST_SHAPES.get(name)
    if module is None or shape is None:
        raise TypeError(
            f"cannot paginate {operation!r}: pass a generated list operation that pages (its module or one of its "
            "functions), such as list_blueprints"
        )
    return _Paged(name, module._get_kwargs, ORG_PARAMETER in _parameters(module._get_kwargs), shape)


class _Base:
    """Configuration shared by the sync and async entry points."""

    def __init__(
        self,
        auth: AuthStrategy,
        *,
        org_id: str | None = None,
        base_url: str = c.DEFAULT_BASE_URL,
        token_url: str | None = None,
        timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
        deadline: float | None = None,
        retry: RetryPolicy | None = None,
        dates: DateSettings = DEFAULT_DATES,
        token_store: TokenStore | None = None,
        check_user_context: bool = True,
        refresh_margin: float = DEFAULT_REFRESH_MARGIN,
        clock: Clock = time.time,
        httpx_args: Mapping[str, Any] | None = None,
    ) -> None:
        if not isinstance(auth, AuthStrategy):
            raise ConfigurationError(
                "auth must be an auth strategy",
                next_step="pass PersonalAccessToken(...), PasswordGrant(...), ClientCredentials(...) or "
                "RefreshToken(...), or use from_env()",
            )
        if deadline is not None and not (math.isfinite(deadline) and deadline > 0):
            raise ConfigurationError(
                "deadline must be a positive number of seconds", next_step="pass deadline=60, say, or None"
            )
        self.base_url = normalize_base_url(base_url)
        self.org_id = org_id
        self.auth: TallyfyAuth = auth.get_auth_flow(
            token_url=token_url or self.base_url + c.TOKEN_PATH,
            api_root_path=httpx.URL(self.base_url).path,
            clock=clock,
            token_store=token_store,
            refresh_margin=refresh_margin,
            check_user_context=check_user_context,
        )
        extra = dict(httpx_args or {})
        reserved = sorted(extra.keys() & {"auth", "base_url", "event_hooks", "transport"})
        if reserved:
            raise ConfigurationError(
                f"httpx_args may not set {', '.join(reserved)}: the client owns them",
                next_step="pass auth=, base_url= and transport= to the client itself; add hooks to tf.http",
            )
        self._http_kwargs: dict[str, Any] = {
            "timeout": timeout,
            "follow_redirects": False,
            **extra,
            "base_url": self.base_url,
            # Headers merge: a caller's extra header must not drop X-Tallyfy-Client.
            "headers": {**extra.get("headers", {}), **_default_headers()},
            "auth": self.auth,
            "retry": retry or RetryPolicy(),
            "dates": dates,
            "deadline": deadline,
            "api_root": httpx.URL(self.base_url).path.rstrip("/"),
        }
        self.client = AuthenticatedClient(base_url=self.base_url, token="", raise_on_unexpected_status=True)

    def _default_tls(self, transport: object | None) -> dict[str, Any]:
        """The process's shared TLS context (see `tallyfy_diag._tls`), unless the caller brought a transport or a
        `verify` of their own."""
        if transport is not None or "verify" in self._http_kwargs:
            return {}
        return {"verify": shared_ssl_context(trust_env=self._http_kwargs.get("trust_env", True))}

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **options: Any) -> Self:
        """Configured from TALLYFY_* variables (see `tallyfy_diag.client._config`); `options` override."""
        settings = settings_from_env(environ)
        if settings.auth is None:
            raise ConfigurationError(
                "no Tallyfy credentials in the environment",
                next_step="set TALLYFY_API_TOKEN, or TALLYFY_CLIENT_ID and TALLYFY_CLIENT_SECRET (plus "
                "TALLYFY_USERNAME and TALLYFY_PASSWORD for a user context)",
            )
        options.setdefault("org_id", settings.org_id)
        options.setdefault("base_url", settings.base_url)
        return cls(settings.auth, **options)

    def with_org(self, org_id: str) -> Self:
        """A copy that acts on another organization; it shares this client's connections, token and lock."""
        clone = object.__new__(type(self))
        clone.__dict__.update(self.__dict__)
        clone.org_id = org_id
        return clone

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.base_url!r}, org_id={self.org_id!r}, auth={self.auth!r})"

    def _arguments(self, function: Callable[..., Any], kwargs: dict[str, Any]) -> dict[str, Any]:
        arguments = {"client": self.client, **kwargs}
        self._fill_org(arguments, ORG_PARAMETER in _parameters(function), function)
        return arguments

    def _page_request(
        self, paged: _Paged, args: tuple[Any, ...], kwargs: dict[str, Any], page: int, per_page: int
    ) -> dict[str, Any]:
        """One page's request, from the generated operation's own builder (org filled in as for `call`)."""
        arguments = {**kwargs, "page": page, "per_page": per_page}
        self._fill_org(arguments, paged.takes_org, paged.name)
        return paged.request(*args, **arguments)

    def _fill_org(self, arguments: dict[str, Any], takes_org: bool, operation: Callable[..., Any] | str) -> None:
        """The client's organization, for an operation (a function, or a module's name) that takes one and was
        called without `org=`."""
        if not takes_org or ORG_PARAMETER in arguments:
            return
        if self.org_id is None:
            name = operation if isinstance(operation, str) else f"{operation.__module__}.{operation.__name__}"
            raise ConfigurationError(
                f"{name} needs an organization and none is set",
                next_step="pass org_id= (or set TALLYFY_ORG_ID), or org=... on this call; organizations() lists yours",
            )
        arguments[ORG_PARAMETER] = self.org_id


class Tallyfy(_Base, SyncResources):
    """The synchronous entry point. Close it (or use `with`) to release connections.

    `tf.<resource>.<method>(...)` calls any operation of the spec, typed (`tf.processes.launch(...)`); the
    resources are generated (`_resources.py`). `tf.call(...)` runs a generated function directly.
    """

    def __init__(self, auth: AuthStrategy, *, transport: httpx.BaseTransport | None = None, **options: Any) -> None:
        super().__init__(auth, **options)
        self.http = _HTTPClient(
            transport=transport,
            event_hooks={"request": [log_request], "response": [log_response]},
            **self._default_tls(transport),
            **self._http_kwargs,
        )
        self.client.set_httpx_client(self.http)

    @overload
    def call(self, operation: ModuleType, /, *args: Any, **kwargs: Any) -> Any: ...
    @overload
    def call(self, operation: Callable[..., T], /, *args: Any, **kwargs: Any) -> T: ...
    def call(self, operation: ModuleType | Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
        """Run a generated operation (a module means its `sync`), filling in `client=` and `org=`."""
        function, direct = _plan(operation, "sync")
        if direct is None:
            with _TypedParseErrors(self.auth.secrets):
                return function(*args, **self._arguments(function, kwargs))
        client = kwargs.pop("client", self.client)
        self._fill_org(kwargs, direct.takes_org, function)
        response = self.http.request(**direct.build(*args, **kwargs))
        try:
            return direct.parse(client=client, response=response)
        except PARSE_ERRORS as error:
            raise schema_mismatch(response, error, secrets=self.auth.secrets()) from None

    def paginate(
        self, operation: ModuleType | Callable[..., Any], /, *args: Any, per_page: int = c.MAX_PER_PAGE, **kwargs: Any
    ) -> Iterator[Any]:
        """Every item of a list operation, page after page, holding one page in memory at a time."""
        paged = _paged(operation)
        first = kwargs.pop("page", 1)

        def fetch(page: int) -> LazyPage[Any]:
            response = self.http.request(**self._page_request(paged, args, kwargs, page, per_page))
            return lazy_page(response, page, paged.shape, self.auth.secrets)

        return iterate_pages(fetch, first)

    def organizations(self) -> list[Any]:
        """The current user's organizations (every page)."""
        from tallyfy_client.api.identity import list_my_organizations  # noqa: PLC0415 - keep import light

        return list(self.paginate(list_my_organizations))

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class AsyncTallyfy(_Base, AsyncResources):
    """The asyncio entry point. `await tf.aclose()` (or `async with`) to release connections.

    The same resources as `Tallyfy`, awaited: `await tf.processes.launch(...)`,
    `async for blueprint in tf.blueprints.iter()`.
    """

    def __init__(
        self, auth: AuthStrategy, *, transport: httpx.AsyncBaseTransport | None = None, **options: Any
    ) -> None:
        super().__init__(auth, **options)
        self.http = _AsyncHTTPClient(
            transport=transport,
            event_hooks={"request": [alog_request], "response": [alog_response]},
            **self._default_tls(transport),
            **self._http_kwargs,
        )
        self.client.set_async_httpx_client(self.http)

    @overload
    async def call(self, operation: ModuleType, /, *args: Any, **kwargs: Any) -> Any: ...
    @overload
    async def call(self, operation: Callable[..., Awaitable[T]], /, *args: Any, **kwargs: Any) -> T: ...
    async def call(self, operation: ModuleType | Callable[..., Awaitable[Any]], /, *args: Any, **kwargs: Any) -> Any:
        """Run a generated operation (a module means its `asyncio`), filling in `client=` and `org=`."""
        function, direct = _plan(operation, "asyncio")
        if direct is None:
            with _TypedParseErrors(self.auth.secrets):
                return await function(*args, **self._arguments(function, kwargs))
        client = kwargs.pop("client", self.client)
        self._fill_org(kwargs, direct.takes_org, function)
        response = await self.http.request(**direct.build(*args, **kwargs))
        try:
            return direct.parse(client=client, response=response)
        except PARSE_ERRORS as error:
            raise schema_mismatch(response, error, secrets=self.auth.secrets()) from None

    def paginate(
        self,
        operation: ModuleType | Callable[..., Any],
        /,
        *args: Any,
        per_page: int = c.MAX_PER_PAGE,
        concurrency: int = 1,
        **kwargs: Any,
    ) -> AsyncIterator[Any]:
        """Every item of a list operation, in order (`async for`). With `concurrency` > 1, once the first page
        tells how many pages there are, up to that many pages are fetched at once (memory: `concurrency` pages).
        An operation that does not page is refused here, as the sync client does, not at the first item."""
        paged = _paged(operation)
        first = kwargs.pop("page", 1)

        async def fetch(page: int) -> LazyPage[Any]:
            response = await self.http.request(**self._page_request(paged, args, kwargs, page, per_page))
            return lazy_page(response, page, paged.shape, self.auth.secrets)

        return aiterate_pages(fetch, concurrency, first)

    async def organizations(self) -> list[Any]:
        from tallyfy_client.api.identity import list_my_organizations  # noqa: PLC0415

        return [organization async for organization in self.paginate(list_my_organizations)]

    async def aclose(self) -> None:
        await self.http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()
