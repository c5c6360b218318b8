"""Run the registered checks over evidence: every mode (doctor, explain, token) goes through `diagnose`."""

from __future__ import annotations

from collections.abc import Collection, Sequence

import attrs

from tallyfy_diag.diagnostics import _checks  # noqa: F401 - registers the checks
from tallyfy_diag.diagnostics._evidence import Evidence
from tallyfy_diag.diagnostics._registry import REGISTRY, Finding, Status


class UnknownCheckError(ValueError):
    """A `--check`/`--skip` id that is not in the catalogue; the message lists the valid ids."""


def select_checks(only: Collection[str] = (), skip: Collection[str] = ()) -> list[str]:
    """The ids to run: all, or only `only`, minus `skip`, in catalogue order."""
    unknown = sorted((set(only) | set(skip)) - set(REGISTRY.ids()))
    if unknown:
        raise UnknownCheckError(f"unknown check id {', '.join(unknown)}; known: {', '.join(REGISTRY.ids())}")
    return [check_id for check_id in REGISTRY.ids() if (not only or check_id in only) and check_id not in skip]


def diagnose(evidence: Sequence[Evidence], *, only: Collection[str] = (), skip: Collection[str] = ()) -> list[Finding]:
    """Every selected check on every piece of evidence.

    A check that applies to none of the evidence is reported once, as a skip; one that applies somewhere is
    reported where it applies only. With several exchanges each finding names its exchange.
    """
    several = len(evidence) > 1
    findings: list[Finding] = []
    for check_id in select_checks(only, skip):
        check = REGISTRY[check_id]
        results = [
            (item, check.run(item)) for item in evidence if item.only_checks is None or check_id in item.only_checks
        ]
        applied = [(item, finding) for item, finding in results if finding.status is not Status.SKIP]
        if not applied:
            if results:
                findings.append(results[0][1])
            continue
        for item, finding in applied:
            label = item.exchange.label if item.exchange is not None else ""
            if several and label:
                findings.append(attrs.evolve(finding, evidence={"exchange": label, **finding.evidence}))
            else:
                findings.append(finding)
    return findings
