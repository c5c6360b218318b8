"""One date rule (`tallyfy_diag._date_rule`): the same dated requests go through the sandbox and the `date-format`
check, and they agree. A request the sandbox accepts never fails the check; a request the check passes is never
refused by the sandbox; and the client's date settings write only what both accept."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import httpx
import pytest

from tallyfy_diag._constants import CLIENT_HEADER, CLIENT_HEADER_VALUE
from tallyfy_diag.client._dates import DateSettings
from tallyfy_diag.diagnostics._checks.dates import date_format
from tallyfy_diag.diagnostics._evidence import Evidence, Exchange, Header, Request
from tallyfy_diag.diagnostics._registry import Status
from tallyfy_diag.sandbox import Sandbox

DATES = [
    "2030-05-15 14:30:00",  # Y-m-d H:i:s
    "2030-05-06 14:30:00",  # Y-m-d, but would be another day day-first
    "2030-05-05 14:30:00",
    "2030-15-05 14:30:00",  # day-first (the superseded guide text)
    "2030-05-15T14:30:00Z",  # ISO with a zone (Tallyfy's endpoint pages)
    "2030-05-15T14:30:00.000+02:00",
    "2030-05-15t14:30:00z",
    "2030-05-15T14:30:00",  # ISO without a zone
    "2030-05-15 14:30:00Z",
    "2030-05-15",  # no time
    "2030-31-02 10:00:00",  # no such day either way
    "2030-05-15 25:00:00",
    "2030-5-15 14:30:00",  # one-digit month
    "15/05/2030",
]


@pytest.fixture(scope="module")
def sandbox_answers() -> dict[str, int]:
    sandbox = Sandbox.in_process()
    token = sandbox.mint_access_token()
    org = sandbox.credentials.org_id
    headers = {CLIENT_HEADER: CLIENT_HEADER_VALUE, "Authorization": f"Bearer {token}"}
    answers = {}
    with httpx.Client(transport=sandbox.transport(), base_url=sandbox.base_url, headers=headers) as client:
        for value in DATES:
            body = {"title": "Dated", "task_type": "task", "deadline": value}
            response = client.post(f"/organizations/{org}/tasks", json=body)
            assert response.status_code in (201, 422), response.text
            if response.status_code == 422:
                assert list(response.json()["errors"]) == ["deadline"], response.text
            answers[value] = response.status_code
    return answers


def check_verdict(value: str) -> Status:
    body = json.dumps({"title": "Dated", "task_type": "task", "deadline": value}).encode()
    request = Request(
        "POST",
        "https://go.tallyfy.com/api/organizations/0123456789abcdef0123456789abcdef/tasks",
        (Header("Content-Type", "application/json"),),
        body,
    )
    return date_format(Evidence(now=datetime.now(UTC), exchange=Exchange(request))).status


@pytest.mark.parametrize("value", DATES)
def test_the_sandbox_and_the_check_agree(sandbox_answers: dict[str, int], value: str) -> None:
    verdict = check_verdict(value)
    if sandbox_answers[value] == 201:
        assert verdict is not Status.FAIL, f"the sandbox accepts {value!r} but the check fails it"
    if verdict is Status.PASS:
        assert sandbox_answers[value] == 201, f"the check passes {value!r} but the sandbox refuses it"


def test_both_accepted_forms_are_accepted_and_the_mistakes_refused(sandbox_answers: dict[str, int]) -> None:
    accepted = {value for value, status in sandbox_answers.items() if status == 201}
    assert accepted == {
        "2030-05-15 14:30:00",
        "2030-05-06 14:30:00",
        "2030-05-05 14:30:00",
        "2030-05-15T14:30:00Z",
        "2030-05-15T14:30:00.000+02:00",
        "2030-05-15t14:30:00z",
    }


@pytest.mark.parametrize(
    "settings",
    [DateSettings(), DateSettings(style="iso"), DateSettings(timezone=timezone(timedelta(hours=-5)))],
    ids=["default", "iso", "utc-minus-5"],
)
def test_the_client_writes_dates_both_accept(settings: DateSettings) -> None:
    written = settings.format(datetime(2030, 5, 6, 14, 30, tzinfo=UTC))
    assert check_verdict(written) is not Status.FAIL
    sandbox = Sandbox.in_process()
    headers = {CLIENT_HEADER: CLIENT_HEADER_VALUE, "Authorization": f"Bearer {sandbox.mint_access_token()}"}
    with httpx.Client(transport=sandbox.transport(), base_url=sandbox.base_url, headers=headers) as client:
        org = sandbox.credentials.org_id
        response = client.post(f"/organizations/{org}/tasks", json={"title": "Dated", "deadline": written})
    assert response.status_code == 201, response.text
    assert response.json()["data"]["deadline"].startswith(
        "2030-05-06T14:30:00" if settings.timezone is UTC else "2030-05-06T"
    )
