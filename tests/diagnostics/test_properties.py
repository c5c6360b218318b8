"""`explain` never prints a traceback and always exits 0, 1 or 2, whatever it is given: random bytes, random
text, and valid captures mutated at random (text edits, and structural edits of HAR and cassette data)."""

from __future__ import annotations

import contextlib
import io
import json
import os
import sys
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import tallyfy_diag.cli

from .conftest import DATA, make_jwt, render_fixture

FIXTURES = sorted(str(path.relative_to(DATA)) for path in DATA.rglob("*") if path.is_file())
TEXT_FIXTURES = [name for name in FIXTURES if name.endswith((".sh", ".http", ".cmd", ".ps1", ".js"))]
STRUCTURED_FIXTURES = [name for name in FIXTURES if name.endswith((".har", ".yaml", ".json"))]
PROPERTY_SETTINGS = settings(
    # DIAG_PROPERTY_EXAMPLES=5000 for a long hunt; the default keeps the suite quick.
    max_examples=int(os.environ.get("DIAG_PROPERTY_EXAMPLES", "120")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def run_cli(arguments: list[str], data: bytes) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    saved = sys.stdin
    sys.stdin = io.TextIOWrapper(io.BytesIO(data), encoding="utf-8", errors="replace")
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = tallyfy_diag.cli.main(arguments)
    finally:
        sys.stdin = saved
    return code, out.getvalue(), err.getvalue()


def assert_well_behaved(data: bytes, *extra: str, command: str = "explain") -> None:
    code, out, err = run_cli([command, "-", "--format", "json", *extra], data)
    assert code in {0, 1, 2}, err
    assert "Traceback" not in out + err
    if code == 2:
        assert out == ""
        assert err.count("\n") == 1, err
        assert err.startswith("error: "), err
        return
    report = json.loads(out)
    crashed = [finding for finding in report["findings"] if finding["status"] == "error"]
    assert not crashed, crashed  # (strict mode raises first: exit 70 fails the code check above)
    assert code == (1 if report["summary"]["fail"] else 0)


@PROPERTY_SETTINGS
@given(st.binary(max_size=2000))
def test_random_bytes(data: bytes) -> None:
    assert_well_behaved(data)


@PROPERTY_SETTINGS
@given(
    st.one_of(
        st.text(max_size=500),
        st.builds(lambda rest: "curl " + rest, st.text(max_size=300)),
        st.builds(lambda rest: "GET /me HTTP/1.1\n" + rest, st.text(max_size=300)),
        st.builds(lambda rest: "interactions:\n" + rest, st.text(max_size=300)),
        st.builds(lambda rest: '{"log": ' + rest, st.text(max_size=300)),
    )
)
def test_random_text(text: str) -> None:
    assert_well_behaved(text.encode("utf-8", "surrogatepass"))


@PROPERTY_SETTINGS
@given(st.sampled_from(TEXT_FIXTURES + STRUCTURED_FIXTURES), st.data())
def test_text_mutations_of_valid_captures(name: str, data: st.DataObject) -> None:
    text = render_fixture(name)
    for _ in range(data.draw(st.integers(1, 4))):
        start = data.draw(st.integers(0, len(text)))
        end = data.draw(st.integers(start, min(len(text), start + 40)))
        replacement = data.draw(
            st.one_of(
                st.text(max_size=20), st.sampled_from(["'", '"', "\\\n", "$", "\r\n", "\x00", "%", "\t", "{{", "-H"])
            )
        )
        text = text[:start] + replacement + text[end:]
    assert_well_behaved(text.encode("utf-8", "surrogatepass"), "--origin", "http://localhost:3000")


@PROPERTY_SETTINGS
@given(
    st.one_of(
        st.text(max_size=300),
        st.builds(lambda rest: "eyJ" + rest, st.text(max_size=300)),
        st.builds(
            ".".join,
            st.lists(
                st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_=", max_size=60),
                max_size=5,
            ),
        ),
    )
)
def test_token_never_crashes(text: str) -> None:
    assert_well_behaved(text.encode("utf-8", "surrogatepass"), command="token")


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=30),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=8,
)


@PROPERTY_SETTINGS
@given(
    st.dictionaries(
        st.sampled_from(["sub", "exp", "nbf", "iat", "aud", "jti", "scopes", "email", "x"]), JSON_VALUES, max_size=7
    ),
    st.dictionaries(st.sampled_from(["alg", "typ", "kid"]), JSON_VALUES, max_size=3),
)
def test_tokens_with_any_claims(claims: dict[str, Any], header: dict[str, Any]) -> None:
    token = make_jwt(claims, header=header)
    assert_well_behaved(token.encode(), command="token")
    assert_well_behaved(f"curl https://go.tallyfy.com/api/me -H 'Authorization: Bearer {token}'".encode())


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _paths(item, (*prefix, index))
    return found


def _replace(value: Any, path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return new
    head, rest = path[0], path[1:]
    if isinstance(value, dict):
        return {**value, head: _replace(value[head], rest, new)}
    copy = list(value)
    copy[head] = _replace(copy[head], rest, new)
    return copy


@PROPERTY_SETTINGS
@given(st.sampled_from(STRUCTURED_FIXTURES), st.data())
def test_structural_mutations_of_har_and_cassettes(name: str, data: st.DataObject) -> None:
    text = render_fixture(name)
    document = json.loads(text) if name.endswith((".har", ".json")) else yaml.safe_load(text)
    for _ in range(data.draw(st.integers(1, 3))):
        path = data.draw(st.sampled_from(_paths(document)[1:]))
        document = _replace(document, path, data.draw(JSON_VALUES))
    mutated = json.dumps(document) if name.endswith((".har", ".json")) else yaml.safe_dump(document)
    assert_well_behaved(mutated.encode("utf-8", "surrogatepass"), "--origin", "http://localhost:3000")
