import json

from odoo.addons.q2c_base.tests.common import Q2cCase
from odoo.tests import new_test_user, tagged

CRM_GROUPS = ("project.group_project_manager", "q2c_contract.group_q2c_finance")


def apply_deal(event):
    return event._crm_apply_deal(json.loads(event.sudo().payload)["deal"])


@tagged("post_install", "-at_install")
class TestProvisioning(Q2cCase):
    """q2c_crm on its own: a generic signed event carrying the neutral deal, through the
    real webhook and job, so the rules hold whichever CRM sent it."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        for xmlid in CRM_GROUPS:
            cls.integration_user.groups_id |= cls.env.ref(xmlid)

    def _deal(self, **overrides):
        deal = {
            "id": "D-1", "name": "Hooli data platform", "won": True, "amount": "30000.00",
            "currency": "USD", "billing_model": "fixed_fee", "start_date": "2026-12-01",
            "owner": {"id": "O-1", "email": "nobody@hooli.example"},
            "account": {"id": "A-1", "name": "Hooli XYZ", "vat": "BE0477472701"},
            "lines": [{"id": "L-1", "name": "Phase 1", "quantity": "1", "amount": "10000"},
                      {"id": "L-2", "name": "Phase 2", "quantity": "2", "amount": "10000"}],
        }  # fmt: skip
        deal.update(overrides)
        return deal

    def _send(self, event_id, deal):
        with self._handler("crm.deal", apply_deal):
            response = self._post({"id": event_id, "type": "crm.deal", "deal": deal})
            self.assertEqual(response.status_code, 200)
            event = self._events().filtered(lambda e: e.external_id == event_id)
            self._run_job_like_the_runner(event)
        return event

    def _contract(self, deal_id="D-1"):
        return self.env["q2c.external.ref"]._find(self.system, "deal", deal_id)

    def test_every_invalid_field_is_named(self):
        deal = self._deal(amount="-5", currency="XXX", billing_model="hourly",
                          start_date="31/12/2026", owner={})  # fmt: skip
        event = self._send("bad-1", deal)
        self.assertEqual(event.state, "dead")
        for text in ("missing owner", "currency XXX", "amount -5", "billing model hourly",
                     "start date 31/12/2026"):  # fmt: skip
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
