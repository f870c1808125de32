# Copyright 2026 q2c contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
{
    "name": "q2c Billing Reports",
    "summary": "Finance's views: work in progress as of a date (billing value and cost, aged) "
    "and utilization per employee and period",
    "version": "18.0.1.0.0",
    "license": "LGPL-3",
    "author": "q2c contributors",
    "website": "https://github.com/q2c/q2c",
    "category": "Services/Contracts",
    # q2c_billing: which invoice billed an entry (WIP as of a date); hr_timesheet brings
    # hr_hourly_cost (the employee's hourly cost) and resource (calendars, leaves).
    "depends": ["q2c_billing", "hr_timesheet"],
    "data": [
        "security/security.xml",
        "security/ir.model.access.csv",
        "views/q2c_wip_report_views.xml",
        "views/q2c_utilization_report_views.xml",
        "views/menus.xml",
    ],
    "assets": {"web.assets_tests": ["q2c_billing_report/static/tests/tours/*.js"]},
    "development_status": "Alpha",
    "maintainers": ["q2c"],
    "installable": True,
}
