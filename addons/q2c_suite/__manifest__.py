# Copyright 2026 q2c contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
{
    "name": "q2c Suite",
    "summary": "Installs every q2c addon: quote to cash for services and construction firms",
    "version": "18.0.1.0.0",
    "license": "LGPL-3",
    "author": "q2c contributors",
    "website": "https://github.com/q2c/q2c",
    "category": "Services/Integration",
    # Every q2c addon is listed here: `make run` installs this one.
    "depends": [
        "q2c_base",
        "q2c_sync",
        "q2c_contract",
        "q2c_change_order",
        "q2c_crm",
        "q2c_hubspot",
        "q2c_salesforce",
        "q2c_timesheet",
        "q2c_expense",
        "q2c_harvest",
        "q2c_harvest_expense",
        "q2c_toggl",
        "q2c_clockify",
        "q2c_tempo",
        "q2c_billing",
        "q2c_billing_report",
        "q2c_payment",
        "q2c_stripe",
        "q2c_chargebee",
        "q2c_paypal",
        # The bridges are auto_install; listed so that updating this addon installs them on a
        # database that had the connectors and q2c_payment before the bridges existed.
        "q2c_hubspot_payment",
        "q2c_salesforce_payment",
        "q2c_progress_billing",
    ],
    "development_status": "Alpha",
    "maintainers": ["q2c"],
    "installable": True,
    "application": True,
}
