"""End to end over real HTTP: applications run flows through the proxy in front of the sandbox.

The healthy flows report nothing; each broken habit is reported under the check id `explain` and `doctor` use.
"""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest
from proxy_helpers import failing_checks, user_token, verdicts
from tallyfy import TallyfySDK
from tallyfy_client.api.blueprints import list_blueprints
from tallyfy_client.api.identity import get_me, list_my_organizations
from tallyfy_client.api.processes import launch_process
from tallyfy_client.models import ProcessLaunch

from tallyfy_diag import PasswordGrant, Tallyfy
from tallyfy_diag._constants import CLIENT_HEADER, CLIENT_HEADER_VALUE


def listed(value):
    """A blueprint's steps or kick-off fields: a bare list (Tallyfy's docs) or wrapped in `data` (its SDK)."""
    return value if isinstance(value, list) else value.data


def test_the_generated_client_through_the_wrapper_reports_nothing(sandbox, proxy):
    c = sandbox.credentials
    auth = PasswordGrant(c.client_id, c.client_secret, c.username, c.password)
    with Tallyfy(auth, base_url=proxy.base_url, org_id=c.org_id) as tf:
        assert tf.call(get_me).data.email == c.username
        tf.call(list_my_organizations)
        blueprints = list(tf.paginate(list_blueprints, with_="steps,prerun"))
        onboarding = next(b for b in blueprints if b.title == "Employee onboarding")
        kickoff = {field.id: "Ann's manager" for field in listed(onboarding.prerun) if field.required}
        deadline = datetime(2026, 12, 15, 17, 0, tzinfo=UTC)
        launched = tf.call(
            launch_process,
            body=ProcessLaunch.from_dict(
                {
                    "checklist_id": onboarding.id,
                    "name": "Onboard Ann",
                    "prerun": kickoff,
                    "tasks": {listed(onboarding.steps)[0].id: {"deadline": deadline}},
                }
            ),
        )
        assert launched.data.name == "Onboard Ann"
    seen = verdicts(proxy)
    assert [(v.method, v.path) for v in seen][:2] == [("POST", "/oauth/token"), ("GET", "/me")]
    assert ("POST", "/organizations/{org}/runs") in {(v.method, v.path) for v in seen}
    assert [(v.index, v.path, [f.check for f in v.findings]) for v in seen if v.findings] == []
    assert proxy.stats.failed == 0


def test_the_official_sdk_root_style_reports_no_failure(sandbox, proxy):
    token = user_token(proxy.base_url, sandbox)
    sdk = TallyfySDK(api_key=token, base_url=proxy.root_url, max_retries=0)
    organizations = sdk.get_current_user_organizations()
    assert sandbox.credentials.org_id in {org.id for org in organizations.data}
    sdk.get_my_tasks(sandbox.credentials.org_id)
    seen = verdicts(proxy)
    assert [v.path for v in seen] == ["/oauth/token", "/me/organizations", "/organizations/{org}/me/tasks"]
    assert all(v.status == 200 for v in seen)
    assert failing_checks(proxy) == set()
    # The SDK names itself in X-Tallyfy-Client: worth a warning (the documented value is APIClient), no more.
    assert {f.check for v in seen for f in v.findings} <= {"client-header"}


def test_the_official_sdk_with_an_application_token_is_told_it_needs_a_user(sandbox, proxy):
    sdk = TallyfySDK(api_key=sandbox.mint_access_token(user=False), base_url=proxy.root_url, max_retries=0)
    with pytest.raises(Exception):  # noqa: B017, PT011 - the SDK's own error type for a 401
        sdk.get_current_user_organizations()
    assert "grant-type" in failing_checks(proxy)


def _send(method: str, url: str, **options) -> httpx.Response:
    with httpx.Client(timeout=10) as client:
        return client.request(method, url, **options)


def test_missing_client_header(sandbox, proxy):
    token = sandbox.mint_access_token()
    response = _send("GET", proxy.base_url + "/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code in (401, 404)
    assert "client-header" in failing_checks(proxy)


def test_two_spaces_after_bearer(sandbox, proxy):
    token = sandbox.mint_access_token()
    headers = {"Authorization": f"Bearer  {token}", CLIENT_HEADER: CLIENT_HEADER_VALUE}
    _send("GET", proxy.base_url + "/me", headers=headers)
    assert "auth-header" in failing_checks(proxy)


def test_application_token_on_a_user_endpoint(sandbox, proxy, api_headers):
    response = _send("GET", proxy.root_url + "/me", headers=api_headers(sandbox.mint_access_token(user=False)))
    assert response.status_code == 401
    judged = verdicts(proxy)[-1]
    assert judged.path == "/me"
    assert "grant-type" in {f.check for f in judged.findings if f.status == "fail"}


def test_json_token_request(sandbox, proxy):
    c = sandbox.credentials
    body = {
        "grant_type": "password",
        "client_id": c.client_id,
        "client_secret": c.client_secret,
        "username": c.username,
        "password": c.password,
    }
    _send("POST", proxy.base_url + "/oauth/token", json=body, headers={CLIENT_HEADER: CLIENT_HEADER_VALUE})
    failing = failing_checks(proxy)
    assert "token-request" in failing
    assert "spec-request" in failing


def test_an_iso_date_without_a_zone_is_reported(sandbox, proxy, api_headers):
    token = user_token(proxy.base_url, sandbox)
    org = sandbox.credentials.org_id
    headers = api_headers(token)
    checklist = _send("GET", f"{proxy.base_url}/organizations/{org}/checklists", headers=headers).json()["data"][0]
    body = {"checklist_id": checklist["id"], "name": "ISO", "deadline": "2026-12-15T17:00:00"}
    _send("POST", f"{proxy.base_url}/organizations/{org}/runs", json=body, headers=headers)
    judged = verdicts(proxy)[-1]
    assert judged.path == "/organizations/{org}/runs"
    assert "date-format" in {f.check for f in judged.findings if f.status == "fail"}


def test_unknown_operation_wrong_method_and_malformed_parameter(sandbox, proxy, api_headers):
    headers = api_headers(sandbox.mint_access_token())
    org = sandbox.credentials.org_id
    _send("GET", proxy.base_url + "/organisations/nope", headers=headers)
    _send("DELETE", proxy.base_url + "/me", headers=headers)
    _send("GET", f"{proxy.base_url}/organizations/{org}/checklists?per_page=lots", headers=headers)
    unknown, wrong_method, malformed = verdicts(proxy)
    assert [f.check for f in unknown.findings if f.check.startswith("spec-")] == ["spec-operation"]
    spec_operation = next(f for f in wrong_method.findings if f.check == "spec-operation")
    assert "allows GET" in spec_operation.title
    spec_request = next(f for f in malformed.findings if f.check == "spec-request")
    assert "query parameter per_page" in spec_request.title


def test_the_bare_generated_client_shows_two_habits_the_wrapper_fixes(sandbox, proxy):
    """Without the wrapper, the generated client sends no X-Tallyfy-Client, and a naive datetime written the way
    Python writes it (isoformat, no zone) is not a request date: the proxy names both, by the ids `explain` uses."""
    from tallyfy_client import AuthenticatedClient  # noqa: PLC0415

    token = sandbox.mint_access_token()
    org = sandbox.credentials.org_id
    with AuthenticatedClient(base_url=proxy.base_url, token=token) as bare:
        assert get_me.sync_detailed(client=bare).status_code in (401, 404)
    headers = {CLIENT_HEADER: CLIENT_HEADER_VALUE}
    with AuthenticatedClient(base_url=proxy.base_url, token=token, headers=headers) as client:
        blueprint = list_blueprints.sync(org, client=client, with_="steps").data[0]
        deadline = datetime(2026, 12, 15, 17, 0).isoformat()
        body = {
            "checklist_id": blueprint.id,
            "name": "Bare",
            "tasks": {listed(blueprint.steps)[0].id: {"deadline": deadline}},
        }
        launch_process.sync_detailed(org, client=client, body=ProcessLaunch.from_dict(body))
    missing_header, _listing, launch = verdicts(proxy)
    assert "client-header" in {f.check for f in missing_header.findings if f.status == "fail"}
    assert launch.path == "/organizations/{org}/runs"
    assert "date-format" in {f.check for f in launch.findings if f.status == "fail"}
