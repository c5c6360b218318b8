"""Properties of redaction and capture parsing over generated input, each example held to a deadline: a
secret planted anywhere never survives, and no input makes a parser raise anything but its one error type."""

from __future__ import annotations

import contextlib
import json
from datetime import timedelta

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from tallyfy_diag._redact import redact_body, redact_message, redact_text
from tallyfy_diag.diagnostics._parsers import InputError, parse_capture

BOUNDED = settings(
    deadline=timedelta(milliseconds=2000), max_examples=150, suppress_health_check=[HealthCheck.too_slow]
)
SEPARATORS = st.sampled_from([" ", '"', "'", "=", ":", ",", ";", "\n", "\t", "(", "<", "&", "?", "/"])
# Secrets that cannot be re-formed from the replacement text "[redacted]" next to them.
SECRET_ALPHABET = st.characters(whitelist_categories=(), whitelist_characters="0123456789XYZQWKMNP-_+/")
TOKEN_SEGMENT = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-", min_size=2)


@BOUNDED
@given(prefix=st.text(), sep1=SEPARATORS, sep2=SEPARATORS, suffix=st.text(), a=TOKEN_SEGMENT, b=TOKEN_SEGMENT)
def test_a_jwt_between_separators_never_survives(
    prefix: str, sep1: str, sep2: str, suffix: str, a: str, b: str
) -> None:
    jwt = f"eyJ{a}.eyJ{b}.c2ln"
    redacted = redact_text(prefix + sep1 + jwt + sep2 + suffix)
    assert jwt not in redacted


@BOUNDED
@given(prefix=st.text(), suffix=st.text(), secret=st.text(alphabet=SECRET_ALPHABET, min_size=4, max_size=40))
def test_a_known_secret_never_survives_in_any_text(prefix: str, suffix: str, secret: str) -> None:
    assert secret not in redact_text(prefix + secret + suffix, [secret])
    assert secret not in redact_message(prefix + secret + suffix, [secret])


SENSITIVE_KEYS = st.sampled_from(
    ["password", "client_secret", "refresh_token", "user_password", "auth_token", "x_token", "apiKey", "privateKey"]
)
JSON_LEAVES = st.none() | st.booleans() | st.integers() | st.text(max_size=20)


@BOUNDED
@given(
    key=SENSITIVE_KEYS,
    secret=st.text(alphabet=SECRET_ALPHABET, min_size=6, max_size=30),
    noise=st.dictionaries(st.text(max_size=8), JSON_LEAVES, max_size=5),
    nested=st.booleans(),
)
def test_a_credential_in_json_never_survives(key: str, secret: str, noise: dict[str, object], nested: bool) -> None:
    document: dict[str, object] = {**noise, key: secret}
    if nested:
        document = {"data": [document]}
    assert secret not in redact_body(json.dumps(document), "application/json")


@BOUNDED
@given(key=SENSITIVE_KEYS, secret=st.text(alphabet=SECRET_ALPHABET, min_size=6, max_size=30), junk=st.text())
def test_a_credential_in_unparseable_text_never_survives(key: str, secret: str, junk: str) -> None:
    assume(secret not in junk)
    for shaped in (f'{junk} "{key}": "{secret}" {junk}', f"{junk}&{key}={secret}&{junk}", f'"{key}":"{secret}'):
        assert secret not in redact_body(shaped, "text/plain")


@BOUNDED
@given(text=st.text(max_size=3000))
def test_any_curl_text_is_a_capture_or_one_input_error(text: str) -> None:
    with contextlib.suppress(InputError):
        parse_capture(("curl https://go.tallyfy.com/api/me " + text).encode("utf-8", "surrogatepass"))


@BOUNDED
@given(text=st.text(max_size=3000))
def test_any_cassette_text_is_a_capture_or_one_input_error(text: str) -> None:
    with contextlib.suppress(InputError):
        parse_capture(("interactions:\n" + text).encode("utf-8", "surrogatepass"))
