"""Redaction and capture parsing throughput on 1 MB and 2 MB inputs, benign and pathological: linear code
takes about twice as long on twice the input (the "ratio" column); a quadratic pattern shows ~4.

    python benchmarks/redaction_parsing.py [--runs 3] [--size-mb 1]

Each case is timed in-process in CPU seconds (`time.process_time`: other jobs on a shared machine barely move
it; best of `--runs`) at SIZE and at 2 x SIZE; printed are MB/s at SIZE, the two times, and their ratio.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable

from tallyfy_diag._redact import redact_body, redact_message, redact_text
from tallyfy_diag.diagnostics import explain
from tallyfy_diag.diagnostics._parsers import InputError, parse_capture
from tallyfy_diag.diagnostics._report import render

MB = 1_000_000


def _http(head: str = "", body: str = "") -> str:
    return (
        "GET /api/me HTTP/1.1\r\nHost: go.tallyfy.com\r\nAuthorization: Bearer abc\r\n" + head + "\r\n\r\n"
        "HTTP/1.1 401 Unauthorized\r\nContent-Type: text/plain\r\n\r\n" + body
    )


def _json_body(size: int) -> str:
    item = {"id": "0123456789abcdef0123456789abcdef", "email": "a@example.com", "password": "hunter22", "n": 1}
    count = size // len(json.dumps(item))
    return json.dumps({"data": [item] * count})


# Each case: a name and a function from a size in bytes to the work to time.
TEXT_CASES: dict[str, Callable[[int], str]] = {
    "prose with tokens": lambda n: "see https://h/p?access_token=abc&x=1 and eyJa.eyJb.c ok " * (n // 56),
    "jwt-like run (eyJa...)": lambda n: "eyJa" * (n // 4),
    "unterminated JSON pairs": lambda n: '"password":"\\"' * (n // 15),
    "e-mail-like run (a@a@...)": lambda n: "a@" * (n // 2),
    "form-like run (a=&a=&...)": lambda n: "a=&" * (n // 3),
}


def _on(text: str, redact: Callable[[str], object]) -> Callable[[], object]:
    """Work to time: `redact` on `text`, built before the clock starts."""
    return lambda: redact(text)


def redaction_cases() -> dict[str, Callable[[int], Callable[[], object]]]:
    cases: dict[str, Callable[[int], Callable[[], object]]] = {}
    for name, make in TEXT_CASES.items():
        cases[f"redact_body  {name}"] = lambda n, make=make: _on(make(n), lambda t: redact_body(t, "text/plain"))
        cases[f"redact_msg   {name}"] = lambda n, make=make: _on(make(n), redact_message)
    secrets = ["secret-one", "secret-two"]
    cases["redact_text  known secrets"] = lambda n: _on(
        "x secret-one y secret-two " * (n // 26), lambda t: redact_text(t, secrets)
    )
    cases["redact_body  JSON document"] = lambda n: _on(_json_body(n), lambda t: redact_body(t, "application/json"))
    return cases


def _parse(text: str) -> Callable[[], object]:
    data = text.encode("utf-8")

    def run() -> object:
        try:
            return parse_capture(data)
        except InputError as error:  # a refusal is a result too
            return error

    return run


def _explain_markdown(text: str) -> Callable[[], object]:
    data = text.encode("utf-8")
    return lambda: render(explain(data, name="bench"), "markdown")


PARSING_CASES: dict[str, Callable[[int], Callable[[], object]]] = {
    "parse  raw HTTP, JSON body": lambda n: _parse(_http(body=_json_body(n))),
    "parse  raw HTTP, long path": lambda n: _parse("GET /api/" + "a" * n + " HTTP/1.1\r\nHost: x\r\n\r\n"),
    "parse  curl, ANSI-C escapes": lambda n: _parse("curl https://x/api/me -H $'X: " + "\\x41" * (n // 4) + "'"),
    "parse  curl, ${a runs": lambda n: _parse("curl https://x/api/me -H 'A: " + "${a" * (n // 3) + "'"),
    "parse  HAR, one large body": lambda n: _parse(
        json.dumps(
            {
                "log": {
                    "entries": [
                        {
                            "startedDateTime": "2024-01-01T00:00:00Z",
                            "request": {"method": "GET", "url": "https://go.tallyfy.com/api/me", "headers": []},
                            "response": {"status": 200, "headers": [], "content": {"text": _json_body(n)}},
                        }
                    ]
                }
            }
        )
    ),
    "explain+markdown  long path": lambda n: _explain_markdown(
        "GET /api/" + "a.a@" * (n // 4) + " HTTP/1.1\r\nHost: go.tallyfy.com\r\n\r\n"
    ),
    "explain+markdown  eyJa body": lambda n: _explain_markdown(_http(body="eyJa" * (n // 4))),
    "explain+markdown  WWW-Authenticate": lambda n: _explain_markdown(
        _http(head="X: y").replace("Content-Type: text/plain", "WWW-Authenticate: Bearer " + 'a="\\" ' * (n // 6))
    ),
}


def best_of(runs: int, work: Callable[[], object]) -> float:
    times = []
    for _ in range(runs):
        started = time.process_time()
        work()
        times.append(time.process_time() - started)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--size-mb", type=float, default=1.0)
    args = parser.parse_args()
    size = int(args.size_mb * MB)
    print(f"{'case':48} {'MB/s':>8} {'t(1x) s':>9} {'t(2x) s':>9} {'ratio':>6}")
    for name, make in {**redaction_cases(), **PARSING_CASES}.items():
        single = best_of(args.runs, make(size))
        double = best_of(args.runs, make(2 * size))
        rate = (size / MB) / single if single else float("inf")
        print(f"{name:48} {rate:8.1f} {single:9.3f} {double:9.3f} {double / single:6.2f}", flush=True)


if __name__ == "__main__":
    main()
