"""Auth strategies and the flow: lazy tokens, refresh, 401 once, single flight, user context, persistence."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import stat
import threading
from urllib.parse import parse_qs

import pytest
from client_fakes import CANARY_PASSWORD, CANARY_SECRET, CLIENT_ID, ORG, USERNAME, json_response, make_jwt
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
ME_BODY = {"data": {"id": 1001, "email": USERNAME}}
EMPTY_LIST = {
    "data": [],
    "meta": {"pagination": {"total": 0, "count": 0, "per_page": 10, "current_page": 1, "total_pages": 1, "links": []}},
}


def grants(server) -> list[str]:
    return [form["grant_type"] for form in server.token_forms]


def test_nothing_is_sent_until_the_first_call(server, make_tallyfy):
    make_tallyfy()
    assert server.requests == []


def test_password_grant_token_request_goes_through_the_same_transport(server, make_tallyfy):
    server.route("GET", ME_PATH, json_response(200, ME_BODY))
    tf = make_tallyfy()
    me = tf.call(get_me)
    assert me.data.id == 1001
    token_request, api_request = server.requests
    assert token_request.method == "POST"
    assert str(token_request.url) == "https://go.tallyfy.com/api/oauth/token"
    assert token_request.headers["content-type"] == "application/x-www-form-urlencoded"
    assert token_request.headers["x-tallyfy-client"] == "APIClient"
    assert "authorization" not in token_request.headers
    form = parse_qs(token_request.content.decode())
    assert form == {
        "grant_type": ["password"],
        "client_id": [CLIENT_ID],
        "client_secret": [CANARY_SECRET],
        "username": [USERNAME],
        "password": [CANARY_PASSWORD],
    }
    issued = server.token_forms and next(iter(server.valid_tokens))
    assert api_request.headers["authorization"] == f"Bearer {issued}"
    assert api_request.headers["x-tallyfy-client"] == "APIClient"
    assert api_request.headers["accept"] == "application/json"


def test_one_token_serves_many_calls(server, make_tallyfy):
    server.route("GET", ME_PATH, json_response(200, ME_BODY))
    tf = make_tallyfy()
    for _ in range(3):
        tf.call(get_me)
    assert grants(server) == ["password"]


def test_token_is_refreshed_before_expiry_with_the_refresh_token(server, make_tallyfy, clock):
    server.route("GET", ME_PATH, json_response(200, ME_BODY))
    tf = make_tallyfy(refresh_margin=60)
    tf.call(get_me)
    clock.advance(3600 - 61)  # not yet within the margin
    tf.call(get_me)
    assert grants(server) == ["password"]
    clock.advance(2)  # now within 60 s of expiry
    tf.call(get_me)
    assert grants(server) == ["password", "refresh_token"]
    assert server.api_requests[-1].headers["authorization"] != server.api_requests[0].headers["authorization"]


def test_expiry_is_the_earlier_of_expires_in_and_jwt_exp():
    now = 1_000_000.0
    early = Token.issued(make_jwt("7", now + 100), refresh_token=None, expires_in=3600, now=now, grant="password")
    assert early.expires_at == now + 100
    late = Token.issued(make_jwt("7", now + 9000), refresh_token=None, expires_in=3600, now=now, grant="password")
    assert late.expires_at == now + 3600
    opaque = Token.issued("opaque-token", refresh_token=None, expires_in=None, now=now, grant="password")
    assert opaque.expires_at is None
    assert not opaque.is_stale(now + 10**9, 60)


def test_short_lived_tokens_are_not_refreshed_on_every_call():
    token = Token.issued("opaque", refresh_token=None, expires_in=30, now=0.0, grant="password")
    assert not token.is_stale(10.0, margin=60)  # margin shrinks to half the lifetime
    assert token.is_stale(15.0, margin=60)


def test_401_refreshes_once_and_retries_once(server, make_tallyfy):
    server.route("GET", ME_PATH, json_response(200, ME_BODY))
    tf = make_tallyfy()
    tf.call(get_me)
    server.revoke_all()  # the server forgot the token (expired early, revoked)
    tf.call(get_me)
    assert grants(server) == ["password", "refresh_token"]
    statuses = [r.url.path for r in server.api_requests]
    assert statuses == [ME_PATH, ME_PATH, ME_PATH]


def test_401_never_loops(server, make_tallyfy):
    server.route("GET", ME_PATH, json_response(200, ME_BODY))
    tf = make_tallyfy()
    tf.call(get_me)
    server.valid_tokens.clear()
    original_issue = server._issue

    def issue_then_forget(grant):
        body = original_issue(grant)
        server.valid_tokens.clear()  # every new token is refused too
        return body

    server._issue = issue_then_forget
    with pytest.raises(AuthenticationError) as caught:
        tf.call(get_me)
    assert caught.value.status == 401
    assert len(server.api_requests) == 3  # the first call, then one try and one retry
    assert grants(server) == ["password", "refresh_token"]


def test_a_token_fetched_for_this_request_is_not_refreshed_again_on_401(server, make_tallyfy):
    original_issue = server._issue

    def useless_token(grant):
        body = original_issue(grant)
        server.valid_tokens.clear()
        return body

    server._issue = useless_token
    with pytest.raises(AuthenticationError):
        make_tallyfy().call(get_me)
    assert grants(server) == ["password"]
    assert len(server.api_requests) == 1


def test_refused_refresh_token_falls_back_to_the_password_grant(server, make_tallyfy, clock):
    server.route("GET", ME_PATH, json_response(200, ME_BODY))
    tf = make_tallyfy()
    tf.call(get_me)
    server.refresh_tokens.clear()
    clock.advance(3600)
    tf.call(get_me)
    assert grants(server) == ["password", "refresh_token", "password"]


def test_refresh_token_strategy_refreshes_first_and_reports_a_refused_token(server, make_tallyfy):
    server.route("GET", ME_PATH, json_response(200, ME_BODY))
    server.refresh_tokens.add("def50200" + "ab" * 16)
    tf = make_tallyfy(RefreshToken(CLIENT_ID, CANARY_SECRET, "def50200" + "ab" * 16))
    tf.call(get_me)
    assert grants(server) == ["refresh_token"]
    stale = make_tallyfy(RefreshToken(CLIENT_ID, CANARY_SECRET, "def50200" + "cd" * 16))
    with pytest.raises(OAuthError) as caught:
        stale.call(get_me)
    assert caught.value.error == "invalid_grant"
    assert caught.value.hint == "Token has been revoked"
    assert "def50200" + "cd" * 16 not in str(caught.value)


def test_wrong_password_raises_oauth_error_without_the_password(server, make_tallyfy):
    tf = make_tallyfy(PasswordGrant(CLIENT_ID, CANARY_SECRET, USERNAME, "wrong-password-canary"))
    with pytest.raises(OAuthError) as caught:
        tf.call(get_me)
    assert caught.value.error == "invalid_grant"
    assert caught.value.status == 400
    assert "username and password" in caught.value.next_step
    assert "wrong-password-canary" not in str(caught.value)
    assert server.api_requests == []


def test_personal_access_token_is_sent_as_is_and_a_401_is_final(server, make_tallyfy):
    token = make_jwt("1001", 2_000_000_000)
    server.valid_tokens[token] = True
    server.route("GET", ME_PATH, json_response(200, ME_BODY))
    tf = make_tallyfy(PersonalAccessToken(token))
    tf.call(get_me)
    assert server.api_requests[0].headers["authorization"] == f"Bearer {token}"
    server.revoke_all()
    with pytest.raises(AuthenticationError):
        tf.call(get_me)
    assert server.token_forms == []
    assert len(server.api_requests) == 2


def test_client_credentials_on_a_user_operation_fails_before_sending(server, make_tallyfy):
    tf = make_tallyfy(ClientCredentials(CLIENT_ID, CANARY_SECRET))
    with pytest.raises(UserContextRequiredError) as caught:
        tf.call(get_me)
    assert server.requests == []  # not even a token request
    assert caught.value.status is None
    assert "get_me" in str(caught.value)
    assert "PasswordGrant" in caught.value.next_step


def test_client_credentials_works_on_an_application_operation(server, make_tallyfy):
    server.route("GET", CHECKLISTS_PATH, json_response(200, EMPTY_LIST))
    tf = make_tallyfy(ClientCredentials(CLIENT_ID, CANARY_SECRET))
    result = tf.call(list_blueprints)
    assert result.data == []
    assert grants(server) == ["client_credentials"]


def test_client_credentials_401_after_sending_names_the_fix(server, make_tallyfy):
    tf = make_tallyfy(ClientCredentials(CLIENT_ID, CANARY_SECRET), check_user_context=False)
    with pytest.raises(UserContextRequiredError) as caught:
        tf.call(get_me)
    assert caught.value.status == 401
    assert "password" in caught.value.next_step.lower()
    assert len(server.api_requests) == 1


def test_an_application_jwt_given_as_a_token_is_recognised_offline(server, make_tallyfy):
    app_token = make_jwt("", 2_000_000_000)
    tf = make_tallyfy(PersonalAccessToken(app_token))
    with pytest.raises(UserContextRequiredError):
        tf.call(get_me)
    assert server.requests == []


def test_the_token_endpoint_itself_gets_no_bearer_token(server, make_tallyfy):
    tf = make_tallyfy()
    body = TokenRequest(grant_type="client_credentials", client_id=CLIENT_ID, client_secret=CANARY_SECRET)
    issued = issue_token.sync(client=tf.client, body=body)
    assert issued.access_token
    (request,) = server.requests
    assert "authorization" not in request.headers


def test_fifty_threads_with_an_expired_token_cause_one_refresh(server, make_tallyfy, clock):
    server.route("GET", ME_PATH, json_response(200, ME_BODY))
    tf = make_tallyfy()
    tf.call(get_me)
    clock.advance(7200)
    server.token_delay = 0.05
    barrier = threading.Barrier(50)
    failures: list[BaseException] = []

    def worker():
        barrier.wait()
        try:
            tf.call(get_me)
        except BaseException as error:
            failures.append(error)

    threads = [threading.Thread(target=worker) for _ in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert grants(server) == ["password", "refresh_token"]
    assert len({r.headers["authorization"] for r in server.api_requests[1:]}) == 1


def test_fifty_threads_refused_with_401_cause_one_refresh(server, make_tallyfy):
    server.route("GET", ME_PATH, json_response(200, ME_BODY))
    tf = make_tallyfy()
    tf.call(get_me)
    server.revoke_all()
    server.token_delay = 0.05
    barrier = threading.Barrier(50)
    failures: list[BaseException] = []

    def worker():
        barrier.wait()
        try:
            tf.call(get_me)
        except BaseException as error:
            failures.append(error)

    threads = [threading.Thread(target=worker) for _ in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert grants(server) == ["password", "refresh_token"]


def test_fifty_tasks_with_an_expired_token_cause_one_refresh(server, make_async_tallyfy, clock):
    server.route("GET", ME_PATH, json_response(200, ME_BODY))

    async def scenario():
        async with make_async_tallyfy() as tf:
            await tf.call(get_me)
            clock.advance(7200)
            server.token_delay = 0.02
            await asyncio.gather(*(tf.call(get_me) for _ in range(50)))

    asyncio.run(scenario())
    assert grants(server) == ["password", "refresh_token"]
    assert len(server.api_requests) == 51


def test_fifty_tasks_refused_with_401_cause_one_refresh(server, make_async_tallyfy):
    server.route("GET", ME_PATH, json_response(200, ME_BODY))

    async def scenario():
        async with make_async_tallyfy() as tf:
            await tf.call(get_me)
            server.revoke_all()
            server.token_delay = 0.02
            await asyncio.gather(*(tf.call(get_me) for _ in range(50)))

    asyncio.run(scenario())
    assert grants(server) == ["password", "refresh_token"]


def test_async_client_works_across_event_loops(server, make_async_tallyfy, clock):
    server.route("GET", ME_PATH, json_response(200, ME_BODY))
    tf = make_async_tallyfy()
    asyncio.run(tf.call(get_me))
    clock.advance(7200)
    asyncio.run(tf.call(get_me))  # the refresh lock belongs to the new loop
    assert grants(server) == ["password", "refresh_token"]


def test_token_file_is_private_and_reused(server, make_tallyfy, tmp_path):
    store = FileTokenStore(tmp_path / "state" / "tokens.json")
    server.route("GET", ME_PATH, json_response(200, ME_BODY))
    make_tallyfy(token_store=store).call(get_me)
    assert stat.S_IMODE(os.stat(store.path).st_mode) == 0o600
    make_tallyfy(token_store=store).call(get_me)
    assert grants(server) == ["password"]
    other_user = PasswordGrant(CLIENT_ID, CANARY_SECRET, "someone.else@example.com", CANARY_PASSWORD)
    make_tallyfy(other_user, token_store=store).call(get_me)
    assert grants(server) == ["password", "password"]
    text = store.path.read_text()
    assert CANARY_PASSWORD not in text
    assert CANARY_SECRET not in text


def test_token_file_mode_is_fixed_even_when_it_existed_with_wider_permissions(server, make_tallyfy, tmp_path):
    path = tmp_path / "tokens.json"
    path.write_text("{}")
    path.chmod(0o644)
    server.route("GET", ME_PATH, json_response(200, ME_BODY))
    make_tallyfy(token_store=FileTokenStore(path)).call(get_me)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


def test_no_secret_in_any_repr(server, make_tallyfy):
    server.route("GET", ME_PATH, json_response(200, ME_BODY))
    strategies = [
        PasswordGrant(CLIENT_ID, CANARY_SECRET, USERNAME, CANARY_PASSWORD),
        ClientCredentials(CLIENT_ID, CANARY_SECRET),
        RefreshToken(CLIENT_ID, CANARY_SECRET, "def50200" + "ef" * 16, access_token="canary-access-token"),
        PersonalAccessToken("canary-access-token"),
    ]
    tf = make_tallyfy()
    tf.call(get_me)
    issued = next(iter(server.valid_tokens))
    texts = [repr(s) for s in strategies] + [str(s) for s in strategies]
    texts += [repr(tf), repr(tf.auth), repr(tf.auth._token), repr(tf.client), repr(tf.http)]
    for text in texts:
        for secret in (CANARY_SECRET, CANARY_PASSWORD, "canary-access-token", "def50200" + "ef" * 16, issued):
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
