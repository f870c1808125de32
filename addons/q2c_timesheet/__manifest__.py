# Copyright 2026 q2c contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
{
    "name": "q2c Timesheet Ingestion",
    "summary": "Approved time from other systems into Odoo timesheets: push API, idempotent, "
    "priced at the contract rate of the work date",
    "version": "18.0.1.1.0",
    "license": "LGPL-3",
    "author": "q2c contributors",
    "website": "https://github.com/q2c/q2c",
    "category": "Services/Timesheets",
    # hr_timesheet: timesheets are account.analytic.line records with a project and employee.
    "depends": ["q2c_base", "q2c_sync", "q2c_contract", "hr_timesheet", "queue_job"],
    "data": [
        "security/security.xml",
        "security/ir.model.access.csv",
        "views/account_analytic_line_views.xml",
        "views/res_config_settings_views.xml",
    ],
    "demo": ["demo/q2c_timesheet_demo.xml"],
    "assets": {"web.assets_tests": ["q2c_timesheet/static/tests/tours/*.js"]},
    "development_status": "Alpha",
    "maintainers": ["q2c"],
    "installable": True,
}
