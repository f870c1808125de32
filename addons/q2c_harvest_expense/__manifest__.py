# Copyright 2026 q2c contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
{
    "name": "q2c Harvest Expenses",
    "summary": "Pull Harvest expenses into Odoo expenses with the Harvest time pull, page by page",
    "version": "18.0.1.0.0",
    "license": "LGPL-3",
    "author": "q2c contributors",
    "website": "https://github.com/q2c/q2c",
    "category": "Services/Expenses",
    # A bridge: installed by itself once both the Harvest pull and the expense ingestion are.
    "depends": ["q2c_harvest", "q2c_expense"],
    "data": ["views/q2c_system_views.xml"],
    "development_status": "Alpha",
    "maintainers": ["q2c"],
    "installable": True,
    "auto_install": True,
}
