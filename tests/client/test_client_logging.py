"""Debug logs show each exchange and never a secret."""

from __future__ import annotations

import logging

import pytest
from client_fakes import CANARY_PASSWORD, CANARY_SECRET, ORG, json_response, make_jwt
from tallyfy_client.api.identity import get_me

from tallyfy_diag.client import AuthenticationError
from tallyfy_diag.client._logging import get_logger


def all_log_text(caplog) -> str:
    return "\n".join(f"{r.name} {r.getMessage()} {r.exc_text or ''}" for r in caplog.records)


def test_exchanges_are_logged_redacted(server, make_tallyfy, caplog):
    caplog.set_level(logging.DEBUG, logger="tallyfy_diag")
    server.route("GET", "/api/me", json_response(200, {"data": {"id": 1}}))
    tf = make_tallyfy()
    tf.call(get_me)
    text = all_log_text(caplog)
    assert "-> GET https://go.tallyfy.com/api/me" in text
    assert "<- 200 GET https://go.tallyfy.com/api/me (X-Request-Id: req-200)" in text
    assert "-> POST https://go.tallyfy.com/api/oauth/token" in text
    assert "Bearer [redacted]" in text
    issued = next(iter(server.valid_tokens))
    for secret in (issued, CANARY_SECRET, CANARY_PASSWORD):
        assert secret not in text


def test_failed_calls_leave_no_secret_in_logs(server, make_tallyfy, caplog):
    caplog.set_level(logging.DEBUG, logger="tallyfy_diag")
    tf = make_tallyfy()
    server.route("GET", f"/api/organizations/{ORG}/checklists", json_response(401, {"message": "Unauthenticated."}))
    server.valid_tokens.clear()
    with pytest.raises(AuthenticationError):
        tf.http.get(f"/organizations/{ORG}/checklists", params={"access_token": "canary-query-token"})
    text = all_log_text(caplog)
    assert "canary-query-token" not in text
    assert CANARY_SECRET not in text


def test_the_filter_redacts_tokens_that_arrive_as_arguments(caplog):
    caplog.set_level(logging.DEBUG, logger="tallyfy_diag.client.test")
    logger = get_logger("tallyfy_diag.client.test")
    token = make_jwt("1", 2_000_000_000)
    logger.debug("got %s and %s", token, "def50200" + "0" * 40)
    (record,) = caplog.records
    assert token not in record.getMessage()
    assert "def50200" not in record.getMessage()


def test_nothing_is_logged_above_debug(server, make_tallyfy, caplog):
    caplog.set_level(logging.INFO, logger="tallyfy_diag")
    server.route("GET", "/api/me", json_response(200, {"data": {"id": 1}}))
    make_tallyfy().call(get_me)
    assert caplog.records == []
