from odoo.tests import Form, tagged

from .common import Q2cCase


@tagged("post_install", "-at_install")
class TestJobChannel(Q2cCase):
    """A system's queue channel is named from its saved type and id: a new system's form
    showed `root.q2c.False_new` (issue 13, item 12)."""

    def test_unsaved_system_has_no_channel(self):
        form = Form(self.env["q2c.system"].with_user(self.manager))
        self.assertFalse(form.job_channel)
        form.system_type = "generic"
        self.assertFalse(form.job_channel, "the id is not known before the system is saved")

    def test_saved_system_keeps_its_channel_while_edited(self):
        channel = f"root.q2c.generic_{self.system.id}"
        self.assertEqual(self.system.job_channel, channel)
        form = Form(self.system.with_user(self.manager))
        form.name = "Renamed"
        self.assertEqual(form.job_channel, channel)
        self.assertNotIn("False", form.job_channel)
