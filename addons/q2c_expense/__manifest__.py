# Copyright 2026 q2c contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
{
    "name": "q2c Expense Ingestion",
    "summary": "Approved expenses from other systems into Odoo expenses: push API, idempotent, "
    "re-billed at cost plus the contract's markup, with caps and mileage rates",
    "version": "18.0.1.0.0",
    "license": "LGPL-3",
    "author": "q2c contributors",
    "website": "https://github.com/q2c/q2c",
    "category": "Services/Expenses",
    # hr_expense: expenses are hr.expense records (billing-domain.md 4, design implications);
    # a separate addon keeps hr_expense optional for firms that do not re-bill expenses.
    # q2c_sync: the ingestion base (q2c.ingested.mixin), its parsers and held entries;
    # q2c_timesheet: the push API controller.
    "depends": ["q2c_sync", "q2c_timesheet", "hr_expense"],
    "data": [
        "security/security.xml",
        "security/ir.model.access.csv",
        "views/q2c_contract_views.xml",
        "views/hr_expense_views.xml",
        "views/q2c_sync_hold_views.xml",
    ],
    "demo": ["demo/q2c_expense_demo.xml"],
    "development_status": "Alpha",
    "maintainers": ["q2c"],
    "installable": True,
}
