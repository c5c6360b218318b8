"""The live doctor: a few cheap probes against the API, judged by the same checks as `explain`.

Probes, in order (each counted; Tallyfy allows about 100 requests a minute per organization):
1. the token request, when credentials rather than a token are configured; when refused, resent with ONE change
   at a time (the client header, a form body, the grant_type's spelling, a missing parameter, the /api prefix);
   the change that gets a token is kept for later token requests;
2. `GET /me` as the client would send it, and when it answers 401 (or 404 'API endpoint not found'),
   isolation: the same idempotent GET resent with ONE change at a time (the client header, the Authorization
   form, the /api prefix, a fresh token, a user token) until one turns it into a 2xx;
3. with `--origin`: the browser's preflight, and an unauthenticated call to see whether errors carry CORS
   headers;
4. `GET /me/organizations` (membership) and one page of the organization's blueprints.

Requests are sent with raw httpx on purpose: the doctor must be able to send what a broken client sends.
Redirects are not followed (the redirect check wants to see them).
"""

from __future__ import annotations

import enum
import json
import ssl
from collections.abc import Collection, Mapping, Sequence
from typing import Any, Final, Literal
from urllib.parse import urlencode

import attrs
import httpx

from tallyfy_diag._constants import (
    API_PREFIX,
    CLIENT_HEADER,
    CLIENT_HEADER_VALUE,
    DEFAULT_BASE_URL,
    ENDPOINT_NOT_FOUND_CODE,
    FORM_CONTENT_TYPE,
    GRANT_CLIENT_CREDENTIALS,
    GRANT_PASSWORD,
    GRANT_TYPES,
    TOKEN_PATH,
)
from tallyfy_diag._http_rules import transport_failure_kind
from tallyfy_diag._redact import redact_text, redact_url
from tallyfy_diag._tls import shared_ssl_context
from tallyfy_diag.diagnostics import _cors
from tallyfy_diag.diagnostics._checks._common import exchange_label
from tallyfy_diag.diagnostics._evidence import (
    Evidence,
    Exchange,
    Header,
    IsolationTrial,
    Request,
    Response,
    TokenView,
    TransportFailure,
    split_url,
    utc_now,
)
from tallyfy_diag.diagnostics._report import Report, summarize_exchange, summarize_token
from tallyfy_diag.diagnostics._runner import diagnose
from tallyfy_diag.diagnostics._scenarios import DOCUMENTED_HABITS, ClientHabits
from tallyfy_diag.diagnostics._secrets import collect_secrets

DEFAULT_TIMEOUT: Final = 10.0
_CANONICAL_AUTHORIZATION: Final = DOCUMENTED_HABITS.authorization
DAY_FIRST_DEADLINE: Final = "2030-15-07 17:00:00"
"""15 July 2030 written day-first, as an older text of Tallyfy's guide said: Tallyfy reads Y-m-d and refuses it."""


@attrs.frozen
class Credential:
    """A configured value and where it came from (for 'your environment variable ends in a newline')."""

    value: str = attrs.field(repr=False)
    source: str


@attrs.frozen
class DoctorSettings:
    base_url: str
    token_url: str | None = None
    token: Credential | None = None
    client_id: Credential | None = None
    client_secret: Credential | None = None
    username: Credential | None = None
    password: Credential | None = None
    grant: Literal["auto", "password", "client_credentials"] = "auto"
    org_id: str | None = None
    origin: str | None = None
    with_credentials: bool = False
    timeout: float = DEFAULT_TIMEOUT
    habits: ClientHabits = DOCUMENTED_HABITS
    """How the client writes its calls: a live run has the documented habits; scenarios reproduce mistakes."""

    def secrets(self) -> list[str]:
        return [c.value for c in (self.token, self.client_secret, self.password) if c is not None]


_PREFIX_FIX: Final = (
    "Fix the base URL: go.tallyfy.com-style hosts serve the API under /api, api.tallyfy.com at the root."
)
_TALLYFY_TOKEN_URL: Final = DEFAULT_BASE_URL + TOKEN_PATH


@attrs.frozen
class _TokenHabits:
    """How the client writes its token requests (isolation may find a change that fixes them)."""

    client_header: str | None
    body_style: Literal["form", "json"]
    url: str
    grant_type_value: str | None
    omitted_parameter: str | None


class _Configured(enum.Enum):
    """`api_headers`' default: the client header as the client's habits write it."""

    AS_CONFIGURED = "as configured"


AS_CONFIGURED: Final = _Configured.AS_CONFIGURED
_TokenChange = dict[str, Any]
"""Fields of `_TokenHabits` that one isolation trial changes."""


def _flip_api_prefix(url: str) -> tuple[str, str] | None:
    """(what changes, the URL) with the /api prefix removed when present, added when absent."""
    parts = split_url(url)
    if parts is None:
        return None
    if parts.path.startswith(API_PREFIX + "/"):
        return "drop the /api prefix", parts._replace(path=parts.path[len(API_PREFIX) :]).geturl()
    return "add the /api prefix", parts._replace(path=API_PREFIX + parts.path).geturl()


def transport_failure(error: Exception) -> TransportFailure:
    if isinstance(error, UnicodeEncodeError):
        return TransportFailure("other", "not sent: a header value has characters outside ASCII (see auth-header)")
    return TransportFailure(transport_failure_kind(error), f"{type(error).__name__}: {redact_text(str(error))[:200]}")


class _Doctor:
    def __init__(self, settings: DoctorSettings, client: httpx.Client) -> None:
        self.settings = settings
        self.client = client
        self.requests_made = 0
        self.exchanges: list[Exchange] = []
        self.evidence: list[Evidence] = []
        self.now = utc_now()
        self.base = settings.base_url.strip().rstrip("/")
        # What the client does, until isolation finds a change that gets a token; later token calls keep it.
        habits = settings.habits
        self.token_habits = _TokenHabits(
            client_header=habits.client_header,
            body_style=habits.token_body,
            url=settings.token_url or self.base + TOKEN_PATH,
            grant_type_value=habits.grant_type_value,
            omitted_parameter=habits.omitted_parameter,
        )

    # ------------------------------------------------------------------------------------------- sending

    def send(self, method: str, url: str, headers: Sequence[Header], body: bytes = b"", label: str = "") -> Exchange:
        label = label or exchange_label(method, url, len(self.exchanges) + 1)
        sent_at = utc_now()
        request = Request(method, url, headers=tuple(headers), body=body)
        self.requests_made += 1
        try:
            answer = self.client.request(
                method, url, headers=[(h.name, h.value) for h in headers], content=body or None
            )
        except (httpx.HTTPError, UnicodeEncodeError, ValueError) as error:
            exchange = Exchange(request, None, transport_failure(error), sent_at, utc_now(), label)
        else:
            ours = {h.name.lower() for h in headers}
            added = tuple(
                Header(name, value, "the HTTP library")
                for name, value in answer.request.headers.multi_items()
                if name.lower() not in ours
            )
            response = Response(
                answer.status_code,
                headers=tuple(Header(name, value) for name, value in answer.headers.multi_items()),
                body=answer.content,
                reason=answer.reason_phrase,
            )
            exchange = Exchange(
                attrs.evolve(request, headers=(*headers, *added)), response, None, sent_at, utc_now(), label
            )
        self.exchanges.append(exchange)
        return exchange

    def api_headers(
        self,
        token: str | None,
        *,
        token_source: str | None = None,
        client_header: str | _Configured | None = AS_CONFIGURED,
        authorization: str | None = None,
        origin: bool = True,
    ) -> list[Header]:
        settings = self.settings
        value = settings.habits.client_header if client_header is AS_CONFIGURED else client_header
        headers = [Header("Accept", "application/json")]
        if value is not None:
            headers.append(Header(CLIENT_HEADER, value))
        if token is not None:
            form = authorization or settings.habits.authorization
            headers.append(Header("Authorization", form.replace("{token}", token), token_source))
        if origin and settings.origin:
            headers.append(Header("Origin", settings.origin, "the browser"))
        return headers

    # ------------------------------------------------------------------------------------------- tokens

    def can_request(self, grant: str) -> bool:
        settings = self.settings
        has_client = settings.client_id is not None and settings.client_secret is not None
        if grant == GRANT_PASSWORD:
            return has_client and settings.username is not None and settings.password is not None
        return has_client

    def configured_grant(self) -> str | None:
        settings = self.settings
        if settings.grant == "password" or (settings.grant == "auto" and settings.username is not None):
            return GRANT_PASSWORD if self.can_request(GRANT_PASSWORD) else None
        return GRANT_CLIENT_CREDENTIALS if self.can_request(GRANT_CLIENT_CREDENTIALS) else None

    def token_call(
        self, grant: str, *, label: str = "", change: _TokenChange | None = None
    ) -> tuple[Exchange, str | None]:
        settings = self.settings
        chosen = attrs.evolve(self.token_habits, **(change or {}))
        client_id, client_secret = settings.client_id, settings.client_secret
        username, password = settings.username, settings.password
        if client_id is None or client_secret is None:
            raise ValueError("a token request needs client credentials (callers check can_request)")
        # A misspelt grant_type is the client's habit for its own grant, not for the doctor's user-token probe.
        written = chosen.grant_type_value if chosen.grant_type_value and grant == self.configured_grant() else grant
        fields = [("grant_type", written)]
        if grant == GRANT_PASSWORD:
            if username is None or password is None:
                raise ValueError("the password grant needs a username and password (callers check can_request)")
            fields += [("username", username.value), ("password", password.value)]
        fields += [("client_id", client_id.value), ("client_secret", client_secret.value)]
        fields = [(name, value) for name, value in fields if name != chosen.omitted_parameter]
        if chosen.body_style == "json":
            body, content_type = json.dumps(dict(fields)), "application/json"
        else:
            body, content_type = urlencode(fields), FORM_CONTENT_TYPE
        headers = [Header("Accept", "application/json"), Header("Content-Type", content_type)]
        if chosen.client_header is not None:
            headers.append(Header(CLIENT_HEADER, chosen.client_header))
        exchange = self.send("POST", chosen.url, headers, body.encode("utf-8", "replace"), label)
        document = exchange.response.json() if exchange.response is not None else None
        issued = document.get("access_token") if isinstance(document, dict) else None
        ok = exchange.response is not None and 200 <= exchange.response.status < 300
        return exchange, issued if ok and isinstance(issued, str) and issued else None

    # ------------------------------------------------------------------------------------------ isolation

    def token_call_changes(self, call: Exchange, grant: str) -> list[tuple[str, str, str, _TokenChange]]:
        """(change, the check it answers, fix, changed fields) for each change that could fix a refused token call."""
        habits = self.token_habits
        changes: list[tuple[str, str, str, _TokenChange]] = []
        if habits.client_header != CLIENT_HEADER_VALUE:
            changes.append(
                (
                    f"send {CLIENT_HEADER}: {CLIENT_HEADER_VALUE}",
                    "client-header",
                    f"Send `{CLIENT_HEADER}: {CLIENT_HEADER_VALUE}` on every call, the token request included.",
                    {"client_header": CLIENT_HEADER_VALUE},
                )
            )
        if habits.body_style != "form":
            changes.append(
                (
                    "send the token request as a form",
                    "token-request",
                    f"POST the token request as {FORM_CONTENT_TYPE}, not JSON.",
                    {"body_style": "form"},
                )
            )
        if habits.grant_type_value and habits.grant_type_value != grant:
            changes.append(
                (
                    f"send grant_type={grant}",
                    "token-request",
                    f"Send grant_type={grant} exactly: Tallyfy knows {', '.join(GRANT_TYPES)}.",
                    {"grant_type_value": None},
                )
            )
        if habits.omitted_parameter is not None:
            changes.append(
                (
                    f"send the missing {habits.omitted_parameter}",
                    "token-request",
                    f"Send every parameter grant_type={grant} needs, {habits.omitted_parameter} included.",
                    {"omitted_parameter": None},
                )
            )
        flipped = _flip_api_prefix(call.request.url) if call.response and call.response.status == 404 else None
        if flipped is not None and self.settings.token_url is None:
            changes.append((flipped[0], "base-url", _PREFIX_FIX, {"url": flipped[1]}))
        elif flipped is not None:
            # A token URL configured on its own: the fix is to that URL, not to the base URL.
            changes.append(
                (
                    f"{flipped[0]} to the token URL",
                    "base-url",
                    f"POST the token request to {redact_url(flipped[1])}: Tallyfy's token endpoint is"
                    f" {_TALLYFY_TOKEN_URL} (under /api, like every API call), whatever a docs sample shows.",
                    {"url": flipped[1]},
                )
            )
        return changes

    def isolate_token_call(self, call: Exchange, grant: str) -> tuple[list[IsolationTrial], str | None]:
        """A refused token request resent with one change at a time; the change that gets a token is kept."""
        response = call.response
        if response is None or response.status < 400:
            return [], None
        trials: list[IsolationTrial] = []
        for change, cause, fix, fields in self.token_call_changes(call, grant):
            tried, token = self.token_call(grant, label=f"isolation: {change}", change=fields)
            trials.append(IsolationTrial(change, cause, tried.response.status if tried.response else None, fix))
            if token is not None:
                self.token_habits = attrs.evolve(self.token_habits, **fields)
                return trials, token
        return trials, None

    def isolate(self, call: Exchange, token: str | None, view: TokenView | None) -> list[IsolationTrial]:
        """Resend the failing GET changing one thing at a time; stop at the first change that fixes it."""
        response = call.response
        if response is None or call.request.method != "GET":
            return []
        body = response.json()
        not_found = (
            response.status == 404
            and isinstance(body, dict)
            and (
                body.get("code") == ENDPOINT_NOT_FOUND_CODE
                or "endpoint not found" in str(body.get("message", "")).lower()
            )
        )
        if response.status != 401 and not not_found:
            return []
        settings = self.settings
        trials: list[IsolationTrial] = []

        def attempt(change: str, cause: str, fix: str, url: str, headers: list[Header]) -> bool:
            tried = self.send("GET", url, headers, label=f"isolation: {change}")
            status = tried.response.status if tried.response is not None else None
            trials.append(IsolationTrial(change, cause, status, fix))
            return status is not None and 200 <= status < 300

        url = call.request.url
        if settings.habits.client_header != CLIENT_HEADER_VALUE and attempt(
            f"send {CLIENT_HEADER}: {CLIENT_HEADER_VALUE}",
            "client-header",
            f"Send `{CLIENT_HEADER}: {CLIENT_HEADER_VALUE}` on every call.",
            url,
            self.api_headers(token, client_header=CLIENT_HEADER_VALUE),
        ):
            return trials
        if (
            token is not None
            and settings.habits.authorization != _CANONICAL_AUTHORIZATION
            and attempt(
                "write Authorization as exactly 'Bearer <token>'",
                "auth-header",
                "Send exactly `Authorization: Bearer <token>`: one space, no quotes.",
                url,
                self.api_headers(token, authorization=_CANONICAL_AUTHORIZATION),
            )
        ):
            return trials
        flipped = _flip_api_prefix(url) if not_found else None
        if flipped is not None and attempt(flipped[0], "base-url", _PREFIX_FIX, flipped[1], self.api_headers(token)):
            return trials
        if response.status != 401:
            return trials
        grant = self.configured_grant()
        expires = view.time_claim("exp") if view is not None else None
        expired = expires is not None and expires <= (response.date or utc_now())
        if grant is not None and (expired or settings.token is not None):
            _, fresh = self.token_call(grant, label="isolation: request a fresh token")
            if fresh is not None and attempt(
                "use a freshly issued token",
                "token-expiry" if expired else "credentials",
                "Refresh the token before it expires (read expires_in / exp), or request a new one.",
                url,
                self.api_headers(fresh),
            ):
                return trials
        application = view is not None and view.is_application_token
        if application and self.can_request(GRANT_PASSWORD):
            _, user_token = self.token_call(GRANT_PASSWORD, label="isolation: request a user token")
            if user_token is not None:
                attempt(
                    "use a user token (password grant)",
                    "grant-type",
                    "Use the password grant (or the application user-token endpoint): this call needs a user.",
                    url,
                    self.api_headers(user_token),
                )
        return trials

    # ------------------------------------------------------------------------------------------------ run

    def history_before(self, exchange: Exchange | None) -> tuple[Exchange, ...]:
        for index, earlier in enumerate(self.exchanges):
            if earlier is exchange:
                return tuple(self.exchanges[:index])
        return tuple(self.exchanges)

    def add(self, exchange: Exchange | None, token: TokenView | None = None, **context: Any) -> None:
        # Only calls the doctor sent as a browser would (with Origin) are judged for CORS.
        from_browser = exchange is None or exchange.request.header("origin") is not None
        self.evidence.append(
            Evidence(
                now=self.now,
                exchange=exchange,
                token=token,
                origin=self.settings.origin if from_browser else None,
                with_credentials=self.settings.with_credentials,
                base_url=self.base,
                org_id=None,
                history=self.history_before(exchange),
                **context,
            )
        )

    def run(self) -> None:
        settings = self.settings
        parts = split_url(self.base)
        token = settings.token.value if settings.token else None
        source = settings.token.source if settings.token else None
        if parts is None or parts.scheme not in {"http", "https"} or not parts.hostname:
            # Nothing can be sent: judge the configuration alone, the token as configured (not blamed as missing).
            headers = self.api_headers(token.strip() if token else None, token_source=source)
            self.add(
                Exchange(Request("GET", self.base + "/me", headers=tuple(headers)), label="#0 configured base URL"),
                only_checks=frozenset({"base-url"}),
            )
            return
        if token is not None and token != token.strip():
            configured = Exchange(
                Request("GET", self.base + "/me", headers=tuple(self.api_headers(token, token_source=source))),
                label="#0 GET /me as configured (not sent)",
            )
            self.add(configured, TokenView.parse(token.strip()), only_checks=frozenset({"auth-header"}))
            token = token.strip()
        if token is None:
            grant = self.configured_grant()
            if grant is not None:
                exchange, token = self.token_call(grant)
                source = "the token endpoint"
                trials: list[IsolationTrial] = []
                if token is None:
                    # Carry on with the token the fixed request got, to diagnose the rest of the setup.
                    trials, token = self.isolate_token_call(exchange, grant)
                    self.add(exchange, None, isolation=tuple(trials))
                else:
                    self.add(exchange, TokenView.parse(token))
                if token is None:
                    self.probe_cors(None)
                    return
        view = TokenView.parse(token, source=source) if token else None
        for _ in range(settings.habits.burst):
            self.send("GET", self.base + "/me", self.api_headers(token, token_source=source), label="the client's loop")
        me = self.send("GET", self.base + "/me", self.api_headers(token, token_source=source))
        if me.failure is not None:
            self.add(me, view)
            return
        trials = self.isolate(me, token, view)
        preflight = self.probe_cors(me)
        self.add(me, view, isolation=tuple(trials), preflight=preflight)
        self.probe_organization(me, token, source, view)

    def probe_cors(self, call: Exchange | None) -> Exchange | None:
        """The browser's preflight for the /me call, and whether an error answer carries CORS headers."""
        origin = self.settings.origin
        if origin is None:
            return None
        url = self.base + "/me"
        script_headers = [(h.name, h.value) for h in (call.request.headers if call else self.api_headers("x"))]
        predicted = _cors.predict_preflight("GET", url, script_headers, origin)
        preflight = None
        if predicted.needed:
            preflight = self.send(
                "OPTIONS", url, [Header(name, value, "the browser") for name, value in predicted.request_headers()]
            )
        allowed = preflight is None or (
            preflight.response is not None
            and _cors.check_preflight(predicted, preflight.response, self.settings.with_credentials)[0] is None
        )
        if call is None:
            self.add(None, preflight=preflight, only_checks=frozenset({"cors-preflight"}))
        elif allowed and call.response is not None and call.response.status < 400:
            error_probe = self.send(
                "GET", url, self.api_headers(None), label="a call without a token (do errors carry CORS headers?)"
            )
            self.add(error_probe, preflight=preflight, only_checks=frozenset({"cors-preflight"}))
        return preflight

    def probe_organization(self, me: Exchange, token: str | None, source: str | None, view: TokenView | None) -> None:
        settings = self.settings
        ok = me.response is not None and 200 <= me.response.status < 300
        org = settings.org_id
        memberships: tuple[str, ...] | None = None
        if ok and view is not None and view.is_application_token is False:
            listing = self.send(
                "GET", self.base + "/me/organizations", self.api_headers(token, token_source=source, origin=False)
            )
            self.add(listing, view)
            document = listing.response.json() if listing.response is not None else None
            if isinstance(document, dict) and isinstance(document.get("data"), list):
                memberships = tuple(str(item.get("id")) for item in document["data"] if isinstance(item, dict))
                org = org or (memberships[0] if memberships else None)
        # A user token that /me refused would be refused here too; an application token is refused by /me by
        # design, and the organization probe shows what it CAN do.
        if org is None or token is None or not (ok or (view is not None and view.is_application_token)):
            return
        checklists = self.send(
            "GET",
            f"{self.base}/organizations/{org}/checklists?per_page=1",
            self.api_headers(token, token_source=source, origin=False),
        )
        self.add(checklists, view, memberships=memberships)
        if settings.habits.day_first_deadline:
            body = json.dumps({"title": "tallyfy-diag date probe", "task_type": "task", "deadline": DAY_FIRST_DEADLINE})
            headers = [
                *self.api_headers(token, token_source=source, origin=False),
                Header("Content-Type", "application/json"),
            ]
            task = self.send("POST", f"{self.base}/organizations/{org}/tasks", headers, body.encode())
            self.add(task, view)


def _target(settings: DoctorSettings, extra: Mapping[str, Any]) -> dict[str, Any]:
    if settings.token is not None:
        credentials = f"token from {settings.token.source}"
    elif settings.username is not None and settings.grant != "client_credentials":
        credentials = f"password grant (username from {settings.username.source})"
    elif settings.client_id is not None:
        credentials = f"client credentials (client id from {settings.client_id.source})"
    else:
        credentials = "none"
    return {
        "base_url": redact_url(settings.base_url),
        "token_url": redact_url(settings.token_url) if settings.token_url else None,
        "credentials": credentials,
        **({"org": settings.org_id} if settings.org_id else {}),
        **({"origin": settings.origin} if settings.origin else {}),
        **extra,
    }


class _TlsWhenNeeded(httpx.BaseTransport):
    """httpx's transport, with the TLS set-up (loading the CA bundle, tens of milliseconds) done on the first
    https request only: a run against a local `http://` sandbox never needs it. https is verified as usual."""

    def __init__(self) -> None:
        self._plain: httpx.HTTPTransport | None = None
        self._tls: httpx.HTTPTransport | None = None

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        from tallyfy_diag._deadline import install_deadline_transport  # noqa: PLC0415

        if request.url.scheme == "https":
            if self._tls is None:
                # Certificates and host names are checked, with the CA bundle httpx would load by default.
                self._tls = httpx.HTTPTransport(verify=shared_ssl_context())
                install_deadline_transport(self._tls)  # the probe's hard per-request deadline
            return self._tls.handle_request(request)
        if self._plain is None:
            # This one only ever sees plain http. Its context trusts no certificate, so were it handed TLS it
            # would refuse every server rather than skip verification.
            self._plain = httpx.HTTPTransport(verify=ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT))
            install_deadline_transport(self._plain)
        return self._plain.handle_request(request)

    def close(self) -> None:
        for transport in (self._plain, self._tls):
            if transport is not None:
                transport.close()


def probe_client(timeout: float, transport: httpx.BaseTransport | None = None) -> httpx.Client:
    """The HTTP client every live probe uses: redirects are evidence to judge, never followed; each request
    ends within `timeout` seconds however slowly the server drips, and reads a bounded body."""
    from tallyfy_diag._deadline import BoundedClient  # noqa: PLC0415 - one place owns the bound

    return BoundedClient(
        request_deadline=timeout,
        transport=transport if transport is not None else _TlsWhenNeeded(),
        timeout=timeout,
        follow_redirects=False,
        headers={"User-Agent": "tallyfy-diag"},
    )


def run_doctor(
    settings: DoctorSettings,
    *,
    transport: httpx.BaseTransport | None = None,
    only: Collection[str] = (),
    skip: Collection[str] = (),
    target: Mapping[str, Any] | None = None,
) -> Report:
    """Probe the API as configured and diagnose what came back; never raises for network trouble."""
    with probe_client(settings.timeout, transport) as client:
        doctor = _Doctor(settings, client)
        doctor.run()
    findings = diagnose(doctor.evidence, only=only, skip=skip)
    token = next((e.token for e in doctor.evidence if e.token is not None), None)
    report = Report(
        mode="doctor",
        target=_target(settings, target or {}),
        findings=tuple(findings),
        requests_made=doctor.requests_made,
        exchanges=tuple(summarize_exchange(exchange) for exchange in doctor.exchanges),
        token=summarize_token(token) if token else None,
    )
    return report.scrubbed(collect_secrets(doctor.exchanges, extra=settings.secrets()))
