"""What an operation handler receives, the registry that maps operation ids to handlers, and shared readers."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import attrs

from tallyfy_diag.sandbox._config import SandboxConfig
from tallyfy_diag.sandbox._errors import forbidden, resource_not_found
from tallyfy_diag.sandbox._pagination import DEFAULT_PER_PAGE, page_of
from tallyfy_diag.sandbox._state import Store
from tallyfy_diag.sandbox._tokens import TokenIssuer
from tallyfy_diag.sandbox._validation import Fields

JsonObject = dict[str, Any]
ADMIN_ROLE = "admin"
ADMIN_ONLY_MESSAGE = "You need to be an administrator of this organization to do this."


@attrs.frozen
class Binary:
    """A non-JSON response body (a file download)."""

    content: bytes = attrs.field(repr=False)
    media_type: str


Result = tuple[int, JsonObject | Binary | None]
"""A status and a body: a JSON object, raw bytes, or None for no body at all."""


@attrs.frozen
class Principal:
    """Who a verified access token acts for: a client, and a user unless it is an application token."""

    client_id: str
    user_id: int | None


@attrs.frozen
class Call:
    store: Store
    issuer: TokenIssuer
    config: SandboxConfig
    principal: Principal | None
    params: dict[str, str]
    query: list[tuple[str, str]]
    body: Any
    url: str
    """The request URL without its query, absolute (for pagination links)."""
    authorization: str | None = None
    webhooks: list[JsonObject] = attrs.field(factory=list)
    """Webhook payloads the handler queued; the app delivers them after the handler succeeds."""

    @property
    def org_id(self) -> str:
        return self.params["org"]

    @property
    def user_id(self) -> int:
        """The acting user (operations that reach a handler with a user-only need have one)."""
        if self.principal is None or self.principal.user_id is None:
            raise resource_not_found()
        return self.principal.user_id

    @property
    def is_application(self) -> bool:
        return self.principal is not None and self.principal.user_id is None

    def require_admin(self) -> None:
        """Operations Tallyfy reserves for administrators."""
        if self.store.users[self.user_id].role != ADMIN_ROLE:
            raise forbidden(ADMIN_ONLY_MESSAGE)

    def query_fields(self) -> Fields:
        # Like PHP, the last of repeated query parameters wins.
        return Fields(dict(self.query), from_query=True)

    def body_fields(self) -> Fields:
        return Fields(self.body if isinstance(self.body, dict) else {})

    def includes(self) -> set[str]:
        value = dict(self.query).get("with", "")
        return {part.strip() for part in value.split(",") if part.strip()}

    def paged(
        self,
        items: Sequence[Any],
        shape: Callable[[Any], JsonObject],
        fields: Fields | None = None,
        default_per_page: int = DEFAULT_PER_PAGE,
    ) -> Result:
        """200 with one page of `items`, after validating page and per_page (and any other `fields`)."""
        fields = fields or self.query_fields()
        page = fields.integer("page", minimum=1) or 1
        per_page = fields.integer("per_page", minimum=1) or default_per_page
        fields.check()
        chosen, meta = page_of(items, page=page, per_page=per_page, url=self.url, query=self.query)
        return 200, {"data": [shape(item) for item in chosen], "meta": meta}


Handler = Callable[[Call], Result]
HANDLERS: dict[str, Handler] = {}


def handles(operation_id: str) -> Callable[[Handler], Handler]:
    """Register a handler for one spec operation."""

    def register(handler: Handler) -> Handler:
        HANDLERS[operation_id] = handler
        return handler

    return register
