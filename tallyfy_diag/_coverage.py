"""The coverage table, docs/coverage.md: each Tallyfy resource with its spec operations, sandbox support and
tests. It is generated, never typed, so it cannot drift:

    python -m tallyfy_diag._coverage           # rewrite docs/coverage.md (run from the checkout)
    python -m tallyfy_diag._coverage --check   # exit 1 when docs/coverage.md is stale

Sources: operations and resources from the spec; sandbox support from the sandbox's handler registry; tests
from the test files, read (not run): a test file exercises an operation when it imports the operation's
generated module (`from tallyfy_client.api.<tag> import <operation>`) or names it in a `WireCase(...)` row (or a
`derived_case(...)` row, built from the spec's examples). The Sources column is the spec's `x-sources` (which of
Tallyfy's public sources show the operation) or, where none does, `unverified`.
Works from a source checkout only (the tests are not installed).
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

import attrs

from tallyfy_diag._spec import Operation, load_spec, operations

TABLE = Path("docs") / "coverage.md"
_API_PACKAGE = "tallyfy_client.api"
_WIRE_ROWS = frozenset({"WireCase", "derived_case"})


@attrs.frozen
class Row:
    operation: Operation
    sandbox: bool
    wire_test: bool
    tests: tuple[str, ...]
    """Test files, relative to the checkout, that exercise the operation (wire test files excluded)."""
    sources: tuple[str, ...] = ()
    """The source tags of the operation's `x-sources` (DOC, CLI, SDK, N8N, MCP, PPC), in order of authority."""


def _named_operations(tree: ast.AST, known: set[str]) -> tuple[set[str], set[str]]:
    """(operations imported from the generated client, operations named in WireCase rows) in one module."""
    imported: set[str] = set()
    wired: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith(_API_PACKAGE + "."):
            last = node.module.rsplit(".", 1)[-1]
            imported |= {last} & known if node.module.count(".") == 3 else {a.name for a in node.names} & known
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in _WIRE_ROWS:
            first = node.args[0] if node.args else None
            if isinstance(first, ast.Constant) and first.value in known:
                wired.add(first.value)
    return imported, wired


def scan_tests(tests_dir: Path, known: set[str]) -> tuple[dict[str, set[str]], set[str]]:
    """Which test files import each operation, and which operations have a wire-test row."""
    by_operation: dict[str, set[str]] = {name: set() for name in known}
    wired: set[str] = set()
    for source in sorted(tests_dir.rglob("*.py")):
        text = source.read_text(encoding="utf-8")
        # Both need an identifier in the text (the package's first name, or a row function's), which no spacing
        # can split: a module naming neither is not parsed at all (most of them; parsing is most of the cost).
        if _API_PACKAGE.partition(".")[0] not in text and not any(row in text for row in _WIRE_ROWS):
            continue
        tree = ast.parse(text, filename=str(source))
        imported, rows = _named_operations(tree, known)
        wired |= rows
        if rows:
            continue  # the wire-test table has its own column
        relative = source.relative_to(tests_dir.parent).as_posix()
        for name in imported:
            by_operation[name].add(relative)
    return by_operation, wired


def sandbox_operations() -> set[str]:
    """Operation ids the sandbox has a handler for (handlers register when the app module is imported)."""
    import tallyfy_diag.sandbox._app  # noqa: F401, PLC0415 - registers the handlers
    from tallyfy_diag.sandbox._call import HANDLERS  # noqa: PLC0415

    return set(HANDLERS)


def build_rows(root: Path) -> list[Row]:
    known = {operation.operation_id for operation in operations()}
    by_operation, wired = scan_tests(root / "tests", known)
    served = sandbox_operations()
    ordered = sorted(operations(), key=lambda op: (op.path_template, op.method))
    return [
        Row(
            op,
            op.operation_id in served,
            op.operation_id in wired,
            tuple(sorted(by_operation[op.operation_id])),
            source_tags(op),
        )
        for op in ordered
    ]


_AUTHORITY = ("DOC", "CLI", "SDK", "N8N", "MCP", "PPC")


def source_tags(operation: Operation) -> tuple[str, ...]:
    """The distinct sources of an operation's `x-sources`, most authoritative first (empty: unverified)."""
    raw = load_spec()["paths"][operation.path_template][operation.method.lower()]
    found = {str(entry.get("source")) for entry in raw.get("x-sources", [])}
    return tuple(tag for tag in _AUTHORITY if tag in found) + tuple(sorted(found - set(_AUTHORITY)))


def _mark(flag: bool) -> str:
    return "yes" if flag else "**no**"


def render(rows: Iterable[Row]) -> str:
    spec = load_spec()
    tags = [tag["name"] for tag in spec.get("tags", [])]
    descriptions = {tag["name"]: " ".join(tag.get("description", "").split()) for tag in spec.get("tags", [])}
    rows = list(rows)
    lines = [
        "# Coverage: the Tallyfy API in this project",
        "",
        "Generated by `python -m tallyfy_diag._coverage` from the spec, the sandbox and the test files; do not",
        "edit by hand (a test fails when this file is stale). *User* is the spec's `x-requires-user`;",
        "*Sandbox* means the local sandbox serves the operation; *Wire* means a wire test drives it through the",
        "generated client (tests/test_wire_all_operations.py); *Other tests* import its generated module;",
        "*Sources* are Tallyfy's public sources that show it (the spec's `x-sources`: DOC docs, CLI, SDK, N8N,",
        "MCP server, PPC Power Platform connector), or *unverified* when none does (`x-unverified`).",
        "",
        f"{len(rows)} operations; sandbox serves {sum(r.sandbox for r in rows)}; "
        f"wire-tested {sum(r.wire_test for r in rows)}; "
        f"shown by two or more sources {sum(len(r.sources) >= 2 for r in rows)}; "
        f"unverified {sum(not r.sources for r in rows)}.",
    ]
    for tag in tags + sorted({r.operation.tag for r in rows} - set(tags)):
        group = [row for row in rows if row.operation.tag == tag]
        if not group:
            continue
        lines += ["", f"## {tag}", "", descriptions.get(tag, ""), ""]
        lines += [
            "| Operation | Request | Sources | User | Sandbox | Wire | Other tests |",
            "|---|---|---|---|---|---|---|",
        ]
        for row in group:
            op = row.operation
            tests = "<br>".join(f"`{name}`" for name in row.tests) or "-"
            sources = ", ".join(row.sources) or "*unverified*"
            lines.append(
                f"| `{op.operation_id}` | `{op.method} {op.path_template}` | {sources} "
                f"| {'yes' if op.requires_user else 'no'} | {_mark(row.sandbox)} | {_mark(row.wire_test)} | {tests} |"
            )
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    root = Path.cwd()  # the checkout: an installed package has no tests/ beside it
    target = root / TABLE
    text = render(build_rows(root))
    if args == ["--check"]:
        if not target.is_file() or target.read_text(encoding="utf-8") != text:
            print(f"{TABLE} is stale: run `python -m tallyfy_diag._coverage`", file=sys.stderr)
            return 1
        return 0
    if args:
        print("usage: python -m tallyfy_diag._coverage [--check]", file=sys.stderr)
        return 2
    target.parent.mkdir(exist_ok=True)
    target.write_text(text, encoding="utf-8")
    print(f"wrote {TABLE}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
