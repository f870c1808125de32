# Copyright 2026 q2c contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
{
    "name": "q2c Sync Framework",
    "summary": "Scheduled pulls in pages with watermarks, holds, push API plumbing and the "
    "abstract ingested-record model shared by every q2c ingestion",
    "version": "18.0.1.0.0",
    "license": "LGPL-3",
    "author": "q2c contributors",
    "website": "https://github.com/q2c/q2c",
    "category": "Services/Integration",
    "depends": ["q2c_base", "queue_job"],
    "data": [
        "security/ir.model.access.csv",
        "security/security.xml",
        "views/q2c_sync_hold_views.xml",
        "views/q2c_sync_views.xml",
        "data/queue_job_data.xml",
        "data/ir_cron_data.xml",
    ],
    "development_status": "Alpha",
    "maintainers": ["q2c"],
    "installable": True,
}
