"""Serving in the foreground until Ctrl-C or SIGTERM: shared by `sandbox` and `webhook listen`."""

from __future__ import annotations

import signal
from types import FrameType
from typing import Protocol


class _Server(Protocol):
    def wait(self) -> None: ...

    def stop(self) -> None: ...


def _stop_on_sigterm(_signum: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def serve_until_interrupted(server: _Server) -> None:
    """Block until Ctrl-C or SIGTERM (both a normal way to end a server), then stop it cleanly."""
    previous = signal.signal(signal.SIGTERM, _stop_on_sigterm)
    try:
        server.wait()
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        server.stop()
