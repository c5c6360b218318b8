"""The report every mode produces, and its four renderings: human, json, junit, markdown.

`Report.scrubbed` is the last line of defence for secrets: every string that reaches a rendering has known
secrets and token shapes replaced (`tallyfy_diag._redact.redact_text`) and control characters made visible
(so captured input cannot drive the terminal). The JSON shape is public and versioned (`REPORT_VERSION`).
"""

from __future__ import annotations

import json
import os
import re
import textwrap
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import IO, Any, Final, Literal

import attrs

import tallyfy_diag
from tallyfy_diag._redact import REDACTED, fingerprint, redact_body, redact_text, redact_url
from tallyfy_diag.diagnostics._evidence import Exchange, TokenView, token_from_authorization
from tallyfy_diag.diagnostics._registry import STATUS_ORDER, Finding, Status

REPORT_VERSION: Final = 1
SUMMARY_ORDER: Final = (Status.PASS, Status.WARN, Status.FAIL, Status.SKIP, Status.ERROR)
EXIT_CHECK_CRASHED: Final = 70
"""The documented exit code for an internal error: a check that crashed is the tool's fault."""
FORMATS: Final = ("human", "json", "junit", "markdown")
Format = Literal["human", "json", "junit", "markdown"]
EXCERPT_CHARS: Final = 400
"""How much of a response body a report shows."""
_EXCERPT_CONTEXT: Final = 4000
"""Text kept past the excerpt until known secrets are scrubbed; a longer secret than this is no password."""
_CONTROL: Final = re.compile("[\x00-\x1f\x7f-\x9f\ufffe\uffff\ud800-\udfff]")


@attrs.frozen
class ExchangeSummary:
    """What the support bundle shows of one exchange: redacted, header names only."""

    label: str
    url: str
    status: int | None
    request_headers: tuple[str, ...]
    request_id: str | None = None
    www_authenticate: str | None = None
    body_excerpt: str | None = None


def summarize_exchange(exchange: Exchange) -> ExchangeSummary:
    request = exchange.request
    names = []
    for header in request.headers:
        if header.name.strip().lower() == "authorization":
            scheme = header.value.strip().split(" ", 1)[0] if header.value.strip() else "(empty)"
            token = token_from_authorization(header.value)
            shown = f"{scheme} {fingerprint(token)}" if token and scheme.lower() != "basic" else scheme
            names.append(f"{header.name} ({shown})")
        else:
            names.append(header.name)
    response = exchange.response
    excerpt = None
    if response is not None and response.body:
        # Scrub first, cut last: known secrets are only removed in `Report.scrubbed`, so the excerpt keeps
        # enough text past its final length that a secret straddling the cut is still whole when scrubbed.
        excerpt = redact_body(response.text, response.media_type or "")[: EXCERPT_CHARS + _EXCERPT_CONTEXT]
    return ExchangeSummary(
        label=exchange.label or f"{request.method} {request.path}",
        url=redact_url(request.url.split("?", 1)[0]),
        status=response.status if response else None,
        request_headers=tuple(names),
        request_id=response.header("x-request-id") if response else None,
        www_authenticate=response.combined("www-authenticate") if response else None,
        body_excerpt=excerpt,
    )


_CUT_MARKS: Final = ("'", '"', "…", "...")


def _cut_candidates(secrets: Iterable[str]) -> tuple[tuple[str, int], ...]:
    """Each secret with the shortest head `_without_cut_secrets` looks for (worked out once per report)."""
    return tuple((secret, max(6, len(secret) // 2)) for secret in secrets if len(secret) > max(6, len(secret) // 2))


def _without_cut_secrets(text: str, candidates: tuple[tuple[str, int], ...]) -> str:
    """The head of a known secret left where text was cut short before it reached here (a value cut to 300
    characters in a check's evidence): at the very end of the text, or just before a closing quote or an
    ellipsis. Whole secrets are gone already; a head of at least half the secret (6 characters or more) is
    replaced too."""
    for secret, shortest in candidates:
        if secret[:shortest] not in text:  # the common case, decided at once
            continue
        for length in range(len(secret) - 1, shortest - 1, -1):
            head = secret[:length]
            if head not in text:
                continue
            if text.endswith(head):
                text = text[: -len(head)] + REDACTED
            for mark in _CUT_MARKS:
                text = text.replace(head + mark, REDACTED + mark)
    return text


def summarize_token(token: TokenView) -> dict[str, Any]:
    return {"fingerprint": token.fingerprint, "kind": str(token.kind), "claims": token.safe_claims()}


@attrs.frozen
class Report:
    mode: str
    target: Mapping[str, Any]
    findings: tuple[Finding, ...]
    requests_made: int = 0
    exchanges: tuple[ExchangeSummary, ...] = ()
    token: Mapping[str, Any] | None = None
    notes: tuple[str, ...] = ()

    @property
    def summary(self) -> dict[str, int]:
        """Checks by status: one finding per check, so these are the lines a human report shows."""
        counts = {str(status): 0 for status in SUMMARY_ORDER}
        for finding in self.findings:
            counts[str(finding.status)] += 1
        return counts

    @property
    def exit_code(self) -> int:
        """70 when a check crashed (the tool is at fault), else 1 when a check failed, else 0."""
        statuses = {finding.status for finding in self.findings}
        if Status.ERROR in statuses:
            return EXIT_CHECK_CRASHED
        return 1 if Status.FAIL in statuses else 0

    def to_json(self) -> dict[str, Any]:
        return {
            "version": REPORT_VERSION,
            "mode": self.mode,
            "target": dict(self.target),
            "requests_made": self.requests_made,
            "findings": [finding.to_json() for finding in self.findings],
            "summary": self.summary,
        }

    def scrubbed(self, secrets: Iterable[str]) -> Report:
        """A copy with every known secret and token shape removed from every string."""
        known = tuple(secrets)
        candidates = _cut_candidates(known)
        # The same string often recurs (a header name on each of many fields): scrubbed once per report. A
        # string's scrubbed form depends only on it and `known`, and the table holds no more than the report.
        cleaned: dict[str, str] = {}

        def clean(value: Any) -> Any:
            if isinstance(value, str):
                done = cleaned.get(value)
                if done is None:
                    text = _without_cut_secrets(redact_text(value, known), candidates)
                    done = cleaned[value] = _CONTROL.sub(lambda m: f"\\x{ord(m.group(0)):02x}", text)
                return done
            if isinstance(value, Mapping):
                return {clean(key): clean(item) for key, item in value.items()}
            if isinstance(value, list | tuple):
                return [clean(item) for item in value]
            return value

        def finding(item: Finding) -> Finding:
            return attrs.evolve(
                item,
                title=clean(item.title),
                detail=clean(item.detail),
                fix=clean(item.fix),
                reference=clean(item.reference),
                evidence=clean(dict(item.evidence)),
            )

        def exchange(item: ExchangeSummary) -> ExchangeSummary:
            cleaned = ExchangeSummary(
                **{field.name: clean(getattr(item, field.name)) for field in attrs.fields(ExchangeSummary)}
            )
            excerpt = cleaned.body_excerpt
            if excerpt is not None and len(excerpt) > EXCERPT_CHARS:  # cut only now that it is scrubbed
                cleaned = attrs.evolve(cleaned, body_excerpt=excerpt[:EXCERPT_CHARS])
            return cleaned

        return attrs.evolve(
            self,
            target=clean(dict(self.target)),
            findings=tuple(finding(item) for item in self.findings),
            exchanges=tuple(exchange(item) for item in self.exchanges),
            token=clean(dict(self.token)) if self.token is not None else None,
            notes=tuple(clean(note) for note in self.notes),
        )

    def sorted_findings(self) -> list[Finding]:
        return sorted(self.findings, key=lambda finding: STATUS_ORDER.index(finding.status))


# ------------------------------------------------------------------------------------------------------- human

_COLOURS: Final = {
    Status.ERROR: "\x1b[1;35m",
    Status.FAIL: "\x1b[1;31m",
    Status.WARN: "\x1b[33m",
    Status.PASS: "\x1b[32m",
    Status.SKIP: "\x1b[2m",
}
_EXPLAINED: Final = (Status.ERROR, Status.FAIL, Status.WARN)
_RESET: Final = "\x1b[0m"


def use_colour(stream: IO[str], choice: str = "auto") -> bool:
    """Colour when asked to, else only on a terminal and when NO_COLOR is unset (https://no-color.org)."""
    if choice in {"always", "never"}:
        return choice == "always"
    if os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def _target_line(report: Report) -> str:
    parts = [f"{key}={value}" for key, value in report.target.items() if value not in (None, "", [], {})]
    return f"tallyfy-diag {report.mode}" + (f"  {'  '.join(parts)}" if parts else "")


def summary_line(summary: Mapping[str, int]) -> str:
    """`2 fail, 1 warn, 14 pass, 2 skip` (and the errors, when a check crashed): the same words everywhere."""
    parts = [f"{summary['fail']} fail", f"{summary['warn']} warn", f"{summary['pass']} pass", f"{summary['skip']} skip"]
    if summary.get("error"):
        parts.insert(0, f"{summary['error']} error")
    return ", ".join(parts)


def _other_exchanges(finding: Finding) -> list[str]:
    """Lines for the exchanges a finding summarises besides the one its title is about."""
    listed = finding.evidence.get("exchanges")
    if not isinstance(listed, list):
        return []
    where = finding.evidence.get("exchange")
    others = [item for item in listed if isinstance(item, Mapping) and item.get("exchange") != where]
    lines = [
        f"also [{item.get('exchange')}] {str(item.get('status')).upper()}: {item.get('title')}"
        for item in others
        if item.get("status") != str(Status.PASS)
    ]
    passes = sum(1 for item in others if item.get("status") == str(Status.PASS))
    if passes:
        lines.append(f"passed on {passes} other exchange{'s' if passes > 1 else ''}")
    return lines


def render_human(report: Report, colour: bool = False, width: int = 100) -> str:
    """One line per check (worst first); a failure, warning or error adds its detail, fix and reference."""
    findings = report.sorted_findings()
    id_width = max((len(finding.check) for finding in findings), default=10)
    # Statuses line up: four letters wide, five when a check crashed (ERROR).
    status_width = max((len(str(finding.status)) for finding in findings), default=4)
    indent = " " * (status_width + 2 + id_width + 2)
    lines = [_target_line(report)]
    lines += [f"  note: {note}" for note in report.notes]
    lines.append("")
    for finding in findings:
        label = str(finding.status).upper().ljust(status_width)
        if colour:
            label = f"{_COLOURS[finding.status]}{label}{_RESET}"
        where = finding.evidence.get("exchange")
        title = f"[{where}] {finding.title}" if where else finding.title
        lines.append(f"{label}  {finding.check.ljust(id_width)}  {title}")
        if finding.status in _EXPLAINED:
            # The reference is a URL on a line of its own: a wrapped link cannot be clicked or copied.
            texts = [finding.detail, *_other_exchanges(finding), "fix: " + finding.fix if finding.fix else ""]
            for text in texts:
                if text:
                    lines += textwrap.wrap(
                        text,
                        width=width,
                        initial_indent=indent,
                        subsequent_indent=indent + "  ",
                        break_long_words=False,
                        break_on_hyphens=False,
                    )
            if finding.reference:
                lines.append(f"{indent}ref: {finding.reference}")
    lines.append("")
    lines.append(
        f"{len(findings)} check{'s' if len(findings) != 1 else ''}: {summary_line(report.summary)};"
        f" {report.requests_made} request(s) made"
    )
    return "\n".join(lines) + "\n"


# ----------------------------------------------------------------------------------------------- json / junit


def render_json(report: Report) -> str:
    return json.dumps(report.to_json(), indent=2, ensure_ascii=False) + "\n"


def render_junit(report: Report) -> str:
    import xml.etree.ElementTree as ET  # noqa: PLC0415 - only this format needs it: faster start-up

    summary = report.summary
    suites = ET.Element(
        "testsuites",
        name="tallyfy-diag",
        tests=str(len(report.findings)),
        failures=str(summary["fail"]),
        skipped=str(summary["skip"]),
        errors=str(summary["error"]),
    )
    suite = ET.SubElement(
        suites,
        "testsuite",
        name=f"tallyfy-diag {report.mode}",
        tests=str(len(report.findings)),
        failures=str(summary["fail"]),
        skipped=str(summary["skip"]),
        errors=str(summary["error"]),
        timestamp=datetime.now(tz=UTC).strftime("%Y-%m-%dT%H:%M:%S"),
    )
    properties = ET.SubElement(suite, "properties")
    for key, value in report.target.items():
        ET.SubElement(properties, "property", name=str(key), value=json.dumps(value, ensure_ascii=False))
    ET.SubElement(properties, "property", name="requests_made", value=str(report.requests_made))
    for finding in report.findings:
        where = finding.evidence.get("exchange")
        case = ET.SubElement(
            suite,
            "testcase",
            classname=f"tallyfy-diag.{report.mode}",
            name=f"{finding.check}" + (f" [{where}]" if where else ""),
        )
        body = "\n".join(
            part
            for part in (
                finding.detail,
                f"fix: {finding.fix}" if finding.fix else "",
                f"reference: {finding.reference}",
            )
            if part
        )
        if finding.status is Status.ERROR:
            error = ET.SubElement(case, "error", message=finding.title, type="error")
            error.text = body
        elif finding.status is Status.FAIL:
            failure = ET.SubElement(case, "failure", message=finding.title, type="fail")
            failure.text = body
        elif finding.status is Status.SKIP:
            ET.SubElement(case, "skipped", message=finding.title)
        else:
            output = ET.SubElement(case, "system-out")
            output.text = f"{str(finding.status).upper()}: {finding.title}\n{body}"
    ET.indent(suites)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"


# ---------------------------------------------------------------------------------------------------- markdown

_IDENTIFIERS: Final = (
    (re.compile(r"\b[0-9a-fA-F]{32}\b"), "{id}", ""),
    # Starts only where a run of address characters starts, and never backtracks into the local part:
    # linear on a long run with no `@` (quadratic before: 80 KB took 40 s).
    (re.compile(r"(?<![A-Za-z0-9._%+\-])[A-Za-z0-9._%+\-]++@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}"), "{email}", "@"),
    (re.compile(r"(?<=/users/)\d+\b"), "{user}", "/users/"),
)
"""Each pattern, its replacement, and a literal every match contains (`in` rules a long text out at once)."""


def anonymize(text: str) -> str:
    """Identifiers out of a support bundle: object ids, email addresses, user ids."""
    for pattern, replacement, needed in _IDENTIFIERS:
        if needed in text:
            text = pattern.sub(replacement, text)
    return text


def _cell(text: str) -> str:
    return anonymize(text).replace("|", "\\|").replace("\n", " ")


def _code(text: str) -> str:
    return "`" + anonymize(text).replace("`", "'") + "`"


def render_markdown(report: Report) -> str:
    summary = report.summary
    out = [
        "# tallyfy-diag support bundle",
        "",
        "Safe to paste into a support ticket: no secrets (a token appears only as a SHA-256 fingerprint,"
        f" `{fingerprint('example')[:7]}...`), object ids and e-mail addresses replaced.",
        "",
        "| | |",
        "|---|---|",
        f"| tool | tallyfy-diag {tallyfy_diag.__version__} |",
        f"| mode | {report.mode} |",
        f"| generated | {datetime.now(tz=UTC).strftime('%Y-%m-%d %H:%M:%S')} UTC |",
    ]
    out += [
        f"| {_cell(str(key))} | {_cell(json.dumps(value, ensure_ascii=False))} |"
        for key, value in report.target.items()
    ]
    out += [
        f"| checks | {len(report.findings)}: {summary_line(summary)} |",
        f"| requests made | {report.requests_made} |",
        "",
        "## Findings",
        "",
        "| status | check | finding |",
        "|---|---|---|",
    ]
    findings = report.sorted_findings()
    for finding in findings:
        where = finding.evidence.get("exchange")
        title = f"[{where}] {finding.title}" if where else finding.title
        out.append(f"| {str(finding.status).upper()} | `{finding.check}` | {_cell(title)} |")
    details = [finding for finding in findings if finding.status in _EXPLAINED]
    if details:
        out += ["", "## Errors, failures and warnings", ""]
    for finding in details:
        out += [f"### {str(finding.status).upper()} `{finding.check}`: {_cell(finding.title)}", ""]
        if finding.detail:
            out += [anonymize(finding.detail), ""]
        if finding.fix:
            out += [f"**Fix:** {anonymize(finding.fix)}", ""]
        out += [f"**Reference:** {anonymize(finding.reference)}", ""]
        out += [f"- {_cell(line)}" for line in _other_exchanges(finding)] + ([""] if _other_exchanges(finding) else [])
        shown = {key: value for key, value in finding.evidence.items() if key not in ("exchange", "exchanges")}
        if shown:
            out += [
                "```json",
                anonymize(json.dumps(shown, indent=2, ensure_ascii=False)).replace("```", "'''"),
                "```",
                "",
            ]
    if report.exchanges:
        out += ["## Exchanges", ""]
    names: dict[str, str] = {}  # header names recur (one per field): each is anonymised once
    for exchange in report.exchanges:
        out += [f"### {_cell(exchange.label)}", ""]
        out.append(f"- URL (no query): {_code(exchange.url)}")
        out.append(f"- status: {exchange.status if exchange.status is not None else 'no response'}")
        shown_names = (names.get(name) or names.setdefault(name, _code(name)) for name in exchange.request_headers)
        out.append("- request headers: " + ", ".join(shown_names))
        if exchange.request_id:
            out.append(f"- X-Request-Id: {_code(exchange.request_id)}")
        if exchange.www_authenticate:
            out.append(f"- WWW-Authenticate: {_code(exchange.www_authenticate)}")
        if exchange.body_excerpt:
            out += [
                "- response body (excerpt, redacted):",
                "",
                "```",
                anonymize(exchange.body_excerpt).replace("```", "'''"),
                "```",
            ]
        out.append("")
    if report.token:
        out += ["## Token", "", "```json", anonymize(json.dumps(report.token, indent=2, ensure_ascii=False)), "```", ""]
    if report.notes:
        out += ["## Notes", ""] + [f"- {anonymize(note)}" for note in report.notes] + [""]
    return "\n".join(out).rstrip("\n") + "\n"


def render(report: Report, output_format: str, colour: bool = False) -> str:
    if output_format == "json":
        return render_json(report)
    if output_format == "junit":
        return render_junit(report)
    if output_format == "markdown":
        return render_markdown(report)
    return render_human(report, colour=colour)


def write(text: str, stream: IO[str]) -> None:
    """Write a rendering even to a stream whose encoding cannot show every character."""
    try:
        stream.write(text)
    except UnicodeEncodeError:
        encoding = getattr(stream, "encoding", None) or "ascii"
        stream.write(text.encode(encoding, "replace").decode(encoding, "replace"))
    stream.flush()


__all__ = ["FORMATS", "REDACTED", "REPORT_VERSION", "ExchangeSummary", "Report", "render", "summarize_exchange"]
