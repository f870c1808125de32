from odoo import Command
from odoo.exceptions import UserError, ValidationError

from .common import Q2cContractCase


class TestBadInput(Q2cContractCase):
    """Bad input is refused with a message that says what is wrong, and nothing is written."""

    def test_overlapping_rate_periods_for_the_same_key(self):
        Card = self.env["q2c.rate.card"]
        before = Card.search_count([])
        with self.assertRefused(ValidationError, "overlap in rate card Overlap"):
            self._create_rate_card(
                "Overlap",
                lines=[
                    (self.role_senior, 180.0, "2025-01-01", "2025-03-17"),
                    (self.role_senior, 186.5, "2025-03-17", None),
                ],
            )
        self.assertEqual(Card.search_count([]), before)

    def test_open_ended_period_overlaps_a_later_one(self):
        card = self._create_rate_card(
            "Open", lines=[(self.role_senior, 180.0, "2025-01-01", None)]
        )
        with self.assertRefused(ValidationError, "overlap"):
            card.line_ids = [
                Command.create(
                    {"role_id": self.role_senior.id, "rate": 190.0, "date_from": "2026-01-01"}
                )
            ]
        self.assertEqual(len(card.line_ids), 1)

    def test_adjacent_periods_and_other_keys_are_fine(self):
        card = self._create_rate_card(
            "Fine",
            lines=[
                (self.role_senior, 180.0, "2025-01-01", "2025-03-16"),
                (self.role_senior, 186.5, "2025-03-17", None),
                (self.role_consultant, 140.0, "2025-01-01", None),
            ],
        )
        self.assertEqual(len(card.line_ids), 3)

    def test_overlapping_overrides(self):
        contract = self._create_contract()
        values = {"contract_id": contract.id, "role_id": self.role_senior.id, "rate": 100.0}
        self.env["q2c.rate.override"].create({**values, "date_from": "2025-01-01"})
        with self.assertRefused(ValidationError, "overlap in the overrides of contract"):
            self.env["q2c.rate.override"].create({**values, "date_from": "2025-06-01"})

    def test_rate_line_needs_one_key_and_a_positive_rate(self):
        eve = self._create_employee("Eve", self.role_senior)
        card = self._create_rate_card("Keys")
        line = {"rate": 100.0, "date_from": "2025-01-01"}
        with self.assertRefused(ValidationError, "exactly one employee or one role"):
            card.line_ids = [
                Command.create({**line, "employee_id": eve.id, "role_id": self.role_senior.id})
            ]
        with self.assertRefused(ValidationError, "must be positive"):
            card.line_ids = [Command.create({**line, "role_id": self.role_senior.id, "rate": 0.0})]
        self.assertFalse(card.line_ids)

    def test_milestone_total_over_contract_value(self):
        contract = self._create_contract(billing_model="fixed_fee", original_value=10000.00)
        contract.milestone_ids = [
            Command.create({"name": "M1", "basis": "amount", "fixed_amount": 6000.00})
        ]
        with self.assertRefused(ValidationError, r"total \$\s11,000.00"):
            contract.milestone_ids = [
                Command.create({"name": "M2", "basis": "amount", "fixed_amount": 5000.00})
            ]
        self.assertEqual(contract.milestone_ids.mapped("name"), ["M1"])
        with self.assertRefused(ValidationError, "over 100%"):
            contract.milestone_ids = [
                Command.create({"name": "M3", "percent": 60.0}),
                Command.create({"name": "M4", "percent": 50.0}),
            ]
        self.assertEqual(contract.milestone_ids.mapped("name"), ["M1"])

    def test_fixed_fee_activation_needs_milestones_adding_up(self):
        contract = self._create_contract(
            billing_model="fixed_fee",
            original_value=10000.00,
            milestone_ids=[Command.create({"name": "M1", "percent": 60.0})],
        )
        with self.assertRefused(UserError, "must add up to the fixed fee"):
            contract.action_activate()
        self.assertEqual(contract.state, "draft")

    def test_negative_retainage(self):
        contract = self._create_contract()
        with self.assertRefused(ValidationError, "retainage .* must be between 0% and 100%"):
            contract.retainage_percent = -5.0
        self.assertEqual(contract.retainage_percent, 0.0)
        with self.assertRefused(ValidationError, "between 0% and 100%"):
            self._create_contract(name="Over", retainage_percent=110.0, project_ids=[])

    def test_negative_contract_value(self):
        with self.assertRefused(ValidationError, "cannot be negative"):
            self._create_contract(original_value=-1.0)

    def test_contract_card_in_another_currency(self):
        eur = self.env.ref("base.EUR")
        eur.active = True
        card = self._create_rate_card("Euro card", currency_id=eur.id)
        with self.assertRefused(ValidationError, "is in EUR but contract"):
            self._create_contract(rate_card_ids=[Command.link(card.id)])

    def test_signed_terms_change_only_through_change_orders(self):
        contract = self._create_progress_contract([("1", "Work", 1000.00)])
        contract.action_activate()
        with self.assertRefused(UserError, "is signed"):
            contract.original_value = 2000.00
        with self.assertRefused(UserError, "is signed"):
            contract.sov_line_ids.original_value = 2000.00
        with self.assertRefused(UserError, "is signed"):
            contract.sov_line_ids = [
                Command.create({"item_no": "2", "name": "More", "original_value": 10.0})
            ]
        with self.assertRefused(UserError, "is signed"):
            contract.sov_line_ids.with_context(q2c_change_order_effect=True).active = False
        self.assertAmount(contract.current_value, 1000.00)
        self.assertTrue(contract.sov_line_ids.active)

    def test_schedule_of_values_must_match_the_contract_sum(self):
        contract = self._create_progress_contract([("1", "Work", 1000.00)], original_value=1200.00)
        with self.assertRefused(UserError, "must equal the contract sum"):
            contract.action_activate()

    def test_a_project_belongs_to_one_contract(self):
        self._create_contract()
        with self.assertRefused(ValidationError, "already belongs to contract"):
            self._create_contract(name="Second")

    def test_change_entries_are_append_only(self):
        contract = self._create_contract()
        entry = self.env["q2c.contract.change.entry"].create(
            {
                "contract_id": contract.id,
                "currency_id": self.usd.id,
                "name": "x",
                "kind": "value",
                "amount": 10.0,
            }
        )
        with self.assertRefused(UserError, "never edited"):
            entry.amount = 20.0
        with self.assertRefused(UserError, "never deleted"):
            entry.unlink()
