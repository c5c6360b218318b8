"""Canary secrets through the channels the issue found leaking: the markdown excerpt's cut, usage errors,
debug tracebacks, cassettes of every shape, and free text. Each test plants a secret and looks for any part of it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from vcr.request import Request

from tallyfy_diag._redact import REDACTED, is_sensitive_field, is_sensitive_header, redact_message
from tallyfy_diag.cli import main
from tallyfy_diag.pytest_plugin import TallyfyScrubber

PASSWORD = "Pw-cAnArY-92xq"  # 14 characters, as in the issue
SECRET = "cs-cAnArY-client-secret-77"
TOKEN = "opaque-cAnArY-token-5531"


def fragments(secret: str, shortest: int = 6) -> list[str]:
    """Every piece of `secret` at least `shortest` long: a half-leaked secret is a leaked secret."""
    return [secret[:length] for length in range(shortest, len(secret) + 1)] + [
        secret[start:] for start in range(len(secret) - shortest + 1)
    ]


def assert_absent(secret: str, text: str) -> None:
    for piece in fragments(secret):
        assert piece not in text, f"{piece!r} of the secret leaked"


# ------------------------------------------------------------------------------------- the excerpt boundary


def raw_capture(body_prefix: int) -> str:
    """A token request with the password, and a response body that echoes it `body_prefix` characters in."""
    form = f"grant_type=password&client_id=3&client_secret={SECRET}&username=u%40example.com&password={PASSWORD}"
    body = "x" * body_prefix + PASSWORD + " trailing text" * 10
    return (
        "POST /api/oauth/token HTTP/1.1\r\nHost: go.tallyfy.com\r\n"
        f"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {len(form)}\r\n\r\n{form}\r\n\r\n"
        "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\n\r\n" + body
    )


@pytest.mark.parametrize("offset", [386, 390, 393, 399, 400])
@pytest.mark.parametrize("output_format", ["markdown", "json", "human", "junit"])
def test_a_secret_straddling_the_excerpt_cut_is_scrubbed_whole(
    offset: int, output_format: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    capture = tmp_path / "capture.http"
    capture.write_text(raw_capture(offset), encoding="utf-8")
    code = main(["explain", str(capture), "--format", output_format])
    out, err = capsys.readouterr()
    assert code in (0, 1)
    assert_absent(PASSWORD, out + err)
    assert_absent(SECRET, out + err)


def test_the_markdown_excerpt_is_still_cut_to_its_length(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    capture = tmp_path / "capture.http"
    capture.write_text(raw_capture(1000), encoding="utf-8")
    main(["explain", str(capture), "--format", "markdown"])
    out = capsys.readouterr().out
    assert "x" * 400 in out
    assert "x" * 401 not in out


# ---------------------------------------------------------------------------------------------- usage errors


@pytest.mark.parametrize(
    "argv",
    [
        ["doctor", f"--password={PASSWORD}"],
        ["doctor", "--grant", PASSWORD],
        ["doctor", f"--timeout={PASSWORD}"],
        ["doctor", f"--bogus={PASSWORD}", PASSWORD],
        ["sandbox", "--cors-origin", f"http://u:{PASSWORD}@x.com"],
        [PASSWORD],
    ],
)
def test_usage_errors_echo_no_value(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ")
    assert err.count("\n") == 1
    assert_absent(PASSWORD, err)


def test_usage_errors_still_name_the_option_and_the_choices(capsys: pytest.CaptureFixture[str]) -> None:
    main(["doctor", "--grant", PASSWORD])
    err = capsys.readouterr().err
    assert "--grant" in err
    assert "'password'" in err  # a choice the parser offers, not something typed


# ------------------------------------------------------------------------------------- internal error, debug


@pytest.mark.parametrize("debug", [None, "1"])
def test_an_internal_error_exits_70_with_or_without_debug(
    debug: str | None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import tallyfy_diag.cli as cli  # noqa: PLC0415
    import tallyfy_diag.cli.token as token_command  # noqa: PLC0415

    def broken(_args: Any) -> int:
        raise RuntimeError(f"boom https://h/p?access_token={TOKEN}")

    if debug:
        monkeypatch.setenv("TALLYFY_DIAG_DEBUG", debug)
    monkeypatch.setattr(token_command, "handle", broken)
    # main() reuses one parser per process, which holds the real handler: build one that sees the broken one
    # (and leave the shared parser as it was for the tests that follow).
    monkeypatch.setattr(cli, "_shared_parser", cli.build_parser)
    assert main(["token", "x"]) == 70
    err = capsys.readouterr().err
    assert ("Traceback" in err) is bool(debug)
    assert "RuntimeError" in err
    assert TOKEN not in err


# ------------------------------------------------------------------------------------------------- cassettes


def _text(body: Any) -> Any:
    return body.decode("utf-8", "replace") if isinstance(body, bytes) else body


def recorded(scrubber: TallyfyScrubber, request: Request, response: dict[str, Any] | None = None) -> str:
    """What the cassette would hold, bodies as text (YAML would hide bytes in base64, and hide a leak too)."""
    scrubbed = scrubber.before_record_request(request)
    dumped: list[Any] = [{"uri": scrubbed.uri, "body": _text(scrubbed.body), "headers": dict(scrubbed.headers)}]
    if response is not None:
        answer = scrubber.before_record_response(response)
        dumped.append({"headers": answer["headers"], "body": _text(answer["body"]["string"])})
    return yaml.safe_dump(dumped, allow_unicode=True)


def json_request(body: Any, **headers: str) -> Request:
    return Request(
        "POST",
        "http://replay.test/api/things",
        json.dumps(body).encode(),
        {"Content-Type": "application/json", **headers},
    )


@pytest.mark.parametrize(
    "body",
    [
        {"password": [PASSWORD]},
        {"password": {"new": PASSWORD, "history": [[PASSWORD]]}},
        {"user_password": PASSWORD},
        {"auth_token": PASSWORD},
        {"x_token": PASSWORD},
        {"clientSecret": PASSWORD},
        {"profile": [{"privateKey": PASSWORD}]},
        {"pin": 1234, "password": 98765432},
    ],
)
def test_cassette_json_keys_by_shape_and_lists(body: Any) -> None:
    text = recorded(TallyfyScrubber(), json_request(body))
    assert_absent(PASSWORD, text)
    assert "98765432" not in text


@pytest.mark.parametrize("header", ["X-Auth-Token", "X-Access-Token", "X-Api-Key", "X-Custom-Secret"])
def test_cassette_credential_headers(header: str) -> None:
    text = recorded(TallyfyScrubber(), json_request({"a": 1}, **{header: TOKEN}))
    assert TOKEN not in text
    if header != "X-Api-Key":  # listed credential headers are dropped; ones caught by shape keep their name
        assert header in text


def test_cassette_token_request_sent_as_text_plain() -> None:
    form = f"grant_type=password&client_id=3&client_secret={SECRET}&username=u@x.com&password={PASSWORD}"
    request = Request("POST", "http://replay.test/api/oauth/token", form.encode(), {"Content-Type": "text/plain"})
    text = recorded(TallyfyScrubber(), request)
    assert_absent(SECRET, text)
    assert_absent(PASSWORD, text)
    assert "grant_type=password" in text


def test_cassette_multipart_fields_and_files() -> None:
    boundary = "BoUnDaRy123"
    file_bytes = b"\x89PNG\r\n\x00\xff binary"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="password"\r\n\r\n{PASSWORD}\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="note"\r\n\r\nhello\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\n'
            "Content-Type: image/png\r\n\r\n"
        ).encode()
        + file_bytes
        + f"\r\n--{boundary}--\r\n".encode()
    )
    request = Request(
        "POST", "http://replay.test/api/files", body, {"Content-Type": f"multipart/form-data; boundary={boundary}"}
    )
    scrubbed = TallyfyScrubber().before_record_request(request)
    assert PASSWORD.encode() not in scrubbed.body
    assert file_bytes in scrubbed.body  # a file's bytes are recorded as they were
    assert b"hello" in scrubbed.body


def test_cassette_known_secret_in_free_text() -> None:
    scrubber = TallyfyScrubber()
    form = f"grant_type=password&client_id=3&client_secret={SECRET}&username=u@x.com&password={PASSWORD}"
    token_request = Request(
        "POST",
        "http://replay.test/api/oauth/token",
        form.encode(),
        {"Content-Type": "application/x-www-form-urlencoded"},
    )
    echo = {
        "status": {"code": 400, "message": "Bad Request"},
        "headers": {"content-type": ["text/plain"]},
        "body": {"string": f"wrong password {PASSWORD} for client secret {SECRET}".encode()},
    }
    text = recorded(scrubber, token_request, echo)
    assert_absent(PASSWORD, text)
    assert_absent(SECRET, text)


# ---------------------------------------------------------------------------------------- names and messages


@pytest.mark.parametrize("name", ["user_password", "auth_token", "x_token", "clientSecret", "X-Api-Key", "x_auth"])
def test_credential_names_are_recognised_by_shape(name: str) -> None:
    assert is_sensitive_field(name)


@pytest.mark.parametrize("name", ["token_type", "grant_type", "author", "email", "expires_in", "status"])
def test_ordinary_names_are_left_alone(name: str) -> None:
    assert not is_sensitive_field(name)


@pytest.mark.parametrize("name", ["X-Auth-Token", "X-Access-Token", "x-api-key", "Authorization", "Cookie"])
def test_credential_headers_are_recognised(name: str) -> None:
    assert is_sensitive_header(name)


def test_a_log_line_loses_query_tokens_and_userinfo() -> None:
    line = f'HTTP Request: GET https://u:{PASSWORD}@h/p?access_token={TOKEN}&api_key={SECRET}&page=2 "HTTP/1.1 200"'
    redacted = redact_message(line)
    for secret in (PASSWORD, TOKEN, SECRET):
        assert_absent(secret, redacted)
    assert "page=2" in redacted
    assert REDACTED in redacted


@pytest.mark.parametrize("cut", [7, 10, 13])
@pytest.mark.parametrize("shape", ["{}", "hint: '{}'.", 'value "{}"', "{}…"])
def test_a_report_removes_the_head_of_a_secret_cut_before_scrubbing(cut: int, shape: str) -> None:
    from tallyfy_diag.diagnostics._report import Report  # noqa: PLC0415

    report = Report(mode="explain", target={}, findings=(), notes=(shape.format(PASSWORD[:cut]),))
    note = report.scrubbed([PASSWORD]).notes[0]
    assert_absent(PASSWORD, note)
    assert REDACTED in note
