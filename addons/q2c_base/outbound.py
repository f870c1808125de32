"""Outbound HTTP calls to connected systems: the one seam connectors use to reach their API.

One `requests.Session` per (database, system) keeps connections alive between calls of the
same worker. Every call has connect and read timeouts. HTTP 429, 5xx and connection errors
are retried a few times, honouring `Retry-After`; a wait longer than `INLINE_WAIT_MAX` is not
slept in the worker but raised as a TransientError, so the job is retried later instead.
"""

import email.utils
import re
import threading
import time
from collections import deque
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import requests

INLINE_WAIT_MAX = 10.0  # seconds a worker may sleep inside one call
SENSITIVE_QUERY_KEYS = {
    "access_token",
    "api_key",
    "apikey",
    "key",
    "password",
    "secret",
    "sig",
    "signature",
    "token",
    "client_secret",
    "refresh_token",
}

_sessions = {}
_rate_windows = {}
_lock = threading.Lock()


def session_for(dbname, system_id):
    """The shared session of one system in one database."""
    with _lock:
        key = (dbname, system_id)
        if key not in _sessions:
            session = requests.Session()
            session.headers["User-Agent"] = "q2c-odoo/18.0"
            _sessions[key] = session
        return _sessions[key]


def drop_session(dbname, system_id):
    """Forget a system's session (after its credentials or base URL changed)."""
    with _lock:
        session = _sessions.pop((dbname, system_id), None)
    if session:
        session.close()


def redact_url(url):
    """The URL with the values of secret-looking query parameters and any userinfo removed."""
    parts = urlsplit(url)
    query = [
        (key, "***" if key.lower() in SENSITIVE_QUERY_KEYS else value)
        for key, value in parse_qsl(parts.query, keep_blank_values=True)
    ]
    netloc = parts.netloc.rsplit("@", 1)[-1]
    return urlunsplit((parts.scheme, netloc, parts.path, urlencode(query), ""))


def redact_text(text):
    """`text` (an error message naming a URL) with userinfo and the values of secret-looking
    query parameters masked: requests' connection errors quote the URL they tried."""
    keys = "|".join(sorted(SENSITIVE_QUERY_KEYS, key=len, reverse=True))
    text = re.sub(rf"(?i)\b({keys})=[^&\s'\"()]+", r"\1=***", text)
    return re.sub(r"//[^/\s@'\"]+@", "//", text)


def url_has_userinfo(url):
    """Whether `url` carries a user name or password before its host (user:pass@host)."""
    url = url.strip()
    try:
        parts = urlsplit(url if "//" in url else f"//{url}")
    except ValueError:
        return False
    return "@" in parts.netloc


def parse_retry_after(value, now=None):
    """Seconds to wait from a Retry-After header (delta seconds or HTTP date), or None."""
    if not value:
        return None
    value = value.strip()
    # ASCII digits only: str.isdigit() also accepts "²" or Arabic-Indic digits (RFC 9110
    # 10.2.3: delay-seconds = 1*DIGIT, and DIGIT is 0-9).
    if value.isascii() and value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    now = time.time() if now is None else now
    return max(0.0, when.timestamp() - now)


def backoff(attempt):
    """Wait before retry `attempt` (1-based) when the server gave no Retry-After."""
    return min(0.5 * 2 ** (attempt - 1), 4.0)


def rate_limit_wait(dbname, system_id, per_minute, now=None):
    """Seconds to wait before the next call so that at most `per_minute` calls start in any
    60 s window of this process; records the call when the answer is 0."""
    if not per_minute or per_minute <= 0:
        return 0.0
    now = time.monotonic() if now is None else now
    with _lock:
        window = _rate_windows.setdefault((dbname, system_id), deque())
        while window and now - window[0] >= 60:
            window.popleft()
        if len(window) < per_minute:
            window.append(now)
            return 0.0
        return 60 - (now - window[0])


def json_or_none(response):
    """The decoded JSON body of a `requests.Response`, or None when it has none."""
    try:
        return response.json()
    except ValueError:
        return None


def connection_failure_cause(error):
    """A few words on why a connection failed ("Connection refused", "timed out", "Name or
    service not known"), read from the exception chain (requests wraps urllib3 wraps the
    socket's OSError), not from the message text. Falls back on the exception's type name."""
    seen, pending = set(), [error]
    while pending:
        current = pending.pop(0)
        if id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, requests.Timeout | TimeoutError):
            return "timed out"
        if isinstance(current, OSError) and current.strerror:
            return current.strerror
        linked = (current.__cause__, current.__context__, getattr(current, "reason", None))
        pending += [e for e in (*linked, *current.args) if isinstance(e, BaseException)]
    return type(error).__name__
