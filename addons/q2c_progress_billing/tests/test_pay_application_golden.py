from odoo.tests import tagged

from .common import Q2cProgressCase

# E (work this period) and F (stored now) of each application of K-900, by item number
# (billing-domain.md GC-06, GC-07, GC-08).
APP1 = (
    {"1": 20000.00, "2": 120000.05, "3": 100000.00, "5": 15000.05},
    {"4": 60000.00, "5": 10000.00},
)
APP2 = (
    {"1": 30000.00, "2": 29999.95, "3": 120000.00, "4": 140000.00, "5": 60000.00, "7": 20000.00},
    {"4": 30000.00, "5": 25000.00},
)
APP3 = (
    {"1": 50000.00, "3": 30000.00, "4": 60000.00, "5": 144999.95, "6": 60000.00, "7": 25000.00},
    {"4": 0.00, "5": 0.00},
)


@tagged("post_install", "-at_install")
class TestPayApplicationGolden(Q2cProgressCase):
    """GC-06 to GC-09 to the cent: G703 rows, G702 lines 1 to 9, the change-order box,
    retainage, the invoices and the retainage receivable in the accounting."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.k900 = cls._k900()

    def _app1(self):
        return self._certify(self._prepare(self.k900, "2025-04-30", *APP1))

    def _app2(self):
        self._app1()
        self.co1 = self._change_order(
            self.k900,
            "2025-05-20",
            [{"target": "sov_new", "unit_price": 45000.00, "name": "Foundation drainage"}],
            title="Foundation drainage",
        )
        return self._certify(self._prepare(self.k900, "2025-05-31", *APP2))

    def _app3(self):
        app2 = self._app2()
        self.co2 = self._change_order(
            self.k900,
            "2025-06-18",
            [
                {
                    "target": "sov_adjust",
                    "sov_line_id": self._sov(self.k900, "6").id,
                    "unit_price": -20000.00,
                }
            ],
            title="Owner-furnished flooring",
        )
        return app2, self._certify(self._prepare(self.k900, "2025-06-30", *APP3))

    def test_gc06_application_1(self):
        """GC-06: 10% on work and stored (L4/L3 = 325,000.10 / 1,000,000.00 = 32.5%).

        Per line: Sitework round(10% x 120,000.05) = 12,000.01 (12,000.005 half-up);
        MEP round(10% x 15,000.05) = 1,500.01, + 10% x 10,000.00 = 1,000.00 stored.
        5a = 2,000.00 + 12,000.01 + 10,000.00 + 1,500.01 = 25,500.02; 5b = 6,000 + 1,000 =
        7,000.00; L5 = 32,500.02; L6 = 325,000.10 - 32,500.02 = 292,500.08 = L8;
        L9 = 1,000,000.00 - 292,500.08 = 707,499.92.
        """
        app = self._prepare(self.k900, "2025-04-30", *APP1)
        self.assertEqual(app.number, 1)
        self.assertEqual(app.line_ids.mapped("item_no"), ["1", "2", "3", "4", "5", "6"])
        self.assertAmount(app.retainage_rate, 10.0)
        rows = {
            # item: (G, H, I, percent)
            "2": (120000.05, 29999.95, 12000.01, 80.00),
            "4": (60000.00, 140000.00, 6000.00, 30.00),
            "5": (25000.05, 194999.95, 2500.01, 11.36),
            "6": (0.00, 80000.00, 0.00, 0.00),
        }
        for item, (total, balance, retainage, percent) in rows.items():
            row = self._row(app, item)
            self.assertAmount(row.total_completed, total)
            self.assertAmount(row.balance_to_finish, balance)
            self.assertAmount(row.retainage, retainage)
            self.assertEqual(f"{row.percent_complete:.2f}", f"{percent:.2f}")
        self.assertAmount(self._row(app, "5").retainage_work, 1500.01)
        self.assertAmount(self._row(app, "5").retainage_stored, 1000.00)
        self._certify(app)
        self.assertG702(
            app,
            {
                "original_sum": 1000000.00,
                "change_sum": 0.00,
                "contract_sum": 1000000.00,
                "total_completed": 325000.10,
                "completed_work": 255000.10,
                "stored_materials": 70000.00,
                "retainage_work": 25500.02,
                "retainage_stored": 7000.00,
                "retainage_total": 32500.02,
                "earned_less_retainage": 292500.08,
                "previous_certificates": 0.00,
                "payment_due": 292500.08,
                "balance_to_finish": 707499.92,
                "amount_certified": 292500.08,
                "co_net": 0.00,
            },
        )
        # The invoice: the five lines with an amount earned (325,000.10) and the retainage
        # withheld, -32,500.02: 292,500.08 = line 8.
        invoice = app.invoice_id
        self.assertEqual(app.state, "invoiced")
        self.assertAmount(invoice.amount_total, 292500.08)
        self.assertEqual(len(invoice.invoice_line_ids), 6)
        retainage_line = invoice.invoice_line_ids.filtered(
            lambda ln: ln.account_id == self.retainage_account
        )
        self.assertRegex(retainage_line.name, "Retainage withheld")
        self.assertAmount(retainage_line.price_subtotal, -32500.02)
        self.assertAmount(self.k900._retainage_receivable_balance(), 32500.02)
        self.assertEqual(invoice.q2c_contract_id, self.k900)

    def test_gc06_per_document_basis(self):
        """GC-06, basis `per_document`: 5a = round(10% x 255,000.10) = 25,500.01 (25,500.010),
        5b = 7,000.00, L5 = 32,500.01, L6 = 292,500.09 (one cent more than per line)."""
        contract = self._k900(name="K-900-D", retainage_basis="per_document")
        app = self._certify(self._prepare(contract, "2025-04-30", *APP1))
        self.assertG702(
            app,
            {
                "retainage_work": 25500.01,
                "retainage_stored": 7000.00,
                "retainage_total": 32500.01,
                "earned_less_retainage": 292500.09,
                "payment_due": 292500.09,
            },
        )
        self.assertAmount(app.invoice_id.amount_total, 292500.09)
        self.assertAmount(contract._retainage_receivable_balance(), 32500.01)

    def test_gc07_application_2(self):
        """GC-07: CO-001 (+45,000.00, approved 2025-05-20) adds line 7 in this application;
        L4/L3 = 710,000.05 / 1,045,000.00 = 67.94% >= 50%: 5% on the whole base (recompute).

        D = the certified D + E of App 1 (Sitework 120,000.05, MEP 15,000.05); stored steel
        60,000 installed (in E 140,000) and 30,000 new stored. 5a = 5% x 655,000.05 per line
        = 32,750.00, 5b = 2,750.00, L5 = 35,500.00; L6 = 674,500.05; L7 = 292,500.08;
        L8 = 381,999.97 = 384,999.95 earned - 2,999.98 more retainage; L9 = 370,499.95.
        """
        app = self._app2()
        self.assertEqual(app.number, 2)
        self.assertEqual(app.previous_id.number, 1)
        self.assertAmount(app.retainage_rate, 5.0)
        self.assertTrue(app.retainage_reduced)
        row7 = self._row(app, "7")
        self.assertEqual(row7.sov_line_id.change_order_id, self.co1)
        self.assertAmount(row7.scheduled_value, 45000.00)
        self.assertAmount(row7.previous_completed, 0.00)
        self.assertAmount(self._row(app, "2").previous_completed, 120000.05)
        self.assertAmount(self._row(app, "5").previous_completed, 15000.05)
        self.assertAmount(self._row(app, "4").earned_this_period, 110000.00)
        self.assertAmount(self._row(app, "5").earned_this_period, 75000.00)
        self.assertAmount(self._row(app, "4").retainage, 8500.00)
        self.assertG702(
            app,
            {
                "original_sum": 1000000.00,
                "change_sum": 45000.00,
                "contract_sum": 1045000.00,
                "total_completed": 710000.05,
                "retainage_work": 32750.00,
                "retainage_stored": 2750.00,
                "retainage_total": 35500.00,
                "earned_less_retainage": 674500.05,
                "previous_certificates": 292500.08,
                "payment_due": 381999.97,
                "balance_to_finish": 370499.95,
                "co_previous_additions": 0.00,
                "co_month_additions": 45000.00,
                "co_month_deductions": 0.00,
                "co_total_additions": 45000.00,
                "co_net": 45000.00,
                "retainage_change": 2999.98,
            },
        )
        self.assertAmount(app.invoice_id.amount_total, 381999.97)
        earned = app.invoice_id.invoice_line_ids.filtered(
            lambda ln: ln.account_id != self.retainage_account
        )
        self.assertAmount(sum(earned.mapped("price_subtotal")), 384999.95)
        self.assertAmount(self.k900._retainage_receivable_balance(), 35500.00)

    def test_gc08_application_3(self):
        """GC-08: CO-002 (-20,000.00, approved 2025-06-18) takes Finishes from 80,000.00 to
        60,000.00 in this application; everything complete: L4 = L3 = 1,025,000.00; 5% =
        51,250.00; L6 = 973,750.00; L7 = 674,500.05; L8 = 299,249.95; L9 = 51,250.00 (the
        retainage still held). Box: previous 45,000.00 / 0.00, this month 0.00 / 20,000.00."""
        _app2, app = self._app3()
        self.assertAmount(self._row(app, "6").scheduled_value, 60000.00)
        self.assertG702(
            app,
            {
                "change_sum": 25000.00,
                "contract_sum": 1025000.00,
                "total_completed": 1025000.00,
                "retainage_work": 51250.00,
                "retainage_stored": 0.00,
                "retainage_total": 51250.00,
                "earned_less_retainage": 973750.00,
                "previous_certificates": 674500.05,
                "payment_due": 299249.95,
                "balance_to_finish": 51250.00,
                "co_previous_additions": 45000.00,
                "co_previous_deductions": 0.00,
                "co_month_additions": 0.00,
                "co_month_deductions": 20000.00,
                "co_total_additions": 45000.00,
                "co_total_deductions": 20000.00,
                "co_net": 25000.00,
            },
        )
        self.assertAmount(app.invoice_id.amount_total, 299249.95)
        self.assertAmount(self.k900._retainage_receivable_balance(), 51250.00)
        self.assertAmount(self.k900.progress_retainage_held, 51250.00)
        self.assertAmount(self.k900.progress_billed, 1025000.00)
        # Line 9 of the certificate (2.3: L3 - L6), retainage included: 51,250.00.
        self.assertAmount(self.k900.progress_balance_to_finish, 51250.00)

    def test_gc09_final_release_and_cross_application_identities(self):
        """GC-09: a release application with no new work: L5 = 0, L6 = 1,025,000.00,
        L7 = 973,750.00, L8 = 51,250.00 (the retainage released), L9 = 0.00; one invoice
        line "Retainage release". Sum of L8 = 292,500.08 + 381,999.97 + 299,249.95 +
        51,250.00 = 1,025,000.00 = L3; retainage receivable 0.00."""
        app1 = self.Application.search([("contract_id", "=", self.k900.id)])
        self.assertFalse(app1)
        _app2, app3 = self._app3()
        app4 = self._prepare(self.k900, "2025-07-31", kind="release", release_stage="final")
        self.assertFalse(app4.line_ids.filtered("work_this_period"))
        self._certify(app4)
        self.assertG702(
            app4,
            {
                "contract_sum": 1025000.00,
                "total_completed": 1025000.00,
                "retainage_total": 0.00,
                "earned_less_retainage": 1025000.00,
                "previous_certificates": 973750.00,
                "payment_due": 51250.00,
                "balance_to_finish": 0.00,
                "co_previous_additions": 45000.00,
                "co_previous_deductions": 20000.00,
                "co_month_additions": 0.00,
                "co_month_deductions": 0.00,
                "co_net": 25000.00,
            },
        )
        invoice = app4.invoice_id
        self.assertEqual(len(invoice.invoice_line_ids), 1)
        self.assertRegex(invoice.invoice_line_ids.name, "Retainage release - K-900")
        self.assertEqual(invoice.invoice_line_ids.account_id, self.retainage_account)
        self.assertAmount(invoice.amount_total, 51250.00)
        self.assertAmount(self.k900._retainage_receivable_balance(), 0.00)
        self.k900.invalidate_recordset()
        self.assertAmount(self.k900.progress_retainage_held, 0.00)
        self.assertAmount(self.k900.q2c_retainage_held_amount, 0.00)
        self.assertAmount(self.k900.progress_balance_to_finish, 0.00)
        apps = self.Application.search([("contract_id", "=", self.k900.id)], order="number")
        self.assertEqual(apps.mapped("number"), [1, 2, 3, 4])
        # Sum of L8 = L6 of the last application = L3 after the final release.
        self.assertAmount(sum(apps.mapped("payment_due")), 1025000.00)
        self.assertAmount(sum(apps.mapped("invoice_id.amount_total")), 1025000.00)
        # L8 = change of L4 - change of L5, each application against the one before.
        previous = None
        for app in apps:
            delta4 = app.total_completed - (previous.total_completed if previous else 0.0)
            delta5 = app.retainage_total - (previous.retainage_total if previous else 0.0)
            self.assertAmount(app.payment_due, delta4 - delta5)
            previous = app

    def test_gc09b_release_at_substantial_completion(self):
        """GC-09b: release at substantial completion holding back 150% of an 8,000.00 punch
        list = 12,000.00: App 4a L5 = 12,000.00, L6 = 1,013,000.00, L7 = 973,750.00,
        L8 = 39,250.00, L9 = 12,000.00; App 4b (final) L5 = 0.00, L6 = 1,025,000.00,
        L7 = 1,013,000.00, L8 = 12,000.00, L9 = 0.00."""
        self._app3()
        app4a = self._certify(
            self._prepare(
                self.k900,
                "2025-07-15",
                kind="release",
                release_stage="substantial",
                punch_list_value=8000.00,
            )
        )
        self.assertG702(
            app4a,
            {
                "retainage_total": 12000.00,
                "earned_less_retainage": 1013000.00,
                "previous_certificates": 973750.00,
                "payment_due": 39250.00,
                "balance_to_finish": 12000.00,
            },
        )
        self.assertAmount(app4a.invoice_id.amount_total, 39250.00)
        self.assertAmount(self.k900._retainage_receivable_balance(), 12000.00)
        app4b = self._certify(
            self._prepare(self.k900, "2025-07-31", kind="release", release_stage="final")
        )
        self.assertG702(
            app4b,
            {
                "retainage_total": 0.00,
                "earned_less_retainage": 1025000.00,
                "previous_certificates": 1013000.00,
                "payment_due": 12000.00,
                "balance_to_finish": 0.00,
            },
        )
        self.assertAmount(self.k900._retainage_receivable_balance(), 0.00)


@tagged("post_install", "-at_install")
class TestPayApplicationRetainageModes(Q2cProgressCase):
    """Retainage settings the golden cases do not cover: `freeze` and a line's own rate."""

    def test_freeze_keeps_the_retainage_held_before_the_threshold(self):
        """K-900 with mode `freeze`: App 1 holds 32,500.02 (32.5% complete). App 2 (GC-07's
        work, 67.94% complete) withholds nothing more and releases nothing: L5 = 32,500.02,
        L6 = 710,000.05 - 32,500.02 = 677,500.03, L8 = 677,500.03 - 292,500.08 = 384,999.95
        = the 384,999.95 earned this period."""
        contract = self._k900(name="K-900-F", retainage_reduction_mode="freeze")
        self._certify(self._prepare(contract, "2025-04-30", *APP1))
        self._change_order(contract, "2025-05-20", [{"target": "sov_new", "unit_price": 45000.00}])
        app2 = self._certify(self._prepare(contract, "2025-05-31", *APP2))
        self.assertTrue(app2.retainage_frozen)
        self.assertG702(
            app2,
            {
                "total_completed": 710000.05,
                "retainage_total": 32500.02,
                "earned_less_retainage": 677500.03,
                "payment_due": 384999.95,
                "retainage_change": 0.00,
            },
        )
        self.assertAmount(app2.invoice_id.amount_total, 384999.95)
        self.assertAmount(contract._retainage_receivable_balance(), 32500.02)

    def test_line_with_its_own_rate(self):
        """Sitework retains 5% of its own, the contract 10%: App 1 line 2 round(5% x
        120,000.05) = 6,000.00 (6,000.0025); L5 = 32,500.02 - 12,000.01 + 6,000.00 =
        26,500.01; L8 = 325,000.10 - 26,500.01 = 298,500.09."""
        contract = self._k900(name="K-900-L")
        self._sov(contract, "2").write({"retainage_override": True, "retainage_percent": 5.0})
        app = self._certify(self._prepare(contract, "2025-04-30", *APP1))
        self.assertAmount(self._row(app, "2").retainage, 6000.00)
        self.assertG702(app, {"retainage_total": 26500.01, "payment_due": 298500.09})
        self.assertAmount(app.invoice_id.amount_total, 298500.09)
