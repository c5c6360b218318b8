"""Decode a JWT without verifying it (RFC 7519 §3, RFC 7515 §7.1 compact serialization): shared by the client
and the diagnostics (the sandbox signs and verifies its own tokens: `sandbox/_signing.py`).

Done by hand rather than with PyJWT: a diagnosis wants to know WHICH part is broken (segment count, base64url,
JSON), and never wants an exception message that quotes the token. Error messages here name parts, never content.
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any

import attrs

from tallyfy_diag import _json

_SEGMENT = re.compile(r"[A-Za-z0-9_-]*={0,2}")
_ORDINALS = ("header", "payload", "signature")


class JwtError(ValueError):
    """The token is not a decodable JWT; the message says which part and why, without quoting it."""


@attrs.frozen
class DecodedJwt:
    header: dict[str, Any]
    claims: dict[str, Any]
    signature_length: int


def looks_like_jwt(token: str) -> bool:
    """Whether a token was meant to be a JWT: a JSON header segment (`eyJ`) or exactly three dot parts."""
    return token.startswith("eyJ") or token.count(".") == 2


def _decode_segment(segment: str, name: str) -> bytes:
    if not _SEGMENT.fullmatch(segment):
        raise JwtError(f"the {name} segment has characters outside base64url (A-Z a-z 0-9 - _)")
    unpadded = segment.rstrip("=")
    if len(unpadded) % 4 == 1:
        raise JwtError(f"the {name} segment has an impossible base64url length (truncated?)")
    try:
        return base64.urlsafe_b64decode(unpadded + "=" * (-len(unpadded) % 4))
    except (binascii.Error, ValueError):
        raise JwtError(f"the {name} segment is not valid base64url") from None


def _json_object(raw: bytes, name: str) -> dict[str, Any]:
    try:
        value = _json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise JwtError(f"the {name} segment does not decode to JSON (truncated or corrupted?)") from None
    if not isinstance(value, dict):
        raise JwtError(f"the {name} segment is JSON but not an object")
    return value


def decode_unverified(token: str) -> DecodedJwt:
    """Header and claims of a compact JWS, signature NOT verified (a diagnosis has no key)."""
    segments = token.split(".")
    if len(segments) != 3:
        raise JwtError(f"it has {len(segments)} dot-separated segments; a JWT has 3 (truncated or joined?)")
    for segment, name in zip(segments, _ORDINALS, strict=True):
        if not segment and name != "signature":
            raise JwtError(f"the {name} segment is empty")
    header = _json_object(_decode_segment(segments[0], "header"), "header")
    claims = _json_object(_decode_segment(segments[1], "payload"), "payload")
    signature = _decode_segment(segments[2], "signature")
    return DecodedJwt(header=header, claims=claims, signature_length=len(signature))
