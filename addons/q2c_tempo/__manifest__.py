# Copyright 2026 q2c contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
{
    "name": "q2c Tempo",
    "summary": "Pull Tempo worklogs of approved timesheet periods into Odoo timesheets",
    "version": "18.0.1.0.0",
    "license": "LGPL-3",
    "author": "q2c contributors",
    "website": "https://github.com/q2c/q2c",
    "category": "Services/Timesheets",
    "depends": ["q2c_timesheet"],
    "data": ["views/q2c_system_views.xml"],
    "development_status": "Alpha",
    "maintainers": ["q2c"],
    "installable": True,
}
