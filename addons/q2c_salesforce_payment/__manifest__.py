# Copyright 2026 q2c contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
{
    "name": "q2c Salesforce Account Standing",
    "summary": "Write the customer's account standing (q2c_payment) onto its Salesforce Account",
    "version": "18.0.1.0.0",
    "license": "LGPL-3",
    "author": "q2c contributors",
    "website": "https://github.com/q2c/q2c",
    "category": "Services/Integration",
    # A bridge: installed by itself once both the Salesforce connector and the payments are, so
    # a firm syncing opportunities without payments through q2c installs no payments stack.
    "depends": ["q2c_salesforce", "q2c_payment"],
    "data": ["views/q2c_system_views.xml"],
    "development_status": "Alpha",
    "maintainers": ["q2c"],
    "installable": True,
    "auto_install": True,
}
