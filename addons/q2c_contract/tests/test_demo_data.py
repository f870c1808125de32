from lxml import etree

from odoo import fields
from odoo.tests import TransactionCase, tagged


@tagged("post_install", "-at_install")
class TestDemoData(TransactionCase):
    """What a newcomer meets first after `make run` (issue 13, item 11): a retainer running
    today, contracts managed by people, no cap shown where there is none."""

    def test_retainer_is_current(self):
        contract = self.env.ref("q2c_contract.demo_contract_retainer")
        today = fields.Date.context_today(contract)
        self.assertTrue(contract.date_start <= today <= contract.date_end)
        current = contract.retainer_bucket_ids.filtered(
            lambda b: b.state == "open" and b.valid_from <= today <= b.expiry
        )
        self.assertTrue(current, "no retainer funds usable today")
        self.assertTrue(contract.currency_id.compare_amounts(contract.retainer_balance, 0.0) > 0)

    def test_contract_managers_are_people(self):
        robots = self.env.ref("base.user_root")
        contracts = self.env["q2c.contract"].search([("id", "in", self._demo_ids("q2c.contract"))])
        self.assertTrue(contracts)
        for contract in contracts:
            self.assertTrue(contract.user_id, contract.display_name)
            self.assertNotEqual(contract.user_id, robots, contract.display_name)

    def _demo_ids(self, model):
        return (
            self.env["ir.model.data"]
            .search([("module", "=", "q2c_contract"), ("model", "=", model)])
            .mapped("res_id")
        )

    def test_no_cap_is_not_shown_as_a_zero_cap(self):
        """A signed contract without a cap hides the cap group rather than showing
        'Not-to-exceed 0.00'; a draft shows it, to be filled in."""
        arch = etree.fromstring(self.env["q2c.contract"].get_view(view_type="form")["arch"])
        (cap,) = arch.xpath("//group[@name='cap']")
        self.assertEqual(cap.get("invisible"), "state != 'draft' and not nte_original_amount")
