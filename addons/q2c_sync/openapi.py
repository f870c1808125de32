"""OpenAPI 3 parts every push API shares (served at /q2c/api/v1/openapi.json): the fields of
an ingested record (q2c.ingested.mixin), the result of one entry, and the errors of the q2c
HTTP contract (q2c_base/http_contract.py)."""

from odoo.addons.q2c_base.http_contract import ERROR_SCHEMA

ERROR_REF = {"$ref": "#/components/schemas/Error"}

# The properties every pushed record may carry beside its own, last in its schema.
INGESTED_PROPERTIES = {
    "billable": {"type": "boolean", "default": True},
    "approval_state": {
        "type": "string",
        "default": "approved",
        "enum": ["draft", "submitted", "approved", "rejected"],
    },
    "approved_at": {"type": "string", "format": "date-time"},
    "updated_at": {"type": "string", "format": "date-time"},
}


def result_schema(reason, held, id_key):
    """The result of one pushed entry: `reason` and `held` describe those properties,
    `id_key` names the property carrying the Odoo record's id."""
    return {
        "type": "object",
        "required": ["id", "status"],
        "properties": {
            "id": {"type": "string"},
            "status": {"type": "string", "enum": ["created", "updated", "unchanged", "rejected"]},
            "reason": {"type": "string", "description": reason},
            "held": {"type": "boolean", "description": held},
            id_key: {"type": "integer"},
        },
    }


def error_responses(max_entries, max_bytes):
    """The error answers of every push route, each a JSON `Error` (`components.schemas.Error`
    must hold ERROR_SCHEMA)."""
    texts = {
        "400": "The body is not valid JSON, or not a JSON array.",
        "401": "No API key, or an invalid or expired one.",
        "403": "The key's user is the integration user of no active system that pushes, or "
        "serves several and `system` is missing or names none of them.",
        "405": "Another method than POST.",
        "413": f"More than {max_entries} entries, or a body over {max_bytes} bytes.",
        "415": "A body that is not `application/json` (parameters such as `charset` are "
        "allowed; the type is compared case-insensitively).",
        "500": "An error in Odoo; nothing of the request was kept. Send it again.",
    }
    return {
        status: {"description": text, "content": {"application/json": {"schema": ERROR_REF}}}
        for status, text in texts.items()
    }


__all__ = ["ERROR_SCHEMA", "INGESTED_PROPERTIES", "error_responses", "result_schema"]
