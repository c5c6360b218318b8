"""The sandbox as an ASGI application: the request pipeline in the order the real server applies its rules.

1. CORS preflights under /api are answered before anything else (unless the OPTIONS-401 fault is on).
2. Anything outside /api is 404 ENDPOINT_NOT_FOUND.
3. A missing X-Tallyfy-Client is 404 ENDPOINT_NOT_FOUND (or 401, by configuration).
4. An unknown path is 404 ENDPOINT_NOT_FOUND; a known path with the wrong method is 405 with `Allow`.
5. During a configured outage (`outage_requests`), 503 Service Unavailable.
6. Rate limit, body size limit, bearer token, user context (`x-requires-user`), organization access.
7. The operation's handler, holding the store's lock so concurrent writes never interleave.

Every response carries X-Request-Id and a Date header (shifted by `clock_offset`); errors are JSON, and an
unexpected exception is logged and answered with a detail-free 500.
"""

from __future__ import annotations

import functools
import json
import logging
import re
import threading
import uuid
from collections.abc import Callable
from email.utils import formatdate
from typing import Any
from urllib.parse import parse_qsl

import attrs
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.types import Receive, Scope, Send

from tallyfy_diag import _spec
from tallyfy_diag._constants import (
    API_PREFIX,
    APP_PERMISSION_MESSAGE,
    BEARER_SCHEME,
    CLIENT_HEADER,
    FORM_CONTENT_TYPE,
    REQUEST_ID_HEADER,
)
from tallyfy_diag._redact import redact_url

# Handlers register themselves on import.
from tallyfy_diag.sandbox import (  # noqa: F401
    _blueprints,
    _files,
    _form_fields,
    _oauth,
    _organizing,
    _people,
    _processes,
    _sourced,
    _tasks,
)
from tallyfy_diag.sandbox._call import HANDLERS, Binary, Call, Principal
from tallyfy_diag.sandbox._config import CorsFault, SandboxConfig, effective_config
from tallyfy_diag.sandbox._cors import CorsPolicy
from tallyfy_diag.sandbox._credentials import SandboxCredentials
from tallyfy_diag.sandbox._errors import (
    NOT_A_MEMBER_MESSAGE,
    ApiError,
    endpoint_not_found,
    forbidden,
    invalid,
    malformed_authorization,
    method_not_allowed,
    oauth_invalid_request,
    payload_too_large,
    rate_limited,
    server_error,
    unauthenticated,
)
from tallyfy_diag.sandbox._multipart import parse_form_data
from tallyfy_diag.sandbox._outage import Outage, service_unavailable
from tallyfy_diag.sandbox._ratelimit import RateLimiter, Verdict
from tallyfy_diag.sandbox._state import Store
from tallyfy_diag.sandbox._tokens import TokenIssuer
from tallyfy_diag.sandbox._webhooks import WebhookSender

logger = logging.getLogger("tallyfy_diag.sandbox")
MULTIPART_CONTENT_TYPE = "multipart/form-data"

# Laravel reads the token after exactly "Bearer " and the token must be token68 (RFC 9110 section 11.2).
_BEARER = re.compile(rf"{BEARER_SCHEME} ([A-Za-z0-9\-._~+/]+=*)")
# RFC 9110 section 5.5: leading and trailing SP/HTAB are not part of a field value. HTTP parsers (h11 under
# uvicorn) drop them; the app drops them too so an in-process request is judged like one off the wire.
_OWS = " \t"


class ServerClock:
    """The server's now: the configured clock plus however far tests have advanced it."""

    def __init__(self, source: Callable[[], float]) -> None:
        self._source = source
        self._offset = 0.0
        self._lock = threading.Lock()

    def now(self) -> float:
        return self._source() + self._offset

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._offset += seconds


class _Json(JSONResponse):
    def render(self, content: Any) -> bytes:
        try:
            return super().render(content)
        except UnicodeEncodeError:
            # A lone surrogate from a client's JSON cannot be UTF-8 encoded; escaped it is still valid JSON.
            return json.dumps(content, separators=(",", ":")).encode("ascii")


def _error_response(error: ApiError) -> Response:
    return _Json(error.body, status_code=error.status, headers=error.headers)


@attrs.frozen
class _Traits:
    """What the spec says about one operation's request."""

    media_type: str | None
    """The request body's media type; None when the operation takes no body."""
    body_required: bool
    needs_bearer: bool


@functools.cache
def _operation_traits() -> dict[str, _Traits]:
    spec = _spec.load_spec()
    global_security = spec.get("security", [])
    traits: dict[str, _Traits] = {}
    for item in spec.get("paths", {}).values():
        for operation in item.values():
            if not isinstance(operation, dict) or "operationId" not in operation:
                continue
            body = operation.get("requestBody") or {}
            security = operation.get("security", global_security)
            traits[operation["operationId"]] = _Traits(
                media_type=next(iter(body.get("content", {})), None),
                body_required=bool(body.get("required")),
                needs_bearer=any("bearerAuth" in requirement for requirement in security),
            )
    return traits


@functools.lru_cache(maxsize=4096)
def _operations_on(api_path: str) -> tuple[_spec.Operation, ...]:
    """The spec's operations on a path, most specific first (memoized: clients repeat their paths)."""
    return tuple(_spec.find_path(api_path))


def _api_path(path: str) -> str | None:
    """The path under /api the router matches, or None outside it.

    Laravel's router (its UriValidator) matches `rtrim($pathInfo, '/')`: trailing slashes are ignored and
    nothing else is normalised, so `/api//me` is an unknown path.
    """
    path = path.rstrip("/") or "/"
    if path == API_PREFIX:
        return "/"
    if path.startswith(API_PREFIX + "/"):
        return path[len(API_PREFIX) :]
    return None


class SandboxApp:
    """One sandbox: its data, tokens and rules, served over ASGI."""

    def __init__(self, config: SandboxConfig | None = None) -> None:
        self.config = effective_config(config or SandboxConfig())
        self.credentials = SandboxCredentials.from_seed(self.config.seed)
        self.clock = ServerClock(self.config.clock)
        self.store = Store(self.config.seed, self.credentials, self.clock.now)
        self.issuer = TokenIssuer(self.config.seed, self.clock.now, self.store.lock)
        self.cors = CorsPolicy(self.config.cors_origins, self.config.cors_faults)
        self.limiter = (
            RateLimiter(self.config.rate_limit, self.clock.now, self.store.lock) if self.config.rate_limit else None
        )
        self.webhooks = WebhookSender()
        self.outage = Outage(self.config.outage_requests)
        self.served: Callable[[str], None] | None = None
        """Told the operation id of every request routed to an operation (tests record which operations a
        client's calls reach, e.g. the official SDK's methods)."""

    def __repr__(self) -> str:
        return f"SandboxApp(seed={self.config.seed}, scenario={self.config.scenario!r})"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        request = Request(scope, receive)
        request_id = str(uuid.uuid4())
        origin = request.headers.get("origin")
        preflight = False
        verdict: Verdict | None = None
        try:
            preflight = self._is_preflight(request)
            response, verdict = await self._respond(request, preflight)
        except ApiError as error:
            response = _error_response(error)
        except ClientDisconnect:
            return
        except Exception:
            # Logged with its traceback for whoever runs the server; the client learns nothing internal.
            path = _printable(scope["path"])
            logger.exception("unhandled error in %s %s (request %s)", request.method, path, request_id)
            response = _error_response(server_error())
        headers = response.headers
        headers[REQUEST_ID_HEADER] = request_id
        headers["Date"] = formatdate(self.clock.now() + self.config.clock_offset, usegmt=True)
        if verdict is not None:
            headers["X-RateLimit-Limit"] = str(verdict.limit)
            headers["X-RateLimit-Remaining"] = str(verdict.remaining)
        if preflight and response.status_code < 300:
            cors_headers = self.cors.preflight_headers(origin or "")
        else:
            cors_headers = self.cors.response_headers(origin, response.status_code)
        for name, value in cors_headers:
            headers.append(name, value)
        # Escaped first: URL parsing would silently drop a CR or LF the client really sent.
        url = redact_url(_printable(str(request.url)))
        logger.info("%s %s -> %d (%s)", request.method, url, response.status_code, request_id)
        await response(scope, receive, send)

    @staticmethod
    async def _lifespan(receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return

    def _is_preflight(self, request: Request) -> bool:
        return _api_path(request.url.path) is not None and self.cors.is_preflight(
            request.method,
            request.headers.get("origin"),
            request.headers.get("access-control-request-method"),
        )

    async def _respond(self, request: Request, preflight: bool) -> tuple[Response, Verdict | None]:
        if preflight:
            if CorsFault.OPTIONS_401 in self.cors.faults:
                raise unauthenticated(token_presented=False)
            return Response(status_code=204), None
        api_path = _api_path(request.url.path)
        if api_path is None:
            raise endpoint_not_found()
        authorizations = [value.strip(_OWS) for value in request.headers.getlist("authorization")]
        authorization = authorizations[0] if authorizations else None
        if not request.headers.get(CLIENT_HEADER, "").strip():
            if self.config.missing_client_header_status == 401:
                raise unauthenticated(token_presented=bool(authorization))
            raise endpoint_not_found()
        candidates = _operations_on(api_path)
        if not candidates:
            raise endpoint_not_found()
        # The most specific path wins, as a literal segment beats a parameter: `GET .../users/invite` is
        # a wrong method on the invite path, not a user whose id is "invite".
        template = candidates[0].path_template
        on_path = [op for op in candidates if op.path_template == template]
        operation = next((op for op in on_path if op.method == request.method), None)
        if operation is None:
            raise method_not_allowed(sorted({op.method for op in on_path}))
        if self.served is not None:
            self.served(operation.operation_id)
        if self.outage.take():
            # Shown against the Date header's clock, as a gateway would.
            raise service_unavailable(self.clock.now() + self.config.clock_offset)
        params = operation.match(api_path) or {}
        verdict = self._count(request, params.get("org"))
        try:
            body = await self._read_body(request)
            traits = _operation_traits()[operation.operation_id]
            principal = self._authenticate(authorizations) if traits.needs_bearer else None
            self._authorize(principal, operation.requires_user, params.get("org"))
            call = Call(
                store=self.store,
                issuer=self.issuer,
                config=self.config,
                principal=principal,
                params=params,
                query=parse_qsl(request.url.query, keep_blank_values=True),
                body=self._parse_body(request, body, traits),
                url=str(request.url.replace(query="")),
                authorization=authorization,
            )
            handler = HANDLERS.get(operation.operation_id)
            if handler is None:
                # A spec operation the sandbox does not serve yet: to a client it is an endpoint that
                # does not exist (the documented 404), after the same header and token rules as the rest.
                logger.warning("the sandbox does not implement %s", operation.operation_id)
                raise endpoint_not_found()
            with self.store.lock:
                status, payload = handler(call)
        except ApiError as error:
            return _error_response(error), verdict
        if self.config.webhook_url and call.webhooks:
            for delivery in call.webhooks:
                self.webhooks.send(self.config.webhook_url, call.org_id, delivery)
        if payload is None:
            return Response(status_code=status), verdict
        if isinstance(payload, Binary):
            return Response(payload.content, status_code=status, media_type=payload.media_type), verdict
        if "access_token" in payload:
            # RFC 6749 section 5.1: token responses must not be cached.
            return _Json(payload, status, {"Cache-Control": "no-store", "Pragma": "no-cache"}), verdict
        return _Json(payload, status), verdict

    def _count(self, request: Request, org_id: str | None) -> Verdict | None:
        if self.limiter is None:
            return None
        key = f"org:{org_id}" if org_id else f"client:{request.client.host if request.client else 'unknown'}"
        verdict = self.limiter.hit(key)
        if not verdict.allowed:
            raise rate_limited(retry_after=verdict.retry_after, limit=verdict.limit)
        return verdict

    async def _read_body(self, request: Request) -> bytes:
        limit = self.config.max_body_bytes
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            raise payload_too_large(limit)
        chunks: list[bytes] = []
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise payload_too_large(limit)
            chunks.append(chunk)
        return b"".join(chunks)

    def _authenticate(self, authorizations: list[str]) -> Principal:
        if len(authorizations) > 1:
            # Which one would count is undefined (RFC 9110 section 5.3: not a list field), so neither does.
            raise malformed_authorization()
        authorization = authorizations[0] if authorizations else ""
        found = _BEARER.fullmatch(authorization)
        record = self.issuer.verify(found.group(1)) if found else None
        if record is None:
            raise unauthenticated(token_presented=bool(authorization))
        user = self.store.users.get(record.user_id) if record.user_id is not None else None
        if user is not None and user.status == "disabled":
            raise unauthenticated(token_presented=True)
        return Principal(record.client_id, record.user_id)

    def _authorize(self, principal: Principal | None, requires_user: bool, org_id: str | None) -> None:
        if principal is None:
            return
        if principal.user_id is None:
            if requires_user:
                # An application token has no user: Tallyfy answers 401 as if unauthenticated.
                raise unauthenticated(token_presented=True)
            client = self.store.clients[principal.client_id]
            if org_id is not None and org_id not in client.app_org_ids:
                raise forbidden(APP_PERMISSION_MESSAGE)
        elif org_id is not None and not self.store.is_member(principal.user_id, org_id):
            raise forbidden(NOT_A_MEMBER_MESSAGE)

    @staticmethod
    def _parse_body(request: Request, body: bytes, traits: _Traits) -> Any:
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if traits.media_type is None:
            return None
        if traits.media_type == FORM_CONTENT_TYPE:
            # league reads parameters from a parsed form only: any other body has no grant_type.
            if content_type != FORM_CONTENT_TYPE:
                return {}
            try:
                return dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True, errors="strict"))
            except (UnicodeDecodeError, ValueError):
                raise oauth_invalid_request(
                    "body", "The body is not valid application/x-www-form-urlencoded UTF-8"
                ) from None
        if traits.media_type == MULTIPART_CONTENT_TYPE:
            if content_type != MULTIPART_CONTENT_TYPE:
                raise invalid({"body": ["The request body must be multipart/form-data."]})
            try:
                return parse_form_data(request.headers.get("content-type", ""), body)
            except ValueError:
                raise invalid({"body": ["The request body is not valid multipart/form-data."]}) from None
        if not body.strip():
            if traits.body_required:
                raise invalid({"body": ["The request body is required (a JSON object)."]})
            return {}
        if content_type == FORM_CONTENT_TYPE:
            # Laravel reads a form body like JSON, and Tallyfy's SDK sends one (its blueprint clone).
            try:
                return dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True, errors="strict"))
            except (UnicodeDecodeError, ValueError):
                raise invalid({"body": ["The body is not valid application/x-www-form-urlencoded UTF-8."]}) from None
        if content_type != "application/json" and not content_type.endswith("+json"):
            raise invalid({"body": ["The request body must be JSON (Content-Type: application/json)."]})
        try:
            parsed = json.loads(body, parse_constant=_reject_constant)
        except (ValueError, RecursionError):
            raise invalid({"body": ["The request body is not valid JSON."]}) from None
        if not isinstance(parsed, dict):
            raise invalid({"body": ["The request body must be a JSON object."]})
        return parsed


def _printable(text: str) -> str:
    """`text` with every unprintable character (controls, NUL, bidi overrides) escaped, fit for one log line."""
    if text.isprintable():
        return text
    return "".join(character if character.isprintable() else ascii(character)[1:-1] for character in text)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def create_app(config: SandboxConfig | None = None) -> SandboxApp:
    """A sandbox ASGI app; serve it with any ASGI server or call it through `httpx.ASGITransport`."""
    return SandboxApp(config)
