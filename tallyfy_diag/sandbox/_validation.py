"""Reading request fields the way Laravel validates them: every bad field reported at once, by name.

JSON bodies are typed strictly (an integer field takes a JSON integer, not "5"); query strings are text, so
their integers and booleans are parsed. Messages follow Laravel's wording, naming the field.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from tallyfy_diag._date_rule import REQUEST_DAY_PATTERN, RULE_TEXT
from tallyfy_diag.sandbox._dates import parse_request_date
from tallyfy_diag.sandbox._errors import invalid

HEX_ID = re.compile(r"[0-9a-f]{32}")
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_TRUE, _FALSE = frozenset({"true", "1"}), frozenset({"false", "0"})
DATE_RULE = RULE_TEXT
_DAY = re.compile(REQUEST_DAY_PATTERN)


def _words(name: str) -> str:
    return name.rsplit(".", 1)[-1].replace("_", " ")


class Fields:
    """Typed access to one JSON object (or query string) that collects errors keyed by dotted field name."""

    def __init__(self, source: Mapping[str, Any], *, from_query: bool = False, prefix: str = "") -> None:
        self.source = source
        self.from_query = from_query
        self.prefix = prefix
        self.errors: dict[str, list[str]] = {}

    def key(self, name: str) -> str:
        return f"{self.prefix}{name}"

    def fail(self, name: str, message: str) -> None:
        self.errors.setdefault(self.key(name), []).append(message)

    def _get(self, name: str, required: bool, kind: str) -> Any:
        """The field's value, or None when it is absent (an error if required) or unusable.

        JSON `null` is not a value of any field type the spec declares, so it is an error, not "absent".
        """
        value = self.source.get(name)
        absent = name not in self.source or (self.from_query and value == "")
        if absent or value is None:
            if required:
                self.fail(name, f"The {_words(name)} field is required.")
            elif not absent:
                self.fail(name, f"The {_words(name)} must be {kind}.")
            return None
        return value

    def string(self, name: str, *, required: bool = False, max_length: int | None = None) -> str | None:
        value = self._get(name, required, "a string")
        if value is None:
            return None
        if not isinstance(value, str):
            self.fail(name, f"The {_words(name)} must be a string.")
            return None
        if required and not value.strip():
            self.fail(name, f"The {_words(name)} field is required.")
            return None
        if max_length is not None and len(value) > max_length:
            self.fail(name, f"The {_words(name)} may not be greater than {max_length} characters.")
            return None
        return value

    def hex_id(self, name: str, *, required: bool = False) -> str | None:
        value = self.string(name, required=required)
        if value is not None and not HEX_ID.fullmatch(value):
            self.fail(name, f"The {_words(name)} format is invalid.")
            return None
        return value

    def integer(self, name: str, *, required: bool = False, minimum: int | None = None) -> int | None:
        value = self._get(name, required, "an integer")
        if value is None:
            return None
        if self.from_query and isinstance(value, str) and re.fullmatch(r"-?\d{1,18}", value):
            value = int(value)
        if not isinstance(value, int) or isinstance(value, bool):
            self.fail(name, f"The {_words(name)} must be an integer.")
            return None
        if minimum is not None and value < minimum:
            self.fail(name, f"The {_words(name)} must be at least {minimum}.")
            return None
        return value

    def boolean(self, name: str) -> bool | None:
        value = self._get(name, False, "true or false")
        if value is None:
            return None
        if self.from_query and isinstance(value, str) and value.lower() in _TRUE | _FALSE:
            return value.lower() in _TRUE
        if not isinstance(value, bool):
            self.fail(name, f"The {_words(name)} field must be true or false.")
            return None
        return value

    def mapping(self, name: str) -> dict[str, Any] | None:
        value = self._get(name, False, "an object")
        if value is None:
            return None
        if not isinstance(value, dict):
            self.fail(name, f"The {_words(name)} must be an object.")
            return None
        return value

    def url(self, name: str) -> str | None:
        value = self.string(name)
        if value is not None:
            parts = urlsplit(value)
            if parts.scheme not in {"http", "https"} or not parts.netloc or any(c.isspace() for c in value):
                self.fail(name, f"The {_words(name)} format is invalid.")
                return None
        return value

    def date(self, name: str, *, required: bool = False) -> dt.datetime | None:
        value = self._get(name, required, f"a date in the format {DATE_RULE}")
        if value is None:
            return None
        parsed = parse_request_date(value)
        if parsed is None:
            self.fail(name, f"The {_words(name)} does not match the format {DATE_RULE}.")
        return parsed

    def day(self, name: str) -> dt.date | None:
        """A day filter: `Y-m-d` (Tallyfy's list-tasks page) or a full request date, whose day counts."""
        value = self._get(name, False, "a date in the format Y-m-d")
        if value is None:
            return None
        if isinstance(value, str) and _DAY.fullmatch(value):
            try:
                return dt.date.fromisoformat(value)
            except ValueError:
                pass
        parsed = parse_request_date(value)
        if parsed is None:
            self.fail(name, f"The {_words(name)} does not match the format Y-m-d.")
            return None
        return parsed.date()

    def list_of(self, name: str, kind: type, *, email: bool = False) -> list[Any] | None:
        value = self._get(name, False, "an array")
        if value is None:
            return None
        if not isinstance(value, list):
            self.fail(name, f"The {_words(name)} must be an array.")
            return None
        for index, item in enumerate(value):
            wrong_type = not isinstance(item, kind) or isinstance(item, bool)
            if wrong_type or (email and not EMAIL.fullmatch(item)):
                self.fail(f"{name}.{index}", f"The {name}.{index} is invalid.")
                return None
        return value

    def nested(self, name: str) -> Fields | None:
        """A reader for an object field whose errors land in this one, prefixed `name.`."""
        value = self.mapping(name)
        if value is None:
            return None
        child = Fields(value, prefix=self.key(name) + ".")
        child.errors = self.errors
        return child

    def check(self) -> None:
        """Raise 422 naming every bad field, if any."""
        if self.errors:
            raise invalid(self.errors)
