"""Recordings keep binary bodies exactly, leave out what the proxy did not keep whole, and say so."""

from __future__ import annotations

import gzip
import json

import httpx
import pytest
import yaml

from tallyfy_diag.diagnostics import parse_capture
from tallyfy_diag.proxy import Proxy, Recorder, RecordingError
from tallyfy_diag.proxy._app import CAPTURE_LIMIT

BINARY = bytes(range(256)) * 16
LARGE = b"z" * (CAPTURE_LIMIT + 1)


def upstream(request: httpx.Request) -> httpx.Response:
    if request.url.path.endswith("/dl"):
        return httpx.Response(200, headers={"Content-Type": "application/octet-stream"}, content=BINARY)
    if request.url.path.endswith("/big"):
        return httpx.Response(200, headers={"Content-Type": "application/json"}, content=LARGE)
    body = gzip.compress(json.dumps({"data": {"id": 7, "email": "a@b.test"}}).encode())
    headers = {"Content-Type": "application/json", "Content-Encoding": "gzip"}
    return httpx.Response(200, headers=headers, stream=httpx.ByteStream(body))  # a stream: passed on still gzipped


@pytest.mark.parametrize("suffix", [".har", ".yaml"])
def test_binary_compressed_and_oversized_bodies(tmp_path, suffix):
    path = tmp_path / f"rec{suffix}"
    with Proxy("http://upstream.test/api", recorder=Recorder(path), transport=httpx.MockTransport(upstream)) as proxy:
        with httpx.Client(timeout=10) as client:
            assert client.get(proxy.base_url + "/organizations/o/file/f/dl").content == BINARY
            assert client.get(proxy.base_url + "/me").json()["data"]["id"] == 7
            assert len(client.get(proxy.base_url + "/big").content) == len(LARGE)
        proxy.drain()
        judged = list(proxy.judged)
    # The gzip body was judged decompressed: it matches the spec and reads as JSON.
    assert not {f.check for f in judged[1].findings} & {"spec-response", "connectivity"}
    download, me, big = parse_capture(path.read_bytes()).exchanges
    assert download.response.body == BINARY
    assert json.loads(me.response.body) == {"data": {"id": 7, "email": "a@b.test"}}
    assert me.response.header("content-encoding") is None  # recorded decompressed, as vcrpy records
    assert big.response.body == b""
    if suffix == ".har":
        entry = json.loads(path.read_text())["log"]["entries"][2]
        assert entry["comment"].startswith("response body not recorded")
    else:
        assert yaml.safe_load(path.read_text())["interactions"][0]["response"]["body"]["string"] == BINARY


def test_a_recording_needs_a_known_suffix_and_an_existing_folder(tmp_path):
    with pytest.raises(RecordingError, match=r"\.har"):
        Recorder(tmp_path / "out.txt")
    with pytest.raises(RecordingError, match="folder does not exist"):
        Recorder(tmp_path / "missing" / "out.har")
