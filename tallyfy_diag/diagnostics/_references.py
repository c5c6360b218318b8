"""Where a finding sends its reader: public pages only (Tallyfy's documentation, RFC sections, WHATWG Fetch).

A finding's `reference` is one URL a user can open. Tallyfy pages are the published documentation under
`TALLYFY_DOCS`; section anchors are the headings' slugs as the documentation site writes them.
"""

from __future__ import annotations

from typing import Final

TALLYFY_DOCS: Final = "https://tallyfy.com/products/pro/integrations/open-api/"
INTEGRATION_GUIDE: Final = TALLYFY_DOCS + "how-to-integrate-with-tallyfy-using-api/"
APPLICATION_ACCESS: Final = TALLYFY_DOCS + "access-api-as-a-third-party-application-instead-of-a-user/"

REQUIRED_HEADERS: Final = INTEGRATION_GUIDE + "#required-headers"
PASSWORD_GRANT: Final = INTEGRATION_GUIDE + "#obtaining-access-tokens-with-password-grant"
GRANT_TYPES: Final = INTEGRATION_GUIDE + "#understanding-grant-types"
TOKEN_REFRESH: Final = INTEGRATION_GUIDE + "#token-refresh-procedure"
TROUBLESHOOTING: Final = INTEGRATION_GUIDE + "#troubleshooting-authentication-issues"
MULTI_ORGANIZATION: Final = INTEGRATION_GUIDE + "#working-with-multi-organization-users"
DATE_FORMATS: Final = INTEGRATION_GUIDE + "#date-format-standards"

FETCH: Final = "https://fetch.spec.whatwg.org/"
FETCH_CORS_PROTOCOL: Final = FETCH + "#http-cors-protocol"
FETCH_REDIRECT: Final = FETCH + "#http-redirect-fetch"

PUBLIC_HOSTS: Final = ("tallyfy.com", "www.rfc-editor.org", "fetch.spec.whatwg.org")
"""The only hosts a reference may point at."""


def rfc(number: int, section: str) -> str:
    """The RFC Editor's URL of one section (`"5.2"`) or appendix (`"B"`)."""
    anchor = f"appendix-{section}" if section[:1].isalpha() else f"section-{section}"
    return f"https://www.rfc-editor.org/rfc/rfc{number}#{anchor}"


def is_public_reference(url: str) -> bool:
    """True for an https URL on one of `PUBLIC_HOSTS` (what every finding's reference must be)."""
    scheme, _, rest = url.partition("://")
    host = rest.split("/", 1)[0].split("#", 1)[0]
    return scheme == "https" and host in PUBLIC_HOSTS and not any(character.isspace() for character in url)
