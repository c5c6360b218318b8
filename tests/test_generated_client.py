"""The generated client puts the right request on the wire (driven through httpx.MockTransport)."""

from __future__ import annotations

from urllib.parse import parse_qs

import httpx
from tallyfy_client import AuthenticatedClient
from tallyfy_client.api.auth import issue_token
from tallyfy_client.api.blueprints import list_blueprints
from tallyfy_client.models import BlueprintList, TokenRequest, TokenResponse

ORG = "0123456789abcdef0123456789abcdef"


def client_seeing(requests: list[httpx.Request], answer: httpx.Response) -> AuthenticatedClient:
    def handler(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        return answer

    return AuthenticatedClient(
        base_url="https://go.tallyfy.com/api",
        token="t0ken",
        headers={"X-Tallyfy-Client": "APIClient"},
        httpx_args={"transport": httpx.MockTransport(handler)},
    )


def test_list_blueprints_sends_path_and_query() -> None:
    requests: list[httpx.Request] = []
    body = {
        "data": [],
        "meta": {
            "pagination": {
                "total": 0,
                "count": 0,
                "per_page": 25,
                "current_page": 2,
                "total_pages": 1,
                "links": [],
            }
        },
    }
    client = client_seeing(requests, httpx.Response(200, json=body))

    parsed = list_blueprints.sync(ORG, client=client, page=2, per_page=25, q="onboarding", with_="steps")

    assert isinstance(parsed, BlueprintList)
    (request,) = requests
    assert request.method == "GET"
    assert request.url.path == f"/api/organizations/{ORG}/checklists"
    assert dict(request.url.params) == {"page": "2", "per_page": "25", "q": "onboarding", "with": "steps"}
    assert request.headers["X-Tallyfy-Client"] == "APIClient"
    assert request.headers["Authorization"] == "Bearer t0ken"


def test_password_grant_is_a_form_post_to_the_token_endpoint() -> None:
    requests: list[httpx.Request] = []
    answer = httpx.Response(
        200, json={"token_type": "Bearer", "expires_in": 3600, "access_token": "a", "refresh_token": "r"}
    )
    client = client_seeing(requests, answer)
    grant = TokenRequest(
        grant_type="password",
        client_id="3",
        client_secret="s+cret",
        username="ann@example.com",
        password="pa ss&word",
    )

    parsed = issue_token.sync(client=client, body=grant)

    assert isinstance(parsed, TokenResponse)
    assert parsed.expires_in == 3600
    (request,) = requests
    assert request.method == "POST"
    assert request.url.path == "/api/oauth/token"
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    # parse_qs decodes the wire form: a "+" in the secret must have travelled as %2B to come back as "+".
    assert parse_qs(request.content.decode()) == {
        "grant_type": ["password"],
        "client_id": ["3"],
        "client_secret": ["s+cret"],
        "username": ["ann@example.com"],
        "password": ["pa ss&word"],
    }
