# Copyright 2026 q2c contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
{
    "name": "q2c Integration Backbone",
    "summary": "Connected systems, verified event inbox, jobs, audit and security for q2c",
    "version": "18.0.1.0.0",
    "license": "LGPL-3",
    "author": "q2c contributors",
    "website": "https://github.com/q2c/q2c",
    "category": "Services/Integration",
    "depends": ["base", "mail", "queue_job"],
    "data": [
        "security/security.xml",
        "security/ir.model.access.csv",
        "data/queue_job_data.xml",
        "data/ir_cron_data.xml",
        "data/ir_config_parameter_data.xml",
        "views/q2c_system_views.xml",
        "views/q2c_event_views.xml",
        "views/q2c_misc_views.xml",
        "views/menus.xml",
    ],
    "demo": ["demo/q2c_demo.xml"],
    "assets": {
        "web.assets_backend": ["q2c_base/static/src/bus/*.js"],
        "web.assets_frontend": ["q2c_base/static/src/bus/*.js"],
        "web.assets_tests": ["q2c_base/static/tests/tours/*.js"],
    },
    "development_status": "Alpha",
    "maintainers": ["q2c"],
    "external_dependencies": {"python": ["requests", "cryptography", "lxml"]},
    "installable": True,
}
