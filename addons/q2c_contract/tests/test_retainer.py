from odoo import Command

from .common import Q2cContractCase


class TestRetainer(Q2cContractCase):
    """Prepaid drawdown retainers (billing-domain.md 1.4)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.erin = cls._create_employee("Erin", cls.role_senior)
        card = cls._create_rate_card(
            "Retainer rates", lines=[(cls.erin, 200.0, "2025-01-01", None)]
        )
        cls.contract = cls._create_contract(
            name="Retainer",
            billing_model="retainer",
            retainer_amount=10000.00,
            retainer_period="monthly",
            date_start="2025-01-15",
            date_end="2025-12-31",
            rate_card_ids=[Command.link(card.id)],
        )
        cls.contract.action_activate()

    def test_first_period_prorated(self):
        january = self.contract._open_retainer_period("2025-01-20")
        self.assertAmount(january.amount, 5483.87)  # 10,000.00 x 17/31
        self.assertEqual(str(january.valid_from), "2025-01-15")
        self.assertEqual(str(january.expiry), "2025-01-31")
        february = self.contract._open_retainer_period("2025-02-01")
        self.assertAmount(february.amount, 10000.00)

    def test_period_opened_once(self):
        first = self.contract._open_retainer_period("2025-02-03")
        again = self.contract._open_retainer_period("2025-02-27")
        self.assertEqual(first, again)
        self.assertEqual(len(self.contract.retainer_bucket_ids), 1)

    def test_drawdown_earliest_expiry_first_then_overage(self):
        period = self.contract._open_retainer_period("2025-02-01")
        top_up = self.env["q2c.retainer.bucket"].create(
            {
                "contract_id": self.contract.id,
                "name": "Top-up",
                "kind": "top_up",
                "amount": 2000.00,
                "valid_from": "2025-02-01",
                "expiry": "2025-02-14",
            }
        )
        # 30 h x 200.00 = 6,000.00: the top-up expires first and goes first.
        applied, overage = self.contract._retainer_draw_time(
            "2025-02-10", self.erin, 30.0, "Feb week 2"
        )
        self.assertAmount(applied, 6000.00)
        self.assertAmount(overage, 0.00)
        self.assertAmount(top_up.balance, 0.00)
        self.assertAmount(period.balance, 6000.00)
        # 40 h x 200.00 = 8,000.00 against 6,000.00 left: 2,000.00 overage at T&M rates.
        applied, overage = self.contract._retainer_draw_time(
            "2025-02-20", self.erin, 40.0, "Feb week 4"
        )
        self.assertAmount(applied, 6000.00)
        self.assertAmount(overage, 2000.00)
        self.assertAmount(self.contract.retainer_balance, 0.00)

    def test_expired_funds_are_not_drawn(self):
        self.contract._open_retainer_period("2025-02-01")
        applied, overage = self.contract._retainer_draw("2025-03-02", 500.00, "March usage")
        self.assertAmount(applied, 0.00)
        self.assertAmount(overage, 500.00)

    def _expire_february_with(self, policy, cap=0.0):
        self.contract.write({"retainer_rollover_policy": policy, "retainer_rollover_cap": cap})
        february = self.contract._open_retainer_period("2025-02-01")
        self.contract._retainer_draw("2025-02-10", 7000.00, "usage")
        self.env["q2c.retainer.bucket"]._expire("2025-03-01")
        return february

    def test_no_rollover_releases_breakage(self):
        february = self._expire_february_with("none")
        self.assertEqual(february.state, "expired")
        self.assertAmount(february.breakage_amount, 3000.00)
        self.assertEqual(len(self.contract.retainer_bucket_ids), 1)

    def test_rollover_into_next_period_only(self):
        february = self._expire_february_with("next_period_only")
        rollover = self.contract.retainer_bucket_ids - february
        self.assertAmount(rollover.amount, 3000.00)
        self.assertEqual(str(rollover.valid_from), "2025-03-01")
        self.assertEqual(str(rollover.expiry), "2025-03-31")
        self.assertAmount(february.breakage_amount, 0.00)
        # A rollover does not roll again: at its expiry the rest is breakage.
        self.env["q2c.retainer.bucket"]._expire("2025-04-01")
        self.assertAmount(rollover.breakage_amount, 3000.00)

    def test_capped_rollover(self):
        february = self._expire_february_with("capped", cap=1000.00)
        rollover = self.contract.retainer_bucket_ids - february
        self.assertAmount(rollover.amount, 1000.00)
        self.assertAmount(february.breakage_amount, 2000.00)
