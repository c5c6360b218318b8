"""The `cors` mode: ask a server what a browser would ask it, and judge the answers as Chromium does.

Requests, each counted (Tallyfy allows about 100 a minute per organization):
1. the preflight a browser sends before the page's call, when the call needs one;
2. the call itself with the browser's `Origin`, only when it is safe to repeat (GET, HEAD) and a token is given;
3. an error response: a GET of the same path with a token no server accepts, because a browser hides an error
   whose response lacks `Access-Control-Allow-Origin`. It reuses the call's preflight when a browser would (same
   headers, a safe method), else sends its own.

Redirects are not followed: a browser refuses a redirected preflight, and the report says so.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any, Final

import attrs
import httpx

from tallyfy_diag._constants import CLIENT_HEADER, CLIENT_HEADER_VALUE
from tallyfy_diag._redact import redact_text, redact_url
from tallyfy_diag.diagnostics import _cors
from tallyfy_diag.diagnostics._doctor import DEFAULT_TIMEOUT, probe_client, transport_failure
from tallyfy_diag.diagnostics._evidence import Evidence, Exchange, Header, Request, Response, utc_now
from tallyfy_diag.diagnostics._registry import Finding, Status
from tallyfy_diag.diagnostics._report import Report, summarize_exchange
from tallyfy_diag.diagnostics._runner import diagnose
from tallyfy_diag.diagnostics._secrets import collect_secrets

INVALID_TOKEN: Final = "tallyfy-diag-cors-probe-not-a-token"
"""What the error probe sends as its bearer token: no server accepts it, so the answer is an error (401)."""
SAFE_METHODS: Final = frozenset({"GET", "HEAD"})
_CHECKS: Final = frozenset({"cors-preflight"})


@attrs.frozen
class CorsSettings:
    base_url: str
    origin: str
    """The page's origin, serialized (`https://app.example.com`)."""
    method: str = "GET"
    path: str = "/me"
    with_credentials: bool = False
    token: str | None = attrs.field(default=None, repr=False)
    token_source: str | None = None
    headers: tuple[tuple[str, str], ...] = attrs.field(default=(), repr=False)
    """Headers the page's script adds or replaces; an empty value removes one."""
    timeout: float = DEFAULT_TIMEOUT

    @property
    def url(self) -> str:
        return self.base_url.strip().rstrip("/") + self.path


def script_headers(settings: CorsSettings, token: str | None) -> list[Header]:
    """The headers the page's script sets: what every Tallyfy call sends, then the user's own."""
    fields = [
        Header("Accept", "application/json"),
        Header(CLIENT_HEADER, CLIENT_HEADER_VALUE),
        # Only the name reaches a preflight, so a call without a token is still judged with its Authorization.
        Header("Authorization", f"Bearer {token or INVALID_TOKEN}", settings.token_source if token else None),
    ]
    if _cors.normalize_method(settings.method) not in SAFE_METHODS:
        fields.append(Header("Content-Type", "application/json"))
    for name, value in settings.headers:
        fields = [field for field in fields if field.name.lower() != name.strip().lower()]
        if value.strip():
            fields.append(Header(name.strip(), value.strip(), "--header"))
    return fields


class _Probe:
    def __init__(self, settings: CorsSettings, client: httpx.Client) -> None:
        self.settings = settings
        self.client = client
        self.exchanges: list[Exchange] = []
        self.evidence: list[Evidence] = []
        self.now = utc_now()

    def send(self, method: str, url: str, headers: Sequence[Header], label: str) -> Exchange:
        request = Request(method, url, headers=tuple(headers))
        sent_at = utc_now()
        try:
            answer = self.client.request(method, url, headers=[(h.name, h.value) for h in headers])
        except (httpx.HTTPError, UnicodeEncodeError, ValueError) as error:
            exchange = Exchange(request, None, transport_failure(error), sent_at, utc_now(), label)
        else:
            response = Response(
                answer.status_code,
                headers=tuple(Header(name, value) for name, value in answer.headers.multi_items()),
                body=answer.content,
                reason=answer.reason_phrase,
            )
            exchange = Exchange(request, response, None, sent_at, utc_now(), label)
        self.exchanges.append(exchange)
        if exchange.failure is not None:
            self.add(exchange, None, frozenset({"connectivity"}))
        return exchange

    def add(self, exchange: Exchange, preflight: Exchange | None, checks: frozenset[str] = _CHECKS) -> None:
        self.evidence.append(
            Evidence(
                now=self.now,
                exchange=exchange,
                origin=self.settings.origin,
                with_credentials=self.settings.with_credentials,
                preflight=preflight,
                base_url=self.settings.base_url,
                only_checks=checks,
            )
        )

    def preflight(
        self, method: str, headers: Sequence[Header], label: str
    ) -> tuple[_cors.PredictedPreflight, Exchange | None]:
        settings = self.settings
        predicted = _cors.predict_preflight(method, settings.url, [(h.name, h.value) for h in headers], settings.origin)
        if not predicted.needed:
            return predicted, None
        fields = [Header(name, value, "the browser") for name, value in predicted.request_headers()]
        return predicted, self.send("OPTIONS", settings.url, fields, label)

    def run(self) -> None:
        settings = self.settings
        method = _cors.normalize_method(settings.method)
        origin = Header("Origin", settings.origin, "the browser")
        headers = [*script_headers(settings, settings.token), origin]
        predicted, preflight = self.preflight(method, headers, f"preflight: OPTIONS {settings.path}")
        if preflight is not None and preflight.failure is not None:
            return  # the connectivity check says why; a browser would get no further either
        call = f"the page's call: {method} {settings.path}"
        unsent = None
        if method not in SAFE_METHODS:
            unsent = f"{method} is not safe to send just to look"
        elif settings.token is None:
            unsent = "no token"
        if unsent is None:
            self.add(self.send(method, settings.url, headers, call), preflight)
        else:
            request = Request(method, settings.url, headers=tuple(headers))
            self.add(Exchange(request, label=f"{call} (not sent: {unsent})"), preflight)
        error_headers = [
            *(h for h in script_headers(settings, None) if h.name.lower() != "content-type"),
            origin,
        ]
        error_predicted = _cors.predict_preflight(
            "GET", settings.url, [(h.name, h.value) for h in error_headers], settings.origin
        )
        error_preflight = preflight
        if error_predicted.needed and (method not in SAFE_METHODS or error_predicted.headers != predicted.headers):
            _, error_preflight = self.preflight(
                "GET", error_headers, f"preflight for the error probe: OPTIONS {settings.path}"
            )
        if error_preflight is not None and error_preflight.failure is not None:
            return
        label = f"an error response: GET {settings.path} without a valid token"
        self.add(self.send("GET", settings.url, error_headers, label), error_preflight)


def _target(settings: CorsSettings, extra: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "base_url": redact_url(settings.base_url),
        "origin": settings.origin,
        "method": _cors.normalize_method(settings.method),
        "path": redact_url(settings.path),
        "credentials": "include" if settings.with_credentials else "same-origin",
        "token": f"from {settings.token_source}" if settings.token is not None else "none",
        **extra,
    }


def run_cors(
    settings: CorsSettings,
    *,
    transport: httpx.BaseTransport | None = None,
    only: Collection[str] = (),
    skip: Collection[str] = (),
    target: Mapping[str, Any] | None = None,
) -> Report:
    """Ask the server as a browser would and judge its answers; never raises for network trouble."""
    with probe_client(settings.timeout, transport) as client:
        probe = _Probe(settings, client)
        probe.run()
    report = Report(
        mode="cors",
        target=_target(settings, target or {}),
        findings=tuple(diagnose(probe.evidence, only=only, skip=skip)),
        requests_made=len(probe.exchanges),
        exchanges=tuple(summarize_exchange(exchange) for exchange in probe.exchanges),
    )
    secrets = [settings.token] if settings.token else []
    return report.scrubbed(collect_secrets(probe.exchanges, extra=secrets))


# ------------------------------------------------------------------------------------------------ transcript

_STAGES: Final = {"preflight": "preflight", "actual": "response"}


def _indented(fields: Mapping[str, Any], indent: str) -> list[str]:
    return [f"{indent}{name}: {value}" for name, value in fields.items()]


def _per_exchange(finding: Finding) -> list[Mapping[str, Any]]:
    """The facts the check found on each exchange (a finding lists them when it judged several)."""
    listed = finding.evidence.get("exchanges")
    if not isinstance(listed, list):
        return [finding.evidence]
    return [{**item.get("evidence", {}), "exchange": item.get("exchange")} for item in listed]


def _describe_exchange(facts: Mapping[str, Any], shown_preflights: list[Any]) -> list[str]:
    lines = [f"[{facts.get('exchange', 'the call')}]"]
    preflight = facts.get("preflight") or {}
    # A browser reuses a preflight answer from its cache: show each one (and its rules) once.
    repeated = bool(preflight.get("needed")) and preflight in shown_preflights
    if repeated:
        lines.append("  Preflight: the same as above (a browser takes it from its preflight cache)")
    elif preflight.get("needed"):
        shown_preflights.append(preflight)
        lines.append(f"  Preflight: OPTIONS {preflight.get('url')} ({'; '.join(preflight.get('reasons', []))})")
        lines += _indented(preflight.get("headers", {}), "    ")
        if "status" in preflight:
            lines.append(f"  Server answered {preflight['status']}")
            lines += _indented(preflight.get("answer_headers", {}), "    ") or ["    (no Access-Control-* header)"]
    elif preflight:
        lines.append("  No preflight: a simple request")
    response = facts.get("response")
    if response:
        lines.append(f"  Response: {response['status']}")
        lines += _indented(response.get("answer_headers", {}), "    ") or ["    (no Access-Control-* header)"]
    rules = [rule for rule in facts.get("rules") or [] if not (repeated and rule["stage"] == "preflight")]
    if rules:
        lines.append("  Fetch rules, in Chromium's order:")
        width = max(len(rule["rule"]) for rule in rules)
        for rule in rules:
            name = f" [{rule['devtools']}]" if "devtools" in rule else ""
            stage = _STAGES[rule["stage"]]
            lines.append(f"    {rule['outcome']:<4}  {stage:<9}  {rule['rule']:<{width}}  {rule['explanation']}{name}")
    outcome = facts.get("fetch")
    if outcome == "rejected":
        lines.append("  fetch() rejects: TypeError: Failed to fetch")
        lines.append(f"  DevTools: {facts.get('devtools_message', '')}")
    elif outcome == "resolved":
        lines.append(f"  fetch() resolves with status {response['status'] if response else '?'}")
    elif outcome == "no answer":
        lines.append("  fetch() gets past the preflight; the call got no HTTP answer (see connectivity)")
    elif outcome:
        lines.append("  fetch() gets past the preflight; the call itself was not sent")
    if "readable_response_headers" in facts:
        readable = ", ".join(facts["readable_response_headers"]) or "none"
        lines.append(f"  The script can read: {readable}")
        if facts.get("hidden_response_headers"):
            lines.append(f"  Hidden from the script: {', '.join(facts['hidden_response_headers'])}")
    return lines


def describe(report: Report) -> str:
    """What the browser sends and what it makes of each answer, like the DevTools network panel."""
    target = report.target
    lines = [
        f"A page at {target.get('origin')} calls {target.get('method')} {target.get('base_url')}{target.get('path')}"
        f" (credentials: {target.get('credentials')})",
        "",
    ]
    shown_preflights: list[Any] = []
    for finding in report.findings:
        if finding.check == "cors-preflight" and finding.status is not Status.SKIP:
            for facts in _per_exchange(finding):
                lines += [*_describe_exchange(facts, shown_preflights), ""]
    return redact_text("\n".join(lines))
