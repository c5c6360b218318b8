"""Run in a venv with a plain `pip install tallyfy-diag` (no extras): `nox -s client_only`.

The client and its facade work (against httpx's MockTransport: the sandbox is the extra), and none of the
sandbox extra's distributions is installed. Prints what it found; exits 1 when either is not so.
"""

from __future__ import annotations

import sys
from importlib.metadata import PackageNotFoundError, distribution

import httpx

from tallyfy_diag import PersonalAccessToken, Tallyfy

SERVER_STACK = ("starlette", "uvicorn", "jsonschema")


def answer(request: httpx.Request) -> httpx.Response:
    if request.url.path.endswith("/me"):
        return httpx.Response(200, json={"data": {"id": 1, "email": "ann@example.com", "first_name": "Ann"}})
    return httpx.Response(404, json={"message": "not found"})


def installed(name: str) -> bool:
    try:
        distribution(name)
    except PackageNotFoundError:
        return False
    return True


def main() -> int:
    with Tallyfy(PersonalAccessToken("t" * 40), org_id="org", transport=httpx.MockTransport(answer)) as tf:
        email = tf.identity.get_me().email
    present = [name for name in SERVER_STACK if installed(name)]
    print(f"client call: {email}; server stack installed: {present or 'none'}")
    return 0 if email == "ann@example.com" and not present else 1


if __name__ == "__main__":
    sys.exit(main())
