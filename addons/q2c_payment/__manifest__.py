# Copyright 2026 q2c contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
{
    "name": "q2c Payments",
    "summary": "Gateway payments, refunds and chargebacks settle Odoo invoices once each; "
    "payments to match; customer standing",
    "version": "18.0.1.0.0",
    "license": "LGPL-3",
    "author": "q2c contributors",
    "website": "https://github.com/q2c/q2c",
    "category": "Accounting/Accounting",
    # q2c_billing: Finance's invoicing rights and the Billing menu; account: payments,
    # credit notes and reconciliation are Odoo's own.
    "depends": ["q2c_billing", "account", "account_reconcile_oca", "queue_job"],
    "data": [
        "security/security.xml",
        "security/ir.model.access.csv",
        "security/subscription_security.xml",
        "views/q2c_payment_settlement_views.xml",
        "views/res_partner_views.xml",
        "views/account_move_views.xml",
        "views/q2c_contract_views.xml",
        "views/q2c_system_views.xml",
        "views/q2c_subscription_load_views.xml",
        "views/payout_line_views.xml",
        "views/menus.xml",
        "views/portal_templates.xml",
        "data/q2c_payment_data.xml",
        "data/queue_job_data.xml",
        "views/q2c_subscription_views.xml",
    ],
    "development_status": "Alpha",
    "maintainers": ["q2c"],
    "installable": True,
}
