from odoo.tests import tagged

from .common import Q2cSyncCase


@tagged("post_install", "-at_install")
class TestDisplayNames(Q2cSyncCase):
    """Sync runs and pages are named for a person, in the reader's time zone, not
    `q2c.sync.run,12` (issue 13, item 12)."""

    def test_run_and_page_names(self):
        system = self._create_pull_system(name="Toggl")
        run = self.env["q2c.sync.run"].create(
            {"system_id": system.id, "started_at": "2026-12-06 15:00:00"}
        )
        page = self.env["q2c.sync.page"].create({"run_id": run.id, "page_no": 3})
        extra = self.env["q2c.sync.page"].create(
            {"run_id": run.id, "page_no": 1, "stream": "late_approvals"}
        )
        in_utc = run.with_context(tz="UTC")
        self.assertEqual(in_utc.display_name, "Toggl pull 2026-12-06 15:00")
        self.assertEqual(
            run.with_context(tz="America/New_York").display_name, "Toggl pull 2026-12-06 10:00"
        )
        self.assertEqual(page.stream_label, "Updated records")
        self.assertEqual(extra.stream_label, "Late approvals")
        self.assertEqual(
            page.with_context(tz="UTC").display_name, "Toggl pull 2026-12-06 15:00, page 3"
        )
        self.assertEqual(
            extra.with_context(tz="UTC").display_name,
            "Toggl pull 2026-12-06 15:00, late approvals page 1",
        )
