"""Where the API lives, the X-Tallyfy-Client rule, and the headers every response carries (over real HTTP)."""

from __future__ import annotations

import re
import uuid
from email.utils import parsedate_to_datetime

import httpx
import pytest

from tallyfy_diag.client import ClientCredentials, Tallyfy, UserContextRequiredError
from tallyfy_diag.sandbox import Sandbox, SandboxConfig

ENDPOINT_NOT_FOUND = {"error": True, "message": "API endpoint not found", "code": "ENDPOINT_NOT_FOUND"}
UNAUTHENTICATED = {"error": True, "message": "Unauthenticated."}


@pytest.mark.parametrize(
    "path",
    ["/", "/me", "/organizations", "/oauth/token", "/apix/me", "/API/me", "/favicon.ico", "/api-docs"],
)
def test_anything_outside_api_is_endpoint_not_found(api, user_headers, path):
    response = httpx.get(api.sandbox.root_url + path, headers={**user_headers, "X-Tallyfy-Client": "APIClient"})
    assert response.status_code == 404
    assert response.json() == ENDPOINT_NOT_FOUND


@pytest.mark.parametrize(
    "path",
    ["/", "/nope", "/me/nope", "/organizations", "/organizations/x/unknown", "//me", "///me", "/me//x", "//"],
)
def test_unknown_paths_under_api_are_endpoint_not_found(api, user_headers, path):
    response = api.client.get(api.sandbox.base_url + path, headers=user_headers)
    assert str(response.request.url).endswith("/api" + path)  # sent as written, not tidied by httpx
    assert response.status_code == 404
    assert response.json() == ENDPOINT_NOT_FOUND


def test_a_doubled_slash_inside_a_known_path_is_endpoint_not_found(api, user_headers):
    response = api.client.get(api.sandbox.base_url + api.org("").replace("/organizations/", "/organizations//"))
    assert response.status_code == 404
    assert response.json() == ENDPOINT_NOT_FOUND


@pytest.mark.parametrize("path", ["/me/", "/me//"])
def test_trailing_slashes_are_ignored_as_laravels_router_ignores_them(api, user_headers, path):
    # Illuminate's UriValidator matches rtrim($pathInfo, '/'); only the end of the path is forgiven.
    response = api.client.get(api.sandbox.base_url + path, headers=user_headers)
    assert response.status_code == 200
    assert response.json()["data"]["id"] == api.credentials.user_id


def test_an_application_client_refuses_a_user_operation_behind_a_trailing_slash():
    # The client's own check normalises before its exact spec lookup: `/me/` still reaches get_me.
    sandbox = Sandbox.in_process()
    c = sandbox.credentials
    sent: list[httpx.Request] = []
    auth = ClientCredentials(c.app_client_id, c.app_client_secret)
    with Tallyfy(auth, base_url=sandbox.base_url, transport=sandbox.transport(), org_id=c.org_id) as tf:
        tf.http.event_hooks["request"].append(sent.append)
        with pytest.raises(UserContextRequiredError) as caught:
            tf.http.get("/me/")
    assert "get_me" in str(caught.value)
    assert sent == []


def test_a_known_path_with_the_wrong_method_is_405_with_allow(api, user_headers):
    response = api.client.delete("/me", headers=user_headers)
    assert response.status_code == 405
    assert response.headers["Allow"] == "GET"
    assert response.json()["code"] == "METHOD_NOT_ALLOWED"
    token_get = api.client.get("/oauth/token")
    assert token_get.status_code == 405
    assert token_get.headers["Allow"] == "POST"


def test_missing_client_header_is_endpoint_not_found_even_with_a_valid_token(api, user_headers):
    response = httpx.get(api.sandbox.base_url + "/me", headers=user_headers)
    assert response.status_code == 404
    assert response.json() == ENDPOINT_NOT_FOUND
    assert "WWW-Authenticate" not in response.headers


@pytest.mark.parametrize("value", [""])
def test_an_empty_client_header_counts_as_missing(api, user_headers, value):
    response = httpx.get(api.sandbox.base_url + "/me", headers={**user_headers, "X-Tallyfy-Client": value})
    assert response.status_code == 404


def test_the_client_header_name_is_case_insensitive_and_any_value_is_accepted(api, user_headers):
    response = httpx.get(api.sandbox.base_url + "/me", headers={**user_headers, "x-tallyfy-client": "TallyfySDK"})
    assert response.status_code == 200


def test_the_token_endpoint_also_needs_the_client_header(api):
    credentials = api.credentials
    form = {
        "grant_type": "client_credentials",
        "client_id": credentials.app_client_id,
        "client_secret": credentials.app_client_secret,
    }
    response = httpx.post(api.sandbox.base_url + "/oauth/token", data=form)
    assert response.status_code == 404
    assert response.json() == ENDPOINT_NOT_FOUND


def test_missing_client_header_can_be_configured_to_401():
    with Sandbox(SandboxConfig(missing_client_header_status=401)) as sandbox:
        token = sandbox.mint_access_token()
        response = httpx.get(sandbox.base_url + "/me", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 401
        assert response.json() == UNAUTHENTICATED
        assert response.headers["WWW-Authenticate"] == 'Bearer error="invalid_token"'
        bare = httpx.get(sandbox.base_url + "/me")
        assert bare.headers["WWW-Authenticate"] == "Bearer"


def test_the_header_401_scenario_switches_it_too():
    sandbox = Sandbox.in_process(SandboxConfig(scenario="missing-client-header-401"))
    with httpx.Client(base_url=sandbox.base_url, transport=sandbox.transport()) as client:
        assert client.get("/me").status_code == 401


def _all_kinds_of_response(api, user_headers):
    """One response of each kind: success, 401, 403, 404 (both codes), 405, 422, token error, preflight."""
    client = api.client
    other = api.credentials.foreign_org_id
    yield client.get("/me", headers=user_headers)
    yield client.get("/me")
    yield client.get(api.org(org_id=other), headers=user_headers)
    yield httpx.get(api.sandbox.root_url + "/nowhere")
    yield client.get(api.org("/checklists/" + "0" * 32), headers=user_headers)
    yield client.put("/me", headers=user_headers)
    yield client.post(api.org("/checklists"), headers=user_headers, json={})
    yield client.post("/oauth/token", json={"grant_type": "password"})
    yield client.options("/me", headers={"Origin": "https://app.example.com", "Access-Control-Request-Method": "GET"})


def test_every_response_carries_a_fresh_request_id(api, user_headers):
    seen = set()
    for response in _all_kinds_of_response(api, user_headers):
        request_id = response.headers["X-Request-Id"]
        assert uuid.UUID(request_id)
        seen.add(request_id)
    assert len(seen) == 9


def test_every_response_carries_a_date_header_near_the_server_clock(api, user_headers):
    for response in _all_kinds_of_response(api, user_headers):
        assert re.fullmatch(r"[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT", response.headers["Date"])
        assert response.headers.get_list("Date") == [response.headers["Date"]]


def test_error_bodies_are_json_without_tracebacks(api, user_headers):
    for response in _all_kinds_of_response(api, user_headers):
        if response.status_code >= 400:
            assert response.headers["Content-Type"] == "application/json"
            assert "Traceback" not in response.text


def test_the_date_header_follows_the_clock_and_its_offset():
    now = 1_700_000_000.0
    sandbox = Sandbox.in_process(SandboxConfig(clock=lambda: now, clock_offset=90))
    with httpx.Client(base_url=sandbox.base_url, transport=sandbox.transport()) as client:
        first = parsedate_to_datetime(client.get("/me").headers["Date"]).timestamp()
        sandbox.advance_clock(30)
        second = parsedate_to_datetime(client.get("/me").headers["Date"]).timestamp()
    assert first == now + 90
    assert second == now + 120


def test_the_clock_skew_scenario_puts_the_date_ten_minutes_ahead():
    now = 1_700_000_000.0
    sandbox = Sandbox.in_process(SandboxConfig(scenario="clock-skew", clock=lambda: now))
    with httpx.Client(base_url=sandbox.base_url, transport=sandbox.transport()) as client:
        date = parsedate_to_datetime(client.get("/me").headers["Date"]).timestamp()
    assert date == now + 600


def test_a_literal_segment_beats_a_parameter(api, user_headers):
    # GET .../users/invite is the wrong method on the invite path, not a user whose id is "invite".
    response = api.client.get(api.org("/users/invite"), headers=user_headers)
    assert response.status_code == 405
    assert response.headers["Allow"] == "POST"
