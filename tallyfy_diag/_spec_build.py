"""Compile spec/tallyfy.openapi.yaml into the JSON the package reads at run time.

Parsing the 190 KB YAML costs about a hundred milliseconds on every start; the same data as JSON loads in a
couple. The compiled file is two lines of JSON: a header (the SHA-256 of the YAML it came from, and the index
of operations that the client and the diagnostics need), then the whole document (for the sandbox and the
webhook schemas), so a command that needs only the index never parses the document. The digest lets the
run-time loader tell a stale file from a current one (it then falls back to the YAML), and a test fails until
the file is rebuilt.

    python -m tallyfy_diag._spec_build          # rewrite tallyfy_diag/_data/tallyfy.openapi.json
    python -m tallyfy_diag._spec_build --check  # exit 1 when the committed file is stale

Needs only PyYAML and the package's own constants (the noxfile's generate session runs it from the checkout).
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tallyfy_diag._constants import REQUIRES_USER_EXTENSION

PACKAGE_DIR = Path(__file__).resolve().parent
SPEC_FILE = PACKAGE_DIR.parent / "spec" / "tallyfy.openapi.yaml"
COMPILED_FILE = PACKAGE_DIR / "_data" / "tallyfy.openapi.json"
FORMAT_VERSION = 2
HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options")
_NOTE = "Generated from spec/tallyfy.openapi.yaml; do not edit: run `nox -s generate`."


def spec_digest(spec_bytes: bytes) -> str:
    return hashlib.sha256(spec_bytes).hexdigest()


def parse_yaml(spec_bytes: bytes) -> dict[str, Any]:
    import yaml  # noqa: PLC0415 - only the build and a stale compiled file need it

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    document: dict[str, Any] = yaml.load(spec_bytes, Loader=loader)  # noqa: S506 - a safe loader
    return document


def operation_rows(document: dict[str, Any]) -> list[list[Any]]:
    """`[operation_id, METHOD, path_template, tag, requires_user]` for every operation, in document order."""
    rows: list[list[Any]] = []
    for template, item in document.get("paths", {}).items():
        for method in HTTP_METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            tag = (operation.get("tags") or ["default"])[0]
            requires_user = bool(operation.get(REQUIRES_USER_EXTENSION, True))
            rows.append([operation["operationId"], method.upper(), template, tag, requires_user])
    return rows


def compile_spec(spec_bytes: bytes) -> str:
    """The compiled file's text for a spec: a header line (digest, operation index), then the document."""
    document = parse_yaml(spec_bytes)
    header = {
        "note": _NOTE,
        "format": FORMAT_VERSION,
        "spec_sha256": spec_digest(spec_bytes),
        "operations": operation_rows(document),
    }
    # JSON escapes newlines inside strings, so each part stays on its one line. A YAML value JSON cannot carry
    # (NaN, a date) fails here; one it would change (a number as a key) below.
    body = json.dumps(document, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    if json.loads(body) != document:
        raise ValueError("the spec has a value JSON cannot represent faithfully (a non-string key?)")
    return json.dumps(header, ensure_ascii=False, separators=(",", ":")) + "\n" + body + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    fresh = compile_spec(SPEC_FILE.read_bytes())
    if arguments == ["--check"]:
        current = COMPILED_FILE.read_text(encoding="utf-8") if COMPILED_FILE.is_file() else ""
        if current != fresh:
            print(f"{COMPILED_FILE.name} is stale: run `nox -s generate`", file=sys.stderr)
            return 1
        return 0
    if arguments:
        print("usage: python -m tallyfy_diag._spec_build [--check]", file=sys.stderr)
        return 2
    COMPILED_FILE.parent.mkdir(exist_ok=True)
    COMPILED_FILE.write_text(fresh, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
