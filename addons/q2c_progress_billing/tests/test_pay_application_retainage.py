from odoo.exceptions import ValidationError
from odoo.tests import tagged

from .common import Q2cProgressCase
from .test_pay_application_golden import APP1, APP2


@tagged("post_install", "-at_install")
class TestPayApplicationRetainage(Q2cProgressCase):
    """Retainage settings of billing-domain.md 2.4 beyond GC-06..GC-09: a rate on stored
    material of its own (contract and line), the threshold measured on completed work only,
    and the cap at rate x threshold x contract sum."""

    def _app2(self, contract):
        """GC-06's application 1 certified, CO-001 (+45,000.00, new line 7) approved
        2025-05-20, GC-07's application 2 prepared."""
        app1 = self._certify(self._prepare(contract, "2025-04-30", *APP1))
        self._change_order(contract, "2025-05-20", [{"target": "sov_new", "unit_price": 45000.00}])
        return app1, self._prepare(contract, "2025-05-31", *APP2)

    def test_own_rate_on_stored_material(self):
        """10% on work, 20% on stored (5% and 10% from 50% complete), GC-06 and GC-07's work.

        App 1: 5a as GC-06 25,500.02; 5b = 20% x 60,000.00 + 20% x 10,000.00 = 12,000.00 +
        2,000.00 = 14,000.00; L5 = 39,500.02; L6 = L8 = 325,000.10 - 39,500.02 = 285,500.08;
        L9 = 1,000,000.00 - 285,500.08 = 714,499.92.
        App 2 (67.94%): 5a as GC-07 32,750.00; 5b = 10% x 30,000.00 + 10% x 25,000.00 =
        5,500.00; L5 = 38,250.00; L6 = 710,000.05 - 38,250.00 = 671,750.05; L7 = 285,500.08;
        L8 = 386,249.97 (= dL4 384,999.95 - dL5 -1,250.02)."""
        contract = self._k900(
            name="K-910",
            retainage_stored_separate=True,
            retainage_stored_percent=20.0,
            retainage_reduced_stored_percent=10.0,
        )
        app1, app2 = self._app2(contract)
        self.assertAmount(app1.retainage_stored_rate, 20.0)
        self.assertG702(
            app1,
            {
                "retainage_work": 25500.02,
                "retainage_stored": 14000.00,
                "retainage_total": 39500.02,
                "payment_due": 285500.08,
                "balance_to_finish": 714499.92,
            },
        )
        self.assertAmount(self._row(app1, "5").retainage, 1500.01 + 2000.00)
        self.assertAmount(app1.invoice_id.sudo().amount_total, 285500.08)
        self.assertEqual((app2.retainage_rate, app2.retainage_stored_rate), (5.0, 10.0))
        self.assertG702(
            app2,
            {
                "retainage_work": 32750.00,
                "retainage_stored": 5500.00,
                "retainage_total": 38250.00,
                "earned_less_retainage": 671750.05,
                "previous_certificates": 285500.08,
                "payment_due": 386249.97,
            },
        )
        self._certify(app2)
        self.assertAmount(app2.invoice_id.sudo().amount_total, 386249.97)

    def test_line_override_on_stored_material(self):
        """Structural Steel retains 10% on work and nothing on the steel stored on site;
        other lines the contract's 10%. GC-06's application 1: 5a 25,500.02; 5b = 0.00 (line
        4) + 1,000.00 (MEP) = 1,000.00; L5 = 26,500.02; L8 = 325,000.10 - 26,500.02 =
        298,500.08."""
        contract = self._k900(name="K-911")
        self._sov(contract, "4").write(
            {
                "retainage_override": True,
                "retainage_percent": 10.0,
                "retainage_stored_percent": 0.0,
            }
        )
        app = self._prepare(contract, "2025-04-30", *APP1)
        self.assertAmount(self._row(app, "4").retainage, 0.00)
        self.assertG702(
            app,
            {"retainage_work": 25500.02, "retainage_stored": 1000.00, "payment_due": 298500.08},
        )
        self._certify(app)
        self.assertAmount(app.invoice_id.sudo().amount_total, 298500.08)

    def test_threshold_on_completed_work_only(self):
        """GC-06's work (D + E = 255,000.10) with 290,000.00 stored (steel 200,000.00, MEP
        10,000.00, finishes 80,000.00): L4 = 545,000.10, 54.50% of 1,000,000.00, but the
        completed work alone is 25.50%.

        Completed and stored (default): 5% on both: 5a = 1,000.00 + round(6,000.0025) +
        5,000.00 + round(750.0025) = 12,750.00; 5b = 10,000.00 + 500.00 + 4,000.00 =
        14,500.00; L5 = 27,250.00.
        Completed work only: still 10%: 5a = 25,500.02; 5b = 20,000.00 + 1,000.00 + 8,000.00
        = 29,000.00; L5 = 54,500.02; L8 = 545,000.10 - 54,500.02 = 490,500.08."""
        work, _stored = APP1
        stored = {"4": 200000.00, "5": 10000.00, "6": 80000.00}
        both = self._prepare(self._k900(name="K-912"), "2025-04-30", work, stored)
        self.assertTrue(both.retainage_reduced)
        self.assertG702(
            both,
            {
                "total_completed": 545000.10,
                "retainage_work": 12750.00,
                "retainage_stored": 14500.00,
                "retainage_total": 27250.00,
            },
        )
        contract = self._k900(name="K-913", retainage_threshold_measure="completed_only")
        work_only = self._prepare(contract, "2025-04-30", work, stored)
        self.assertFalse(work_only.retainage_reduced)
        self.assertAmount(work_only.retainage_rate, 10.0)
        self.assertG702(
            work_only,
            {
                "retainage_work": 25500.02,
                "retainage_stored": 29000.00,
                "retainage_total": 54500.02,
                "payment_due": 490500.08,
            },
        )

    def test_retainage_cap(self):
        """Mode cap (2.4: "cap total retainage at rate x 50% x L3"), 10% throughout.

        App 1: cap = 10% x 50% x 1,000,000.00 = 50,000.00; L5 = 32,500.02 below it (GC-06).
        App 2: cap = 10% x 50% x 1,045,000.00 = 52,250.00. At 10% the lines would hold
        5a = 5,000.00 + 15,000.00 + 22,000.00 + 14,000.00 + round(7,500.005) + 2,000.00 =
        65,500.01 and 5b = 3,000.00 + 2,500.00 = 5,500.00, 71,000.01 in all: capped,
        L5 = 52,250.00 (5b kept 5,500.00, 5a = 46,750.00); L6 = 710,000.05 - 52,250.00 =
        657,750.05; L7 = 292,500.08; L8 = 365,249.97 (= dL4 384,999.95 - dL5 19,749.98)."""
        contract = self._k900(name="K-914", retainage_reduction_mode="cap")
        app1, app2 = self._app2(contract)
        self.assertFalse(app1.retainage_capped)
        self.assertAmount(app1.retainage_cap, 50000.00)
        self.assertAmount(app1.retainage_total, 32500.02)
        self.assertTrue(app2.retainage_capped)
        self.assertFalse(app2.retainage_reduced)
        self.assertAmount(app2.retainage_rate, 10.0)
        self.assertAmount(sum(app2.line_ids.mapped("retainage")), 71000.01)
        self.assertG702(
            app2,
            {
                "retainage_cap": 52250.00,
                "retainage_work": 46750.00,
                "retainage_stored": 5500.00,
                "retainage_total": 52250.00,
                "earned_less_retainage": 657750.05,
                "previous_certificates": 292500.08,
                "payment_due": 365249.97,
            },
        )
        self._certify(app2)
        self.assertAmount(app2.invoice_id.sudo().amount_total, 365249.97)
        self.assertAmount(contract._retainage_receivable_balance(), 52250.00)

    def test_stored_rate_out_of_range_is_refused(self):
        contract = self._k900(name="K-915")
        with self.assertRefused(ValidationError, "between 0% and 100%"):
            contract.write({"retainage_stored_separate": True, "retainage_stored_percent": 120})
        with self.assertRefused(ValidationError, "higher than the retainage on stored"):
            contract.write(
                {
                    "retainage_stored_separate": True,
                    "retainage_stored_percent": 10.0,
                    "retainage_reduced_stored_percent": 15.0,
                }
            )
