from odoo import Command
from odoo.tests import tagged

from .common import Q2cBillingCase

APPROVED = "2025-03-31T18:00:00Z"


@tagged("post_install", "-at_install")
class TestBillingTimeAndMaterials(Q2cBillingCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.consultant = cls._role("Consultant")
        cls.senior = cls._role("Senior Consultant")
        cls.partner_role = cls._role("Partner")
        cls.alice = cls._employee("Alice", cls.senior)
        cls.bob = cls._employee("Bob", cls.consultant)
        cls.carol = cls._employee("Carol", cls.partner_role)
        cls.dana = cls._employee("Dana", cls.senior)
        cls.gina = cls._employee("Gina", cls.consultant)

    def _gc01_contract(self):
        self._card(
            "RC-STD",
            [
                (self.consultant, 150.0, "2025-01-01", None),
                (self.senior, 200.0, "2025-01-01", None),
                (self.partner_role, 320.0, "2025-01-01", None),
            ],
            scope="company_default",
        )
        acme = self._card(
            "RC-ACME",
            [
                (self.consultant, 140.0, "2025-01-01", None),
                (self.senior, 180.0, "2025-01-01", "2025-03-16"),
                (self.senior, 186.5, "2025-03-17", None),
            ],
        )
        project = self._project("P-100")
        analytic = project.account_id
        contract = self._contract(
            "C-100",
            project,
            cards=acme,
            rate_override_ids=[
                Command.create(
                    {
                        "project_id": project.id,
                        "employee_id": self.dana.id,
                        "rate": 170.0,
                        "date_from": "2025-03-01",
                    }
                )
            ],
        )
        return contract, project, analytic

    def test_gc01_tm_invoice_through_a_run(self):
        """GC-01 (billing-domain.md 5) through a billing run, to the cent.

        Alice (Senior Consultant) RC-ACME 180.00 to 03-16, 186.50 from 03-17 (the change
        date takes the new rate): 03-03 8.00 + 03-10 6.50 = 14.50 h x 180.00 = 2,610.00;
        03-17 2.00 + 03-18 8.00 + 03-24 4.25 = 14.25 h x 186.50 = 2,657.625 -> 2,657.63
        half-up (half-even would give 2,657.62). Bob (Consultant) 7.00 + 7.50 = 14.50 h x
        140.00 = 2,030.00. Carol (Partner), no RC-ACME line, RC-STD 320.00: 3.50 h =
        1,120.00 (never 0.00). Dana, project override 170.00 beats RC-ACME: 8.00 h =
        1,360.00. Total 54.75 h, 9,777.63."""
        contract, _project, analytic = self._gc01_contract()
        rows = [
            ("a1", "Alice", "2025-03-03", 8.0),
            ("a2", "Alice", "2025-03-10", 6.5),
            ("a3", "Alice", "2025-03-17", 2.0),
            ("a4", "Alice", "2025-03-18", 8.0),
            ("a5", "Alice", "2025-03-24", 4.25),
            ("b1", "Bob", "2025-03-05", 7.0),
            ("b2", "Bob", "2025-03-20", 7.5),
            ("c1", "Carol", "2025-03-12", 2.0),
            ("c2", "Carol", "2025-03-26", 1.5),
            ("d1", "Dana", "2025-03-14", 5.0),
            ("d2", "Dana", "2025-03-18", 3.0),
        ]
        self._ingest_time("P-100", [(*row, APPROVED) for row in rows])
        run = self._bill(
            "2025-03-01", "2025-03-31", "2025-04-02 10:00:00", "2025-04-02", contracts=contract
        )
        self.assertEqual(run.state, "invoiced")
        result = run.line_ids
        self.assertEqual((result.state, result.time_count), ("done", 11))
        invoice = result.invoice_id
        self.assertEqual((invoice.state, invoice.move_type), ("draft", "out_invoice"))
        self.assertInvoiceLines(
            invoice,
            [
                ("Alice - Senior Consultant, 2025-03-03..2025-03-10", 14.5, 180.0, 2610.00),
                ("Alice - Senior Consultant, 2025-03-17..2025-03-24", 14.25, 186.5, 2657.63),
                ("Bob - Consultant, 2025-03-05..2025-03-20", 14.5, 140.0, 2030.00),
                ("Carol - Partner, 2025-03-12..2025-03-26", 3.5, 320.0, 1120.00),
                ("Dana - Senior Consultant, 2025-03-14..2025-03-18", 8.0, 170.0, 1360.00),
            ],
        )
        self.assertAmount(invoice.amount_untaxed, 9777.63)
        self.assertAmount(invoice.amount_total, 9777.63)
        # The customer's terms and the contract's analytic account; each entry knows its line.
        self.assertEqual(invoice.invoice_payment_term_id, self.pay_terms_b)
        self.assertEqual(invoice.partner_id, self.customer)
        self.assertEqual(invoice.q2c_contract_id, contract)
        for line in invoice.invoice_line_ids:
            self.assertEqual(line.analytic_distribution, {str(analytic.id): 100.0})
        alice_late = self._time("a4")
        self.assertEqual(alice_late.q2c_billing_status, "billed")
        self.assertEqual(
            alice_late.q2c_invoice_line_id, invoice.invoice_line_ids.sorted("sequence")[1]
        )
        self.assertEqual(len(invoice.invoice_line_ids[0].q2c_timesheet_ids), 2)

        run.with_user(self.finance_user).action_post()
        self.assertEqual((run.state, invoice.state), ("posted", "posted"))

    def _gc12_rates(self):
        return [
            (self.consultant, 160.0, "2025-01-01", "2025-03-31"),
            (self.consultant, 170.0, "2025-04-01", None),
        ]

    def test_gc12_late_approval_goes_to_the_next_run(self):
        """GC-12: Gina, Consultant, 160.00 to 2025-03-31 then 170.00.

        March run, cut-off 2025-04-03 10:00: T1 (03-27, 6.00 h, approved 03-31) only:
        6.00 x 160.00 = 960.00. T2 (03-31, 4.00 h) approved 04-07, after the cut-off, waits.
        April run, cut-off 2025-05-05 10:00: T2 at the March rate, its own line with its
        service date: 4.00 x 160.00 = 640.00; T3 (04-10, 5.00 h) 5.00 x 170.00 = 850.00;
        total 1,490.00. T4 (04-29) approved 05-06, after the April cut-off, waits for May
        (3.00 x 170.00 = 510.00)."""
        card = self._card("C-600 card", self._gc12_rates())
        contract = self._contract("C-600", self._project("P-600"), cards=card)
        self._ingest_time(
            "P-600",
            [
                ("t1", "Gina", "2025-03-27", 6.0, "2025-03-31T12:00:00Z"),
                ("t2", "Gina", "2025-03-31", 4.0, "2025-04-07T12:00:00Z"),
                ("t3", "Gina", "2025-04-10", 5.0, "2025-04-11T12:00:00Z"),
                ("t4", "Gina", "2025-04-29", 3.0, "2025-05-06T12:00:00Z"),
            ],
        )
        march = self._bill(
            "2025-03-01", "2025-03-31", "2025-04-03 10:00:00", "2025-04-03", contracts=contract
        )
        self.assertInvoiceLines(
            march.invoice_ids,
            [
                ("Gina - Consultant, 2025-03-27", 6.0, 160.0, 960.00),
            ],
        )
        self.assertAmount(march.invoice_ids.amount_total, 960.00)
        self.assertEqual(self._time("t2").q2c_billing_status, "to_bill")

        april = self._bill(
            "2025-04-01", "2025-04-30", "2025-05-05 10:00:00", "2025-05-05", contracts=contract
        )
        self.assertInvoiceLines(
            april.invoice_ids,
            [
                (
                    "Gina - Consultant, 2025-03-31 (approved after the prior cut-off)",
                    4.0,
                    160.0,
                    640.00,
                ),
                ("Gina - Consultant, 2025-04-10", 5.0, 170.0, 850.00),
            ],
        )
        self.assertAmount(april.invoice_ids.amount_total, 1490.00)
        t4 = self._time("t4")
        self.assertEqual(t4.q2c_billing_status, "to_bill")
        self.assertAmount(t4._q2c_value(), 510.00)

    def test_correction_settles_on_the_next_invoice(self):
        """Billing-domain.md 1.9: Gina's 03-27 entry (6.00 h x 160.00 = 960.00) is billed on
        the March invoice, then edited at the source to 4.00 h. The April invoice carries the
        reversal (-6.00 h x 160.00 = -960.00) and the replacement (4.00 h x 160.00 = 640.00),
        both naming the March invoice, next to April's own work (2.00 h x 170.00 = 340.00):
        total 20.00."""
        card = self._card("C-610 card", self._gc12_rates())
        contract = self._contract("C-610", self._project("P-610"), cards=card)
        self._ingest_time("P-610", [("e1", "Gina", "2025-03-27", 6.0, "2025-03-31T12:00:00Z")])
        march = self._bill(
            "2025-03-01", "2025-03-31", "2025-04-03 10:00:00", "2025-04-03", contracts=contract
        )
        march.with_user(self.finance_user).action_post()
        march_invoice = march.invoice_ids
        self._ingest_time(
            "P-610",
            [
                ("e1", "Gina", "2025-03-27", 4.0, "2025-04-10T12:00:00Z"),
                ("e2", "Gina", "2025-04-15", 2.0, "2025-04-16T12:00:00Z"),
            ],
        )
        # No cut-off given: the run takes the moment it is prepared (the reversal is
        # approved when the correction is made, today).
        april = self._bill("2025-04-01", "2025-04-30", False, "2025-05-05", contracts=contract)
        self.assertTrue(april.cutoff)
        invoice = april.invoice_ids
        self.assertInvoiceLines(
            invoice,
            [
                ("Gina - Consultant, 2025-04-15", 2.0, 170.0, 340.00),
                (f"Correction of {march_invoice.name}, reversal: Gina", -6.0, 160.0, -960.00),
                (f"Correction of {march_invoice.name}, replacement: Gina", 4.0, 160.0, 640.00),
            ],
        )
        self.assertAmount(invoice.amount_total, 20.00)
