"""Diagnostics: name the root cause of a failing Tallyfy API call, and the fix.

One registry of checks (`REGISTRY`, ids in `CATALOGUE`); each check is a pure function over `Evidence`.
The modes build evidence their own way and share everything else:

- `explain(data)`: offline, from what DevTools copies (cURL for bash or cmd, PowerShell, fetch, fetch for
  Node.js), a HAR file, a Postman collection, an HTTPie command, raw HTTP or a VCR cassette;
- `judge_token(text)`: one token, decoded without verifying it;
- the live `doctor` (see `tallyfy_diag.diagnostics._doctor`).

Every mode returns a `Report` with one finding per check; `render(report, format)` gives human, json, junit or
markdown text. A check that raises is an `error` finding (exit 70), or propagates with TALLYFY_DIAG_STRICT_CHECKS.
"""

from tallyfy_diag.diagnostics import _cors as cors
from tallyfy_diag.diagnostics._evidence import (
    Evidence,
    Exchange,
    Header,
    IsolationTrial,
    Request,
    Response,
    TokenKind,
    TokenView,
    TransportFailure,
)
from tallyfy_diag.diagnostics._offline import TOKEN_MODE_CHECKS, evidence_for_capture, explain, judge_token
from tallyfy_diag.diagnostics._parsers import Capture, InputError, parse_capture
from tallyfy_diag.diagnostics._registry import CATALOGUE, REGISTRY, Check, Finding, Status, Verdict
from tallyfy_diag.diagnostics._report import FORMATS, REPORT_VERSION, Report, render, use_colour, write
from tallyfy_diag.diagnostics._runner import UnknownCheckError, diagnose, select_checks

__all__ = [
    "CATALOGUE",
    "FORMATS",
    "REGISTRY",
    "REPORT_VERSION",
    "TOKEN_MODE_CHECKS",
    "Capture",
    "Check",
    "Evidence",
    "Exchange",
    "Finding",
    "Header",
    "InputError",
    "IsolationTrial",
    "Report",
    "Request",
    "Response",
    "Status",
    "TokenKind",
    "TokenView",
    "TransportFailure",
    "UnknownCheckError",
    "Verdict",
    "cors",
    "diagnose",
    "evidence_for_capture",
    "explain",
    "judge_token",
    "parse_capture",
    "render",
    "select_checks",
    "use_colour",
    "write",
]
