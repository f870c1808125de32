# Copyright 2026 q2c contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
{
    "name": "q2c Skeleton Pull Connector",
    "summary": "A pull connector to copy: time entries read page by page into timesheets",
    "version": "18.0.1.0.0",
    "license": "LGPL-3",
    "author": "q2c contributors",
    "website": "https://github.com/q2c/q2c",
    "category": "Services/Timesheets",
    # q2c_sync runs the pulls; q2c_timesheet writes time entries (account.analytic.line).
    "depends": ["q2c_sync", "q2c_timesheet"],
    "data": [],
    "development_status": "Alpha",
    "maintainers": ["q2c"],
    "installable": True,
}
