# Copyright 2026 q2c contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
{
    "name": "q2c CRM Provisioning",
    "summary": "Won CRM deals become a customer, a contract and a project, exactly once",
    "version": "18.0.1.0.0",
    "license": "LGPL-3",
    "author": "q2c contributors",
    "website": "https://github.com/q2c/q2c",
    "category": "Services/Integration",
    # product, hr (via q2c_contract): service products map to the roles rate cards price.
    "depends": ["q2c_base", "q2c_contract", "q2c_change_order", "project"],
    "data": [
        "views/q2c_system_views.xml",
        "views/product_template_views.xml",
        "views/q2c_contract_views.xml",
        "views/q2c_change_order_views.xml",
    ],
    "demo": ["demo/product_product_demo.xml"],
    "assets": {"web.assets_tests": ["q2c_crm/static/tests/tours/*.js"]},
    "development_status": "Alpha",
    "maintainers": ["q2c"],
    "installable": True,
}
