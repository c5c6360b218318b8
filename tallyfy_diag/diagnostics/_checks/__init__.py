"""The check catalogue: importing this package registers every check in `REGISTRY`, one module per family."""

from tallyfy_diag.diagnostics._checks import (
    cors,
    dates,
    errors,
    headers,
    responses,
    token_request,
    tokens,
    urls,
)

__all__ = ["cors", "dates", "errors", "headers", "responses", "token_request", "tokens", "urls"]
