"""The public base URL of a connected system: `scheme://host[:port]`, written one way.

A sender calls `<public base URL>/q2c/webhook/<type>/<key>`; some senders sign that URL
(HubSpot v2/v3), so it is stored per system and compared with the address a delivery arrives
at. Both sides go through `normalize`, so `HTTPS://Odoo.Example.com:443/` and
`https://odoo.example.com` are the same address. Pure functions, no Odoo.
"""

import re
from urllib.parse import urlsplit

from . import inputs

DEFAULT_PORTS = {"http": 80, "https": 443}
MAX_CHARS = 255
# A DNS name or IPv4 address in ASCII (an IDN is written in punycode), or an IPv6 address.
_HOST = re.compile(r"[a-z0-9]([a-z0-9.-]*[a-z0-9])?|[0-9a-f:.]+", re.ASCII)


def normalize(value):
    """`value` as `scheme://host[:port]` (lower case, default port dropped, no trailing
    slash) when it is an http or https URL with a host and nothing after it but `/`;
    else None. No user name, path, query or fragment: Odoo serves the webhook route at the
    root of its host."""
    if not isinstance(value, str):
        return None
    value = value.strip()
    if not value or inputs.printable_ascii(value, MAX_CHARS) is None or " " in value:
        return None
    if value.endswith(("?", "#")):  # urlsplit drops an empty query or fragment
        return None
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError:  # a port that is not a number or out of range
        return None
    return _origin_of(parts, port)


def _origin_of(parts, port):
    """`scheme://host[:port]` of a split URL holding nothing else, or None."""
    scheme, host = parts.scheme.lower(), parts.hostname or ""
    if scheme not in DEFAULT_PORTS or not _HOST.fullmatch(host):
        return None
    if parts.username is not None or parts.path not in ("", "/") or parts.query or parts.fragment:
        return None
    netloc = f"[{host}]" if ":" in host else host
    if port is not None and port != DEFAULT_PORTS[scheme]:
        netloc = f"{netloc}:{port}"
    return f"{scheme}://{netloc}"


def origin(url):
    """The normalized `scheme://host[:port]` of any http(s) URL (its path, query and
    fragment dropped), or None. For defaults taken from `web.base.url`."""
    if not isinstance(url, str):
        return None
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    return normalize(f"{parts.scheme}://{parts.netloc}")
