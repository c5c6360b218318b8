"""The sandbox's RS256 tokens agree with an independent implementation (PyJWT) both ways, and verification
refuses every token its key did not sign as RS256."""

from __future__ import annotations

import base64
import json

import jwt
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from tallyfy_diag.sandbox._signing import sign_rs256, signing_key, verified_claims

CLAIMS = {"aud": "3", "sub": "42", "exp": 4102444800, "scopes": [], "name": "Ann \u00e9"}


@pytest.fixture(scope="module")
def key() -> rsa.RSAPrivateKey:
    return signing_key(7)


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _segment(value: object) -> str:
    return _b64url(json.dumps(value).encode())


def _signed_by_hand(key: rsa.RSAPrivateKey, header: object, payload: object) -> str:
    signing_input = f"{_segment(header)}.{_segment(payload)}"
    return f"{signing_input}.{_b64url(key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256()))}"


def test_pyjwt_verifies_the_sandbox_tokens(key: rsa.RSAPrivateKey) -> None:
    token = sign_rs256(key, CLAIMS)
    assert jwt.get_unverified_header(token) == {"alg": "RS256", "typ": "JWT"}
    assert jwt.decode(token, key.public_key(), algorithms=["RS256"], audience="3") == CLAIMS


def test_the_sandbox_verifies_pyjwt_tokens(key: rsa.RSAPrivateKey) -> None:
    assert verified_claims(key.public_key(), jwt.encode(CLAIMS, key, algorithm="RS256")) == CLAIMS
    assert verified_claims(key.public_key(), sign_rs256(key, CLAIMS)) == CLAIMS
    assert verified_claims(key.public_key(), _signed_by_hand(key, {"alg": "RS256"}, CLAIMS)) == CLAIMS


def test_tokens_it_did_not_sign_as_rs256_are_refused(key: rsa.RSAPrivateKey) -> None:
    public = key.public_key()
    token = sign_rs256(key, CLAIMS)
    header, payload, signature = token.split(".")
    public_pem = public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    refused = {
        "changed claims": f"{header}.{_segment({**CLAIMS, 'sub': '1'})}.{signature}",
        "another key": sign_rs256(other_key, CLAIMS),
        "alg none": jwt.encode(CLAIMS, None, algorithm="none"),
        "HS256 keyed with the public key": jwt.encode(CLAIMS, public_pem[:32], algorithm="HS256"),
        "header claiming HS256": f"{_segment({'alg': 'HS256', 'typ': 'JWT'})}.{payload}.{signature}",
        "padded payload": f"{header}.{payload}{'=' * (-len(payload) % 4) or '=='}.{signature}",
        "two segments": f"{header}.{payload}",
        "four segments": f"{token}.{signature}",
        "truncated signature": token[:-8],
        "not base64url": f"{header}.{payload}.{signature[:-2]}!!",
        "not ASCII": f"{header}.{payload}.{signature}\u00e9",
        "claims not an object": _signed_by_hand(key, {"alg": "RS256", "typ": "JWT"}, [1, 2]),
        "empty": "",
    }
    for reason, candidate in refused.items():
        assert verified_claims(public, candidate) is None, reason
