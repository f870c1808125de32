import io

from odoo.tests import tagged
from odoo.tools.pdf import PdfFileReader

from .common import Q2cBillingCase

APPROVED = "2025-03-31T12:00:00Z"


@tagged("post_install", "-at_install")
class TestInvoiceContent(Q2cBillingCase):
    """What a run's invoice carries besides its amounts (issue 14): the contract's analytic
    distribution (down to the analytic items Odoo writes when it posts), the customer's
    payment terms (its installments) and fiscal position (its tax mapping), and the service
    period (the run's; each line's name carries its own dates)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.consultant = cls._role("Consultant")
        cls.gina = cls._employee("Gina", cls.consultant)
        cls.card = cls._card("C-800 card", [(cls.consultant, 160.0, "2025-01-01", None)])

    def test_analytic_terms_fiscal_position_and_service_period(self):
        """Gina, 160.00 an hour: 2.00 h on 03-10 and 1.50 h on 03-27, one line "Gina -
        Consultant, 2025-03-10..2025-03-27" of 3.50 h = 560.00. The sales account's default
        tax (tax_sale_a, 15%) is mapped to tax_sale_b (15%) by the customer's fiscal position:
        tax 84.00, total 644.00. Payment terms 30% now, 70% at the end of the following
        month: 193.20 due 2025-04-03 and 450.80 due 2025-05-31. The contract's own analytic
        account (not its project's) gets the 560.00 when the invoice is posted."""
        self.company_data["default_journal_sale"].default_account_id.tax_ids = self.tax_sale_a
        self.customer.property_account_position_id = self.fiscal_pos_a
        project = self._project("P-800")
        analytic = self.env["account.analytic.account"].create(
            {"name": "C-800 analytic", "plan_id": project.account_id.plan_id.id}
        )
        contract = self._contract(
            "C-800", project, cards=self.card, analytic_account_id=analytic.id
        )
        self._ingest_time(
            "P-800",
            [
                ("s1", "Gina", "2025-03-10", 2.0, APPROVED),
                ("s2", "Gina", "2025-03-27", 1.5, APPROVED),
            ],
        )
        run = self._bill(
            "2025-03-01", "2025-03-31", "2025-04-03 10:00:00", "2025-04-03", contracts=contract
        )
        invoice = run.invoice_ids
        self.assertInvoiceLines(
            invoice, [("Gina - Consultant, 2025-03-10..2025-03-27", 3.5, 160.0, 560.00)]
        )
        self.assertEqual(
            (str(invoice.q2c_service_date_from), str(invoice.q2c_service_date_to)),
            ("2025-03-01", "2025-03-31"),
        )
        self.assertEqual(invoice.fiscal_position_id, self.fiscal_pos_a)
        self.assertEqual(invoice.invoice_line_ids.tax_ids, self.tax_sale_b)
        self.assertAmount(invoice.amount_tax, 84.00)
        self.assertAmount(invoice.amount_total, 644.00)
        self.assertEqual(invoice.invoice_payment_term_id, self.pay_terms_b)
        installments = invoice.line_ids.filtered(
            lambda line: line.display_type == "payment_term"
        ).sorted("date_maturity")
        self.assertEqual(
            [str(day) for day in installments.mapped("date_maturity")],
            ["2025-04-03", "2025-05-31"],
        )
        for line, amount in zip(installments, (193.20, 450.80), strict=True):
            self.assertAmount(line.amount_currency, amount)
        self.assertEqual(invoice.invoice_line_ids.analytic_distribution, {str(analytic.id): 100.0})

        run.with_user(self.finance_user).action_post()
        items = self.env["account.analytic.line"].search(
            [("move_line_id", "in", invoice.invoice_line_ids.ids)]
        )
        self.assertEqual(items.account_id, analytic)
        self.assertAmount(sum(items.mapped("amount")), 560.00)

    def test_service_period_on_a_late_entry(self):
        """A February entry approved after February's cut-off is billed by the March run: the
        invoice's service period is March's, the line names its own date and says why."""
        contract = self._contract("C-810", self._project("P-810"), cards=self.card)
        self._ingest_time("P-810", [("l1", "Gina", "2025-02-27", 1.0, APPROVED)])
        run = self._bill(
            "2025-03-01", "2025-03-31", "2025-04-03 10:00:00", "2025-04-03", contracts=contract
        )
        invoice = run.invoice_ids
        self.assertEqual(str(invoice.q2c_service_date_from), "2025-03-01")
        self.assertIn(
            "2025-02-27 (approved after the prior cut-off)", invoice.invoice_line_ids.name
        )


@tagged("post_install", "-at_install")
class TestInvoiceTimesheetAnnex(Q2cBillingCase):
    """The invoice PDF, rendered by Odoo's report engine with wkhtmltopdf, carries its
    service period and, on a page of its own, the timesheet annex: each billed entry's date,
    employee, description and hours, and their total."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # The report is rendered without its styles (they load from a URL wkhtmltopdf cannot
        # open): Debian's wkhtmltopdf (unpatched Qt) draws the web fonts of Odoo's report
        # styles as outlines, which no tool reads back as text. The content is the same.
        cls.env["ir.config_parameter"].set_param("report.url", "file:///q2c-no-styles")
        cls.consultant = cls._role("Consultant")
        cls.senior = cls._role("Senior Consultant")
        cls.gina = cls._employee("Gina", cls.consultant)
        cls.alice = cls._employee("Alice", cls.senior)
        card = cls._card(
            "C-820 card",
            [(cls.consultant, 160.0, "2025-01-01", None), (cls.senior, 200.0, "2025-01-01", None)],
        )
        cls.contract = cls._contract("C-820", cls._project("P-820"), cards=card)
        entries = [
            ("a1", "u-Alice", "2025-03-03", 8.0, "Kick-off workshop"),
            ("a2", "u-Alice", "2025-03-17", 6.25, "Architecture review"),
            ("g1", "u-Gina", "2025-03-05", 7.5, "Data migration scripts"),
        ]
        cls.env["account.analytic.line"].sudo()._q2c_ingest(
            cls.system,
            [
                {
                    "external_id": ext,
                    "employee": who,
                    "project": "P-820",
                    "date": day,
                    "hours": hours,
                    "description": text,
                    "approved_at": APPROVED,
                }
                for ext, who, day, hours, text in entries
            ],
        )

    def _pdf_text(self, invoice, user=None):
        Report = self.env["ir.actions.report"].with_context(force_report_rendering=True)
        if user:
            Report = Report.with_user(user)
        pdf, report_type = Report._render_qweb_pdf("account.account_invoices", invoice.ids)
        self.assertEqual(report_type, "pdf")
        self.assertTrue(pdf.startswith(b"%PDF"))
        reader = PdfFileReader(io.BytesIO(pdf))
        pages = [page.extract_text() for page in reader.pages]
        return pages, " ".join(" ".join(page.split()) for page in pages)

    def test_pdf_has_the_timesheet_annex(self):
        """Alice (Senior Consultant, 200.00): 8.00 h + 6.25 h = 14.25 h = 2,850.00; Gina
        (Consultant, 160.00): 7.50 h = 1,200.00. The annex lists the three entries, 21.75
        hours in all, on a page after the invoice's."""
        run = self._bill(
            "2025-03-01",
            "2025-03-31",
            "2025-04-03 10:00:00",
            "2025-04-03",
            contracts=self.contract,
        )
        run.with_user(self.finance_user).action_post()
        invoice = run.invoice_ids
        self.assertAmount(invoice.amount_total, 4050.00)
        self.assertEqual(len(invoice.q2c_timesheet_ids), 3)
        pages, text = self._pdf_text(invoice, self.finance_user)
        self.assertGreaterEqual(len(pages), 2)
        self.assertNotIn("Timesheet Annex", pages[0])
        self.assertIn("Timesheet Annex", text)
        self.assertIn(f"Time entries billed on {invoice.name} for contract", text)
        self.assertIn("Service Period", text)
        self.assertIn("03/01/2025 to 03/31/2025", text)
        for row in (
            "03/03/2025 Alice Kick-off workshop 8.00",
            "03/17/2025 Alice Architecture review 6.25",
            "03/05/2025 Gina Data migration scripts 7.50",
        ):
            self.assertIn(row, text)
        self.assertIn("Total hours: 21.75", text)

    def test_invoice_without_time_has_no_annex(self):
        """An invoice made by hand (no billed time) prints as Odoo prints it."""
        invoice = self.init_invoice("out_invoice", amounts=[100.0], post=True)
        _pages, text = self._pdf_text(invoice)
        self.assertIn(invoice.name, text)
        self.assertNotIn("Timesheet Annex", text)
        self.assertNotIn("Service Period", text)
