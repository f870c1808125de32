# Copyright 2026 q2c contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
{
    "name": "q2c Skeleton Webhook Connector",
    "summary": "Template of a webhook connector: copy it, rename 'skeleton', fill in the hooks",
    "version": "18.0.1.0.0",
    "license": "LGPL-3",
    "author": "q2c contributors",
    "website": "https://github.com/q2c/q2c",
    "category": "Services/Integration",
    # A webhook connector needs the backbone only; a CRM adds q2c_crm, a pull adds q2c_sync.
    "depends": ["q2c_base"],
    "data": ["views/q2c_system_views.xml"],
    "development_status": "Alpha",
    "maintainers": ["q2c"],
    "installable": True,
}
