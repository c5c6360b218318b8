"""Reading captures: curl command lines as a shell and curl would, raw HTTP, HAR 1.2 and VCR cassettes."""

from __future__ import annotations

import base64
import json

import pytest

from tallyfy_diag.diagnostics import InputError, Request, parse_capture
from tallyfy_diag.diagnostics._curl import parse_curl


def one_request(command: str) -> Request:
    requests, _ = parse_curl(command)
    assert len(requests) == 1
    return requests[0]


def test_curl_headers_data_and_defaults() -> None:
    request = one_request(
        "curl -X POST 'https://go.tallyfy.com/api/oauth/token' \\\n"
        '  -H "X-Tallyfy-Client: APIClient" \\\n'
        "  -d grant_type=password -d 'client_id=3'"
    )
    assert request.method == "POST"
    assert request.url == "https://go.tallyfy.com/api/oauth/token"
    assert request.body == b"grant_type=password&client_id=3"
    assert request.header("x-tallyfy-client") == "APIClient"
    assert request.header("content-type") == "application/x-www-form-urlencoded"
    assert request.header("accept") == "*/*"  # curl's default, which accept-header judges


def test_curl_data_means_post_and_get_moves_it_to_the_query() -> None:
    assert one_request("curl https://x.test/a -d a=1").method == "POST"
    request = one_request("curl -G https://x.test/a -d a=1 --data b=2")
    assert (request.method, request.url, request.body) == ("GET", "https://x.test/a?a=1&b=2", b"")


def test_curl_data_urlencode_encodes_a_plus() -> None:
    request = one_request("curl https://x.test/t --data-urlencode 'client_secret=a+b c' --data-urlencode '=raw&'")
    assert request.body == b"client_secret=a%2Bb%20c&raw%26"
    assert request.form()[0] == ("client_secret", "a+b c")


def test_curl_json_sets_content_type_and_accept() -> None:
    request = one_request("""curl https://x.test/t --json '{"a": 1}'""")
    assert request.method == "POST"
    assert (request.header("content-type"), request.header("accept")) == ("application/json", "application/json")
    assert request.json() == {"a": 1}


def test_curl_user_becomes_basic_auth_and_oauth2_bearer_a_bearer() -> None:
    request = one_request("curl -u 3:s3cret https://x.test/t")
    assert request.header("authorization") == "Basic " + base64.b64encode(b"3:s3cret").decode()
    request = one_request("curl --oauth2-bearer abc.def https://x.test/t")
    assert request.header("authorization") == "Bearer abc.def"


def test_curl_short_option_clusters_and_attached_values() -> None:
    request = one_request("curl -sSLXPUT -H'Accept: application/json' https://x.test/t")
    assert request.method == "PUT"
    assert request.header("accept") == "application/json"


def test_curl_quotes_escapes_and_ansi_c() -> None:
    request = one_request("""curl "https://x.test/t" -H $'Authorization: Bearer abc\\n' -H "X-A: \\"q\\" it's" """)
    assert request.header("authorization") == "Bearer abc\n"
    assert request.header("x-a") == '"q" it\'s'


def test_curl_variables_are_kept_and_recorded() -> None:
    request = one_request('curl https://x.test/t -H "Authorization: Bearer ${TOKEN}"')
    (field,) = request.header_fields("authorization")
    assert field.value == "Bearer ${TOKEN}"
    assert field.unresolved == ("TOKEN",)
    assert "variable $TOKEN" in (field.source or "")
    (literal,) = one_request("curl https://x.test/t -H 'Authorization: Bearer $TOKEN'").header_fields("authorization")
    assert literal.unresolved == ()


def test_curl_windows_continuations_prompts_and_pipes() -> None:
    request = one_request("$ curl https://x.test/t ^\n -H 'Accept: application/json' | jq .")
    assert request.header("accept") == "application/json"
    request = one_request("curl https://x.test/t `\n -H 'Accept: text/plain'")
    assert request.header("accept") == "text/plain"


def test_curl_header_removal_and_empty_header() -> None:
    request = one_request("curl https://x.test/t -H 'Accept:' -H 'X-Empty;'")
    assert request.header("accept") is None
    assert request.header("x-empty") == ""


def test_curl_without_a_scheme_uses_http_like_curl() -> None:
    capture = parse_capture(b"curl go.tallyfy.com/api/me")
    assert capture.exchanges[0].request.url == "http://go.tallyfy.com/api/me"
    assert any("curl uses http://" in note for note in capture.notes)


def test_curl_data_from_a_file_is_unknown() -> None:
    request = one_request("curl https://x.test/t -d @body.json")
    assert (request.method, request.body_known) == ("POST", False)


@pytest.mark.parametrize(
    ("command", "message"),
    [
        ("curl 'https://x.test", "unterminated single quote"),
        ('curl "https://x.test', "unterminated double quote"),
        ("curl -H", "needs a value"),
        ("curl -s", "has no URL"),
    ],
)
def test_curl_errors_are_one_safe_line(command: str, message: str) -> None:
    with pytest.raises(InputError, match=message) as raised:
        parse_capture(command.encode())
    assert "\n" not in str(raised.value)


def test_raw_http_request_and_response() -> None:
    capture = parse_capture(
        b"GET /api/me HTTP/1.1\r\nHost: go.tallyfy.com\r\nAuthorization: Bearer  x\r\n\r\n"
        b'HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Bearer\r\n\r\n{"message":"Unauthenticated."}\r\n'
    )
    assert capture.format == "http"
    (exchange,) = capture.exchanges
    assert exchange.request.url == "https://go.tallyfy.com/api/me"
    assert exchange.request.header("authorization") == "Bearer  x"  # raw: both spaces kept
    assert exchange.response is not None
    assert (exchange.response.status, exchange.response.json()) == (401, {"message": "Unauthenticated."})


def test_raw_http_several_exchanges_loopback_and_http2_pseudo_headers() -> None:
    capture = parse_capture(
        b"POST /oauth/token HTTP/1.1\nHost: 127.0.0.1:8000\nContent-Type: application/x-www-form-urlencoded\n\n"
        b"grant_type=password\n\nHTTP/1.1 200 OK\n\n{}\n\nGET /me HTTP/2\n:authority: api.tallyfy.com\n\n"
    )
    first, second = capture.exchanges
    assert first.request.url == "http://127.0.0.1:8000/oauth/token"
    assert first.request.body == b"grant_type=password"
    assert second.request.url == "https://api.tallyfy.com/me"
    assert second.label == "#2 GET /me"


def test_raw_http_without_a_host_is_unreadable() -> None:
    with pytest.raises(InputError, match="no Host header"):
        parse_capture(b"GET /me HTTP/1.1\nAccept: */*\n\n")


def test_har_entries_times_and_blocked_calls() -> None:
    har = {
        "log": {
            "entries": [
                {
                    "startedDateTime": "2025-05-15T14:30:00.000Z",
                    "time": 250,
                    "request": {
                        "method": "post",
                        "url": "https://go.tallyfy.com/api/oauth/token",
                        "headers": [{"name": ":authority", "value": "go.tallyfy.com"}, {"name": "A", "value": "1"}],
                        "postData": {"params": [{"name": "grant_type", "value": "password"}]},
                    },
                    "response": {
                        "status": 200,
                        "headers": [],
                        "content": {"encoding": "base64", "text": base64.b64encode(b'{"a":1}').decode()},
                    },
                },
                {
                    "request": {"method": "GET", "url": "https://x.test/"},
                    "response": {"status": 0, "_error": "net::ERR_FAILED"},
                },
                {"nonsense": True},
            ]
        }
    }
    capture = parse_capture(json.dumps(har).encode())
    first, second = capture.exchanges
    assert [h.name for h in first.request.headers] == ["A"]
    assert first.request.body == b"grant_type=password"
    assert first.response is not None
    assert first.response.json() == {"a": 1}
    assert first.sent_at is not None
    assert first.received_at is not None
    assert (first.received_at - first.sent_at).total_seconds() == 0.25
    assert second.response is None
    assert second.failure is not None
    assert second.failure.kind == "blocked"
    assert capture.notes == ("a HAR entry without a request URL was ignored",)


def test_vcr_cassette_headers_as_lists_and_binary_bodies() -> None:
    cassette = b"""
interactions:
- request:
    body: !!binary |
      Z3JhbnRfdHlwZT1wYXNzd29yZA==
    headers: {Content-Type: [application/x-www-form-urlencoded], X-Tallyfy-Client: APIClient}
    method: POST
    uri: https://go.tallyfy.com/api/oauth/token
  response:
    body: {string: '{"error": "invalid_client"}'}
    headers: {content-type: [application/json]}
    status: {code: 401, message: Unauthorized}
version: 1
"""
    (exchange,) = parse_capture(cassette).exchanges
    assert exchange.request.body == b"grant_type=password"
    assert exchange.request.header("x-tallyfy-client") == "APIClient"
    assert exchange.response is not None
    assert exchange.response.status == 401


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"   \n", "empty"),
        (b"hello world", "unrecognised input"),
        (b'{"log": 1}', "not a HAR file"),
        (b'{"log": {"entries": []}}', "no entries"),
        (b"{not json", "not valid JSON"),
        (b"interactions: [\n", "not valid YAML"),
        (b"interactions: []\n", "no interactions"),
        (b'{"other": 1}', "neither a HAR file"),
        (b"\x00\x01\x02", "binary"),
    ],
)
def test_unreadable_inputs(data: bytes, message: str) -> None:
    with pytest.raises(InputError, match=message):
        parse_capture(data)
