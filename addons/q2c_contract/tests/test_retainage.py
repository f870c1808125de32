from ..money import percent_of
from .common import Q2cContractCase


class TestRetainage(Q2cContractCase):
    """Retainage rates and rounding (billing-domain.md 2.4; GC-06, GC-07, GC-10)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.contract = cls._create_progress_contract(
            [("1", "Work", 1000000.00)],
            retainage_percent=10.0,
            retainage_threshold_percent=50.0,
            retainage_reduced_percent=5.0,
        )

    def test_rate_drops_at_the_threshold(self):
        # GC-06: 32.50% complete -> 10%; GC-07: 67.94% -> 5%; exactly 50% -> reduced.
        self.assertEqual(self.contract._retainage_percent_at(325000.10 / 1000000.00), 10.0)
        self.assertEqual(self.contract._retainage_percent_at(710000.05 / 1045000.00), 5.0)
        self.assertEqual(self.contract._retainage_percent_at(0.5), 5.0)

    def test_rounded_half_up_per_line(self):
        # GC-06 line 2 Sitework and line 5 MEP: 10% of 120,000.05 and of 15,000.05.
        self.assertAmount(self.contract._compute_retainage(120000.05, 0.325), 12000.01)
        self.assertAmount(self.contract._compute_retainage(15000.05, 0.325), 1500.01)

    def test_gc10_change_order_line_retainage(self):
        flat = self._create_progress_contract(
            [("1", "Work", 500000.00)], retainage_percent=10.0, project_ids=[]
        )
        work = percent_of(flat.currency_id, 11421.08, 50.0)  # 50% of the CO work done
        self.assertAmount(work, 5710.54)
        retainage = flat._compute_retainage(work)
        self.assertAmount(retainage, 571.05)  # round(571.054)
        self.assertAmount(work - retainage, 5139.49)
