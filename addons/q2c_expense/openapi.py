"""The expense push API's part of the OpenAPI 3 document (/q2c/api/v1/openapi.json).

`q2c_timesheet.openapi` builds the document; `extend` adds the expense path and schemas, with
the same request limits, security and answer shape as the time-entry path."""

import copy

from odoo.addons.q2c_sync.openapi import INGESTED_PROPERTIES, result_schema

from .ingest import MAX_AMOUNT

TIME_PATH = "/q2c/api/v1/time-entries"
PATH = "/q2c/api/v1/expenses"

EXPENSE = {
    "type": "object",
    "required": ["id", "employee", "project", "category", "date", "amount"],
    "properties": {
        "id": {"type": "string", "description": "Your id of the expense; unique per system."},
        "employee": {
            "type": "string",
            "description": "Your id of the person (object type "
            "`employee` in External References).",
        },
        "project": {
            "type": "string",
            "description": "Your id of the project (object type "
            "`project`); its active contract re-bills the expense.",
        },
        "category": {
            "type": "string",
            "description": "Your id of the expense category "
            "(object type `expense_category`, mapped to an Odoo expense product).",
        },
        "date": {
            "type": "string",
            "format": "date",
            "description": "The expense date; it " "also dates the currency conversion.",
        },
        "amount": {
            "type": "number",
            "minimum": 0,
            "maximum": MAX_AMOUNT,
            "description": "The receipt total, in `currency`.",
        },
        "currency": {
            "type": "string",
            "pattern": "^[A-Z]{3}$",
            "description": "ISO 4217; " "default: the company currency. Must be active in Odoo.",
        },
        "quantity": {
            "type": "number",
            "exclusiveMinimum": 0,
            "default": 1,
            "description": "Units, e.g. miles for mileage (billed at the contract's "
            "unit rate).",
        },
        "recoverable_tax": {
            "type": "number",
            "minimum": 0,
            "default": 0,
            "description": "Tax in `amount` that the firm reclaims: cost and "
            "markup are net of it.",
        },
        "description": {"type": "string"},
        "receipt": {
            "type": "string",
            "description": "The receipt's reference (number, file " "name or URL at your side).",
        },
        **INGESTED_PROPERTIES,
    },
}
RESULT = result_schema(
    reason="Why an expense was rejected or held.",
    held="Kept in Held Entries (unmapped employee, project or category); imported when sent "
    "again after mapping.",
    id_key="expense_id",
)


def extend(document):
    """Add the expense path to `document` (the time-entry document), in place."""
    post = copy.deepcopy(document["paths"][TIME_PATH]["post"])
    post["summary"] = "Create or update expenses"
    body = post["requestBody"]["content"]["application/json"]["schema"]
    body["items"] = {"$ref": "#/components/schemas/Expense"}
    answer = post["responses"]["200"]["content"]["application/json"]["schema"]
    answer["properties"]["results"]["items"] = {"$ref": "#/components/schemas/ExpenseResult"}
    document["paths"][PATH] = {"post": post}
    document["components"]["schemas"].update(Expense=EXPENSE, ExpenseResult=RESULT)
    document["info"]["title"] = "q2c push API: time entries and expenses"
    document["info"]["description"] += (
        " Expenses are re-billed at cost (converted at the expense date) plus the markup of "
        "the contract's expense policy, within its caps."
    )
    return document
