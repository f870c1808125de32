from odoo.tests import HttpCase, new_test_user, tagged

from .common import Q2cBillingCase

APPROVED = "2025-03-31T12:00:00Z"


@tagged("post_install", "-at_install")
class TestPrebillTour(Q2cBillingCase, HttpCase):
    """A Finance user runs March 2025 in the UI (issue 14, Done when): Contracts > Billing >
    Billing Runs, a new run, Prepare; the run's jobs are then run as queue_job's runner runs
    them; Pre-bill Review, one line written down with a reason, approve, post, print.

    Tour Advisory (pre-bill review): Gina (Consultant, 150.00) 7.50 h = 1,125.00 and Hal
    (Analyst, 100.00) 8.25 h = 825.00, standard 1,950.00. Gina billed 6.00 h (inefficiency):
    6.00 x 150.00 = 900.00; invoice 900.00 + 825.00 = 1,725.00, realization 1,725.00 /
    1,950.00 = 88.4615...% -> 88.46%. Tour Support (no review): Ivy 2.00 h x 150.00 = 300.00,
    invoiced by the run directly."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.tour_finance = new_test_user(
            cls.env,
            login="q2c_prebill_tour",
            password="q2c_prebill_tour",
            groups="q2c_contract.group_q2c_finance",
            company_id=cls.company.id,
            company_ids=[(6, 0, cls.company.ids)],
        )
        consultant, analyst = cls._role("Consultant"), cls._role("Analyst")
        for name, role in (("Gina", consultant), ("Hal", analyst), ("Ivy", consultant)):
            cls._employee(name, role)
        card = cls._card(
            "Tour card",
            [(consultant, 150.0, "2025-01-01", None), (analyst, 100.0, "2025-01-01", None)],
        )
        cls.advisory = cls._contract(
            "Tour Advisory", cls._project("P-ADV"), cards=card, prebill_review_required=True
        )
        cls.support = cls._contract("Tour Support", cls._project("P-SUP"), cards=card)
        cls._ingest_time(
            "P-ADV",
            [
                ("t1", "Gina", "2025-03-03", 4.0, APPROVED),
                ("t2", "Gina", "2025-03-04", 3.5, APPROVED),
                ("t3", "Hal", "2025-03-05", 8.25, APPROVED),
            ],
        )
        cls._ingest_time("P-SUP", [("t4", "Ivy", "2025-03-06", 2.0, APPROVED)])
        # Only the tour's contracts are due in the company.
        cls.env["q2c.contract"].search(
            [
                ("company_id", "=", cls.company.id),
                ("id", "not in", (cls.advisory | cls.support).ids),
            ]
        ).write({"billing_cycle": "quarterly"})

    def test_finance_runs_reviews_posts_and_prints(self):
        self.start_tour("/odoo", "q2c_billing_run_month", login="q2c_prebill_tour")
        run = self.env["q2c.billing.run"].search([("company_id", "=", self.company.id)])
        self.assertEqual(len(run), 1)
        self.assertEqual(run.state, "preparing")
        self.assertEqual(run.contract_ids, self.advisory | self.support)
        for line in run.line_ids:
            self._perform(line.job_uuid)
        run.invalidate_recordset()
        self.assertEqual(run.state, "review")

        self.start_tour("/odoo", "q2c_prebill_review", login="q2c_prebill_tour")
        run.invalidate_recordset()
        review = run.prebill_review_ids
        self.assertEqual(review.state, "approved")
        self.assertEqual(review.reviewer_id, self.tour_finance)
        gina = review.line_ids.filtered(lambda line: line.employee_id.name == "Gina")
        self.assertEqual(gina.reason_id, self.env.ref("q2c_billing.prebill_reason_inefficiency"))
        self.assertEqual(gina.adjusted_by, self.tour_finance)
        self.assertTrue(gina.adjusted_at)
        self.assertAmount(gina.billed_hours, 6.0)
        self.assertAlmostEqual(review.realization, 88.46, places=2)
        invoice = review.invoice_id
        self.assertEqual(invoice.state, "posted")
        self.assertAmount(invoice.amount_total, 1725.0)
        self.assertInvoiceLines(
            invoice,
            [
                ("Gina - Consultant", 6.0, 150.0, 900.0),
                ("Hal - Analyst", 8.25, 100.0, 825.0),
            ],
        )
        self.assertEqual(run.state, "invoiced")
        support = run.invoice_ids - invoice
        self.assertAmount(support.amount_total, 300.0)
        # Print > Invoice: the report action, and its route answers.
        action = invoice.with_user(self.tour_finance).action_print_pdf()
        self.assertEqual(action["report_name"], "account.report_invoice_with_payments")
        self.authenticate("q2c_prebill_tour", "q2c_prebill_tour")
        response = self.url_open(f"/report/pdf/{action['report_name']}/{invoice.id}")
        self.assertEqual(response.status_code, 200)
        self.assertIn(invoice.name.encode(), response.content)
