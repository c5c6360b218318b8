"""A generated parser tripping over a body, as the client's typed error.

Apart from `_errors` because it needs the generated package (for `UnexpectedStatus`): a command that only
needs the errors and the auth flow, such as `doctor`, does not import it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

import httpx
from tallyfy_client.errors import UnexpectedStatus

from tallyfy_diag.client._errors import UnexpectedResponseError, unexpected_response

# What a generated parser raises when a 2xx body has not the documented shape (a required key missing, a
# field of the wrong type, a status its parser does not list).
PARSE_ERRORS: Final = (KeyError, TypeError, ValueError, AttributeError, UnexpectedStatus)


def schema_mismatch(
    response: httpx.Response, error: BaseException | str, *, secrets: Iterable[str] = ()
) -> UnexpectedResponseError:
    """A body without the documented shape, as the typed error: `error` is what a generated parser raised
    (one of `PARSE_ERRORS`), or what the client itself found wrong."""
    detail = error if isinstance(error, str) else type(error).__name__
    return unexpected_response(
        response, f"a body that does not match the documented schema ({detail})", secrets=secrets
    )
