"""The sandbox's demo credentials and ids, derived from the seed.

Same seed, same values (recorded cassettes and docs stay valid), yet nothing is a constant another module
could copy: every value is an HMAC of the seed and a label. Secrets are long and random-looking, and never
appear in a repr.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

import attrs

from tallyfy_diag._redact import REDACTED

_DERIVATION_KEY = b"tallyfy-diag sandbox v1"
_ALPHANUMERIC = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"


def derive_bytes(seed: int, label: str) -> bytes:
    """32 bytes that depend only on the seed and the label."""
    return hmac.new(_DERIVATION_KEY, f"{seed}:{label}".encode(), hashlib.sha256).digest()


def derive_hex_id(seed: int, label: str) -> str:
    """A 32-character lowercase hex id, the shape of Tallyfy's ids."""
    return derive_bytes(seed, label).hex()[:32]


def derive_secret(seed: int, label: str, length: int = 40) -> str:
    """An alphanumeric secret (Passport client secrets are 40 such characters)."""
    stream = derive_bytes(seed, label) + derive_bytes(seed, label + "/more")
    return "".join(_ALPHANUMERIC[byte % len(_ALPHANUMERIC)] for byte in stream[:length])


def derive_number(seed: int, label: str, low: int, high: int) -> int:
    """An integer in [low, high)."""
    return low + int.from_bytes(derive_bytes(seed, label)[:8], "big") % (high - low)


def _secret_field() -> Any:
    return attrs.field(repr=lambda _value: REDACTED)


@attrs.frozen(kw_only=True)
class SandboxCredentials:
    """What a client needs to talk to one sandbox; secrets show as [redacted] in the repr."""

    client_id: str
    """A numeric client id that allows the password, refresh_token and client_credentials grants."""
    client_secret: str = _secret_field()
    username: str
    """The demo user's email address."""
    password: str = _secret_field()
    user_id: int
    org_id: str
    """The demo user's first organization; both clients hold application permission on it."""
    second_org_id: str
    """Another organization the user belongs to (no application permission)."""
    foreign_org_id: str
    """An organization the user is not in."""
    app_client_id: str
    """A client allowed only the client_credentials grant."""
    app_client_secret: str = _secret_field()

    @classmethod
    def from_seed(cls, seed: int) -> SandboxCredentials:
        return cls(
            client_id=str(derive_number(seed, "client", 10, 100_000)),
            client_secret=derive_secret(seed, "client-secret"),
            username=f"demo.{derive_hex_id(seed, 'username')[:8]}@sandbox.example.com",
            password=derive_secret(seed, "password", 24),
            user_id=derive_number(seed, "user", 1000, 1_000_000),
            org_id=derive_hex_id(seed, "org"),
            second_org_id=derive_hex_id(seed, "second-org"),
            foreign_org_id=derive_hex_id(seed, "foreign-org"),
            # Offset so the two clients can never share an id.
            app_client_id=str(derive_number(seed, "app-client", 100_000, 1_000_000)),
            app_client_secret=derive_secret(seed, "app-client-secret"),
        )

    def to_dict(self) -> dict[str, str | int]:
        """Every field, secrets included: for the caller who started the sandbox, nobody else."""
        return attrs.asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), separators=(",", ":"))
