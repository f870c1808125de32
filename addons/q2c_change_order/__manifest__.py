# Copyright 2026 q2c contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
{
    "name": "q2c Change Orders",
    "summary": "Change orders: revisions, partial approval, effects applied once, audit",
    "version": "18.0.1.0.0",
    "license": "LGPL-3",
    "author": "q2c contributors",
    "website": "https://github.com/q2c/q2c",
    "category": "Services/Contracts",
    "depends": ["q2c_contract"],
    "data": [
        "security/security.xml",
        "security/ir.model.access.csv",
        "wizards/q2c_change_order_reason_views.xml",
        "views/q2c_change_order_views.xml",
        "views/q2c_contract_views.xml",
        "views/res_config_settings_views.xml",
        "views/menus.xml",
    ],
    "demo": [
        "demo/q2c_change_order_demo.xml",
    ],
    "assets": {
        "web.assets_tests": ["q2c_change_order/static/tests/tours/*.js"],
    },
    "development_status": "Alpha",
    "maintainers": ["q2c"],
    "installable": True,
}
