# Copyright 2026 q2c contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
{
    "name": "q2c HubSpot Connector",
    "summary": "HubSpot won deals become customers, contracts and projects (webhooks v3, CRM v3)",
    "version": "18.0.1.1.0",
    "license": "LGPL-3",
    "author": "q2c contributors",
    "website": "https://github.com/q2c/q2c",
    "category": "Services/Integration",
    # The account standing written back to the CRM's account is q2c_hubspot_payment's (a bridge
    # installed by itself with q2c_payment): no payments stack for a firm syncing deals only.
    "depends": ["q2c_crm"],
    "data": ["views/q2c_system_views.xml"],
    "demo": ["demo/q2c_hubspot_demo.xml"],
    "assets": {"web.assets_tests": ["q2c_hubspot/static/tests/tours/*.js"]},
    "development_status": "Alpha",
    "maintainers": ["q2c"],
    "external_dependencies": {"python": ["requests"]},
    "installable": True,
}
