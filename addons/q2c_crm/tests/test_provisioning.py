from odoo.addons.q2c_crm.exceptions import ProvisioningBlocked
from odoo.tests import new_test_user, tagged

from .common import CrmCase, apply_deal


@tagged("post_install", "-at_install")
class TestProvisioning(CrmCase):
    def test_every_invalid_field_is_named(self):
        deal = self._deal(
            amount="-5", currency="XXX", billing_model="hourly", start_date="31/12/2026", owner={}
        )
        event = self._send("bad-1", deal)
        self.assertEqual(event.state, "dead")
        for text in (
            "missing owner",
            "currency XXX",
            "amount -5",
            "billing model hourly",
            "start date 31/12/2026",
        ):
            self.assertIn(text, event.error)
        exception = self.env["q2c.exception"].search([("event_id", "=", event.id)])
        self.assertEqual(exception.kind, "missing_data")
        self.assertIn("replay", exception.details)
        self.assertFalse(self._contract())

    def test_active_fixed_fee_with_owner_and_partial_lines(self):
        owner = new_test_user(self.env, login="owner@hooli.example", groups="base.group_user")
        self.system.crm_contract_state = "active"
        event = self._send("ok-1", self._deal(owner={"id": "O-9", "email": "OWNER@hooli.example"}))
        self.assertEqual(event.state, "done", event.error)
        contract = self._contract()
        self.assertEqual(contract.state, "active")
        self.assertEqual(contract.user_id, owner)
        self.assertEqual(contract.project_ids.user_id, owner)
        # The lines (20 000) do not add up to the fee (30 000): one milestone for the fee.
        self.assertEqual(contract.milestone_ids.mapped("percent"), [100.0])
        self.assertEqual(
            sorted(contract.project_ids.task_ids.mapped("name")), ["Phase 1", "Phase 2 (x 2)"]
        )
        self.assertEqual(
            set(event.link_ids.mapped("res_model")),
            {"res.partner", "q2c.contract", "project.project"},
        )

    def test_contract_not_ready_stays_a_draft_with_the_reason(self):
        self.system.crm_contract_state = "active"
        event = self._send("ret-1", self._deal(billing_model="retainer"))
        self.assertEqual(event.state, "done", event.error)
        contract = self._contract()
        self.assertEqual(contract.state, "draft")
        self.assertTrue(
            any("Left as a draft" in (m.body or "") for m in contract.message_ids),
            contract.message_ids.mapped("body"),
        )

    def test_same_vat_is_a_possible_duplicate(self):
        existing = self.env["res.partner"].create(
            {"name": "Totally Different Name", "is_company": True, "vat": "BE 0477.472.701"}
        )
        event = self._send("dup-1", self._deal())
        self.assertEqual(event.state, "dead")
        exception = self.env["q2c.exception"].search([("event_id", "=", event.id)])
        self.assertEqual((exception.kind, exception.res_id), ("duplicate", existing.id))
        self.assertIn("same VAT", exception.details)

    def test_a_name_spelled_without_accents_is_a_possible_duplicate(self):
        """ "Société Générale de Hooli S.A." exists; a won deal for "SOCIETE generale de
        Hooli SA" (no accents, other case and legal-form spelling) is the same customer: a
        person decides, no second customer is created (issue 11, item 9)."""
        existing = self.env["res.partner"].create(
            {"name": "Société Générale de Hooli S.A.", "is_company": True}
        )
        account = {"id": "A-9", "name": "SOCIETE  generale de Hooli SA"}
        event = self._send("dup-accents", self._deal(account=account))
        self.assertEqual(event.state, "dead")
        exception = self.env["q2c.exception"].search([("event_id", "=", event.id)])
        self.assertEqual((exception.kind, exception.res_id), ("duplicate", existing.id))
        self.assertIn("same name", exception.details)
        partners = self.env["res.partner"].search(
            [("q2c_name_key", "=", "societe generale de hooli")]
        )
        self.assertEqual(partners, existing, "no second customer")

    def test_changes_after_provisioning(self):
        self._send("chg-0", self._deal())
        contract = self._contract()
        not_won = self._send("chg-1", self._deal(id="D-2", won=False))
        self.assertEqual((not_won.state, self._contract("D-2")), ("done", None))
        same = self._send("chg-2", self._deal(name="Renamed in the CRM"))
        self.assertEqual(same.state, "done")
        self.assertEqual(contract.name, "Hooli data platform")
        other_currency = self._send("chg-3", self._deal(currency="EUR", amount="1"))
        self.assertEqual(other_currency.state, "dead")
        self.assertIn("changed currency to EUR", other_currency.error)
        lower = self._send("chg-4", self._deal(amount="27999.99"))
        self.assertEqual(lower.state, "done", lower.error)
        order = self.env["q2c.change.order"].search([("contract_id", "=", contract.id)])
        self.assertEqual(order.state, "draft")
        self.assertFalse(contract.currency_id.compare_amounts(order.amount_total, -2000.01))
        self.assertFalse(contract.currency_id.compare_amounts(contract.current_value, 30000))

    def test_owner_matched_by_email_is_bound_for_next_time(self):
        event = self._send("own-1", self._deal())
        self.assertEqual(event.state, "done", event.error)
        self.assertEqual(self._contract().user_id, self.deal_owner)
        refs = self.env["q2c.external.ref"]
        self.assertEqual(refs._find(self.system, "owner", "O-1"), self.deal_owner)
        # The next deal of the same owner is matched by the owner id alone.
        second = self._send("own-2", self._deal(id="D-2", owner={"id": "O-1"}))
        self.assertEqual(second.state, "done", second.error)
        self.assertEqual(self._contract("D-2").user_id, self.deal_owner)

    def test_owner_without_odoo_user(self):
        # Not pm@hooli.example: "_" is no wildcard.
        deal = self._deal(owner={"id": "O-7", "email": "pm@hooli_example"})
        event = self._send("own-3", deal)
        self.assertEqual(event.state, "dead")
        self.assertIn("owner pm@hooli_example has no Odoo user", event.error)
        exception = self.env["q2c.exception"].search([("event_id", "=", event.id)])
        self.assertEqual(exception.kind, "missing_data")
        self.assertFalse(self._contract())
        # With a default contract manager configured, the same deal is provisioned.
        self.system.crm_default_manager_id = self.deal_owner
        event.with_user(self.manager).action_replay(reason="default manager set")
        with self._handler("crm.deal", apply_deal):
            self._run_job_like_the_runner(event)
        self.assertEqual(event.state, "done", event.error)
        self.assertEqual(self._contract().user_id, self.deal_owner)
        self.assertFalse(self.env["q2c.external.ref"]._find(self.system, "owner", "O-7"))

    def test_integration_user_needs_an_email(self):
        self.integration_user.email = False
        event = self._send("mail-1", self._deal())
        self.assertEqual(event.state, "dead")
        self.assertIn("has no e-mail address", event.error)
        self.assertFalse(self._contract())
        # The dead event says it; no to-do, which would be sent in the same user's name.
        self.assertFalse(self.env["q2c.exception"].search([("event_id", "=", event.id)]))

    def test_the_service_needs_no_event(self):
        """Provisioning is a service a pull or a button can call too, without an event."""
        provisioning = self.env["q2c.crm.provisioning"].with_user(self.integration_user)
        system = self.system.with_user(self.integration_user)
        with self.assertRaises(ProvisioningBlocked) as caught:
            provisioning._apply_deal(system, self._deal(amount=None))
        self.assertIn("missing amount", caught.exception.reason)
        self.assertIn("provision the deal again", caught.exception.details)
        touched = provisioning._apply_deal(system, self._deal())
        self.assertIn(self._contract(), touched)
        self.assertEqual(
            provisioning._apply_deal(system, self._deal(amount="31000")).state, "draft"
        )
