from odoo.tests import tagged

from .common import Q2cTimeCase


@tagged("post_install", "-at_install")
class TestHeldEntryName(Q2cTimeCase):
    def test_held_entry_is_named_by_kind_id_and_system(self):
        """Not `t-9` alone (its _rec_name): what it is and where it comes from."""
        self._ingest([self._entry("t-9", employee="u-nobody")])
        hold = self.env["q2c.sync.hold"].search(
            [("system_id", "=", self.time_system.id), ("external_id", "=", "t-9")]
        )
        self.assertEqual(hold.display_name, "Time entry t-9 from Time push (test)")
