"""Settings from TALLYFY_* variables, and base-URL normalisation for both host styles."""

from __future__ import annotations

import pytest
from client_helpers import CANARY_PASSWORD, CANARY_SECRET

from tallyfy_diag.client import (
    ClientCredentials,
    ConfigurationError,
    PasswordGrant,
    PersonalAccessToken,
    Tallyfy,
    normalize_base_url,
    settings_from_env,
)

CLIENT = {"TALLYFY_CLIENT_ID": "3", "TALLYFY_CLIENT_SECRET": CANARY_SECRET}
USER = {"TALLYFY_USERNAME": "u@example.com", "TALLYFY_PASSWORD": CANARY_PASSWORD}


def test_api_token_wins():
    settings = settings_from_env({"TALLYFY_API_TOKEN": "abc.def", **CLIENT, **USER})
    assert settings.auth == PersonalAccessToken("abc.def")


def test_username_and_password_make_a_password_grant():
    settings = settings_from_env({**CLIENT, **USER, "TALLYFY_ORG_ID": "org1"})
    assert settings.auth == PasswordGrant("3", CANARY_SECRET, "u@example.com", CANARY_PASSWORD)
    assert settings.org_id == "org1"
    assert settings.base_url == "https://go.tallyfy.com/api"


def test_client_alone_makes_client_credentials():
    assert settings_from_env(CLIENT).auth == ClientCredentials("3", CANARY_SECRET)


def test_nothing_set_means_no_auth():
    settings = settings_from_env({})
    assert settings.auth is None
    assert settings.org_id is None


def test_surrounding_whitespace_is_stripped():
    settings = settings_from_env({"TALLYFY_API_TOKEN": "  abc.def\n", "TALLYFY_ORG_ID": "org1\n"})
    assert settings.auth == PersonalAccessToken("abc.def")
    assert settings.org_id == "org1"


def test_the_process_environment_is_the_default(monkeypatch):
    monkeypatch.setenv("TALLYFY_API_TOKEN", "from-env")
    monkeypatch.setenv("TALLYFY_BASE_URL", "https://api.tallyfy.com/")
    settings = settings_from_env()
    assert settings.auth == PersonalAccessToken("from-env")
    assert settings.base_url == "https://api.tallyfy.com"


@pytest.mark.parametrize(
    ("environ", "missing"),
    [
        ({**USER}, "TALLYFY_CLIENT_ID, TALLYFY_CLIENT_SECRET"),
        ({"TALLYFY_USERNAME": "u@example.com", **CLIENT}, "TALLYFY_PASSWORD"),
        ({"TALLYFY_CLIENT_ID": "3"}, "TALLYFY_CLIENT_SECRET"),
        ({"TALLYFY_CLIENT_SECRET": CANARY_SECRET}, "TALLYFY_CLIENT_ID"),
    ],
)
def test_half_a_credential_names_what_is_missing(environ, missing):
    with pytest.raises(ConfigurationError) as caught:
        settings_from_env(environ)
    assert missing in str(caught.value)
    assert CANARY_SECRET not in str(caught.value)
    assert CANARY_PASSWORD not in str(caught.value)


def test_from_env_without_credentials_says_which_variables_to_set():
    with pytest.raises(ConfigurationError, match="TALLYFY_API_TOKEN"):
        Tallyfy.from_env({})


def test_from_env_builds_a_client(monkeypatch):
    tf = Tallyfy.from_env({**CLIENT, "TALLYFY_ORG_ID": "org1", "TALLYFY_BASE_URL": "https://go.tallyfy.com"})
    try:
        assert tf.org_id == "org1"
        assert tf.base_url == "https://go.tallyfy.com/api"
        assert tf.auth.strategy == ClientCredentials("3", CANARY_SECRET)
    finally:
        tf.close()


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("https://go.tallyfy.com/api", "https://go.tallyfy.com/api"),
        ("https://go.tallyfy.com/api/", "https://go.tallyfy.com/api"),
        ("https://go.tallyfy.com", "https://go.tallyfy.com/api"),
        ("https://go.tallyfy.com/", "https://go.tallyfy.com/api"),
        ("https://GO.tallyfy.com//api//", "https://go.tallyfy.com/api"),
        ("https://staging.go.tallyfy.com", "https://staging.go.tallyfy.com/api"),
        ("https://api.tallyfy.com", "https://api.tallyfy.com"),
        ("https://api.tallyfy.com/", "https://api.tallyfy.com"),
        ("https://api.tallyfy.com/api", "https://api.tallyfy.com"),
        (" http://127.0.0.1:8765/api/ ", "http://127.0.0.1:8765/api"),
        ("https://proxy.example.com/tallyfy/api/", "https://proxy.example.com/tallyfy/api"),
        ("HTTPS://GO.TALLYFY.COM/API", "https://go.tallyfy.com/api"),
    ],
)
def test_base_urls_are_normalised(given, expected):
    assert normalize_base_url(given) == expected


@pytest.mark.parametrize(
    ("given", "reason"),
    [
        ("go.tallyfy.com/api", "absolute"),
        ("ftp://go.tallyfy.com", "absolute"),
        ("http://go.tallyfy.com/api", "clear text"),
        ("https://go.tallyfy.com/api?x=1", "query"),
        ("http://[::1", "absolute"),
        ("https://go.tallyfy.com:99999/api", "absolute"),
        ("https://ann:s3cret@go.tallyfy.com/api", "user name or password"),
    ],
)
def test_unusable_base_urls_are_refused(given, reason):
    with pytest.raises(ConfigurationError, match=reason) as refused:
        normalize_base_url(given)
    assert "s3cret" not in str(refused.value)
