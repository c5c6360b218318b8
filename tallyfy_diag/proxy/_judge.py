"""Judge one exchange the proxy saw: the check registry (the same ids as `explain` and `doctor`) and the spec.

The registry checks get the exchange as `Evidence` built the way `explain` builds it from a capture (a preflight
joins the call it was sent for, earlier exchanges are its history, so a token call issues the token that a later
call carries). The spec's verdicts come as findings under three ids of their own: `spec-operation` (no such
operation, or a method it does not allow), `spec-request` (parameters and body) and `spec-response` (the answer's
status and shape). Every finding is scrubbed of the secrets the exchanges carry before anyone sees it.
"""

from __future__ import annotations

import collections
import re
import threading
from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Final

import attrs

from tallyfy_diag._redact import redact_text
from tallyfy_diag.diagnostics import Evidence, Exchange, Finding, Report, Status, diagnose, select_checks
from tallyfy_diag.diagnostics._checks._common import api_path
from tallyfy_diag.diagnostics._offline import _matching_preflight, token_of
from tallyfy_diag.diagnostics._secrets import secrets_in_exchange
from tallyfy_diag.proxy import _conformance
from tallyfy_diag.proxy._conformance import Matched, Problem

SPEC_CHECK_TITLES: Final = {
    "spec-operation": "The method and path are an operation of the spec",
    "spec-request": "Parameters and body as the operation documents them",
    "spec-response": "The answer's status and shape as the spec documents them",
}
SPEC_CHECKS: Final = tuple(SPEC_CHECK_TITLES)
"""The ids of the spec's verdicts, beside the registry's (`--check` and `--skip` accept them too)."""
SPEC_REFERENCE: Final = "the Tallyfy OpenAPI spec shipped with tallyfy-diag (tallyfy-diag's spec/tallyfy.openapi.yaml)"
HISTORY: Final = 16
"""Earlier exchanges kept as context (token calls, preflights): enough for a flow, bounded in memory."""
_TITLES: Final = {
    "operation": "not an operation of the Tallyfy API",
    "request": "request does not match the spec",
    "response": "response does not match the spec",
}
_FIXES: Final = {
    "operation": "Check the method and path against Tallyfy's API documentation; a typo or a wrong base URL gives"
    " 404 'API endpoint not found'.",
    "request": "Send the parameters and body the operation documents (names, types, required fields, content type).",
    "response": "The API answered in a shape the spec does not describe: if your code parses this answer, check it"
    " handles this shape; report it if the spec is out of date.",
}


class UnknownCheckError(ValueError):
    """A `--check`/`--skip` id that neither the registry nor the spec checks know."""


def selected_checks(only: Collection[str] = (), skip: Collection[str] = ()) -> tuple[list[str], list[str]]:
    """(registry ids, spec ids) to run; raises `UnknownCheckError` naming every valid id."""
    spec_only = [check for check in only if check in SPEC_CHECKS]
    spec_skip = [check for check in skip if check in SPEC_CHECKS]
    registry_only = [check for check in only if check not in SPEC_CHECKS]
    registry_skip = [check for check in skip if check not in SPEC_CHECKS]
    try:
        registry = select_checks(registry_only, registry_skip) if registry_only or not only else []
    except ValueError as error:
        raise UnknownCheckError(f"{error}, {', '.join(SPEC_CHECKS)}") from None
    spec = [check for check in SPEC_CHECKS if (not only or check in spec_only) and check not in spec_skip]
    return registry, spec


@attrs.frozen
class Judged:
    """One exchange as the proxy reports it: no secrets, no identifiers in the path."""

    index: int
    method: str
    path: str
    """The spec's path template (`/organizations/{org}/runs`), or the redacted path when no operation matches."""
    status: int | None
    elapsed_ms: float
    findings: tuple[Finding, ...]
    """Failures and warnings only: what passed or did not apply is not news as traffic flows."""

    @property
    def failed(self) -> bool:
        return any(finding.status is Status.FAIL for finding in self.findings)


def _spec_findings(problems: Sequence[Problem], operation: str | None, checks: Collection[str]) -> list[Finding]:
    findings = []
    for part in ("operation", "request", "response"):
        mine = [problem for problem in problems if problem.part == part]
        check = f"spec-{part}"
        if not mine or check not in checks:
            continue
        status = Status.FAIL if any(problem.severity == "fail" for problem in mine) else Status.WARN
        shown = [problem.text() for problem in mine if (problem.severity == "fail") == (status is Status.FAIL)]
        title = _TITLES[part] + (f" ({operation})" if operation else "")
        findings.append(
            Finding(
                check=check,
                status=status,
                title=f"{title}: {shown[0]}",
                detail="; ".join(shown[1:]),
                fix=_FIXES[part],
                reference=SPEC_REFERENCE,
                evidence={"operation": operation, "problems": [problem.text() for problem in mine]},
            )
        )
    return findings


def _is_json(media_type: str | None) -> bool:
    return media_type is not None and (media_type == "application/json" or media_type.endswith("+json"))


class Judge:
    """Judges exchanges one after another (thread-safe), keeping a short history as context."""

    def __init__(self, base_url: str, *, only: Collection[str] = (), skip: Collection[str] = ()) -> None:
        self.base_url = base_url
        self._registry_checks, self._spec_checks = selected_checks(only, skip)
        self._history: collections.deque[tuple[Exchange, frozenset[str]]] = collections.deque(maxlen=HISTORY)
        self._lock = threading.Lock()

    def judge(
        self,
        index: int,
        exchange: Exchange,
        *,
        elapsed_ms: float,
        now: datetime,
        request_complete: bool = True,
        response_complete: bool = True,
    ) -> Judged:
        secrets = frozenset(secrets_in_exchange(exchange))
        with self._lock:
            earlier = tuple(self._history)
            self._history.append((exchange, secrets))
        history = tuple(item for item, _ in earlier)
        request = exchange.request
        relative = api_path(request, self.base_url) or request.path
        matched = _conformance.match(request.method, relative)
        problems: list[Problem] = []
        operation = None
        if isinstance(matched, Matched):
            operation = matched.operation.operation_id
            path = matched.operation.path_template
            if self._spec_checks:
                problems += self._conformance(matched, exchange, request_complete, response_complete)
        else:
            path = redact_text(re.sub(r"[\x00-\x1f\x7f]", "?", relative))[:120]
            if not request.is_preflight:
                problems += matched
        findings: list[Finding] = []
        if self._registry_checks:
            evidence = self._evidence(history, _checkable(exchange, response_complete), now)
            findings += [
                finding
                for finding in diagnose([evidence], only=self._registry_checks)
                if finding.status in (Status.FAIL, Status.WARN)
            ]
        findings += _spec_findings(problems, operation, self._spec_checks)
        report = Report(mode="proxy", target={"path": path}, findings=tuple(findings))
        clean = report.scrubbed(secrets.union(*(known for _, known in earlier)))
        response = exchange.response
        return Judged(
            index=index,
            method=request.method.upper(),
            path=str(clean.target["path"]),
            status=response.status if response is not None else None,
            elapsed_ms=elapsed_ms,
            findings=clean.findings,
        )

    def _evidence(self, history: tuple[Exchange, ...], exchange: Exchange, now: datetime) -> Evidence:
        """The exchange as `explain` would see it at the end of a capture of the recent traffic: with the
        preflight a browser sent for it, and the earlier exchanges as history. (Built for the last exchange
        only: `evidence_for_capture` would redo the whole history for every exchange.)"""
        token, note = token_of(exchange)
        preflight = exchange if exchange.request.is_preflight else None
        if preflight is None:
            found = _matching_preflight([*history, exchange], len(history), set())
            preflight = history[found] if found is not None else None
        return Evidence(
            now=now,
            exchange=exchange,
            token=token,
            token_note=note,
            preflight=preflight,
            base_url=self.base_url,
            history=history,
        )

    @staticmethod
    def _conformance(
        matched: Matched, exchange: Exchange, request_complete: bool, response_complete: bool
    ) -> list[Problem]:
        request = exchange.request
        if request.is_preflight:
            return []
        problems = _conformance.request_problems(
            matched,
            query=request.query(),
            headers=[(header.name, header.value) for header in request.headers],
            content_type=request.header("content-type"),
            body=request.body,
            body_complete=request_complete,
        )
        response = exchange.response
        if response is not None:
            problems += _conformance.response_problems(
                matched,
                status=response.status,
                content_type=response.header("content-type"),
                body=response.body,
                body_complete=response_complete,
            )
        return problems


def _checkable(exchange: Exchange, response_complete: bool) -> Exchange:
    """The exchange as the registry checks should see it: a body they cannot read (a file's bytes, a body
    larger than the proxy keeps, one it could not decompress) is left out rather than judged as 'not JSON'."""
    response = exchange.response
    if response is None or not response.body:
        return exchange
    readable = _is_json(response.media_type) or response.looks_like_html
    if response_complete and readable:
        return exchange
    return attrs.evolve(exchange, response=attrs.evolve(response, body=b""))
