"""OpenAPI 3 parts every push API shares (served at /q2c/api/v1/openapi.json): the fields of
an ingested record (q2c.ingested.mixin) and the result of one entry."""

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
