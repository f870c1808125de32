# Copyright 2026 q2c contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
{
    "name": "q2c Contracts",
    "summary": "Contracts, rate cards, milestones, retainers and schedules of values",
    "version": "18.0.1.0.0",
    "license": "LGPL-3",
    "author": "q2c contributors",
    "website": "https://github.com/q2c/q2c",
    "category": "Services/Contracts",
    # sale: the optional sale order and the service products of rate-card lines (it brings
    # account, hence project_account and analytic accounts on projects); hr: employees and
    # roles (hr.job) that rate cards price; project: projects, managers and milestones.
    "depends": ["q2c_base", "hr", "project", "sale"],
    "data": [
        "security/security.xml",
        "security/ir.model.access.csv",
        "data/ir_sequence_data.xml",
        "data/ir_cron_data.xml",
        "wizards/q2c_milestone_acceptance_views.xml",
        "views/q2c_contract_views.xml",
        "views/q2c_rate_card_views.xml",
        "views/q2c_contract_milestone_views.xml",
        "views/q2c_retainer_bucket_views.xml",
        "views/q2c_contract_change_entry_views.xml",
        "views/project_project_views.xml",
        "views/menus.xml",
    ],
    "demo": [
        "demo/q2c_contract_demo.xml",
    ],
    "development_status": "Alpha",
    "maintainers": ["q2c"],
    "installable": True,
    "application": True,
}
