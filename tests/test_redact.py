"""The one redaction function family: secrets never survive it, whatever shape they arrive in."""

from __future__ import annotations

import json

import pytest

from tallyfy_diag._redact import (
    REDACTED,
    fingerprint,
    redact_body,
    redact_form,
    redact_header,
    redact_headers,
    redact_json,
    redact_text,
    redact_url,
)

CANARY = "canary-S3cr3t+value/XYZ"
JWT = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxMjMifQ.c2lnbmF0dXJlLXZhbHVl"
REFRESH = "def50200" + "ab12" * 20


def test_fingerprint_is_stable_short_and_not_the_secret() -> None:
    assert fingerprint(CANARY) == fingerprint(CANARY)
    assert fingerprint(CANARY) != fingerprint(CANARY + "x")
    assert fingerprint(CANARY).startswith("sha256:")
    assert len(fingerprint(CANARY)) == len("sha256:") + 12
    assert CANARY not in fingerprint(CANARY)


@pytest.mark.parametrize(
    ("name", "value", "shown"),
    [
        ("Authorization", f"Bearer {JWT}", f"Bearer {REDACTED}"),
        ("authorization", f"bearer  {CANARY}", f"bearer {REDACTED}"),
        ("Authorization", CANARY, REDACTED),
        ("Cookie", f"session={CANARY}", REDACTED),
        ("X-Tallyfy-Client", "APIClient", "APIClient"),
        ("X-Debug", f"token was {JWT}", f"token was {REDACTED}"),
    ],
)
def test_headers(name: str, value: str, shown: str) -> None:
    assert redact_header(name, value) == shown
    assert redact_headers([(name, value)]) == [(name, shown)]


def test_form_bodies_keep_order_and_harmless_fields() -> None:
    body = f"grant_type=password&client_id=3&client_secret={CANARY}&username=a%40b.c&password={CANARY}"
    redacted = redact_form(body)
    assert CANARY not in redacted
    assert redacted.startswith("grant_type=password&client_id=3&client_secret=%5Bredacted%5D&username=a%40b.c")


def test_json_at_any_depth_and_token_shapes_in_free_text() -> None:
    document = {"data": [{"access_token": CANARY, "note": f"see {JWT}", "inner": {"refresh_token": REFRESH}}]}
    redacted = json.dumps(redact_json(document))
    assert CANARY not in redacted
    assert JWT not in redacted
    assert REFRESH not in redacted
    assert '"note": "see [redacted]"' in redacted


def test_bodies_by_content_type_and_by_shape() -> None:
    assert CANARY not in redact_body(json.dumps({"password": CANARY}), "application/json")
    assert CANARY not in redact_body(f"password={CANARY}", "application/x-www-form-urlencoded")
    assert redact_body(f"plain {REFRESH}") == f"plain {REDACTED}"


def test_urls_lose_userinfo_and_sensitive_query_values() -> None:
    url = f"https://user:{CANARY}@go.tallyfy.com/api/me?access_token={CANARY}&page=2"
    redacted = redact_url(url)
    assert CANARY not in redacted
    assert redacted.endswith("go.tallyfy.com/api/me?access_token=%5Bredacted%5D&page=2")


def test_known_secrets_in_free_text() -> None:
    assert redact_text(f"login failed for secret {CANARY}!", [CANARY]) == f"login failed for secret {REDACTED}!"


@pytest.mark.parametrize("url", ["http://[::1", "https://[bad]/x?password=" + CANARY, "not a url?token=" + CANARY])
def test_urls_that_urllib_rejects_still_lose_their_secrets(url: str) -> None:
    assert CANARY not in redact_url(url)


def test_error_codes_in_json_stay_but_oauth_codes_in_forms_and_queries_go() -> None:
    assert redact_json({"code": "ENDPOINT_NOT_FOUND"}) == {"code": "ENDPOINT_NOT_FOUND"}
    assert CANARY not in redact_form(f"grant_type=authorization_code&code={CANARY}")
    assert CANARY not in redact_url(f"https://app.example/callback?code={CANARY}")


def test_unparseable_bodies_still_lose_sensitive_values() -> None:
    text = f'not json {{"password": "{CANARY}", "note": "kept"}} and client_secret={CANARY}&page=2'
    redacted = redact_body(text)
    assert CANARY not in redacted
    assert '"note": "kept"' in redacted
    assert "page=2" in redacted


@pytest.mark.parametrize(
    "name", ["accessToken", "access-token", "X-Amz-Signature", "X-Amz-Security-Token", "sig", "jwt", "pwd", "key"]
)
def test_credential_parameters_under_other_spellings(name: str) -> None:
    assert CANARY not in redact_url(f"https://go.tallyfy.com/api/me?{name}={CANARY}&page=2")
    assert CANARY not in redact_form(f"{name}={CANARY}")
    assert CANARY not in json.dumps(redact_json({name: CANARY}))
    assert CANARY not in redact_body(f"unparseable {name}={CANARY}")


def test_fragments_that_carry_tokens_are_redacted() -> None:
    redacted = redact_url(f"https://app.example/callback#access_token={CANARY}&token_type=Bearer")
    assert CANARY not in redacted
    assert "token_type=Bearer" in redacted
    assert redact_url("https://go.tallyfy.com/api/me#section") == "https://go.tallyfy.com/api/me#section"
