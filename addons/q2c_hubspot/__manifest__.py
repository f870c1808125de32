# Copyright 2026 q2c contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
{
    "name": "q2c HubSpot Connector",
    "summary": "HubSpot won deals become customers, contracts and projects (webhooks v3, CRM v3)",
    "version": "18.0.1.0.0",
    "license": "LGPL-3",
    "author": "q2c contributors",
    "website": "https://github.com/q2c/q2c",
    "category": "Services/Integration",
    # q2c_payment: the account standing written back to the CRM's account.
    "depends": ["q2c_crm", "q2c_payment"],
    "data": ["views/q2c_system_views.xml"],
    "demo": ["demo/q2c_hubspot_demo.xml"],
    "assets": {"web.assets_tests": ["q2c_hubspot/static/tests/tours/*.js"]},
    "development_status": "Alpha",
    "maintainers": ["q2c"],
    "external_dependencies": {"python": ["requests"]},
    "installable": True,
}
