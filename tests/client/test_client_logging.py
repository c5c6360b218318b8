"""Debug logs show each exchange and never a secret."""

from __future__ import annotations

import logging

import pytest
from client_helpers import CLIENT_SECRET, ORG, PASSWORD, issued_tokens, json_response, make_jwt, script
from tallyfy_client.api.identity import get_me

from tallyfy_diag.client import AuthenticationError
from tallyfy_diag.client._logging import get_logger


def all_log_text(caplog) -> str:
    return "\n".join(f"{r.name} {r.getMessage()} {r.exc_text or ''}" for r in caplog.records)


def test_exchanges_are_logged_redacted(router, sandbox_api, make_tallyfy, caplog):
    caplog.set_level(logging.DEBUG, logger="tallyfy_diag")
    tf = make_tallyfy()
    tf.call(get_me)
    text = all_log_text(caplog)
    request_id = sandbox_api.calls.last.response.headers["X-Request-Id"]
    assert "-> GET https://go.tallyfy.com/api/me" in text
    assert f"<- 200 GET https://go.tallyfy.com/api/me (X-Request-Id: {request_id})" in text
    assert "-> POST https://go.tallyfy.com/api/oauth/token" in text
    assert "Bearer [redacted]" in text
    (issued,) = issued_tokens(router)
    for secret in (issued, CLIENT_SECRET, PASSWORD):
        assert secret not in text


def test_failed_calls_leave_no_secret_in_logs(router, make_tallyfy, caplog):
    caplog.set_level(logging.DEBUG, logger="tallyfy_diag")
    tf = make_tallyfy()
    refused = script(
        router, "GET", f"/api/organizations/{ORG}/checklists", json_response(401, {"message": "Unauthenticated."})
    )
    with pytest.raises(AuthenticationError):
        tf.http.get(f"/organizations/{ORG}/checklists", params={"access_token": "canary-query-token"})
    assert refused.call_count == 1  # a token fetched for this very request is not refreshed again
    text = all_log_text(caplog)
    assert "canary-query-token" not in text
    assert CLIENT_SECRET not in text
    for secret in issued_tokens(router):
        assert secret not in text


def test_the_filter_redacts_tokens_that_arrive_as_arguments(caplog):
    caplog.set_level(logging.DEBUG, logger="tallyfy_diag.client.test")
    logger = get_logger("tallyfy_diag.client.test")
    token = make_jwt("1", 2_000_000_000)
    logger.debug("got %s and %s", token, "def50200" + "0" * 40)
    (record,) = caplog.records
    assert token not in record.getMessage()
    assert "def50200" not in record.getMessage()


def test_nothing_is_logged_above_debug(router, sandbox_api, make_tallyfy, caplog):
    caplog.set_level(logging.INFO, logger="tallyfy_diag")
    make_tallyfy().call(get_me)
    assert len(router.calls) == 2  # a token request and the call itself, both unlogged
    # The server's own access log (it is the sandbox, in this process) is not the client's.
    assert [r for r in caplog.records if not r.name.startswith("tallyfy_diag.sandbox")] == []
