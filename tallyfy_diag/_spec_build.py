"""Compile spec/tallyfy.openapi.yaml into the JSON document the package reads at run time.

Parsing the 190 KB YAML costs about a hundred milliseconds on every start; the same document as compact JSON
loads in a couple. The compiled file records the SHA-256 of the YAML it came from, so the run-time loader can
tell a stale file from a current one (and then falls back to the YAML), and a test fails until it is rebuilt.

    python tallyfy_diag/_spec_build.py          # rewrite tallyfy_diag/_data/tallyfy.openapi.json
    python tallyfy_diag/_spec_build.py --check  # exit 1 when the committed file is stale

Runs as a plain script with only PyYAML installed (the noxfile's generate session), so it imports nothing
from the package.
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

PACKAGE_DIR = Path(__file__).resolve().parent
SPEC_FILE = PACKAGE_DIR.parent / "spec" / "tallyfy.openapi.yaml"
COMPILED_FILE = PACKAGE_DIR / "_data" / "tallyfy.openapi.json"
FORMAT_VERSION = 1
_NOTE = "Generated from spec/tallyfy.openapi.yaml; do not edit: run `nox -s generate`."


def spec_digest(spec_bytes: bytes) -> str:
    return hashlib.sha256(spec_bytes).hexdigest()


def parse_yaml(spec_bytes: bytes) -> dict[str, Any]:
    import yaml  # noqa: PLC0415 - only the build and a stale compiled file need it

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    document: dict[str, Any] = yaml.load(spec_bytes, Loader=loader)  # noqa: S506 - a safe loader
    return document


def compile_spec(spec_bytes: bytes) -> str:
    """The compiled file's text for a spec: its digest and the document, key order kept, one line."""
    document = parse_yaml(spec_bytes)
    compiled = {"note": _NOTE, "format": FORMAT_VERSION, "spec_sha256": spec_digest(spec_bytes), "document": document}
    # A YAML value JSON cannot carry (NaN, a date) fails here; one it would change (a number as a key) below.
    text = json.dumps(compiled, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    if json.loads(text)["document"] != document:
        raise ValueError("the spec has a value JSON cannot represent faithfully (a non-string key?)")
    return text + "\n"


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
        print("usage: _spec_build.py [--check]", file=sys.stderr)
        return 2
    COMPILED_FILE.parent.mkdir(exist_ok=True)
    COMPILED_FILE.write_text(fresh, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
