"""How a sandbox behaves: its configuration and the named scenarios that switch on documented traps.

`SandboxConfig.scenario` names an entry of `SCENARIOS`; the app applies it once, at creation
(`effective_config`), so `SandboxConfig(scenario="missing-client-header-401")` is all a caller writes. The clock offset
moves the `Date` header only: it models a server whose clock disagrees with the client's, while token
expiry follows the server clock (`clock`, moved by `Sandbox.advance_clock`).
"""

from __future__ import annotations

import enum
import time
from collections.abc import Callable, Iterable, Mapping
from types import MappingProxyType
from typing import Any, Final
from urllib.parse import urlsplit

import attrs


class CorsFault(enum.Enum):
    """CORS misconfigurations a real deployment might have, switched on by scenarios."""

    MISSING_CLIENT_HEADER = "missing-client-header"
    """Preflights allow Authorization but not X-Tallyfy-Client."""
    WILDCARD_WITH_CREDENTIALS = "wildcard-credentials"
    """`Access-Control-Allow-Origin: *` together with `Access-Control-Allow-Credentials: true`."""
    OPTIONS_401 = "options-401"
    """Auth runs before CORS, so preflights (which carry no credentials) get 401."""
    NO_ORIGIN_ON_ERROR = "no-origin-on-error"
    """Error responses lack `Access-Control-Allow-Origin`, so browsers hide the real status."""
    WILDCARD_ORIGIN = "wildcard-origin"
    """`Access-Control-Allow-Origin: *` for every origin, without credentials."""
    ALLOW_HEADERS_WILDCARD = "allow-headers-wildcard"
    """Preflights answer `Access-Control-Allow-Headers: *` instead of naming the headers."""
    METHODS_WITHOUT_PUT = "methods-without-put"
    """Preflights leave PUT out of `Access-Control-Allow-Methods`."""
    ORIGIN_TRAILING_SLASH = "origin-trailing-slash"
    """The allowed origin is echoed with a trailing slash (`http://localhost:3000/`)."""
    NO_EXPOSE_HEADERS = "no-expose-headers"
    """Responses lack `Access-Control-Expose-Headers`, so scripts cannot read X-Request-Id and friends."""


DEMO_ORIGIN: Final = "http://localhost:3000"
"""The origin the CORS scenarios allow: a typical local front-end dev server."""
RATE_LIMITED_PER_MINUTE: Final = 5
CLOCK_SKEW_SECONDS: Final = 600.0
SHORT_TOKEN_TTL: Final = 60
UNAVAILABLE_REQUESTS: Final = 2
"""Requests the `unavailable` scenario answers with 503: as many as a client's default retries ride out."""


def _origins(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(values)


def _faults(values: Iterable[CorsFault]) -> frozenset[CorsFault]:
    return frozenset(values)


def _check_origin(instance: object, attribute: attrs.Attribute[Any], origins: tuple[str, ...]) -> None:
    for origin in origins:
        if origin == "*":
            continue
        if any(character.isspace() or not character.isprintable() for character in origin):
            # Never echoed: the value would be written raw into Access-Control-Allow-Origin (header injection).
            raise ValueError(f"{attribute.name}: an origin must not contain spaces or control characters")
        parts = urlsplit(origin)
        if parts.scheme not in {"http", "https"} or not parts.netloc or origin.rstrip("/") != origin:
            raise ValueError(f"{attribute.name}: {origin!r} is not an origin like https://app.example.com")
        if parts.path or parts.query or parts.fragment or "@" in parts.netloc:
            raise ValueError(f"{attribute.name}: {origin!r} is not an origin like https://app.example.com")


def _check_scenario(instance: object, attribute: attrs.Attribute[Any], name: str) -> None:
    if name not in SCENARIOS:
        raise ValueError(f"unknown scenario {name!r}; known: {', '.join(SCENARIOS)}")


def _check_webhook_url(instance: object, attribute: attrs.Attribute[Any], url: str | None) -> None:
    if url is None:
        return
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise ValueError(f"{attribute.name}: {url!r} is not an http(s) URL like http://127.0.0.1:8766/")


def _positive(instance: object, attribute: attrs.Attribute[Any], value: float | None) -> None:
    if value is not None and value <= 0:
        raise ValueError(f"{attribute.name} must be positive, got {value}")


_MAX_LIFETIME_SECONDS: Final = 10 * 365 * 86400
"""Ten years: far beyond any real token, so a larger value is a typo (and past about 8,000 years the token's
`exp` is no date a client can represent)."""


def _lifetime(instance: object, attribute: attrs.Attribute[Any], seconds: int) -> None:
    _positive(instance, attribute, seconds)
    if seconds > _MAX_LIFETIME_SECONDS:
        raise ValueError(f"{attribute.name} must be at most {_MAX_LIFETIME_SECONDS} seconds (10 years), got {seconds}")


@attrs.frozen
class SandboxConfig:
    """Everything that changes how the sandbox answers; the same config and seed give the same data."""

    seed: int = 1
    token_ttl: int = attrs.field(default=3600, validator=_lifetime)
    refresh_ttl: int = attrs.field(default=14 * 86400, validator=_lifetime)
    cors_origins: tuple[str, ...] = attrs.field(default=(), converter=_origins, validator=_check_origin)
    """Origins allowed to call from a browser; `*` allows any (reflected). Empty, like the real API."""
    scenario: str = attrs.field(default="default", validator=_check_scenario)
    missing_client_header_status: int = attrs.field(default=404, validator=attrs.validators.in_((401, 404)))
    rate_limit: int | None = attrs.field(default=None, validator=_positive)
    """Requests per minute per organization (per client address outside organizations); None = off."""
    clock_offset: float = 0.0
    """Seconds added to the `Date` header only (clock skew between client and server)."""
    clock: Callable[[], float] = attrs.field(default=time.time, eq=False, repr=False)
    """The server's notion of now (token expiry, rate-limit windows, timestamps)."""
    max_body_bytes: int = attrs.field(default=1_000_000, validator=_positive)
    webhook_url: str | None = attrs.field(default=None, validator=_check_webhook_url)
    """Where webhooks go (process launch, task completion, process completion); None sends none."""
    cors_faults: frozenset[CorsFault] = attrs.field(default=frozenset(), converter=_faults)
    outage_requests: int = attrs.field(default=0, validator=attrs.validators.ge(0))
    """The next N API requests (past the route checks, before auth) answer 503 Service Unavailable."""


@attrs.frozen
class Scenario:
    description: str
    apply: Callable[[SandboxConfig], SandboxConfig] = attrs.field(repr=False)


def _allow_demo_origin(config: SandboxConfig, *faults: CorsFault) -> SandboxConfig:
    origins = config.cors_origins if DEMO_ORIGIN in config.cors_origins else (*config.cors_origins, DEMO_ORIGIN)
    return attrs.evolve(config, cors_origins=origins, cors_faults=config.cors_faults | set(faults))


SCENARIOS: Final[Mapping[str, Scenario]] = MappingProxyType(
    {
        "default": Scenario("Behaves like Tallyfy is documented to: no CORS origins allowed.", lambda c: c),
        "cors-allowed": Scenario(
            f"CORS configured properly for {DEMO_ORIGIN} (credentials, X-Tallyfy-Client, exposed headers).",
            _allow_demo_origin,
        ),
        "cors-missing-client-header": Scenario(
            f"Preflights for {DEMO_ORIGIN} allow Authorization but not X-Tallyfy-Client.",
            lambda c: _allow_demo_origin(c, CorsFault.MISSING_CLIENT_HEADER),
        ),
        "cors-wildcard-credentials": Scenario(
            "Access-Control-Allow-Origin: * together with Access-Control-Allow-Credentials: true.",
            lambda c: _allow_demo_origin(c, CorsFault.WILDCARD_WITH_CREDENTIALS),
        ),
        "cors-options-401": Scenario(
            "Auth runs before CORS: preflights (OPTIONS, no credentials) get 401.",
            lambda c: _allow_demo_origin(c, CorsFault.OPTIONS_401),
        ),
        "cors-no-origin-on-error": Scenario(
            "Error responses (401, 429, ...) lack Access-Control-Allow-Origin, hiding the real status.",
            lambda c: _allow_demo_origin(c, CorsFault.NO_ORIGIN_ON_ERROR),
        ),
        "cors-wildcard-origin": Scenario(
            "Access-Control-Allow-Origin: * for every origin, without credentials (a page that includes them fails).",
            lambda c: _allow_demo_origin(c, CorsFault.WILDCARD_ORIGIN),
        ),
        "cors-allow-headers-wildcard": Scenario(
            "Preflights answer Access-Control-Allow-Headers: * (never Authorization by the standard, nothing with"
            " credentials).",
            lambda c: _allow_demo_origin(c, CorsFault.ALLOW_HEADERS_WILDCARD),
        ),
        "cors-methods-without-put": Scenario(
            "Preflights leave PUT out of Access-Control-Allow-Methods: updates from a page fail.",
            lambda c: _allow_demo_origin(c, CorsFault.METHODS_WITHOUT_PUT),
        ),
        "cors-origin-trailing-slash": Scenario(
            f"The allowed origin is echoed as {DEMO_ORIGIN}/ (trailing slash), which never equals a page's origin.",
            lambda c: _allow_demo_origin(c, CorsFault.ORIGIN_TRAILING_SLASH),
        ),
        "cors-no-expose-headers": Scenario(
            "No Access-Control-Expose-Headers: a script cannot read X-Request-Id, Retry-After or WWW-Authenticate.",
            lambda c: _allow_demo_origin(c, CorsFault.NO_EXPOSE_HEADERS),
        ),
        "missing-client-header-401": Scenario(
            "A request without X-Tallyfy-Client gets 401 instead of 404 ENDPOINT_NOT_FOUND.",
            lambda c: attrs.evolve(c, missing_client_header_status=401),
        ),
        "rate-limited": Scenario(
            f"At most {RATE_LIMITED_PER_MINUTE} requests per minute per organization, then 429.",
            lambda c: attrs.evolve(c, rate_limit=min(c.rate_limit or RATE_LIMITED_PER_MINUTE, RATE_LIMITED_PER_MINUTE)),
        ),
        "clock-skew": Scenario(
            f"The Date header runs {CLOCK_SKEW_SECONDS / 60:.0f} minutes ahead of the client.",
            lambda c: attrs.evolve(c, clock_offset=c.clock_offset + CLOCK_SKEW_SECONDS),
        ),
        "short-token-ttl": Scenario(
            f"Access tokens live {SHORT_TOKEN_TTL} seconds.",
            lambda c: attrs.evolve(c, token_ttl=min(c.token_ttl, SHORT_TOKEN_TTL)),
        ),
        "unavailable": Scenario(
            f"A deployment hiccup: the next {UNAVAILABLE_REQUESTS} API requests get 503 with Retry-After (an HTTP"
            " date), then normal service.",
            lambda c: attrs.evolve(c, outage_requests=c.outage_requests or UNAVAILABLE_REQUESTS),
        ),
    }
)


def effective_config(config: SandboxConfig) -> SandboxConfig:
    """The configuration with its scenario applied (done once, when the app is created)."""
    return SCENARIOS[config.scenario].apply(config)
