"""`explain` reads what integrators paste: every DevTools copy format from Chrome and Firefox (cURL bash and cmd,
PowerShell, fetch, fetch for Node.js), HAR from both, a Postman Collection v2.1 and HTTPie; healthy and broken
fixtures written the way the tools write them, one saved on Windows with CRLF line ends."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path

import pytest

from tallyfy_diag.cli.explain import INPUT_FORMATS as CLI_INPUT_FORMATS
from tallyfy_diag.diagnostics import InputError, parse_capture
from tallyfy_diag.diagnostics._curl import shell_commands
from tallyfy_diag.diagnostics._devtools import _cmd_lines, _crt_words, parse_httpie, parse_powershell
from tallyfy_diag.diagnostics._parsers import INPUT_FORMATS, detect_format

from .conftest import DATA, TOKENS, Run

DEVTOOLS = DATA / "devtools"
ORIGIN = "http://localhost:3000"

# fixture: (detected format, exchanges, checks that fail, page origin read from the capture, (check, phrase))
EXPECTED: dict[str, tuple[str, int, set[str], str | None, tuple[str, str] | None]] = {
    "chrome_curl_bash_ok.sh": ("curl", 1, set(), ORIGIN, ("auth-header", "one field, one space")),
    "chrome_curl_cmd_crlf.cmd": ("curl-cmd", 2, set(), ORIGIN, ("token-request", "")),
    "chrome_curl_cmd_missing_client_header.cmd": (
        "curl-cmd",
        1,
        {"client-header"},
        None,
        ("auth-header", "Authorization: Bearer <token>"),
    ),
    "firefox_curl_cmd_ok.cmd": ("curl-cmd", 1, set(), None, ("client-header", "X-Tallyfy-Client: APIClient")),
    "chrome_powershell_ok.ps1": ("powershell", 1, set(), None, ("auth-header", "one field, one space")),
    "chrome_powershell_token_json.ps1": ("powershell", 1, {"token-request"}, None, ("token-request", "JSON")),
    "firefox_powershell_ok.ps1": ("powershell", 1, set(), None, ("client-header", "X-Tallyfy-Client: APIClient")),
    "powershell_invoke_restmethod_ok.ps1": ("powershell", 1, set(), None, ("token-format", "JWT (RS256)")),
    "powershell_invoke_restmethod_app_token.ps1": (
        "powershell",
        1,
        {"grant-type"},
        None,
        ("grant-type", "application token"),
    ),
    "chrome_fetch_ok.js": ("fetch", 1, set(), ORIGIN, ("auth-header", "one field, one space")),
    "chrome_fetch_missing_client_header.js": (
        "fetch",
        1,
        {"client-header"},
        "https://intranet.example.com",
        ("client-header", "missing"),
    ),
    "firefox_fetch_ok.js": ("fetch", 1, set(), ORIGIN, ("client-header", "X-Tallyfy-Client: APIClient")),
    "chrome_fetch_nodejs_ok.js": ("fetch-nodejs", 1, set(), None, ("auth-header", "one field, one space")),
    "chrome_fetch_nodejs_iso_deadline.js": ("fetch-nodejs", 1, {"date-format"}, None, ("date-format", "ISO 8601")),
    "firefox_me_ok.har": ("har", 1, set(), None, ("unauthenticated", "authenticated (200)")),
    "firefox_app_token_401.har": (
        "har",
        1,
        {"grant-type", "unauthenticated", "cors-preflight"},
        "https://intranet.example.com",
        ("cors-preflight", "MissingAllowOriginHeader"),
    ),
    "postman_collection_ok.json": ("postman", 2, set(), None, ("token-request", "")),
    "postman_collection_missing_client_header.json": (
        "postman",
        1,
        {"client-header"},
        None,
        ("client-header", "missing"),
    ),
    "httpie_ok.sh": ("httpie", 1, set(), None, ("auth-header", "one field, one space")),
    "httpie_form_token_ok.sh": ("httpie", 1, set(), None, ("token-request", "")),
    "httpie_token_json.sh": ("httpie", 1, {"token-request"}, None, ("token-request", "JSON")),
    # Chrome's own HAR exports (WebInspector), healthy and broken.
    "../cors_ok.har": ("har", 2, set(), ORIGIN, ("cors-preflight", "may make this call")),
    "../cors_options_401.har": (
        "har",
        2,
        {"cors-preflight", "connectivity"},
        ORIGIN,
        ("cors-preflight", "PreflightInvalidStatus"),
    ),
}


def render_exact(name: str) -> bytes:
    """A fixture with its token and time placeholders filled, byte for byte otherwise (CRLF kept)."""
    text = (DEVTOOLS / name).read_bytes().decode("utf-8")
    for kind, factory in TOKENS.items():
        text = text.replace("{{TOKEN:" + kind + "}}", factory())
    now = datetime.now(tz=UTC)
    text = text.replace("{{NOW:http}}", format_datetime(now, usegmt=True))
    return text.replace("{{NOW:iso}}", now.strftime("%Y-%m-%dT%H:%M:%S.000Z")).encode("utf-8")


@pytest.fixture
def exact_file(tmp_path: Path) -> Callable[[str], Path]:
    def write(name: str) -> Path:
        path = tmp_path / Path(name).name
        path.write_bytes(render_exact(name))
        return path

    return write


def test_every_devtools_fixture_has_an_expectation() -> None:
    assert {path.name for path in DEVTOOLS.iterdir()} == {name for name in EXPECTED if "/" not in name}


@pytest.mark.parametrize("name", list(EXPECTED))
def test_each_capture_is_read_and_diagnosed(cli: Callable[..., Run], exact_file: Callable[[str], Path], name: str):
    kind, count, failing, origin, (check, phrase) = EXPECTED[name]
    run = cli("explain", str(exact_file(name)), "--format", "json")
    report = run.json()
    assert (report["target"]["format"], report["target"]["exchanges"]) == (kind, count)
    assert {f["check"] for f in report["findings"] if f["status"] == "fail"} == failing
    assert run.code == (1 if failing else 0)
    assert report["target"].get("origin") == origin
    (finding,) = [f for f in report["findings"] if f["check"] == check]
    assert finding["status"] != "skip", finding
    assert phrase in finding["title"]


def test_the_windows_copy_really_has_crlf_line_ends() -> None:
    raw = (DEVTOOLS / "chrome_curl_cmd_crlf.cmd").read_bytes()
    assert raw.count(b"\r\n") >= 10
    assert b"\n" not in raw.replace(b"\r\n", b"")


def test_cmd_quoting_is_undone_exactly() -> None:
    capture = parse_capture(render_exact("chrome_curl_cmd_crlf.cmd"))
    token_call, me = (exchange.request for exchange in capture.exchanges)
    assert token_call.method == "POST"
    assert token_call.body == (
        b"grant_type=password&username=ann%40example.com&password=correct-horse&client_id=3&client_secret=s3cr3t-client"
    )
    assert token_call.header("sec-ch-ua") == '"Google Chrome";v="131", "Chromium";v="131", "Not_A Brand";v="24"'
    assert (me.header("authorization") or "").startswith("Bearer eyJ")
    assert me.header("x-tallyfy-client") == "APIClient"


def test_the_cmd_copy_read_as_bash_was_the_old_misreading() -> None:
    """Read as bash, `^"` quoting loses the Authorization header: why the format must be detected."""
    data = render_exact("chrome_curl_cmd_missing_client_header.cmd")
    assert detect_format(data.decode()) == "curl-cmd"
    as_cmd = parse_capture(data).exchanges[0].request
    assert (as_cmd.header("authorization") or "").startswith("Bearer ")
    assert as_cmd.url.endswith("/runs?per_page=10&status=active")


@pytest.mark.parametrize(
    ("line", "words"),
    [
        (r'curl "a b" c', ["curl", "a b", "c"]),
        (r'x "say \"hi\""', ["x", 'say "hi"']),
        (r"x a\\\"b", ["x", 'a\\"b']),
        (r'x "a\\" b', ["x", "a\\", "b"]),
        (r"x a\b", ["x", "a\\b"]),
        ('x "a""b"', ["x", 'a"b']),
        ('x ""', ["x", ""]),
    ],
)
def test_the_c_runtime_splits_arguments(line: str, words: list[str]) -> None:
    assert _crt_words(line) == words


def test_cmd_carets_continuations_and_variables() -> None:
    lines = list(_cmd_lines('curl ^"a^&b^" ^\n  -H ^"x: %TOKEN%^" &\r\ncurl ^"c^"\n'))
    assert [line for line, _ in lines] == ['curl "a&b"   -H "x: %TOKEN%" ', 'curl "c"']
    assert lines[0][1] == ("TOKEN",)
    # Chrome writes a newline inside a value as ^ and two newlines.
    ((line, _),) = list(_cmd_lines('curl --data-raw ^"one^\n\ntwo^"'))
    assert _crt_words(line)[2] == "one\ntwo"


def test_powershell_strings_variables_and_chrome_char_escapes() -> None:
    text = (
        '$t = "abc"\n'
        'Invoke-RestMethod \'https://go.tallyfy.com/api/me\' -Headers @{ "X-Name" = "caf$([char]233) `"q`" $t";'
        ' Other = "$unknown" }\n'
    )
    (request,), _ = parse_powershell(text)
    assert request.url == "https://go.tallyfy.com/api/me"
    assert request.header("x-name") == 'café "q" abc'
    other = request.header_fields("other")[0]
    assert (other.value, other.unresolved) == ("$unknown", ("unknown",))
    assert request.method == "GET"


def test_powershell_without_a_uri_is_a_one_line_input_error() -> None:
    with pytest.raises(InputError, match="no -Uri"):
        parse_capture(b"Invoke-WebRequest -Method POST\n")


def test_httpie_items_and_auth() -> None:
    commands = shell_commands(r"http -A bearer -a tok PUT :3000/api/x a=1 n:=2 q==v X-H:v 'Empty;' 'esc\:aped=y'")
    (request,), _ = parse_httpie(commands)
    assert request.method == "PUT"
    assert request.url == "http://localhost:3000/api/x?q=v"
    assert request.header("authorization") == "Bearer tok"
    assert request.header("x-h") == "v"
    assert request.header("empty") == ""
    assert request.json() == {"a": "1", "n": 2, "esc:aped": "y"}
    assert request.header("content-type") == "application/json"


def test_postman_auth_is_inherited_overridden_and_turned_off() -> None:
    collection = {
        "info": {"schema": "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"},
        "auth": {"type": "bearer", "bearer": [{"key": "token", "value": "{{tok}}"}]},
        "variable": [{"key": "tok", "value": "collection-token"}, {"key": "host", "value": "https://h.example"}],
        "item": [
            {"name": "inherits", "request": {"method": "GET", "url": "{{host}}/a"}},
            {
                "name": "folder",
                "auth": {
                    "type": "apikey",
                    "apikey": [{"key": "key", "value": "X-Key"}, {"key": "value", "value": "k"}],
                },
                "item": [
                    {"name": "from the folder", "request": {"method": "GET", "url": "{{host}}/b"}},
                    {"name": "none", "request": {"method": "GET", "url": "{{host}}/c", "auth": {"type": "noauth"}}},
                ],
            },
            {
                "name": "unknown variable",
                "request": {
                    "method": "GET",
                    "url": "{{host}}/d",
                    "header": [{"key": "X-Org", "value": "{{org}}"}, {"key": "X-Off", "value": "1", "disabled": True}],
                },
            },
        ],
    }
    capture = parse_capture(json.dumps(collection).encode())
    a, b, c, d = (exchange.request for exchange in capture.exchanges)
    assert (a.url, a.header("authorization")) == ("https://h.example/a", "Bearer collection-token")
    assert (b.header("x-key"), b.header("authorization")) == ("k", None)
    assert (c.header("authorization"), c.header("x-key")) == (None, None)
    assert d.header_fields("x-org")[0].unresolved == ("org",)
    assert d.header("x-off") is None
    assert any("org" in note for note in capture.notes)


def test_a_browser_capture_is_judged_for_its_own_origin_unless_told(
    cli: Callable[..., Run], exact_file: Callable[[str], Path]
) -> None:
    path = str(exact_file("chrome_fetch_ok.js"))
    run = cli("explain", path, "--format", "json")
    assert run.json()["target"]["origin"] == ORIGIN
    human = cli("explain", path)
    assert f"the page origin {ORIGIN} comes from the page address (referrer)" in human.out
    other = cli("explain", path, "--origin", "https://other.example", "--format", "json")
    assert other.json()["target"]["origin"] == "https://other.example"


def test_node_fetch_is_not_a_browser(exact_file: Callable[[str], Path]) -> None:
    capture = parse_capture(exact_file("chrome_fetch_nodejs_ok.js").read_bytes())
    assert (capture.format, capture.page_origin, capture.with_credentials) == ("fetch-nodejs", None, False)


def test_browser_fetch_carries_its_credentials_mode(exact_file: Callable[[str], Path]) -> None:
    capture = parse_capture(exact_file("chrome_fetch_ok.js").read_bytes())
    assert (capture.page_origin, capture.with_credentials) == (ORIGIN, True)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("hello there, this is my request, please help", "unrecognised input"),
        ("fetch(someUrl, {headers})", "unrecognised input"),
        ("fetch(`https://go.tallyfy.com/api/me`, ['x'])", "not an object"),
        ('fetch("https://go.tallyfy.com/api/me", {headers: {}})', "not JSON as DevTools writes them"),
        ('Invoke-WebRequest -Uri "https://x.example" -Headers @{ "a" = "b"', "unterminated"),
    ],
)
def test_unreadable_input_is_one_line_and_exit_2(cli: Callable[..., Run], text: str, message: str) -> None:
    run = cli("explain", "-", stdin=text)
    assert run.code == 2
    assert run.err.count("\n") == 1
    assert message in run.err


def test_a_forced_input_format_is_used_or_refused(cli: Callable[..., Run], exact_file: Callable[[str], Path]) -> None:
    path = str(exact_file("httpie_ok.sh"))
    assert cli("explain", path, "--input-format", "httpie", "--format", "json").json()["target"]["format"] == "httpie"
    refused = cli("explain", path, "--input-format", "postman")
    assert refused.code == 2
    assert refused.err.count("\n") == 1


def test_the_command_and_the_parsers_name_the_same_formats() -> None:
    assert ("auto", *INPUT_FORMATS) == CLI_INPUT_FORMATS


@pytest.mark.parametrize(
    "text",
    [
        "curl " + "^" * 200_000,
        'curl "' + "\\" * 200_000,
        "Invoke-WebRequest -Uri " + '"' + "`" * 200_000,
        "http GET x " + "\\" * 200_000,
        'fetch("' + "a" * 200_000,
        "curl " + "%A" * 100_000,
    ],
)
def test_hostile_input_is_read_in_one_pass(text: str) -> None:
    """Each reader scans once: 200,000 escape characters take milliseconds, not minutes."""
    with contextlib.suppress(InputError):
        parse_capture(text.encode())


def test_no_reader_quotes_its_input_in_an_error() -> None:
    secret = "s3cr3t-" + "x" * 20
    for text in (
        f'Invoke-WebRequest -Uri "https://x.example" -Headers @{{ "Authorization" = "Bearer {secret}"',
        f'fetch("https://x.example", {{"headers": {{"authorization": "{secret}"}}',
    ):
        with pytest.raises(InputError) as caught:
            parse_capture(text.encode())
        assert secret not in str(caught.value)
