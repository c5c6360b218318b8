"""`tallyfy-diag cassettes check PATH...`: recorded traffic against the current spec, and scanned for secrets.

Exit 0 when every file is clean, 1 when one drifted from the spec or holds a secret, 2 when a file cannot be
read (or bad usage). `--scrub` rewrites leaking files in place (a `.bak` copy of each is kept) and then checks
them again, so the exit code says whether they are clean now.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tallyfy_diag.cli._exit import ExitCode, UsageError

if TYPE_CHECKING:
    from tallyfy_diag.proxy._cassettes import CassetteResult

DESCRIPTION = """\
Check VCR cassettes (.yaml, .yml, .json) and HAR files (.har), given as files or directories (searched
recursively):

- drift: every recorded exchange is matched to an operation of the spec and its response validated against
  the current spec; a mismatch is named by file, exchange number and field path;
- secrets: every header, URL and body is scanned for JWTs, Tallyfy refresh tokens (def50200...),
  client_secret / password / token fields, and Authorization and Cookie headers that are not placeholders.

--scrub rewrites each leaking file in place with the scrubber of the pytest plugin (keeping FILE.bak), never
changing the method or URI replay matches on; a secret inside a URI is left for you to re-record.
"""


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "cassettes",
        help="check recorded cassettes and HAR files for spec drift and secrets",
        description="Keep recorded Tallyfy traffic honest.",
    )
    actions = parser.add_subparsers(title="actions", metavar="ACTION", parser_class=type(parser))
    check = actions.add_parser(
        "check",
        help="check cassettes and HAR files against the spec and for secrets",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="Exit codes: 0 clean, 1 drift or a secret found, 2 a file cannot be read or bad usage.",
    )
    check.add_argument("paths", nargs="+", type=Path, metavar="PATH", help="cassette files or directories")
    check.add_argument("--scrub", action="store_true", help="rewrite leaking files in place (keeps FILE.bak)")
    check.add_argument("--no-drift", action="store_true", help="scan for secrets only")
    check.add_argument("--format", choices=("human", "json"), default="human", help="human (default) or json")
    check.set_defaults(handler=run_check)
    parser.set_defaults(handler=_need_action(parser))


def _need_action(parser: argparse.ArgumentParser) -> Any:
    def handler(_args: argparse.Namespace) -> int:
        raise UsageError(f"{parser.prog}: choose an action: check (see --help)")

    return handler


def _human(results: list[CassetteResult], scrubbed: list[str]) -> str:
    lines: list[str] = []
    for result in results:
        if result.error is not None:
            lines.append(f"{result.path}: unreadable: {result.error}")
            continue
        if not result.findings:
            lines.append(f"{result.path}: {result.exchanges} exchange(s), clean")
        lines += [finding.text() for finding in result.findings]
    lines += [f"{path}: scrubbed in place (original kept as {path}.bak)" for path in scrubbed]
    secrets = sum(1 for result in results for finding in result.findings if finding.kind == "secret")
    drift = sum(1 for result in results for finding in result.findings if finding.kind == "drift")
    unreadable = sum(1 for result in results if result.error is not None)
    lines.append(
        f"{len(results)} file(s): {secrets} secret(s), {drift} drift finding(s)"
        + (f", {unreadable} unreadable" if unreadable else "")
    )
    return "\n".join(lines) + "\n"


def run_check(args: argparse.Namespace) -> int:
    from tallyfy_diag.proxy._cassettes import ScrubError, cassette_files, check_file, scrub  # noqa: PLC0415

    for path in args.paths:
        if not path.exists():
            raise UsageError(f"{path}: no such file or directory")
    files = cassette_files(args.paths)
    if not files:
        raise UsageError("no cassettes found (.yaml, .yml, .json or .har) under the given paths")
    results = [check_file(path) for path in files]
    scrubbed: list[str] = []
    if args.scrub:
        for index, result in enumerate(results):
            if result.error is None and result.leaks:
                try:
                    scrub(Path(result.path))
                except ScrubError as error:
                    raise UsageError(str(error)) from None
                scrubbed.append(result.path)
                results[index] = check_file(Path(result.path))
    if args.no_drift:
        results = [
            attrs_evolve(result, tuple(finding for finding in result.findings if finding.kind != "drift"))
            for result in results
        ]
    if args.format == "json":
        document = {
            "version": 1,
            "files": [
                {
                    "path": result.path,
                    "exchanges": result.exchanges,
                    "error": result.error,
                    "findings": [finding.to_json() for finding in result.findings],
                }
                for result in results
            ],
            "scrubbed": scrubbed,
        }
        sys.stdout.write(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    else:
        sys.stdout.write(_human(results, scrubbed))
    if any(result.error is not None for result in results):
        return ExitCode.USAGE
    return ExitCode.FINDINGS if any(result.findings for result in results) else ExitCode.OK


def attrs_evolve(result: CassetteResult, findings: tuple[Any, ...]) -> CassetteResult:
    import attrs  # noqa: PLC0415

    return attrs.evolve(result, findings=findings)
