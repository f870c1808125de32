# Copyright 2026 q2c contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
{
    "name": "q2c Billing",
    "summary": "Billing runs: approved time, expenses and accepted milestones become draft, "
    "then posted, customer invoices, exactly once per contract and period; not-to-exceed caps; "
    "retainers",
    "version": "18.0.1.2.0",
    "license": "LGPL-3",
    "author": "q2c contributors",
    "website": "https://github.com/q2c/q2c",
    "category": "Services/Contracts",
    # account: the invoices (account.move) the runs create; queue_job: one job per contract;
    # q2c_timesheet and q2c_expense: the approved entries and their billing hooks.
    "depends": ["q2c_contract", "q2c_timesheet", "q2c_expense", "account", "queue_job"],
    "demo": ["demo/q2c_billing_demo.xml"],
    "data": [
        "security/security.xml",
        "security/ir.model.access.csv",
        "views/q2c_billing_run_views.xml",
        "views/account_move_views.xml",
        "views/report_invoice.xml",
        "views/q2c_contract_milestone_views.xml",
        "views/res_config_settings_views.xml",
        "views/q2c_cap_hold_views.xml",
        "views/q2c_contract_views.xml",
        "views/q2c_retainer_views.xml",
        "views/q2c_time_to_bill_views.xml",
        "views/q2c_prebill_review_views.xml",
        "views/menus.xml",
        "data/ir_sequence_data.xml",
        "data/queue_job_data.xml",
        "data/ir_cron_data.xml",
        "data/q2c_prebill_reason_data.xml",
    ],
    "assets": {"web.assets_tests": ["q2c_billing/static/tests/tours/*.js"]},
    "development_status": "Alpha",
    "maintainers": ["q2c"],
    "installable": True,
}
