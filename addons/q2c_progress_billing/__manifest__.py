# Copyright 2026 q2c contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
{
    "name": "q2c Progress Billing",
    "summary": "Construction progress billing: AIA G702/G703 pay applications against the "
    "schedule of values, with retainage, certified and invoiced",
    "version": "18.0.1.0.0",
    "license": "LGPL-3",
    "author": "q2c contributors",
    "website": "https://github.com/q2c/q2c",
    "category": "Services/Contracts",
    # q2c_change_order: approved change orders move the schedule of values (change ledger);
    # q2c_billing: the contract on invoices, the sales journal; account: the invoices.
    "depends": ["q2c_contract", "q2c_change_order", "q2c_billing", "account"],
    "data": [
        "security/security.xml",
        "security/ir.model.access.csv",
        "data/q2c_pay_document_type_data.xml",
        "views/q2c_pay_application_views.xml",
        "views/q2c_pay_document_views.xml",
        "views/q2c_change_order_views.xml",
        "views/q2c_contract_views.xml",
        "views/res_config_settings_views.xml",
        "views/menus.xml",
        "report/pay_application_reports.xml",
    ],
    "demo": ["demo/q2c_progress_billing_demo.xml"],
    "assets": {
        "web.assets_tests": ["q2c_progress_billing/static/tests/tours/*.js"],
    },
    "development_status": "Alpha",
    "maintainers": ["q2c"],
    "installable": True,
}
