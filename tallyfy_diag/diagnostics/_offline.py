"""The offline modes: `explain` (a capture) and `token` (one token). No network, ever."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Final

from tallyfy_diag.diagnostics._checks._common import is_placeholder
from tallyfy_diag.diagnostics._evidence import Evidence, Exchange, TokenView, token_from_authorization, utc_now
from tallyfy_diag.diagnostics._parsers import InputError, parse_capture
from tallyfy_diag.diagnostics._report import Report, summarize_exchange, summarize_token
from tallyfy_diag.diagnostics._runner import diagnose
from tallyfy_diag.diagnostics._secrets import collect_secrets

TOKEN_MODE_CHECKS: Final = ("token-format", "token-expiry", "grant-type", "clock-skew")
"""What `token` runs unless `--check` asks for more: the others need a request."""


def token_of(exchange: Exchange) -> tuple[TokenView | None, str | None]:
    """The bearer token an exchange carries (or, for a token call, the one it was issued), and why not."""
    request = exchange.request
    if request.is_token_request:
        body = exchange.response.json() if exchange.response is not None else None
        issued = body.get("access_token") if isinstance(body, dict) else None
        if isinstance(issued, str) and issued:
            return TokenView.parse(issued, source="the token response"), None
        return None, None
    for header in request.header_fields("authorization"):
        if header.value.strip().lower().startswith("basic"):
            continue
        token = token_from_authorization(header.value)
        if token is None:
            return None, "the Authorization header carries no token"
        if header.unresolved and any(name in token for name in header.unresolved):
            variable = header.unresolved[0]
            shown = variable if variable.startswith("$(") else f"${variable}"
            return None, (
                f"the token comes from {shown}, which the shell fills in and explain cannot see; check it with"
                f' `printf %s "{shown}" | tallyfy-diag token -`'
            )
        if is_placeholder(token):
            return None, "the Authorization header holds placeholder text, not a token (see auth-header)"
        return TokenView.parse(token, source=header.source), None
    for name, value in request.query():
        if name.lower() == "access_token" and value:
            return TokenView.parse(value, source="the access_token query parameter"), None
    return None, None


def _matching_preflight(exchanges: Sequence[Exchange], index: int, taken: set[int]) -> int | None:
    """The index of the preflight a browser sent for `exchanges[index]`, if the capture has it."""
    request = exchanges[index].request
    for earlier in range(index - 1, -1, -1):
        candidate = exchanges[earlier].request
        if earlier in taken or not candidate.is_preflight:
            continue
        wanted = (candidate.header("access-control-request-method") or "").strip().upper()
        if candidate.url.split("#")[0] == request.url.split("#")[0] and wanted == request.method.upper():
            return earlier
    return None


def evidence_for_capture(
    exchanges: Sequence[Exchange],
    *,
    now: datetime,
    origin: str | None = None,
    with_credentials: bool = False,
    base_url: str | None = None,
) -> list[Evidence]:
    """One piece of evidence per exchange; a preflight joins the call it was sent for."""
    preflight_of: dict[int, int] = {}
    taken: set[int] = set()
    for index, exchange in enumerate(exchanges):
        if not exchange.request.is_preflight:
            found = _matching_preflight(exchanges, index, taken)
            if found is not None:
                preflight_of[index] = found
                taken.add(found)
    evidence = []
    for index, exchange in enumerate(exchanges):
        if index in taken:
            continue
        token, note = token_of(exchange)
        preflight_index = preflight_of.get(index)
        preflight = exchanges[preflight_index] if preflight_index is not None else None
        if exchange.request.is_preflight:
            preflight = exchange
        evidence.append(
            Evidence(
                now=now,
                exchange=exchange,
                token=token,
                token_note=note,
                origin=origin,
                with_credentials=with_credentials,
                preflight=preflight,
                base_url=base_url,
                history=tuple(exchanges[:index]),
            )
        )
    return evidence


def explain(
    data: bytes,
    *,
    name: str = "-",
    origin: str | None = None,
    with_credentials: bool = False,
    base_url: str | None = None,
    only: Collection[str] = (),
    skip: Collection[str] = (),
    now: datetime | None = None,
    input_format: str = "auto",
) -> Report:
    """Diagnose a capture offline. Raises `InputError` (one safe line) when it cannot be read.

    Without `origin`, a browser capture's own page origin (its Origin header or referrer) is used, so CORS is
    judged as the browser judged it."""
    capture = parse_capture(data, input_format)
    notes = list(capture.notes)
    if origin is None and capture.page_origin is not None:
        origin = capture.page_origin
        with_credentials = with_credentials or capture.with_credentials
        notes.append(
            f"a browser call: the page origin {origin} comes from {capture.origin_evidence}"
            + (" (with credentials)" if with_credentials else "")
            + "; --origin overrides it"
        )
    evidence = evidence_for_capture(
        capture.exchanges, now=now or utc_now(), origin=origin, with_credentials=with_credentials, base_url=base_url
    )
    findings = diagnose(evidence, only=only, skip=skip)
    report = Report(
        mode="explain",
        target={
            "input": name,
            "format": capture.format,
            "exchanges": len(capture.exchanges),
            **({"origin": origin} if origin else {}),
        },
        findings=tuple(findings),
        requests_made=0,
        exchanges=tuple(summarize_exchange(exchange) for exchange in capture.exchanges),
        notes=tuple(notes),
    )
    return report.scrubbed(collect_secrets(capture.exchanges))


def read_token(text: str) -> str:
    """The token in what the user gave: a bare token, `Bearer <token>` or a whole `Authorization:` line."""
    value = text.strip()
    if value.lower().startswith("authorization:"):
        value = value.split(":", 1)[1]
    token = token_from_authorization(value) or ""
    if not token:
        raise InputError("no token given")
    if "\n" in token.strip():
        raise InputError("the input has several lines; give one token")
    return token


def judge_token(
    text: str,
    *,
    source: str | None = None,
    only: Collection[str] = (),
    skip: Collection[str] = (),
    now: datetime | None = None,
) -> Report:
    """Decode and judge one token without verifying it; the report never contains the token."""
    token = TokenView.parse(read_token(text), source=source)
    selected = only or [check for check in TOKEN_MODE_CHECKS if check not in skip]
    findings = diagnose([Evidence(now=now or utc_now(), token=token)], only=selected, skip=skip)
    report = Report(
        mode="token",
        target={"token": token.fingerprint, "kind": str(token.kind), **({"source": source} if source else {})},
        findings=tuple(findings),
        token=summarize_token(token),
    )
    return report.scrubbed(collect_secrets((), extra=(text, text.strip(), token.raw)))
