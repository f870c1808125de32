# Copyright 2026 q2c contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
{
    "name": "q2c Stripe Connector",
    "summary": "Stripe payments, refunds and chargebacks settle Odoo invoices (signed webhooks)",
    "version": "18.0.1.0.0",
    "license": "LGPL-3",
    "author": "q2c contributors",
    "website": "https://github.com/q2c/q2c",
    "category": "Accounting/Payment Providers",
    "depends": ["q2c_payment"],
    "data": ["views/q2c_system_views.xml", "views/account_move_views.xml"],
    "demo": ["demo/q2c_stripe_demo.xml"],
    "assets": {"web.assets_tests": ["q2c_stripe/static/tests/tours/*.js"]},
    "development_status": "Alpha",
    "maintainers": ["q2c"],
    "external_dependencies": {"python": ["requests"]},
    "installable": True,
}
