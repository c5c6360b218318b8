"""Where a call goes: `base-url`, `endpoint-not-found`, `org-context`, `redirect`."""

from __future__ import annotations

import re
from typing import Final

from tallyfy_diag._constants import (
    ACCOUNT_HOST,
    API_PREFIX,
    API_PREFIX_HOSTS,
    APP_PERMISSION_MESSAGE,
    CLIENT_HEADER,
    DEFAULT_BASE_URL,
    ENDPOINT_NOT_FOUND_CODE,
    ENDPOINT_NOT_FOUND_MESSAGE,
    RESOURCE_NOT_FOUND_CODE,
    ROOT_PATH_HOSTS,
    ROOT_STYLE_BASE_URL,
)
from tallyfy_diag._spec import find_path
from tallyfy_diag.diagnostics._checks._common import (
    api_path,
    is_loopback,
    is_placeholder,
    show_url,
)
from tallyfy_diag.diagnostics._evidence import Evidence, Exchange, Request, split_url
from tallyfy_diag.diagnostics._references import FETCH_REDIRECT, MULTI_ORGANIZATION, TALLYFY_DOCS, TROUBLESHOOTING
from tallyfy_diag.diagnostics._registry import REGISTRY, Verdict, failed, passed, skipped, warned

_BASE_FIX: Final = f"Use {DEFAULT_BASE_URL} (paths under /api) or {ROOT_STYLE_BASE_URL} (root paths), not a mix."


def url_problems(request: Request) -> list[tuple[bool, str]]:
    """(is_failure, text) for everything wrong with where a request goes."""
    parts = request.parts
    if parts is None:
        return [(True, "the URL cannot be parsed")]
    host = parts.hostname
    problems: list[tuple[bool, str]] = []
    if parts.scheme not in {"http", "https"}:
        return [(True, f"scheme {parts.scheme or '(none)'!r}: the API is served over https")]
    if not host:
        return [(True, "the URL has no host")]
    if parts.scheme == "http" and not is_loopback(host):
        problems.append(
            (
                True,
                "plain http://: the API is https only; a redirect to https turns POST into GET and can drop"
                " the Authorization header",
            )
        )
    if "//" in parts.path:
        problems.append((True, "a doubled slash in the path (a base URL ending in / joined to a path starting with /)"))
    path = parts.path
    prefixed = path == API_PREFIX or path.startswith(API_PREFIX + "/")
    token_call = request.is_token_request
    if host in API_PREFIX_HOSTS and not prefixed and not token_call:
        problems.append((True, f"{host} serves the API under /api: {parts.scheme}://{host}/api{path}"))
    elif host in ROOT_PATH_HOSTS and path.startswith(API_PREFIX + "/"):
        problems.append((True, f"{host} has root paths (no /api prefix): {parts.scheme}://{host}{path[4:]}"))
    elif host == ACCOUNT_HOST and not token_call:
        problems.append((True, f"{ACCOUNT_HOST} serves OAuth only; API calls go to go.tallyfy.com/api"))
    elif host.endswith("tallyfy.com") and host not in API_PREFIX_HOSTS | ROOT_PATH_HOSTS | {ACCOUNT_HOST}:
        problems.append((True, f"{host} is a Tallyfy web site, not the API host"))
    elif is_loopback(host) and not prefixed and not token_call:
        # A local host gets no free pass: the sandbox (like go.tallyfy.com) serves the API under /api.
        problems.append(
            (
                False,
                f"{host} without the /api prefix: a local sandbox, like go.tallyfy.com, serves the API under /api"
                f" ({parts.scheme}://{parts.netloc}/api{path}); only a proxy of api.tallyfy.com has root paths",
            )
        )
    elif not host.endswith("tallyfy.com") and not is_loopback(host):
        problems.append((False, f"{host} is not a Tallyfy API host (a proxy or a local sandbox?)"))
    return problems


@REGISTRY.register("base-url", "Base URL: scheme, host, /api prefix", TALLYFY_DOCS)
def base_url(evidence: Evidence) -> Verdict:
    request = evidence.request
    if request is None:
        return skipped("no request in the evidence")
    problems = url_problems(request)
    url = show_url(request.url)
    if evidence.base_url and not request.url.startswith(evidence.base_url.rstrip("/")):
        problems.append((False, f"the call does not start with the configured base URL {show_url(evidence.base_url)}"))
    failures = [text for is_failure, text in problems if is_failure]
    if failures:
        return failed(failures[0], "; ".join(failures[1:]), _BASE_FIX, url=url)
    if problems:
        return warned(problems[0][1], "; ".join(text for _, text in problems[1:]), _BASE_FIX, url=url)
    return passed(f"URL shape is right ({url})", url=url)


# ---------------------------------------------------------------------------------------- endpoint-not-found


def _body_code(evidence: Evidence) -> str | None:
    response = evidence.response
    body = response.json() if response is not None else None
    if not isinstance(body, dict):
        return None
    code = body.get("code")
    if isinstance(code, str):
        return code
    message = body.get("message")
    if message == ENDPOINT_NOT_FOUND_MESSAGE:
        return ENDPOINT_NOT_FOUND_CODE
    return None


@REGISTRY.register("endpoint-not-found", "404 'API endpoint not found'", TROUBLESHOOTING)
def endpoint_not_found(evidence: Evidence) -> Verdict:
    request = evidence.request
    if request is None:
        return skipped("no request in the evidence")
    if request.is_preflight:
        return skipped("a CORS preflight (see cors-preflight)")
    path = api_path(request, evidence.base_url) or request.path
    operations = find_path(path)
    known = [op for op in operations if op.method == request.method.upper()]
    response = evidence.response
    facts = {"path": path, "method": request.method.upper()}
    if response is None:
        if known:
            return passed(f"{request.method.upper()} {known[0].path_template} is a known operation", **facts)
        if operations:
            methods = ", ".join(sorted({op.method for op in operations}))
            return warned(f"{path} takes {methods}, not {request.method.upper()}", "Expect 405.", **facts)
        return warned(
            f"{path} is not an operation this tool's spec knows",
            "A typo, a wrong base URL, or an endpoint outside the spec's core.",
            _BASE_FIX,
            **facts,
        )
    if response.status == 405:
        return failed(f"405: {path} does not take {request.method.upper()}", "", "Check the HTTP method.", **facts)
    if response.status != 404:
        return passed(f"the endpoint answered {response.status}", **facts)
    code = _body_code(evidence)
    for trial in evidence.isolation:
        if trial.status is not None and 200 <= trial.status < 300:
            return failed(
                f"404 endpoint not found: root cause {trial.cause}, confirmed ('{trial.change}' turns it into"
                f" {trial.status})",
                f"Tallyfy answers 404 {ENDPOINT_NOT_FOUND_CODE} to a call it cannot route.",
                trial.fix or _BASE_FIX,
                fixed_by=trial.change,
                root_cause=trial.cause,
                **facts,
            )
    if code == RESOURCE_NOT_FOUND_CODE:
        return warned(
            "404 RESOURCE_NOT_FOUND: the endpoint exists, the object does not (in this organization)",
            "A wrong id, an id from another organization, or an archived/deleted object.",
            "Check the ids and the organization (see org-context).",
            **facts,
        )
    from tallyfy_diag.diagnostics._checks.headers import client_header  # noqa: PLC0415 - shared verdict

    header_verdict = client_header(evidence)
    if header_verdict.status.value == "fail":
        return failed(
            f"404 endpoint not found: root cause {CLIENT_HEADER} ({header_verdict.title})",
            f"Tallyfy answers 404 {ENDPOINT_NOT_FOUND_CODE} to any call without {CLIENT_HEADER}, even on a correct"
            " path.",
            header_verdict.fix,
            **facts,
        )
    url_failures = [text for is_failure, text in url_problems(request) if is_failure]
    if url_failures:
        return failed(f"404 endpoint not found: wrong base URL ({url_failures[0]})", "", _BASE_FIX, **facts)
    if response.looks_like_html:
        return failed("404 as an HTML page: this host is not the API", "", _BASE_FIX, **facts)
    if not known:
        return failed(
            f"404: {path} is not a known {request.method.upper()} operation",
            "A typo in the path, the UI word instead of the API word (blueprint/checklist, process/run), or"
            " a wrong base URL.",
            _BASE_FIX,
            **facts,
        )
    return failed(
        f"404 on a known path ({known[0].operation_id}): check {CLIENT_HEADER} and the base URL",
        "The path is right per the spec, so the server did not route it: the client header's value or a"
        " proxy that drops it, or a base URL from the other host style.",
        _BASE_FIX,
        **facts,
    )


# ----------------------------------------------------------------------------------------------- org-context

_ORG_ID: Final = re.compile(r"[0-9a-f]{32}")
_ORG_IN_PATH: Final = re.compile(r"^/organizations/([^/]+)")


def org_in(request: Request, base_url: str | None) -> str | None:
    path = api_path(request, base_url) or ""
    found = _ORG_IN_PATH.match(path)
    return found.group(1) if found else None


@REGISTRY.register("org-context", "Organization id and membership", MULTI_ORGANIZATION)
def org_context(evidence: Evidence) -> Verdict:
    request = evidence.request
    org = org_in(request, evidence.base_url) if request is not None else None
    org = org or evidence.org_id
    if org is None:
        return skipped("no organization in the call")
    response = evidence.response
    body = response.json() if response is not None else None
    message = body.get("message") if isinstance(body, dict) else None
    fix_org = "Use an id from GET /me/organizations (Tallyfy: Settings > Organization)."
    if is_placeholder(org) or org.startswith("{"):
        return failed(f"the organization id is placeholder text `{org[:40]}`", "", fix_org)
    facts = {"org": org}
    if response is not None and response.status == 403:
        if message == APP_PERMISSION_MESSAGE:
            return failed(
                "403: the application has no permission in this organization",
                f"Tallyfy says {APP_PERMISSION_MESSAGE!r}: an application token used on an organization the"
                " application is not set up for, or a wrong organization id.",
                "Use the organization the application belongs to, or ask Tallyfy support to enable it there.",
                **facts,
            )
        if isinstance(message, str) and "not a member" in message:
            return failed(
                "403: the user is not a member of this organization",
                f"Tallyfy says {message[:120]!r}. A token acts in the organizations its user belongs to.",
                fix_org,
                **facts,
            )
        return failed(
            "403 in this organization",
            "The user lacks the permission, or the token's organization context differs (Tallyfy's guide: a token"
            " is tied to the user's current organization).",
            fix_org,
            **facts,
        )
    if evidence.memberships is not None and org not in evidence.memberships:
        return failed(
            "the user is not a member of this organization",
            f"GET /me/organizations lists {len(evidence.memberships)} organization(s), not this one.",
            fix_org,
            **facts,
        )
    if not _ORG_ID.fullmatch(org):
        problem = "has uppercase letters" if _ORG_ID.fullmatch(org.lower()) else f"is {len(org)} characters"
        return warned(
            f"organization id {problem}; Tallyfy's are 32 lowercase hex characters",
            "",
            fix_org,
            **facts,
        )
    if response is not None and response.status == 404 and _body_code(evidence) == RESOURCE_NOT_FOUND_CODE:
        return warned("404 RESOURCE_NOT_FOUND in this organization: is it the right one?", "", fix_org, **facts)
    return passed("organization id is well-formed", **facts)


# -------------------------------------------------------------------------------------------------- redirect


def _redirected_here(evidence: Evidence) -> Exchange | None:
    request = evidence.request
    if request is None:
        return None
    for earlier in reversed(evidence.history):
        response = earlier.response
        if response is None or not 300 <= response.status < 400:
            continue
        location = response.header("location")
        if location and (location == request.url or request.url.endswith(location)):
            return earlier
    return None


@REGISTRY.register("redirect", "Redirects on API and token calls", FETCH_REDIRECT)
def redirect(evidence: Evidence) -> Verdict:
    request = evidence.request
    if request is None:
        return skipped("no request in the evidence")
    fix = "Call the final URL directly (https, the right host and prefix): API clients should not follow redirects."
    origin = _redirected_here(evidence)
    if origin is not None and origin.request.header("authorization") and not request.header("authorization"):
        return failed(
            "Authorization dropped by a redirect",
            f"{origin.response.status if origin.response else '3xx'} from {show_url(origin.request.url)}: clients"
            " strip Authorization when a redirect crosses origins, so this call went without a token.",
            fix,
        )
    response = evidence.response
    if response is None:
        return skipped("no response captured")
    if not 300 <= response.status < 400:
        return passed(f"no redirect ({response.status})")
    location = response.header("location") or ""
    target = split_url(location)
    here = request.parts
    problems = []
    method = request.method.upper()
    if response.status == 303 or (response.status in (301, 302) and method == "POST"):
        problems.append(f"the {method} becomes a GET and loses its body")
    if target is not None and here is not None and target.netloc and target.netloc != here.netloc:
        problems.append("it changes origin, so Authorization is stripped from the next request")
    if target is not None and here is not None and here.scheme == "http" and target.scheme == "https":
        problems.append("http -> https: the base URL should be https")
    if target is not None and "login" in target.path:
        problems.append("it leads to a login page: Laravel redirects unauthenticated calls that do not ask for JSON")
    return failed(
        f"{response.status} redirect on an API call",
        ("; ".join(problems) + ". " if problems else "") + f"Location: {show_url(location)[:200]}",
        fix,
        location=show_url(location)[:200],
    )
