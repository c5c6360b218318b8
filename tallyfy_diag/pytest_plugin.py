"""pytest plugin (entry point `tallyfy`): record Tallyfy traffic safely, and a local Tallyfy to record against.

Fixtures:
- `tallyfy_vcr_config`: a vcrpy config that scrubs Tallyfy secrets on the way to disk — `Authorization`,
  cookies and credential headers (`X-Auth-Token`, `X-Access-Token`, `X-Api-Key`, ...), the form fields
  `client_secret`, `password`, `username` and `refresh_token`, sensitive query parameters, and the token
  endpoint's RESPONSE bodies (`access_token`, `refresh_token`). Field names are matched by shape
  (`user_password`, `auth_token`), at any depth and inside lists, in every body type (JSON, form, multipart,
  plain text), and a secret once seen is removed wherever it recurs in free text. Tokens become
  numbered placeholders (`tallyfy-placeholder-access-token-1`), the same one wherever a token recurs, so
  a recorded refresh still replays; secrets become `[redacted]`. It matches on method, path and query only
  (not host or port: a sandbox's port changes between runs) and never sets `record_mode` (the command
  line decides). It is function-scoped, so numbering restarts with each cassette.
- `tallyfy_sandbox`: a running local sandbox (`tallyfy_diag.sandbox.Sandbox`) on 127.0.0.1, configured by
  the `tallyfy_sandbox_config` fixture (override it to pick a seed or scenario).

The plugin defines no `vcr_config`: a project opts in. A complete example (record once with
`pytest --record-mode=once`, then replay offline with `pytest --record-mode=none --block-network`)::

    # conftest.py
    import pytest

    @pytest.fixture
    def vcr_config(tallyfy_vcr_config):
        return tallyfy_vcr_config

    # test_me.py
    import pytest
    from tallyfy_client.api.identity import get_me
    from tallyfy_diag.client import PasswordGrant, Tallyfy

    @pytest.mark.vcr
    def test_me(tallyfy_sandbox):
        c = tallyfy_sandbox.credentials
        auth = PasswordGrant(c.client_id, c.client_secret, c.username, c.password)
        with Tallyfy(auth, base_url=tallyfy_sandbox.base_url, org_id=c.org_id) as tf:
            assert tf.call(get_me).data.email == c.username

It also registers the `tallyfy_body` vcr matcher (JSON and form bodies compared as data, after scrubbing)
for projects that add it to `match_on`. Importing this module needs neither vcrpy nor the sandbox stack.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import parse_qsl

import pytest

from tallyfy_diag import _json
from tallyfy_diag._scrub import PLACEHOLDER_PREFIX, TallyfyScrubber

if TYPE_CHECKING:
    from tallyfy_diag.sandbox import Sandbox, SandboxConfig

__all__ = [
    "BODY_MATCHER",
    "MATCH_ON",
    "PLACEHOLDER_PREFIX",
    "TallyfyScrubber",
    "match_body",
    "tallyfy_sandbox",
    "tallyfy_sandbox_config",
    "tallyfy_vcr_config",
    "tallyfy_vcr_config_dict",
]

MATCH_ON: Final = ("method", "path", "query")
BODY_MATCHER: Final = "tallyfy_body"


def tallyfy_vcr_config_dict(scrubber: TallyfyScrubber | None = None) -> dict[str, Any]:
    """The vcr config behind the `tallyfy_vcr_config` fixture (for suites that build their own)."""
    scrubber = scrubber or TallyfyScrubber()
    return {
        "before_record_request": scrubber.before_record_request,
        "before_record_response": scrubber.before_record_response,
        # Scrubbing a gzip body would silently do nothing.
        "decode_compressed_response": True,
        "match_on": MATCH_ON,
    }


def _parsed_body(request: Any) -> Any:
    body = request.body or b""
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else str(body)
    content_type = request.headers.get("content-type", "")
    if "x-www-form-urlencoded" in content_type:
        return sorted(parse_qsl(text, keep_blank_values=True))
    if "json" in content_type:
        try:
            return _json.loads(text)
        except ValueError:
            return text
    return text


def match_body(recorded: Any, live: Any) -> None:
    """vcr matcher: bodies equal as data (field order and JSON spacing ignored). Raises AssertionError."""
    if _parsed_body(recorded) != _parsed_body(live):
        raise AssertionError("request bodies differ")


@pytest.hookimpl(optionalhook=True)
def pytest_recording_configure(config: pytest.Config, vcr: Any) -> None:
    vcr.register_matcher(BODY_MATCHER, match_body)


@pytest.fixture
def tallyfy_vcr_config() -> dict[str, Any]:
    """vcr config that scrubs Tallyfy secrets; use it as (or merge it into) your `vcr_config`."""
    return tallyfy_vcr_config_dict()


@pytest.fixture
def tallyfy_sandbox_config() -> SandboxConfig:
    """The configuration `tallyfy_sandbox` starts with; override to choose a seed or scenario."""
    from tallyfy_diag.sandbox import SandboxConfig  # noqa: PLC0415 - the plugin must import cheaply

    return SandboxConfig()


@pytest.fixture
def tallyfy_sandbox(tallyfy_sandbox_config: SandboxConfig) -> Iterator[Sandbox]:
    """A sandbox serving on 127.0.0.1 (ephemeral port) for the duration of one test."""
    from tallyfy_diag.sandbox import Sandbox  # noqa: PLC0415

    with Sandbox(tallyfy_sandbox_config) as sandbox:
        yield sandbox


__all__ = [
    "MATCH_ON",
    "PLACEHOLDER_PREFIX",
    "TallyfyScrubber",
    "match_body",
    "tallyfy_vcr_config_dict",
]
