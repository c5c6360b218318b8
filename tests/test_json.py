"""Untrusted JSON: absurd nesting is a ValueError, never a RecursionError, wherever JSON is read."""

from __future__ import annotations

import httpx
import pytest
from tallyfy_client.api.identity import get_me

from tallyfy_diag._json import MAX_DEPTH, JSONTooDeep, loads
from tallyfy_diag._redact import redact_body
from tallyfy_diag.cli import main
from tallyfy_diag.client import PersonalAccessToken, RetryPolicy, Tallyfy, UnexpectedResponseError, ValidationError
from tallyfy_diag.webhooks import MalformedWebhook, parse_webhook


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def test_ordinary_documents_parse() -> None:
    assert loads('{"data": [{"id": 1}]}') == {"data": [{"id": 1}]}
    assert loads(nested(MAX_DEPTH)) is not None


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 1_000, 100_000])
def test_deep_documents_are_value_errors(depth: int) -> None:
    with pytest.raises(JSONTooDeep):
        loads(nested(depth))
    with pytest.raises(ValueError, match="nested deeper"):
        loads(b'{"message": ' + nested(depth).encode() + b"}")


def test_redaction_of_a_deep_body_does_not_crash() -> None:
    body = '{"password": "hunter2-canary", "x": ' + nested(5_000) + "}"
    redacted = redact_body(body, "application/json")
    assert "hunter2-canary" not in redacted


DEEP = nested(5_000)


def test_the_client_raises_its_typed_error_for_a_deep_error_body() -> None:
    transport = httpx.MockTransport(lambda request: httpx.Response(422, content=b'{"errors": ' + DEEP.encode() + b"}"))
    with (
        Tallyfy(
            PersonalAccessToken("t0ken"),
            base_url="https://go.tallyfy.com/api",
            retry=RetryPolicy.off(),
            transport=transport,
        ) as tf,
        pytest.raises(ValidationError),
    ):
        tf.call(get_me)


def test_explain_judges_a_capture_with_a_deep_body_without_crashing(tmp_path, capsys) -> None:
    capture = tmp_path / "deep.http"
    capture.write_text(
        "GET /api/me HTTP/1.1\r\nHost: go.tallyfy.com\r\nX-Tallyfy-Client: APIClient\r\n\r\n"
        f"HTTP/1.1 401 Unauthorized\r\nContent-Type: application/json\r\n\r\n{DEEP}"
    )
    assert main(["explain", str(capture), "--format", "json"]) in {0, 1}
    assert "Traceback" not in capsys.readouterr().err


def test_a_deep_webhook_delivery_is_malformed_not_a_crash() -> None:
    with pytest.raises(MalformedWebhook, match="not usable JSON"):
        parse_webhook(DEEP.encode(), {"X-Tallyfy-orgID": "org"})


def test_the_depth_limit_holds_whatever_else_the_text_holds() -> None:
    # Brackets inside strings make the bracket count exceed the limit, so the walk decides: shallow passes.
    shallow = '{"note": "' + "[{" * MAX_DEPTH + '", "items": [{"id": 1}, {"id": 2}]}'
    assert loads(shallow)["items"] == [{"id": 1}, {"id": 2}]
    assert loads(shallow.encode("utf-16")) == loads(shallow)
    # Deep beside many siblings, and deep in another encoding, are still refused.
    wide_and_deep = "[" + "{}," * 500 + nested(MAX_DEPTH) + "]"
    with pytest.raises(JSONTooDeep):
        loads(wide_and_deep)
    with pytest.raises(JSONTooDeep):
        loads(nested(MAX_DEPTH + 1).encode("utf-16-le"))
    assert loads('{"a": ' + nested(MAX_DEPTH - 1) + "}") is not None


def test_a_deep_success_body_is_a_typed_error_not_a_recursion() -> None:
    # Too deep for json itself (the client does not walk a success body: the models read only what the spec
    # describes, see tests/client/test_client_parse_once.py), so the parse fails and must fail typed.
    body = b'{"data": {"id": 1, "extra": ' + nested(200_000).encode() + b"}}"
    transport = httpx.MockTransport(
        lambda request: httpx.Response(200, content=body, headers={"content-type": "application/json"})
    )
    with (
        Tallyfy(PersonalAccessToken("t0ken"), base_url="https://go.tallyfy.com/api", transport=transport) as tf,
        pytest.raises(UnexpectedResponseError, match="not JSON"),
    ):
        tf.identity.get_me()
