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


_CONTAINERS: Final = (dict, list)


class JSONTooDeep(ValueError):
    """The document nests arrays or objects deeper than MAX_DEPTH."""


def loads(data: str | bytes | bytearray) -> Any:
    """`json.loads`, raising ValueError (never RecursionError) for documents nested deeper than MAX_DEPTH."""
    try:
        value = json.loads(data)
    except RecursionError:
        raise JSONTooDeep(f"JSON nested deeper than {MAX_DEPTH} levels") from None
    if _may_nest_deeper(data, MAX_DEPTH) and _deeper_than(value, MAX_DEPTH):
        raise JSONTooDeep(f"JSON nested deeper than {MAX_DEPTH} levels")
    return value


def loads_for_models(data: str | bytes | bytearray) -> Any:
    """`json.loads` with RecursionError as ValueError, without the depth walk: for a response body that only the
    generated models read. They descend as deep as the spec's schemas, never as deep as the document (anything
    unknown is kept as it is), so the walk would protect nothing here while costing a third of a page's parse.
    Redaction, inspection and anything else that walks a document uses `loads`."""
    try:
        return json.loads(data)
    except RecursionError:
        raise JSONTooDeep("JSON nested too deeply to parse") from None


def _may_nest_deeper(data: str | bytes | bytearray, limit: int) -> bool:
    """False when the text has too few brackets to nest deeper than `limit`: a C-speed count spares the walk
    on small bodies (every container opens with a literal bracket byte, whatever the encoding)."""
    if isinstance(data, str):
        return data.count("{") + data.count("[") > limit
    return data.count(b"{") + data.count(b"[") > limit


def _deeper_than(value: Any, limit: int) -> bool:
    # Iterative on purpose: the point is to protect recursive code from deep input. Level by level, keeping
    # only containers: scalars (most of any document) cost one type check each.
    level = [value] if isinstance(value, dict | list) else []
    depth = 1
    while level:
        if depth > limit:
            return True
        deeper: list[Any] = []
        keep = deeper.append
        for node in level:
            for child in node.values() if type(node) is dict else node:
                if isinstance(child, _CONTAINERS):
                    keep(child)
        level = deeper
        depth += 1
    return False
