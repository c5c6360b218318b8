"""Run the registered checks over evidence: every mode (doctor, explain, token) goes through `diagnose`."""

from __future__ import annotations

from collections.abc import Collection, Sequence

import attrs

from tallyfy_diag.diagnostics import _checks  # noqa: F401 - registers the checks
from tallyfy_diag.diagnostics._evidence import Evidence
from tallyfy_diag.diagnostics._registry import REGISTRY, STATUS_ORDER, Finding, Status


class UnknownCheckError(ValueError):
    """A `--check`/`--skip` id that is not in the catalogue; the message lists the valid ids."""


def select_checks(only: Collection[str] = (), skip: Collection[str] = ()) -> list[str]:
    """The ids to run: all, or only `only`, minus `skip`, in catalogue order."""
    unknown = sorted((set(only) | set(skip)) - set(REGISTRY.ids()))
    if unknown:
        raise UnknownCheckError(f"unknown check id {', '.join(unknown)}; known: {', '.join(REGISTRY.ids())}")
    return [check_id for check_id in REGISTRY.ids() if (not only or check_id in only) and check_id not in skip]


def _one_per_check(results: list[tuple[str, Finding]], several: bool) -> Finding:
    """One finding for a check that applied to several exchanges: the worst one, naming its exchange, with
    every exchange's status and title in `evidence["exchanges"]` (so a report counts checks, not exchanges)."""
    label, chosen = min(results, key=lambda result: STATUS_ORDER.index(result[1].status))
    extra: dict[str, object] = {}
    if several and label:
        extra["exchange"] = label
    if len(results) > 1:
        extra["exchanges"] = [
            {
                "exchange": where,
                "status": str(finding.status),
                "title": finding.title,
                "detail": finding.detail,
                "fix": finding.fix,
                "evidence": dict(finding.evidence),
            }
            for where, finding in results
        ]
    return attrs.evolve(chosen, evidence={**extra, **chosen.evidence}) if extra else chosen


def diagnose(evidence: Sequence[Evidence], *, only: Collection[str] = (), skip: Collection[str] = ()) -> list[Finding]:
    """Every selected check on every piece of evidence: exactly one finding per check.

    A check that applies to none of the evidence is reported as a skip; one that applies somewhere reports the
    worst of what it found, naming the exchange (the others are listed in its evidence).
    """
    several = len(evidence) > 1
    findings: list[Finding] = []
    for check_id in select_checks(only, skip):
        check = REGISTRY[check_id]
        results = [
            (item.exchange.label if item.exchange is not None else "", check.run(item))
            for item in evidence
            if item.only_checks is None or check_id in item.only_checks
        ]
        applied = [(label, finding) for label, finding in results if finding.status is not Status.SKIP]
        if applied:
            findings.append(_one_per_check(applied, several))
        elif results:
            findings.append(results[0][1])
    return findings
