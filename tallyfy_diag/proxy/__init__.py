"""`tallyfy-diag proxy`: a local reverse proxy that judges a real application's Tallyfy traffic as it passes.

Point the application's base URL at the proxy (`http://127.0.0.1:PORT/api`, or the root style to match
`api.tallyfy.com`); every request goes to the upstream unchanged and the answer comes back unchanged, while each
exchange is judged by the diagnostics' check registry and against the spec. From Python::

    with Proxy("https://go.tallyfy.com/api", on_judged=print) as proxy:
        ...  # the application calls proxy.base_url
    proxy.stats  # exchanges, failed, by check

The server stack is imported on first use of a name below, so `tallyfy-diag --help` stays fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tallyfy_diag._lazy import lazy_exports

if TYPE_CHECKING:
    from tallyfy_diag.proxy._judge import SPEC_CHECKS, Judged
    from tallyfy_diag.proxy._record import Recorder, RecordingError
    from tallyfy_diag.proxy._server import Proxy, Summary

_LAZY = {
    "Proxy": "tallyfy_diag.proxy._server",
    "Summary": "tallyfy_diag.proxy._server",
    "Judged": "tallyfy_diag.proxy._judge",
    "SPEC_CHECKS": "tallyfy_diag.proxy._judge",
    "Recorder": "tallyfy_diag.proxy._record",
    "RecordingError": "tallyfy_diag.proxy._record",
}

__all__ = ["SPEC_CHECKS", "Judged", "Proxy", "Recorder", "RecordingError", "Summary"]


__getattr__ = lazy_exports(__name__, _LAZY)
