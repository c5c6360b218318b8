"""`--record FILE`: the traffic the proxy saw, as a HAR 1.2 file (`.har`) or a VCR cassette (`.yaml`/`.yml`).

Scrubbed by the pytest plugin's `TallyfyScrubber`, the same code that scrubs the project's own cassettes, so a
recording replays like one made by `pytest --record-mode=once` (tokens become numbered placeholders, secrets
`[redacted]`). Bodies the scrubber cannot read are left out rather than written unscrubbed: one larger than the
proxy keeps, or a compressed one that does not decompress. The file is written when the proxy stops, to a
temporary file first (mode 0600) and then renamed, so a half-written recording never replaces a good one.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import tempfile
import threading
from datetime import UTC
from pathlib import Path
from typing import Any, Final
from urllib.parse import parse_qsl, urlsplit

import yaml

from tallyfy_diag import __version__
from tallyfy_diag._scrub import TallyfyScrubber
from tallyfy_diag.proxy._app import Observed

MAX_RECORDED: Final = 10_000
MAX_RECORDED_BYTES: Final = 256 * 1024 * 1024
"""Exchanges and body bytes kept for one recording: a long session must not grow without bound."""
RECORDING_SUFFIXES: Final = {".har": "har", ".yaml": "vcr", ".yml": "vcr"}
_OMITTED: Final = "body not recorded: larger than the proxy keeps, or compressed in a way it cannot undo"


class RecordingError(ValueError):
    """The recording cannot be made (unsupported file name, missing scrubber dependency): one line."""


def recording_format(path: Path) -> str:
    kind = RECORDING_SUFFIXES.get(path.suffix.lower())
    if kind is None:
        raise RecordingError(f"--record {path.name}: use a .har file (HAR 1.2) or .yaml (a VCR cassette)")
    return kind


class _CassetteRequest:
    """The shape of a vcrpy request that `TallyfyScrubber.before_record_request` reads and rewrites."""

    def __init__(self, method: str, uri: str, body: bytes, headers: dict[str, str]) -> None:
        self.method = method
        self.uri = uri
        self.body = body
        self.headers = headers


def _joined(pairs: list[tuple[str, str]]) -> dict[str, str]:
    joined: dict[str, str] = {}
    for name, value in pairs:
        key = name.lower()
        joined[key] = f"{joined[key]}, {value}" if key in joined else value
    return joined


def _listed(pairs: list[tuple[str, str]]) -> dict[str, list[str]]:
    listed: dict[str, list[str]] = {}
    for name, value in pairs:
        listed.setdefault(name.lower(), []).append(value)
    return listed


class Recorder:
    """Collects scrubbed exchanges (thread-safe) and writes them on `close()`."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.format = recording_format(path)
        directory = path.parent if str(path.parent) else Path()
        if not directory.is_dir():
            raise RecordingError(f"--record {path.name}: the folder does not exist")
        self._scrubber = TallyfyScrubber()
        self._interactions: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self.dropped = 0
        self._bytes = 0
        self._closed = False

    def add(self, observed: Observed) -> None:
        size = len(observed.request_body) + len(observed.response_body)
        with self._lock:
            if len(self._interactions) >= MAX_RECORDED or self._bytes + size > MAX_RECORDED_BYTES:
                self.dropped += 1
                return
            self._bytes += size
            self._interactions.append(self._scrubbed(observed))

    def _scrubbed(self, observed: Observed) -> dict[str, Any]:
        request_body = bytes(observed.request_body) if observed.request_complete else b""
        request = self._scrubber.before_record_request(
            _CassetteRequest(observed.method, observed.upstream_url, request_body, _joined(observed.request_headers))
        )
        headers = dict(request.headers)
        interaction: dict[str, Any] = {
            "request": {
                "body": request.body.decode("utf-8", "replace") if isinstance(request.body, bytes) else request.body,
                "headers": {name: [value] for name, value in headers.items()},
                "method": observed.method,
                "uri": request.uri,
            },
            "started": observed.started,
            "elapsed_ms": round(observed.elapsed * 1000, 3),
            "omitted": [] if observed.request_complete else ["request"],
        }
        if observed.status is None:
            interaction["response"] = None
            return interaction
        body, complete = observed.decoded_response_body()
        answered = [
            (name, value) for name, value in observed.response_headers if name != "content-encoding" or not complete
        ]
        if not complete:
            body = b""
            interaction["omitted"].append("response")
        response = self._scrubber.before_record_response(
            {
                "status": {"code": observed.status, "message": ""},
                "headers": _listed(answered),
                "body": {"string": body},
            }
        )
        interaction["response"] = response
        return interaction

    # ------------------------------------------------------------------ writing

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            interactions = list(self._interactions)
        text = _har(interactions) if self.format == "har" else _cassette(interactions)
        descriptor, temporary = tempfile.mkstemp(dir=self.path.parent if str(self.path.parent) else ".", prefix=".rec-")
        try:
            with os.fdopen(descriptor, "w", encoding="utf-8") as stream:
                stream.write(text)
            os.replace(temporary, self.path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise


def _text_body(body: Any) -> tuple[str, str | None]:
    """(text, HAR encoding) of a body: UTF-8 text as is, other bytes as base64."""
    if isinstance(body, str):
        return body, None
    if not body:
        return "", None
    try:
        return body.decode("utf-8"), None
    except UnicodeDecodeError:
        return base64.b64encode(body).decode("ascii"), "base64"


def _cassette(interactions: list[dict[str, Any]]) -> str:
    recorded = [
        {"request": item["request"], "response": item["response"]}
        for item in interactions
        if item["response"] is not None
    ]
    for item in recorded:
        body = item["response"]["body"]["string"]
        if isinstance(body, bytes):
            # Undecodable bytes stay bytes: YAML writes them as !!binary, which vcrpy reads back.
            with contextlib.suppress(UnicodeDecodeError):
                item["response"]["body"]["string"] = body.decode("utf-8")
    document = {"interactions": recorded, "version": 1}
    dumped: str = yaml.safe_dump(document, default_flow_style=False, allow_unicode=True, sort_keys=True)
    return dumped


def _har_headers(headers: dict[str, list[str]]) -> list[dict[str, str]]:
    return [{"name": name, "value": value} for name, values in headers.items() for value in values]


def _har(interactions: list[dict[str, Any]]) -> str:
    entries = []
    for item in interactions:
        request = item["request"]
        url = request["uri"]
        har_request: dict[str, Any] = {
            "method": request["method"],
            "url": url,
            "httpVersion": "HTTP/1.1",
            "headers": _har_headers(request["headers"]),
            "queryString": [{"name": n, "value": v} for n, v in parse_qsl(urlsplit(url).query, keep_blank_values=True)],
            "cookies": [],
            "headersSize": -1,
            "bodySize": len(request["body"].encode("utf-8")) if request["body"] else 0,
        }
        if request["body"]:
            media = next(iter(request["headers"].get("content-type", [])), "application/octet-stream")
            har_request["postData"] = {"mimeType": media, "text": request["body"]}
        response = item["response"]
        if response is None:
            har_response: dict[str, Any] = {"status": 0, "statusText": "", "httpVersion": "HTTP/1.1", "headers": []}
            har_response.update(content={"size": 0, "mimeType": "x-unknown"}, redirectURL="", cookies=[])
            har_response.update(headersSize=-1, bodySize=-1, _error="no answer from the upstream")
        else:
            text, encoding = _text_body(response["body"]["string"])
            content: dict[str, Any] = {
                "size": len(text),
                "mimeType": next(iter(response["headers"].get("content-type", [])), "x-unknown"),
                "text": text,
            }
            if encoding:
                content["encoding"] = encoding
            har_response = {
                "status": response["status"]["code"],
                "statusText": response["status"]["message"],
                "httpVersion": "HTTP/1.1",
                "headers": _har_headers(response["headers"]),
                "cookies": [],
                "content": content,
                "redirectURL": "",
                "headersSize": -1,
                "bodySize": -1,
            }
        entry: dict[str, Any] = {
            "startedDateTime": item["started"].astimezone(UTC).isoformat().replace("+00:00", "Z"),
            "time": item["elapsed_ms"],
            "request": har_request,
            "response": har_response,
            "cache": {},
            "timings": {"send": 0, "wait": item["elapsed_ms"], "receive": 0},
        }
        if item["omitted"]:
            entry["comment"] = f"{' and '.join(item['omitted'])} {_OMITTED}"
        entries.append(entry)
    document = {
        "log": {
            "version": "1.2",
            "creator": {"name": "tallyfy-diag proxy", "version": __version__},
            "pages": [],
            "entries": entries,
        }
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
