"""The scrubber keeps an Authorization header's shape (so `explain` still sees the habit) and never its token."""

from __future__ import annotations

import pytest

from tallyfy_diag._redact import REDACTED
from tallyfy_diag._scrub import PLACEHOLDER_PREFIX, TallyfyScrubber

TOKEN = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJzdWIiOiI0MiJ9.c2lnbmF0dXJlLWNhbmFyeQ"


class Request:
    """The shape of a vcrpy request that the scrubber reads and rewrites."""

    def __init__(self, authorization: str, body: str = "") -> None:
        self.uri = "https://go.tallyfy.com/api/me"
        self.body = body
        self.headers = {"authorization": authorization, "content-type": "text/plain"}


@pytest.mark.parametrize(
    ("sent", "recorded"),
    [
        (f"Bearer {TOKEN}", f"Bearer {PLACEHOLDER_PREFIX}access-token-1"),
        (f"Bearer  {TOKEN}", f"Bearer  {PLACEHOLDER_PREFIX}access-token-1"),  # two spaces: the habit stays
        (f"bearer {TOKEN}", f"bearer {PLACEHOLDER_PREFIX}access-token-1"),
        (f"Bearer\t{TOKEN} ", f"Bearer\t{PLACEHOLDER_PREFIX}access-token-1 "),
        (f"Bearer{TOKEN}", REDACTED),  # no separator: scheme and token cannot be told apart
        (TOKEN, REDACTED),
        ("Bearer ", "Bearer "),
    ],
)
def test_authorization_keeps_its_shape_and_loses_its_token(sent: str, recorded: str) -> None:
    scrubbed = TallyfyScrubber().before_record_request(Request(sent))
    assert scrubbed.headers["authorization"] == recorded
    assert TOKEN not in scrubbed.headers["authorization"]


def test_an_unsplittable_value_is_not_an_empty_token_spliced_into_later_bodies() -> None:
    scrubber = TallyfyScrubber()
    scrubber.before_record_request(Request(f"Bearer{TOKEN}"))
    later = scrubber.before_record_request(Request(f"Bearer {TOKEN}", body=f"note: Bearer{TOKEN} was sent"))
    # The token is known by then (the second header), so it becomes its placeholder; nothing is spliced in.
    assert later.body == f"note: Bearer{PLACEHOLDER_PREFIX}access-token-1 was sent"
    assert scrubber.scrub_text("plain text") == "plain text"
