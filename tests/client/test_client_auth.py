"""Auth strategies and the flow: lazy tokens, refresh, 401 once, single flight, user context, persistence."""

from __future__ import annotations

import asyncio
import base64
import json
import math
import os
import stat
import threading
from urllib.parse import parse_qs

import httpx
import pytest
from client_helpers import (
    CANARY_PASSWORD,
    CANARY_SECRET,
    CLIENT_ID,
    CLIENT_SECRET,
    ORG,
    PASSWORD,
    USER_ID,
    USERNAME,
    SandboxForward,
    api_requests,
    grants,
    issued_tokens,
    json_response,
    make_jwt,
    token_forms,
)
from tallyfy_client.api.auth import issue_token
from tallyfy_client.api.blueprints import list_blueprints
from tallyfy_client.api.identity import get_me
from tallyfy_client.models.token_request import TokenRequest

from tallyfy_diag.client import (
    AuthenticationError,
    ClientCredentials,
    ConfigurationError,
    FileTokenStore,
    OAuthError,
    PasswordGrant,
    PersonalAccessToken,
    RefreshToken,
    Token,
    UserContextRequiredError,
)

ME_PATH = "/api/me"
CHECKLISTS_PATH = f"/api/organizations/{ORG}/checklists"
UNAUTHENTICATED = {"message": "Unauthenticated."}
TOKEN_URL = "https://go.tallyfy.com/api/oauth/token"


def expire_on_the_server_only(sandbox) -> None:
    """The server's clock runs ahead: it sees the access token expired (as if revoked), the client does not."""
    sandbox.advance_clock(3600)


def refresh_token_from(sandbox) -> str:
    """A refresh token the sandbox issued through the password grant (sent outside the router)."""
    form = {
        "grant_type": "password",
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "username": USERNAME,
        "password": PASSWORD,
    }
    with httpx.Client(transport=sandbox.transport()) as http:
        answer = http.post(TOKEN_URL, data=form, headers={"X-Tallyfy-Client": "APIClient"})
    assert answer.status_code == 200, answer.text
    return str(answer.json()["refresh_token"])


def test_nothing_is_sent_until_the_first_call(router, make_tallyfy):
    make_tallyfy()
    assert list(router.calls) == []


def test_password_grant_token_request_goes_through_the_same_transport(router, sandbox_api, make_tallyfy):
    tf = make_tallyfy()
    me = tf.call(get_me)
    assert me.data.id == USER_ID
    token_request, api_request = (call.request for call in router.calls)
    assert token_request.method == "POST"
    assert str(token_request.url) == TOKEN_URL
    assert token_request.headers["content-type"] == "application/x-www-form-urlencoded"
    assert token_request.headers["x-tallyfy-client"] == "APIClient"
    assert "authorization" not in token_request.headers
    form = parse_qs(token_request.content.decode())
    assert form == {
        "grant_type": ["password"],
        "client_id": [CLIENT_ID],
        "client_secret": [CLIENT_SECRET],
        "username": [USERNAME],
        "password": [PASSWORD],
    }
    (issued,) = issued_tokens(router)
    assert api_request.headers["authorization"] == f"Bearer {issued}"
    assert api_request.headers["x-tallyfy-client"] == "APIClient"
    assert api_request.headers["accept"] == "application/json"


def test_one_token_serves_many_calls(router, sandbox_api, make_tallyfy):
    tf = make_tallyfy()
    for _ in range(3):
        tf.call(get_me)
    assert grants(router) == ["password"]


def test_token_is_refreshed_before_expiry_with_the_refresh_token(router, sandbox_api, make_tallyfy, clock):
    tf = make_tallyfy(refresh_margin=60)
    tf.call(get_me)
    clock.advance(3600 - 61)  # not yet within the margin
    tf.call(get_me)
    assert grants(router) == ["password"]
    clock.advance(2)  # now within 60 s of expiry
    tf.call(get_me)
    assert grants(router) == ["password", "refresh_token"]
    sent = api_requests(router)
    assert sent[-1].headers["authorization"] == f"Bearer {issued_tokens(router)[-1]}"
    assert sent[-1].headers["authorization"] != sent[0].headers["authorization"]


def test_expiry_is_the_earlier_of_expires_in_and_jwt_exp():
    now = 1_000_000.0
    early = Token.issued(make_jwt("7", now + 100), refresh_token=None, expires_in=3600, now=now, grant="password")
    assert early.expires_at == now + 100
    late = Token.issued(make_jwt("7", now + 9000), refresh_token=None, expires_in=3600, now=now, grant="password")
    assert late.expires_at == now + 3600
    opaque = Token.issued("opaque-token", refresh_token=None, expires_in=None, now=now, grant="password")
    assert opaque.expires_at is None
    assert opaque.refresh_at(60) == math.inf  # never due


def test_short_lived_tokens_are_not_refreshed_on_every_call():
    token = Token.issued("opaque", refresh_token=None, expires_in=30, now=0.0, grant="password")
    assert token.refresh_at(60) == 15.0  # the margin shrinks to half the lifetime


def test_401_refreshes_once_and_retries_once(router, sandbox, sandbox_api, make_tallyfy):
    tf = make_tallyfy()
    tf.call(get_me)
    expire_on_the_server_only(sandbox)
    tf.call(get_me)
    assert grants(router) == ["password", "refresh_token"]
    paths = [r.url.path for r in api_requests(router)]
    assert paths == [ME_PATH, ME_PATH, ME_PATH]


def test_401_never_loops(router, sandbox_api, make_tallyfy):
    tf = make_tallyfy()
    tf.call(get_me)
    sandbox_api.mock(side_effect=json_response(401, UNAUTHENTICATED))  # every token is refused from now on
    with pytest.raises(AuthenticationError) as caught:
        tf.call(get_me)
    assert caught.value.status == 401
    assert len(api_requests(router)) == 3  # the first call, then one try and one retry
    assert grants(router) == ["password", "refresh_token"]


def test_a_token_fetched_for_this_request_is_not_refreshed_again_on_401(router, make_tallyfy):
    router.get(path=ME_PATH).mock(return_value=json_response(401, UNAUTHENTICATED))
    with pytest.raises(AuthenticationError):
        make_tallyfy().call(get_me)
    assert grants(router) == ["password"]
    assert len(api_requests(router)) == 1


def test_refused_refresh_token_falls_back_to_the_password_grant(router, sandbox_api, make_tallyfy, clock, sandbox):
    tf = make_tallyfy()
    tf.call(get_me)
    clock.advance(sandbox.config.refresh_ttl + 1)  # the refresh token has expired too
    tf.call(get_me)
    assert grants(router) == ["password", "refresh_token", "password"]
    assert len(issued_tokens(router)) == 2  # the refresh was refused, the password grant was not


def test_refresh_token_strategy_refreshes_first_and_reports_a_refused_token(router, sandbox, sandbox_api, make_tallyfy):
    refresh_token = refresh_token_from(sandbox)
    tf = make_tallyfy(RefreshToken(CLIENT_ID, CLIENT_SECRET, refresh_token))
    tf.call(get_me)
    assert grants(router) == ["refresh_token"]
    spent = make_tallyfy(RefreshToken(CLIENT_ID, CLIENT_SECRET, refresh_token))  # refresh tokens are single-use
    with pytest.raises(OAuthError) as caught:
        spent.call(get_me)
    assert caught.value.error == "invalid_grant"
    assert caught.value.hint == "Token has been revoked"
    assert refresh_token not in str(caught.value)


def test_wrong_password_raises_oauth_error_without_the_password(router, make_tallyfy):
    tf = make_tallyfy(PasswordGrant(CLIENT_ID, CLIENT_SECRET, USERNAME, "wrong-password-canary"))
    with pytest.raises(OAuthError) as caught:
        tf.call(get_me)
    assert caught.value.error == "invalid_grant"
    assert caught.value.status == 400
    assert "username and password" in caught.value.next_step
    assert "wrong-password-canary" not in str(caught.value)
    assert api_requests(router) == []


def test_personal_access_token_is_sent_as_is_and_a_401_is_final(router, sandbox, sandbox_api, make_tallyfy):
    token = sandbox.mint_access_token()
    tf = make_tallyfy(PersonalAccessToken(token))
    tf.call(get_me)
    assert api_requests(router)[0].headers["authorization"] == f"Bearer {token}"
    expire_on_the_server_only(sandbox)
    with pytest.raises(AuthenticationError):
        tf.call(get_me)
    assert token_forms(router) == []
    assert len(api_requests(router)) == 2


def test_client_credentials_on_a_user_operation_fails_before_sending(router, make_tallyfy):
    tf = make_tallyfy(ClientCredentials(CLIENT_ID, CLIENT_SECRET))
    with pytest.raises(UserContextRequiredError) as caught:
        tf.call(get_me)
    assert list(router.calls) == []  # not even a token request
    assert caught.value.status is None
    assert "get_me" in str(caught.value)
    assert "PasswordGrant" in caught.value.next_step


def test_client_credentials_works_on_an_application_operation(router, sandbox_api, make_tallyfy):
    as_application = make_tallyfy(ClientCredentials(CLIENT_ID, CLIENT_SECRET)).call(list_blueprints)
    assert grants(router) == ["client_credentials"]
    as_user = make_tallyfy().call(list_blueprints)
    assert as_application.data, "the sandbox's organization has blueprints"
    assert [b.id for b in as_application.data] == [b.id for b in as_user.data]


def test_client_credentials_401_after_sending_names_the_fix(router, sandbox_api, make_tallyfy):
    tf = make_tallyfy(ClientCredentials(CLIENT_ID, CLIENT_SECRET), check_user_context=False)
    with pytest.raises(UserContextRequiredError) as caught:
        tf.call(get_me)
    assert caught.value.status == 401
    assert "password" in caught.value.next_step.lower()
    assert len(api_requests(router)) == 1
    assert grants(router) == ["client_credentials"]


def test_an_application_jwt_given_as_a_token_is_recognised_offline(router, sandbox, make_tallyfy):
    tf = make_tallyfy(PersonalAccessToken(sandbox.mint_access_token(user=False)))
    with pytest.raises(UserContextRequiredError):
        tf.call(get_me)
    tf = make_tallyfy(PersonalAccessToken(make_jwt("", 2_000_000_000)))
    with pytest.raises(UserContextRequiredError):
        tf.call(get_me)
    assert list(router.calls) == []


def test_the_token_endpoint_itself_gets_no_bearer_token(router, make_tallyfy):
    tf = make_tallyfy()
    body = TokenRequest(grant_type="client_credentials", client_id=CLIENT_ID, client_secret=CLIENT_SECRET)
    issued = issue_token.sync(client=tf.client, body=body)
    assert issued.access_token == issued_tokens(router)[0]
    (request,) = (call.request for call in router.calls)
    assert "authorization" not in request.headers


def slow_token_endpoint(router, sandbox, seconds: float) -> None:
    """Widens the race window for the single-flight tests."""
    slow = SandboxForward(sandbox)
    slow.delay = seconds
    router["token"].mock(side_effect=slow)


def run_in_fifty_threads(call) -> list[BaseException]:
    barrier = threading.Barrier(50)
    failures: list[BaseException] = []

    def worker():
        barrier.wait()
        try:
            call()
        except BaseException as error:
            failures.append(error)

    threads = [threading.Thread(target=worker) for _ in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return failures


def test_fifty_threads_with_an_expired_token_cause_one_refresh(router, sandbox, sandbox_api, make_tallyfy, clock):
    tf = make_tallyfy()
    tf.call(get_me)
    clock.advance(7200)
    slow_token_endpoint(router, sandbox, 0.05)
    assert run_in_fifty_threads(lambda: tf.call(get_me)) == []
    assert grants(router) == ["password", "refresh_token"]
    assert {r.headers["authorization"] for r in api_requests(router)[1:]} == {f"Bearer {issued_tokens(router)[1]}"}


def test_fifty_threads_refused_with_401_cause_one_refresh(router, sandbox, sandbox_api, make_tallyfy):
    tf = make_tallyfy()
    tf.call(get_me)
    expire_on_the_server_only(sandbox)
    slow_token_endpoint(router, sandbox, 0.05)
    assert run_in_fifty_threads(lambda: tf.call(get_me)) == []
    assert grants(router) == ["password", "refresh_token"]


def test_fifty_tasks_with_an_expired_token_cause_one_refresh(router, sandbox, sandbox_api, make_async_tallyfy, clock):
    async def scenario():
        async with make_async_tallyfy() as tf:
            await tf.call(get_me)
            clock.advance(7200)
            slow_token_endpoint(router, sandbox, 0.02)
            await asyncio.gather(*(tf.call(get_me) for _ in range(50)))

    asyncio.run(scenario())
    assert grants(router) == ["password", "refresh_token"]
    assert len(api_requests(router)) == 51


def test_fifty_tasks_refused_with_401_cause_one_refresh(router, sandbox, sandbox_api, make_async_tallyfy):
    async def scenario():
        async with make_async_tallyfy() as tf:
            await tf.call(get_me)
            expire_on_the_server_only(sandbox)
            slow_token_endpoint(router, sandbox, 0.02)
            await asyncio.gather(*(tf.call(get_me) for _ in range(50)))

    asyncio.run(scenario())
    assert grants(router) == ["password", "refresh_token"]


def test_async_client_works_across_event_loops(router, sandbox_api, make_async_tallyfy, clock):
    tf = make_async_tallyfy()
    asyncio.run(tf.call(get_me))
    clock.advance(7200)
    asyncio.run(tf.call(get_me))  # the refresh lock belongs to the new loop
    assert grants(router) == ["password", "refresh_token"]


def test_token_file_is_private_and_reused(router, sandbox_api, make_tallyfy, tmp_path):
    store = FileTokenStore(tmp_path / "state" / "tokens.json")
    make_tallyfy(token_store=store).call(get_me)
    assert stat.S_IMODE(os.stat(store.path).st_mode) == 0o600
    make_tallyfy(token_store=store).call(get_me)
    assert grants(router) == ["password"]
    other_user = PasswordGrant(CLIENT_ID, CLIENT_SECRET, "someone.else@example.com", PASSWORD)
    with pytest.raises(OAuthError):  # the sandbox knows no such user: what matters is that it was asked
        make_tallyfy(other_user, token_store=store).call(get_me)
    assert [form["username"] for form in token_forms(router)] == [USERNAME, "someone.else@example.com"]
    text = store.path.read_text()
    assert PASSWORD not in text
    assert CLIENT_SECRET not in text


def test_token_file_mode_is_fixed_even_when_it_existed_with_wider_permissions(sandbox_api, make_tallyfy, tmp_path):
    path = tmp_path / "tokens.json"
    path.write_text("{}")
    path.chmod(0o644)
    make_tallyfy(token_store=FileTokenStore(path)).call(get_me)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


def test_no_secret_in_any_repr(router, sandbox_api, make_tallyfy):
    strategies = [
        PasswordGrant(CLIENT_ID, CLIENT_SECRET, USERNAME, PASSWORD),
        ClientCredentials(CLIENT_ID, CLIENT_SECRET),
        RefreshToken(CLIENT_ID, CLIENT_SECRET, "def50200" + "ef" * 16, access_token="canary-access-token"),
        PersonalAccessToken("canary-access-token"),
    ]
    tf = make_tallyfy()
    tf.call(get_me)
    (issued,) = issued_tokens(router)
    texts = [repr(s) for s in strategies] + [str(s) for s in strategies]
    texts += [repr(tf), repr(tf.auth), repr(tf.auth._token), repr(tf.client), repr(tf.http)]
    for text in texts:
        for secret in (CLIENT_SECRET, PASSWORD, "canary-access-token", "def50200" + "ef" * 16, issued):
            assert secret not in text, text


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: PasswordGrant("abc", CANARY_SECRET, USERNAME, CANARY_PASSWORD), "numeric"),
        (lambda: ClientCredentials(CLIENT_ID, CANARY_SECRET + "\n"), "whitespace"),
        (lambda: PersonalAccessToken("Bearer abc"), "whitespace"),
        (lambda: PersonalAccessToken(""), "empty"),
        (lambda: PasswordGrant(CLIENT_ID, CANARY_SECRET, USERNAME, ""), "empty"),
    ],
)
def test_impossible_credentials_are_refused_without_echoing_them(make, message):
    with pytest.raises(ConfigurationError) as caught:
        make()
    assert message in str(caught.value)
    assert CANARY_SECRET not in str(caught.value)


@pytest.mark.parametrize("bad_exp", [True, "2030-01-01", float("nan"), float("inf")])
def test_an_unusable_exp_claim_is_ignored_and_expires_in_decides(bad_exp):
    def part(data):
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    access = f"{part({'alg': 'RS256'})}.{part({'sub': '1', 'exp': bad_exp})}.c2ln"
    token = Token.issued(access, refresh_token=None, expires_in=600, now=1000.0, grant="password")
    assert token.expires_at == 1600.0
