"""The HTTP contract every q2c route keeps (docs/integrators.md, "The HTTP contract"):

- a request body is accepted by its media type, compared without parameters (`charset=...`)
  and case-insensitively; any other type is answered 415 before the body is read;
- every error is a JSON object of one shape, `{"error": <code>, "detail": <text or null>}`,
  where `error` is the stable code of the status (ERROR_CODES) and `detail` a sentence for a
  person; never one of Odoo's HTML error pages, also for what Odoo itself refuses before a q2c
  controller runs (no such route, wrong method, no or a bad API key, a bug).

Plain functions: the controllers and `ir.http` (models/ir_http.py) use them.
"""

from werkzeug.http import parse_options_header

from odoo.http import request

PATH_PREFIX = "/q2c/"
ERROR_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
    500: "internal_error",
    503: "unavailable",
}
# OpenAPI 3.0 schema of an error body, for every q2c API document.
ERROR_SCHEMA = {
    "type": "object",
    "required": ["error", "detail"],
    "properties": {
        "error": {
            "type": "string",
            "enum": sorted(set(ERROR_CODES.values())),
            "description": "Stable code of the HTTP status; test this, not the detail.",
        },
        "detail": {
            "type": "string",
            "nullable": True,
            "description": "What was refused, for a person; may change between versions.",
        },
    },
}


def is_q2c_path(path):
    return (path or "").startswith(PATH_PREFIX)


def error_code(status):
    """The stable code of an HTTP error status (`error` of the body)."""
    if status in ERROR_CODES:
        return ERROR_CODES[status]
    return "internal_error" if status >= 500 else "bad_request"


def error_body(status, detail=None):
    return {"error": error_code(status), "detail": detail or None}


def error_response(status, detail=None, headers=None):
    """A JSON error answer of the contract's shape, on the current request."""
    return request.make_json_response(
        error_body(status, detail), status=status, headers=list((headers or {}).items())
    )


def media_type(content_type):
    """The media type of a Content-Type header value, lower case, without parameters."""
    return parse_options_header(content_type or "")[0].strip().lower()


def accepts_media_type(accepted):
    """Whether the current request's body is of one of the `accepted` media types (given
    lower case, without parameters)."""
    return media_type(request.httprequest.headers.get("Content-Type")) in accepted
