"""A loopback HTTP/1.1 server that misbehaves on purpose, for what a mocking library cannot fake: a connection
accepted and never answered, headers dripped a byte at a time, a body cut short or reset mid-way.

Each path prefix gets a fault (a name in `FAULTS`); every request head the server reads is counted in `seen`,
so a test can say how many requests a client really sent. Everything it writes is raw bytes on the socket.
"""

from __future__ import annotations

import json
import socket
import socketserver
import struct
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from typing import Any

# Canary secrets planted in bodies: they must never reach an error message, a log or a report.
CANARY_JWT = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJzdWIiOiI0MiIsImV4cCI6NDEwMjQ0NDgwMH0.c2lnbmF0dXJlLWNhbmFyeQ"
CANARY_REFRESH = "def50200" + "a1b2c3d4" * 8
CANARY_PASSWORD = "Canary-Pa55word-7"

TOKEN_BODY = json.dumps(
    {"token_type": "Bearer", "expires_in": 3600, "access_token": CANARY_JWT, "refresh_token": CANARY_REFRESH}
).encode()


def _response(status: str, body: bytes, content_type: str = "application/json", extra: str = "") -> bytes:
    head = f"HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {len(body)}\r\n{extra}\r\n"
    return head.encode("latin-1") + body


class _Connection:
    def __init__(self, server: FaultServer, sock: socket.socket) -> None:
        self.server = server
        self.sock = sock
        self.buffer = b""

    def read_request(self) -> tuple[str, str] | None:
        while b"\r\n\r\n" not in self.buffer:
            if len(self.buffer) > 65536:
                return None
            chunk = self.sock.recv(65536)
            if not chunk:
                return None
            self.buffer += chunk
        head, _, self.buffer = self.buffer.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        method, path = lines[0].split(" ")[:2]
        length = 0
        for line in lines[1:]:
            name, _, value = line.partition(":")
            if name.strip().lower() == "content-length":
                length = int(value.strip())
        while len(self.buffer) < length:
            chunk = self.sock.recv(65536)
            if not chunk:
                return None
            self.buffer += chunk
        self.buffer = self.buffer[length:]
        return method, path


def _hang(conn: _Connection, method: str, path: str) -> bool:
    conn.server.stopping.wait()
    return False


def _drip(conn: _Connection, method: str, path: str) -> bool:
    conn.sock.sendall(b"HTTP/1.1 200 OK\r\nX-Drip: ")
    while not conn.server.stopping.wait(0.05):
        conn.sock.sendall(b"a")
    return False


def _truncated(conn: _Connection, method: str, path: str) -> bool:
    conn.sock.sendall(b'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"data":')
    conn.sock.shutdown(socket.SHUT_WR)
    return False


def _reset(conn: _Connection, method: str, path: str) -> bool:
    conn.sock.sendall(b'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"data":')
    # SO_LINGER with a zero timeout turns close() into a TCP reset.
    conn.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    conn.sock.close()  # before socketserver's own shutdown(SHUT_WR), which would send a polite FIN first
    return False


def _endless(conn: _Connection, method: str, path: str) -> bool:
    conn.sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100000000000\r\n\r\n")
    chunk = b"[" * 65536
    # About 13 MB/s: far faster than any read timeout, slow enough not to fill the test's memory.
    while not conn.server.stopping.wait(0.005):
        conn.sock.sendall(chunk)
    return False


def _garbage(conn: _Connection, method: str, path: str) -> bool:
    conn.sock.sendall(b"SURPRISE\r\n\r\n")
    return False


def _fixed(status: str, body: bytes, content_type: str = "application/json", extra: str = "") -> Callable[..., bool]:
    def fault(conn: _Connection, method: str, path: str) -> bool:
        conn.sock.sendall(_response(status, body, content_type, extra))
        return True

    return fault


def _redirect_loop(conn: _Connection, method: str, path: str) -> bool:
    conn.sock.sendall(_response("302 Found", b"", "text/plain", f"Location: {path}\r\n"))
    return True


FAULTS: Mapping[str, Callable[[_Connection, str, str], bool]] = {
    "hang": _hang,
    "drip": _drip,
    "truncated": _truncated,
    "reset": _reset,
    "garbage": _garbage,
    "endless": _endless,
    "invalid_json": _fixed("200 OK", b'{"data": {"id": "1", "email": tru'),
    "unexpected_2xx": _fixed(
        "202 Accepted",
        json.dumps(
            {"queued": True, "access_token": CANARY_JWT, "note": f"refresh {CANARY_REFRESH} pw {CANARY_PASSWORD}"}
        ).encode(),
    ),
    "html_5xx": _fixed(
        "503 Service Unavailable",
        f"<html><body><h1>503</h1><p>upstream {CANARY_JWT}</p></body></html>".encode(),
        "text/html",
    ),
    "rate_limited": _fixed("429 Too Many Requests", b'{"message":"Too Many Attempts."}', extra="Retry-After: 0\r\n"),
    "rate_limited_1s": _fixed("429 Too Many Requests", b'{"message":"Too Many Attempts."}', extra="Retry-After: 1\r\n"),
    "redirect_loop": _redirect_loop,
    "token": _fixed("200 OK", TOKEN_BODY),
    "ok": _fixed("200 OK", b'{"data": {}}'),
}


class FaultServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, routes: Mapping[str, str], default: str = "ok") -> None:
        self.routes = dict(routes)
        self.default = default
        self.seen: list[tuple[str, str]] = []
        self.stopping = threading.Event()
        self._lock = threading.Lock()
        self._open: set[socket.socket] = set()
        super().__init__(("127.0.0.1", 0), _Handler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def fault_for(self, path: str) -> str:
        for prefix, fault in self.routes.items():
            if path.startswith(prefix):
                return fault
        return self.default

    def count(self, method: str, prefix: str) -> int:
        with self._lock:
            return sum(1 for seen_method, path in self.seen if seen_method == method and path.startswith(prefix))

    def track(self, sock: socket.socket, opened: bool) -> None:
        with self._lock:
            (self._open.add if opened else self._open.discard)(sock)

    def stop(self) -> None:
        self.stopping.set()
        self.shutdown()
        with self._lock:
            for sock in list(self._open):
                with suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
        self.server_close()


class _Handler(socketserver.BaseRequestHandler):
    server: FaultServer

    def handle(self) -> None:
        sock: socket.socket = self.request
        self.server.track(sock, True)
        connection = _Connection(self.server, sock)
        try:
            while not self.server.stopping.is_set():
                request = connection.read_request()
                if request is None:
                    return
                method, path = request
                with self.server._lock:
                    self.server.seen.append((method, path))
                if not FAULTS[self.server.fault_for(path)](connection, method, path):
                    return
        except OSError:
            return
        finally:
            self.server.track(sock, False)


@contextmanager
def fault_server(routes: Mapping[str, str], default: str = "ok") -> Iterator[FaultServer]:
    server = FaultServer(routes, default)
    # serve_forever notices shutdown() only between polls: a short poll keeps each test's teardown short.
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.005}, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.stop()
        thread.join(5)


def bounded(action: Callable[[], Any], limit: float) -> tuple[Any, BaseException | None, float]:
    """Run `action` in a thread and give up after `limit` seconds (the test fails instead of hanging).
    Returns (result, exception, seconds taken)."""
    import time  # noqa: PLC0415

    box: dict[str, Any] = {}

    def run() -> None:
        started = time.monotonic()
        try:
            box["result"] = action()
        except BaseException as error:
            box["error"] = error
        box["elapsed"] = time.monotonic() - started

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(limit)
    if thread.is_alive():
        raise AssertionError(f"still running after {limit}s: the operation is not bounded")
    return box.get("result"), box.get("error"), box["elapsed"]
