"""JSON parsing for untrusted input: one place that turns absurd nesting into a plain ValueError.

`json.loads` raises RecursionError on deeply nested input, and a document it can parse may still be too deep
for the recursive walkers that redact or inspect it. Everything that reads JSON from the network, a capture or a
file goes through `loads`, so callers handle one exception type: ValueError means "not usable JSON".
"""

from __future__ import annotations

import json
from typing import Any, Final

MAX_DEPTH: Final = 64
"""Deeper than any Tallyfy payload; deep enough that real documents never meet it."""


class JSONTooDeep(ValueError):
    """The document nests arrays or objects deeper than MAX_DEPTH."""


def loads(data: str | bytes | bytearray) -> Any:
    """`json.loads`, raising ValueError (never RecursionError) for documents nested deeper than MAX_DEPTH."""
    try:
        value = json.loads(data)
    except RecursionError:
        raise JSONTooDeep(f"JSON nested deeper than {MAX_DEPTH} levels") from None
    if _deeper_than(value, MAX_DEPTH):
        raise JSONTooDeep(f"JSON nested deeper than {MAX_DEPTH} levels")
    return value


def _deeper_than(value: Any, limit: int) -> bool:
    # Iterative on purpose: the point is to protect recursive code from deep input.
    pending: list[tuple[Any, int]] = [(value, 1)]
    while pending:
        node, depth = pending.pop()
        if isinstance(node, dict | list):
            if depth > limit:
                return True
            children = node.values() if isinstance(node, dict) else node
            pending.extend((child, depth + 1) for child in children)
    return False
