"""The sandbox's RSA signing keys, and RS256 JWTs signed and verified with them (RFC 7515, RFC 7518 §3.3).

RSA-2048 generation takes 50-150 ms, and OpenSSL does it without holding the GIL: a command that is about to
start a sandbox calls `prepare_signing_key(seed)` first, and the key is ready by the time its imports are done.
One key per seed and process, as before; the last few seeds are kept.

Signing and verifying are cryptography's; around them is only the compact serialization: base64url JSON. The
sandbox did this with PyJWT, whose import (most of it x509 support the sandbox never uses) cost every sandbox
start about 55 ms. The tests check these tokens with PyJWT, and PyJWT's tokens with `verified_claims`.
"""

from __future__ import annotations

import base64
import binascii
import json
import threading
from concurrent.futures import Future
from typing import Any, Final

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

_HEADER: Final = {"alg": "RS256", "typ": "JWT"}

_KEPT_SEEDS = 8
_keys: dict[int, Future[rsa.RSAPrivateKey]] = {}
_lock = threading.Lock()


def _generate(future: Future[rsa.RSAPrivateKey]) -> None:
    try:
        future.set_result(rsa.generate_private_key(public_exponent=65537, key_size=2048))
    except BaseException as error:  # noqa: BLE001 - handed to whoever waits for the key
        future.set_exception(error)


def _key_future(seed: int, *, background: bool) -> Future[rsa.RSAPrivateKey]:
    with _lock:
        future = _keys.get(seed)
        if future is not None:
            return future
        if len(_keys) >= _KEPT_SEEDS:
            del _keys[next(iter(_keys))]
        future = _keys[seed] = Future()
    if background:
        threading.Thread(target=_generate, args=(future,), name="tallyfy-sandbox-keygen", daemon=True).start()
    else:
        _generate(future)
    return future


def prepare_signing_key(seed: int) -> None:
    """Start generating the key for `seed` in a background thread (a no-op when it exists or is under way)."""
    _key_future(seed, background=True)


def signing_key(seed: int) -> rsa.RSAPrivateKey:
    """The RSA key for one seed, generated once per process (waits for one `prepare_signing_key` started)."""
    return _key_future(seed, background=False).result()


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _b64url_decode(segment: str) -> bytes:
    # Unpadded base64url only (RFC 7515 §2): padding or other characters make the token invalid.
    if "=" in segment or len(segment) % 4 == 1:
        raise ValueError("not unpadded base64url")
    return base64.b64decode(segment + "=" * (-len(segment) % 4), altchars=b"-_", validate=True)


def _json_segment(value: dict[str, Any]) -> str:
    return _b64url(json.dumps(value, separators=(",", ":")).encode())


def sign_rs256(key: rsa.RSAPrivateKey, claims: dict[str, Any]) -> str:
    """A compact JWS of `claims`: RS256 (RSASSA-PKCS1-v1_5 with SHA-256) over `header.payload`."""
    signing_input = f"{_json_segment(_HEADER)}.{_json_segment(claims)}"
    signature = key.sign(signing_input.encode("ascii"), padding.PKCS1v15(), hashes.SHA256())
    return f"{signing_input}.{_b64url(signature)}"


def verified_claims(public_key: rsa.RSAPublicKey, token: str) -> dict[str, Any] | None:
    """The claims of an RS256 token that `public_key` signed, or None (malformed, another algorithm, or a
    signature that does not verify). Time claims are the caller's to check."""
    parts = token.split(".")
    if len(parts) != 3 or not token.isascii():
        return None
    try:
        header = json.loads(_b64url_decode(parts[0]))
        # Only RS256: `none`, HS256 "keyed" with the public key and the rest are refused (RFC 8725 §2.1).
        if not isinstance(header, dict) or header.get("alg") != "RS256":
            return None
        public_key.verify(
            _b64url_decode(parts[2]), f"{parts[0]}.{parts[1]}".encode("ascii"), padding.PKCS1v15(), hashes.SHA256()
        )
        claims = json.loads(_b64url_decode(parts[1]))
    except (ValueError, binascii.Error, InvalidSignature, RecursionError):
        return None
    return claims if isinstance(claims, dict) else None
