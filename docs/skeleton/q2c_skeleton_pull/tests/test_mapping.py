from odoo.addons.q2c_base.exceptions import MappingError
from odoo.addons.q2c_sync.ingest import FailedRecord
from odoo.tests import BaseCase, tagged

from .. import mapping


@tagged("post_install", "-at_install")
class TestMapping(BaseCase):
    """The mapping on recorded answers, without a database."""

    def test_entries_of_a_page(self):
        answer = {
            "entries": [
                {
                    "id": "t1",
                    "user_id": "u1",
                    "project_id": "p1",
                    "date": "2025-03-27",
                    "hours": 2.5,
                    "status": "approved",
                    "updated_at": "2025-03-28T09:00:00Z",
                },
                {
                    "id": "t2",
                    "user_id": "u1",
                    "project_id": "p1",
                    "date": "2025-03-27",
                    "hours": None,
                },
            ],
            "total_pages": 3,
        }  # a running timer (no hours) is left out
        entries, total = mapping.page(answer)
        self.assertEqual(total, 3)
        self.assertEqual([e["external_id"] for e in entries], ["t1"])
        self.assertEqual(entries[0]["approval_state"], "approved")
        self.assertEqual(entries[0]["approved_at"], "2025-03-28T09:00:00Z")

    def test_a_record_that_is_not_an_object_is_held_not_the_page(self):
        entries, _total = mapping.page({"entries": ["oops", {"id": "t3", "hours": 1.0}]})
        self.assertIsInstance(entries[0], FailedRecord)
        self.assertIn("not an object", entries[0]["reason"])
        self.assertEqual(entries[1]["external_id"], "t3")

    def test_a_malformed_answer_is_a_mapping_error(self):
        with self.assertRaises(MappingError):
            mapping.page({"error": "maintenance"})
