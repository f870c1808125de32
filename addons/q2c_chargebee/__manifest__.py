# Copyright 2026 q2c contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
{
    "name": "q2c Chargebee Connector",
    "summary": "Chargebee subscriptions, invoices, credit notes and payments mirrored into Odoo "
    "once each (HTTP Basic webhooks, events re-read from the API)",
    "version": "18.0.1.0.0",
    "license": "LGPL-3",
    "author": "q2c contributors",
    "website": "https://github.com/q2c/q2c",
    "category": "Accounting/Payment Providers",
    "depends": ["q2c_payment"],
    "data": ["views/q2c_system_views.xml"],
    "demo": ["demo/q2c_chargebee_demo.xml"],
    "assets": {"web.assets_tests": ["q2c_chargebee/static/tests/tours/*.js"]},
    "development_status": "Alpha",
    "maintainers": ["q2c"],
    "external_dependencies": {"python": ["requests"]},
    "installable": True,
}
