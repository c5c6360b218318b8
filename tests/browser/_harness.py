"""Runs fetch() in headless Chromium from a page on one origin against servers on others, and reports back.

The page is served by a small local server (origin A). Its script makes one cross-origin call per "probe", one
after another, then POSTs what the browser let it see (did fetch() resolve, which response headers could it
read) back to origin A. No WebDriver: Chromium is started headless on the page's URL and stopped once the results
have arrived. Chromium's console goes to a log file, and each CORS error it printed ("Access to fetch at ...
has been blocked by CORS policy: ...") is given to the probe that failed, so tests can compare wording too.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import attrs

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
    "--no-default-browser-check",
    # The console (where Chromium explains a CORS failure) goes to stderr.
    "--enable-logging=stderr",
    "--v=0",
)

PAGE = """<!doctype html>
<html><body><pre id="log">running</pre>
<script>
const probes = %(probes)s;
async function runOne(probe) {
  const init = {method: probe.method, headers: probe.headers, mode: "cors",
                credentials: probe.credentials ? "include" : "same-origin"};
  if (probe.body !== null) init.body = probe.body;
  try {
    const response = await fetch(probe.url, init);
    const readable = {};
    for (const name of probe.read_headers) readable[name] = response.headers.get(name);
    return {name: probe.name, ok: true, status: response.status, readable: readable, error: null};
  } catch (error) {
    return {name: probe.name, ok: false, status: null, readable: {}, error: String(error)};
  }
}
(async () => {
  const results = [];
  for (const probe of probes) results.push(await runOne(probe));
  await fetch("/result", {method: "POST", body: JSON.stringify(results)});
  document.getElementById("log").textContent = "done";
})();
</script></body></html>
"""
# `[pid:tid:time:INFO:CONSOLE:0] "Access to fetch at 'URL' from origin 'O' has been blocked ...", source: ...`
_CORS_CONSOLE_LINE = re.compile(r':CONSOLE[^\]]*\] "(Access to fetch at \'([^\']*)\' .*)", source: ')


@attrs.frozen
class Probe:
    """One cross-origin call the page makes."""

    name: str
    url: str
    method: str = "GET"
    headers: dict[str, str] = attrs.Factory(dict)
    credentials: bool = False
    body: str | None = None
    read_headers: tuple[str, ...] = ()


@attrs.frozen
class BrowserOutcome:
    """What the page's script saw, and what Chromium printed in the console about it."""

    name: str
    ok: bool
    status: int | None
    readable: dict[str, str | None]
    error: str | None
    console: str | None = None
    """Chromium's console message for a call blocked by CORS."""

    def readable_names(self) -> set[str]:
        return {name for name, value in self.readable.items() if value is not None}


def find_chromium() -> str | None:
    """$CHROME_BIN, else the first Chromium or Chrome on PATH."""
    configured = os.environ.get("CHROME_BIN")
    if configured and shutil.which(configured):
        return shutil.which(configured)
    for name in CHROMIUM_NAMES:
        path = shutil.which(name)
        if path:
            return path
    return None


class _PageServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _PageHandler)
        self.page = b""
        self.results: list[dict[str, Any]] | None = None
        self.done = threading.Event()

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Chromium drops its connections when it is stopped; that is not the test's business.
        return


class _PageHandler(BaseHTTPRequestHandler):
    server: _PageServer

    def do_GET(self) -> None:
        body = self.server.page if self.path.startswith("/page") else b""
        self.send_response(200 if body else 404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        self.server.results = json.loads(self.rfile.read(length))
        self.send_response(204)
        self.end_headers()
        self.server.done.set()

    def log_message(self, format: str, *args: Any) -> None:  # quiet: tests read results, not logs
        return


@contextmanager
def page_server() -> Iterator[_PageServer]:
    """Origin A: serves the probe page (see `set_probes`) and collects the results."""
    server = _PageServer()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def set_probes(server: _PageServer, probes: Sequence[Probe]) -> None:
    server.page = (PAGE % {"probes": json.dumps([attrs.asdict(probe) for probe in probes])}).encode()
    server.results = None
    server.done.clear()


def cors_console_messages(log: str) -> list[tuple[str, str]]:
    """(URL, message) for each CORS error in Chromium's console log, in order."""
    return [(match.group(2), match.group(1)) for match in _CORS_CONSOLE_LINE.finditer(log)]


def _with_console(results: list[dict[str, Any]], probes: Sequence[Probe], log: str) -> list[BrowserOutcome]:
    """Give each console message to the next failed probe with its URL (probes run one at a time, in order)."""
    pending = cors_console_messages(log)
    urls = {probe.name: probe.url for probe in probes}
    outcomes = []
    for result in results:
        console = None
        if not result["ok"]:
            found = next((item for item in pending if item[0] == urls[result["name"]]), None)
            if found is not None:
                pending.remove(found)
                console = found[1]
        outcomes.append(BrowserOutcome(**result, console=console))
    return outcomes


def _wait_for_results(server: _PageServer, process: subprocess.Popen[bytes], log_path: Path, timeout: float) -> None:
    """Until the page posts its results; a Chromium that dies or hangs fails with the end of its log."""
    deadline = time.monotonic() + timeout
    while not server.done.wait(0.1):
        if process.poll() is not None or time.monotonic() > deadline:
            tail = log_path.read_text(encoding="utf-8", errors="replace").splitlines()[-15:]
            what = f"exited with {process.returncode}" if process.returncode is not None else "timed out"
            raise RuntimeError(f"Chromium {what} before the page reported:\n" + "\n".join(tail))


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Stop Chromium and every process it started. Its helpers (renderer, GPU, utility) outlive the browser
    process for a moment and go on writing into the profile: removing the profile under them failed ("Directory not
    empty"), erroring every browser test, on a busy machine."""
    group = process.pid  # the group leader's id (start_new_session)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(group, signal.SIGTERM)
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    deadline = time.monotonic() + 10
    while True:
        try:
            os.killpg(group, signal.SIGKILL if time.monotonic() > deadline else 0)
        except ProcessLookupError:
            return  # no process of the group is left
        time.sleep(0.02)


def run_in_chromium(
    chromium: str, server: _PageServer, probes: Sequence[Probe], timeout: float = 60.0
) -> list[BrowserOutcome]:
    """Load a page that runs `probes` in a fresh headless Chromium and return what each saw, in order."""
    set_probes(server, probes)
    with tempfile.TemporaryDirectory(prefix="tallyfy-diag-chromium-") as scratch:
        profile = Path(scratch, "profile")
        log_path = Path(scratch, "chromium.log")
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", f"{server.origin}/page.html"],
                stdout=subprocess.DEVNULL,
                stderr=log,
                env={**os.environ, "HOME": scratch},
                start_new_session=True,  # its own process group: see _stop
            )
            try:
                _wait_for_results(server, process, log_path, timeout)
            finally:
                _stop(process)
        console = log_path.read_text(encoding="utf-8", errors="replace")
    if server.results is None:
        raise RuntimeError("the page posted no results")
    return _with_console(server.results, probes, console)
