"""Defensive readers of values taken from a request (path, query, headers, parsed ids).

Every reader bounds the length first, accepts ASCII only where the format is ASCII (`[0-9]`,
not `str.isdigit`, which also takes '²' or Arabic-Indic digits), and answers None for
anything else instead of raising: the caller maps None to the status its endpoint
documents (401 for signatures and timestamps, 400 for parameters, 404 for unknown keys).
Pure functions, no Odoo.
"""

import re

# Longest header value a verifier reads; real signature headers are far shorter.
MAX_HEADER_CHARS = 4096
# Longest event or entry id kept: PostgreSQL's unique btree index refuses rows over ~2.7 kB.
MAX_ID_CHARS = 255
# PostgreSQL's `integer`: ids above it are not ids.
MAX_ID = 2**31 - 1

_DIGITS = re.compile(r"[0-9]+", re.ASCII)
_TOKEN = re.compile(r"[A-Za-z0-9_.-]+", re.ASCII)
_PRINTABLE = re.compile(r"[\x20-\x7e]*", re.ASCII)


def ascii_int(value, max_digits):
    """The integer written in ASCII digits in `value`, at most `max_digits` of them; else None."""
    if not isinstance(value, str) or not 0 < len(value) <= max_digits:
        return None
    return int(value) if _DIGITS.fullmatch(value) else None


def record_id(value):
    """A database id given as text (`?system=12`): a positive integer up to MAX_ID; else None."""
    number = ascii_int(value, len(str(MAX_ID)))
    return number if number and number <= MAX_ID else None


def token(value, max_chars=128):
    """`value` when it is a URL-safe token (letters, digits, `_`, `-`, `.`) of at most
    `max_chars` characters; else None."""
    if not isinstance(value, str) or not 0 < len(value) <= max_chars:
        return None
    return value if _TOKEN.fullmatch(value) else None


def printable_ascii(value, max_chars=MAX_HEADER_CHARS):
    """`value` when it is printable ASCII of at most `max_chars` characters; else None."""
    if not isinstance(value, str) or len(value) > max_chars:
        return None
    return value if _PRINTABLE.fullmatch(value) else None


def has_nul(value):
    """Whether `value` (decoded JSON: str, list, dict, ...) holds a NUL character anywhere;
    PostgreSQL text cannot store one."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return True
        elif isinstance(item, dict):
            stack.extend(item)
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def safe_text(value, max_chars):
    """`value` when it is a string of at most `max_chars` characters without control
    characters (NUL, line breaks, ...); else None. For ids and types kept in the database."""
    if not isinstance(value, str) or not 0 < len(value) <= max_chars:
        return None
    return None if any(ord(char) < 0x20 or ord(char) == 0x7F for char in value) else value
