"""The OpenAPI 3 document of the time-entry push API (served at /q2c/api/v1/openapi.json)."""

from odoo.addons.q2c_sync.controllers.main import MAX_BODY_BYTES, MAX_ENTRIES
from odoo.addons.q2c_sync.openapi import (
    ERROR_SCHEMA,
    INGESTED_PROPERTIES,
    error_responses,
    result_schema,
)

ENTRY = {
    "type": "object",
    "required": ["id", "employee", "project", "date", "hours"],
    "properties": {
        "id": {"type": "string", "description": "Your id of the entry; unique per system."},
        "employee": {
            "type": "string",
            "description": "Your id of the person (mapped in External References, object type "
            "`employee`).",
        },
        "project": {
            "type": "string",
            "description": "Your id of the project (object type `project`).",
        },
        "task": {"type": "string", "description": "Optional; object type `task`."},
        "date": {"type": "string", "format": "date", "description": "The work date."},
        "hours": {"type": "number", "minimum": 0, "maximum": 24},
        "description": {"type": "string"},
        **INGESTED_PROPERTIES,
    },
}
RESULT = result_schema(
    reason="Why an entry was rejected or held.",
    held="Kept in Held Time Entries (unmapped employee, project or task); imported when sent "
    "again after mapping.",
    id_key="line_id",
)


def document(server_url=""):
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "q2c time entries",
            "version": "1.0.0",
            "description": "Push approved time into Odoo timesheets. Idempotent by (system, "
            "id): sending an entry again answers `unchanged`; an edit answers `updated` (a "
            "billed entry gets a correction). Invalid entries are rejected one by one and "
            "never block the others.",
        },
        "servers": [{"url": server_url}] if server_url else [],
        "components": {
            "securitySchemes": {
                "apiKey": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "An Odoo API key of the system's integration user.",
                }
            },
            "schemas": {"TimeEntry": ENTRY, "Result": RESULT, "Error": ERROR_SCHEMA},
        },
        "security": [{"apiKey": []}],
        "paths": {
            "/q2c/api/v1/time-entries": {
                "post": {
                    "summary": "Create or update time entries",
                    "parameters": [
                        {
                            "name": "system",
                            "in": "query",
                            "required": False,
                            "schema": {"type": "integer"},
                            "description": "The connected system, when the user serves several.",
                        }
                    ],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "array",
                                    "maxItems": MAX_ENTRIES,
                                    "items": {"$ref": "#/components/schemas/TimeEntry"},
                                }
                            }
                        },
                    },
                    "responses": {
                        "200": {
                            "description": "One result per entry, in order.",
                            "content": {
                                "application/json": {
                                    "schema": {
                                        "type": "object",
                                        "properties": {
                                            "results": {
                                                "type": "array",
                                                "items": {"$ref": "#/components/schemas/Result"},
                                            },
                                            "summary": {
                                                "type": "object",
                                                "additionalProperties": {"type": "integer"},
                                            },
                                        },
                                    }
                                }
                            },
                        },
                        **error_responses(MAX_ENTRIES, MAX_BODY_BYTES),
                    },
                }
            }
        },
    }
