"""Fixtures for every test: a clean environment, so no developer's TALLYFY_* variables leak into a test, and
diagnostic checks run strict (a check that raises fails the test that triggered it, instead of becoming an
`error` finding)."""

from __future__ import annotations

import gc
import os
import threading

import pytest
from hypothesis import strategies


@pytest.hookimpl(trylast=True)  # after Hypothesis's own hook ends its plugin-initialization phase
def pytest_sessionstart(session: pytest.Session) -> None:
    """In the process that starts the workers: build Hypothesis's table of the characters UTF-8 can encode
    (2.5 s of CPU, kept in its storage directory) while the workers collect, so on a fresh checkout it is built
    once, not again by each worker and by the Schemathesis command line. A worker that needs it sooner builds
    it itself, as it would anyway. Only with workers: a run in one process runs tests beside the thread."""
    if not session.config.pluginmanager.has_plugin("dsession"):  # xdist's controller plugin
        return
    threading.Thread(target=strategies.characters(codec="utf-8").validate, daemon=True).start()


def pytest_collection_finish(session: pytest.Session) -> None:
    """What collection built (modules, parameters, Schemathesis' generated tests) lives until the session ends:
    moved out of the collector's way, so each full garbage collection during the run does not walk it again."""
    gc.freeze()


@pytest.fixture(autouse=True)
def _clean_tallyfy_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("TALLYFY_") or name in {"NO_COLOR", "FORCE_COLOR"}:
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TALLYFY_DIAG_STRICT_CHECKS", "1")
