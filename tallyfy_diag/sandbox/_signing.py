"""The sandbox's RSA signing keys, which a command can start generating before it imports the server stack.

RSA-2048 generation takes 50-150 ms, and OpenSSL does it without holding the GIL: a command that is about to
start a sandbox calls `prepare_signing_key(seed)` first, and the key is ready by the time its imports are done.
One key per seed and process, as before; the last few seeds are kept.
"""

from __future__ import annotations

import threading
from concurrent.futures import Future

from cryptography.hazmat.primitives.asymmetric import rsa

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
