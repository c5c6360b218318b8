"""The one check registry: every check's stable id, title, reference and pure function.

A check function takes `Evidence` and returns a `Verdict`; the registry turns it into a `Finding` stamped with
the check's id and default reference. Ids are public (users filter with `--check` and suppress with `--skip`),
so they never change; `CATALOGUE` fixes them and their order. Every reference is a public URL
(`_references.is_public_reference`).

A check that raises is a bug in tallyfy-diag, never a verdict about the user's setup: its finding has status
`error` (the report's exit code is then 70). With `TALLYFY_DIAG_STRICT_CHECKS=1` (the test suite sets it) the
exception propagates instead, so the test that triggered it fails.
"""

from __future__ import annotations

import enum
import logging
import os
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Final

import attrs

from tallyfy_diag.diagnostics._evidence import Evidence
from tallyfy_diag.diagnostics._references import is_public_reference

logger = logging.getLogger("tallyfy_diag.diagnostics")

CATALOGUE: Final = (
    "client-header",
    "accept-header",
    "auth-header",
    "token-format",
    "token-expiry",
    "grant-type",
    "base-url",
    "token-request",
    "oauth-error",
    "unauthenticated",
    "endpoint-not-found",
    "org-context",
    "cors-preflight",
    "date-format",
    "redirect",
    "clock-skew",
    "rate-limit",
    "refresh-token",
    "connectivity",
)


STRICT_CHECKS_VARIABLE: Final = "TALLYFY_DIAG_STRICT_CHECKS"


class Status(enum.StrEnum):
    PASS = "pass"
    WARN = "warn"
    FAIL = "fail"
    SKIP = "skip"
    ERROR = "error"
    """The check itself crashed: tallyfy-diag is at fault, not the setup it looked at."""


# Worst first: the order reports group by, and the order `worst()` ranks by.
STATUS_ORDER: Final = (Status.ERROR, Status.FAIL, Status.WARN, Status.PASS, Status.SKIP)


def strict_checks() -> bool:
    """Whether a crashing check should propagate (tests) instead of becoming an `error` finding (users)."""
    return os.environ.get(STRICT_CHECKS_VARIABLE, "").strip() not in ("", "0")


def _public(instance: object, attribute: attrs.Attribute[Any], value: str | None) -> None:
    if value is not None and not is_public_reference(value):
        raise ValueError(f"{attribute.name} must be a public https URL (Tallyfy docs, an RFC, Fetch): {value!r}")


def worst(statuses: Iterable[Status]) -> Status:
    ranked = sorted(statuses, key=STATUS_ORDER.index)
    return ranked[0] if ranked else Status.SKIP


@attrs.frozen
class Verdict:
    """What a check function returns; evidence values must already be redacted."""

    status: Status
    title: str
    detail: str = ""
    fix: str = ""
    evidence: Mapping[str, Any] = attrs.field(factory=dict)
    reference: str | None = attrs.field(default=None, validator=_public)
    """Overrides the check's default reference when a more precise section applies."""


def passed(title: str, detail: str = "", **evidence: Any) -> Verdict:
    return Verdict(Status.PASS, title, detail, evidence=evidence)


def warned(title: str, detail: str = "", fix: str = "", reference: str | None = None, **evidence: Any) -> Verdict:
    return Verdict(Status.WARN, title, detail, fix, evidence, reference)


def failed(title: str, detail: str = "", fix: str = "", reference: str | None = None, **evidence: Any) -> Verdict:
    return Verdict(Status.FAIL, title, detail, fix, evidence, reference)


def skipped(title: str, detail: str = "") -> Verdict:
    return Verdict(Status.SKIP, title, detail)


@attrs.frozen
class Finding:
    check: str
    status: Status
    title: str
    detail: str = ""
    fix: str = ""
    reference: str = ""
    evidence: Mapping[str, Any] = attrs.field(factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "check": self.check,
            "status": str(self.status),
            "title": self.title,
            "detail": self.detail,
            "fix": self.fix,
            "reference": self.reference,
            "evidence": dict(self.evidence),
        }


CheckFunction = Callable[[Evidence], Verdict]


@attrs.frozen
class Check:
    id: str
    title: str
    reference: str
    function: CheckFunction = attrs.field(repr=False)

    def run(self, evidence: Evidence) -> Finding:
        """The check's finding; a bug in a check becomes an `error` finding (or propagates when strict)."""
        try:
            verdict = self.function(evidence)
        except Exception as error:
            if strict_checks():
                raise
            # One faulty check must not hide the others, and must never pass for a verdict (not even a skip).
            logger.debug("check %s raised %s", self.id, type(error).__name__)
            verdict = Verdict(
                Status.ERROR,
                f"this check crashed ({type(error).__name__}): a bug in tallyfy-diag, please report it",
                "The other checks ran normally; this one says nothing about your setup. Rerun with"
                f" {STRICT_CHECKS_VARIABLE}=1 and TALLYFY_DIAG_DEBUG=1 to see the traceback.",
            )
        return Finding(
            check=self.id,
            status=verdict.status,
            title=verdict.title,
            detail=verdict.detail,
            fix=verdict.fix,
            reference=verdict.reference or self.reference,
            evidence=dict(verdict.evidence),
        )


class Registry:
    """Checks by id, in catalogue order."""

    def __init__(self) -> None:
        self._checks: dict[str, Check] = {}

    def register(self, check_id: str, title: str, reference: str) -> Callable[[CheckFunction], CheckFunction]:
        if check_id not in CATALOGUE:
            raise ValueError(f"{check_id!r} is not in the check catalogue")
        if not is_public_reference(reference):
            raise ValueError(f"check {check_id!r}: the reference must be a public https URL, not {reference!r}")

        def add(function: CheckFunction) -> CheckFunction:
            if check_id in self._checks:
                raise ValueError(f"check {check_id!r} registered twice")
            self._checks[check_id] = Check(check_id, title, reference, function)
            return function

        return add

    def __getitem__(self, check_id: str) -> Check:
        return self._checks[check_id]

    def __contains__(self, check_id: object) -> bool:
        return check_id in self._checks

    def ids(self) -> tuple[str, ...]:
        return tuple(check_id for check_id in CATALOGUE if check_id in self._checks)

    def checks(self) -> tuple[Check, ...]:
        return tuple(self._checks[check_id] for check_id in self.ids())


REGISTRY: Final = Registry()
