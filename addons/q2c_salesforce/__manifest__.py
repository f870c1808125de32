# Copyright 2026 q2c contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
{
    "name": "q2c Salesforce Connector",
    "summary": "Salesforce won opportunities become customers, contracts and projects "
    "(Outbound Messaging, REST API)",
    "version": "18.0.1.1.0",
    "license": "LGPL-3",
    "author": "q2c contributors",
    "website": "https://github.com/q2c/q2c",
    "category": "Services/Integration",
    # The account standing written back to the CRM's account is q2c_salesforce_payment's (a
    # bridge installed by itself with q2c_payment): no payments stack for syncing deals only.
    "depends": ["q2c_crm"],
    "data": ["views/q2c_system_views.xml"],
    "demo": ["demo/q2c_salesforce_demo.xml"],
    "development_status": "Alpha",
    "maintainers": ["q2c"],
    "external_dependencies": {"python": ["requests", "lxml"]},
    "installable": True,
}
