from odoo.tests import TransactionCase, new_test_user, tagged


@tagged("post_install", "-at_install")
class TestPeopleWithoutEmail(TransactionCase):
    """A person without an e-mail address (the user form does not ask for one) configures a
    system: q2c's notes in the chatter are logged, never sent, so Odoo does not refuse them
    for want of a sender address."""

    def test_manager_without_email_saves_a_system_and_changes_its_secret(self):
        manager = new_test_user(
            self.env,
            login="q2c.nomail",
            groups="base.group_user,q2c_base.group_integration_manager",
        )
        manager.partner_id.email = False
        System = self.env["q2c.system"].with_user(manager)
        system = System.create(
            {"name": "No e-mail", "system_type": "generic", "webhook_secret": "s" * 32}
        )
        system.write({"webhook_secret": "t" * 32})
        notes = system.sudo().message_ids.filtered(lambda m: m.author_id == manager.partner_id)
        self.assertTrue(notes, "the change is in the chatter, by the manager")
