"""Fixtures: fresh copies of Tallyfy's documented webhook payloads (see webhook_payloads)."""

from __future__ import annotations

from typing import Any

import pytest
from webhook_payloads import load


@pytest.fixture
def process_payload() -> dict[str, Any]:
    return load("process_webhook")


@pytest.fixture
def task_payload() -> dict[str, Any]:
    return load("task_webhook")
