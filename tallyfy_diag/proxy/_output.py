"""What the proxy prints: one line per exchange and the findings of those that fail (human), or one JSON record
per line (jsonl) for other tools; and the summary when it stops. Every string in a `Judged` is already scrubbed."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Iterator
from typing import IO, Final

from tallyfy_diag.diagnostics import Status
from tallyfy_diag.proxy._judge import Judged
from tallyfy_diag.proxy._server import Summary

OUTPUT_FORMATS: Final = ("human", "jsonl")
_COLOURS: Final = {Status.FAIL: "\x1b[1;31m", Status.WARN: "\x1b[33m"}
_RESET: Final = "\x1b[0m"


def human_lines(judged: Judged, *, colour: bool = False, width: int = 100) -> Iterator[str]:
    status = str(judged.status) if judged.status is not None else "---"
    mark = "FAIL" if judged.failed else ("warn" if judged.findings else "ok")
    if colour and judged.findings:
        mark = f"{_COLOURS[Status.FAIL if judged.failed else Status.WARN]}{mark}{_RESET}"
    yield f"#{judged.index:<4} {judged.method:<7} {judged.path:<60} {status:>3} {judged.elapsed_ms:7.1f} ms  {mark}"
    for finding in sorted(judged.findings, key=lambda item: item.status is not Status.FAIL):
        yield f"      {str(finding.status).upper():<4} {finding.check}: {finding.title}"
        for heading, text in (("", finding.detail), ("fix: ", finding.fix)):
            if text:
                yield from textwrap.wrap(
                    heading + text, width=width, initial_indent=" " * 11, subsequent_indent=" " * 13
                )


def jsonl_records(judged: Judged) -> Iterator[str]:
    """An `exchange` record, then one `finding` record per finding (each carrying its exchange's facts)."""
    facts = {
        "exchange": judged.index,
        "method": judged.method,
        "path": judged.path,
        "status_code": judged.status,
        "ms": round(judged.elapsed_ms, 3),
    }
    outcome = "fail" if judged.failed else ("warn" if judged.findings else "ok")
    yield json.dumps({"type": "exchange", **facts, "outcome": outcome}, ensure_ascii=False)
    for finding in judged.findings:
        yield json.dumps({"type": "finding", **facts, **finding.to_json()}, ensure_ascii=False)


def write_judged(judged: Judged, stream: IO[str], output_format: str, *, colour: bool = False) -> None:
    lines = jsonl_records(judged) if output_format == "jsonl" else human_lines(judged, colour=colour)
    stream.write("".join(line + "\n" for line in lines))
    stream.flush()


def summary_text(summary: Summary) -> str:
    checks = ", ".join(f"{check} x{count}" for check, count in summary.by_check.most_common())
    text = f"proxy: {summary.exchanges} exchange(s), {summary.failed} failed, {summary.warned} with warnings only" + (
        f" (failed checks: {checks})" if checks else ""
    )
    if summary.not_judged:
        text += f"; {summary.not_judged} passed through unjudged (the judge fell behind, or failed on them)"
    return text


def summary_record(summary: Summary) -> str:
    return json.dumps(
        {
            "type": "summary",
            "exchanges": summary.exchanges,
            "failed": summary.failed,
            "warned": summary.warned,
            "not_judged": summary.not_judged,
            "failed_checks": dict(summary.by_check),
            "exit_code": summary.exit_code,
        }
    )
