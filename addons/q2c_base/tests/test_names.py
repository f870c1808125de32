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


@tagged("post_install", "-at_install")
class TestRecordNames(Q2cCase):
    """References, ownership rules and outbound calls are named for a person, not
    `q2c.external.ref,7` or a bare external id (issue 13, item 12)."""

    def test_names(self):
        partner = self.env["res.partner"].create({"name": "Acme (names test)"})
        Ref = self.env["q2c.external.ref"]
        Ref._bind(self.system, "Account", "001-A", partner)
        ref = Ref.search([("system_id", "=", self.system.id), ("external_id", "=", "001-A")])
        self.assertEqual(ref.display_name, "Account 001-A of Generic test system")
        field = self.env["ir.model.fields"]._get("res.partner", "email")
        rule = self.env["q2c.field.ownership"].create(
            {"model_id": field.model_id.id, "field_id": field.id, "owner": "odoo"}
        )
        self.assertEqual(rule.display_name, "Email of Contact")
        log = self.env["q2c.outbound.log"].create(
            {"system_id": self.system.id, "method": "GET", "url": "https://example.test/v1/x"}
        )
        self.assertEqual(log.display_name, "Generic test system: GET https://example.test/v1/x")
