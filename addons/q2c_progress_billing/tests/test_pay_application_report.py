import io

from odoo.tests import HttpCase, tagged
from odoo.tools.pdf import PdfFileReader

from .common import Q2cProgressCase
from .test_pay_application_golden import APP1


@tagged("post_install", "-at_install")
class TestPayApplicationReport(Q2cProgressCase, HttpCase):
    """The G702 and G703 PDFs of GC-06 render (wkhtmltopdf) with their key numbers."""

    def _pdf_text(self, report, app):
        """Render the PDF with wkhtmltopdf (one page at least), and return the text of the
        HTML it is made of: wkhtmltopdf embeds the report's web font without a text layer,
        so the PDF's own text cannot be extracted."""
        # wkhtmltopdf fetches the styles from this test's own server.
        self.env["ir.config_parameter"].set_param("report.url", self.base_url())
        Report = self.env["ir.actions.report"]
        pdf, kind = Report.with_context(force_report_rendering=True)._render_qweb_pdf(
            report, app.ids
        )
        self.assertEqual(kind, "pdf")
        self.assertTrue(pdf.startswith(b"%PDF"))
        self.assertGreaterEqual(len(PdfFileReader(io.BytesIO(pdf)).pages), 1)
        html, _kind = Report._render_qweb_html(report, app.ids)
        return html.decode()

    def test_g702_and_g703_render_gc06(self):
        """GC-06: lines 3 to 9 (1,000,000.00; 325,000.10; 25,500.02; 7,000.00; 32,500.02;
        292,500.08; 0.00; 292,500.08; 707,499.92), the box, and G703's Sitework row and
        totals (120,000.05; 80.00%; 12,000.01; 325,000.10; 32.50%), column I included (MEP
        2,500.01, total 32,500.02). The G703 prints on landscape Letter with an empty last
        column: wkhtmltopdf cuts off a few points of a bordered table's last column, which
        are then that column's, not column I's."""
        contract = self._k900()
        app = self._certify(self._prepare(contract, "2025-04-30", *APP1))
        text = self._pdf_text("q2c_progress_billing.action_report_g702", app)
        for figure in (
            "1,000,000.00",
            "325,000.10",
            "25,500.02",
            "7,000.00",
            "32,500.02",
            "292,500.08",
            "707,499.92",
            "Current Payment Due",
            "NET CHANGES by Change Order",
        ):
            self.assertIn(figure, text)
        text = self._pdf_text("q2c_progress_billing.action_report_g703", app)
        for figure in (
            "Sitework",
            "120,000.05",
            "80.00%",
            "12,000.01",
            "325,000.10",
            "32.50%",
            "674,999.90",
            "11.36%",
            # Column I, the last one (retainage): MEP's row and the totals row.
            "2,500.01",
            "32,500.02",
        ):
            self.assertIn(figure, text)

    def test_g703_table_keeps_its_own_lines(self):
        """The company layout's table style (a bottom line under the whole header, running
        past column I into the spacer column; no padding in the first and last columns) is
        not applied to the continuation sheet, which draws its own borders."""
        contract = self._k900()
        app = self._prepare(contract, "2025-04-30", {"1": 1000.00})
        html, _kind = self.env["ir.actions.report"]._render_qweb_html(
            "q2c_progress_billing.action_report_g703", app.ids
        )
        self.assertRegex(html.decode(), r'class="[^"]*q2c-g703 o_ignore_layout_styling')

    def test_forms_attached_to_the_invoice(self):
        """The invoice of a certified application carries its G702 and G703 as PDFs."""
        contract = self._k900()
        app = self.Application.with_user(self.pm_user).create(
            {"contract_id": contract.id, "period_end": "2025-04-30"}
        )
        self._enter(app, *APP1)
        app.with_user(self.pm_user).action_submit()
        app.with_user(self.finance_user).action_certify()
        self.env["ir.config_parameter"].set_param("report.url", self.base_url())
        app.with_user(self.finance_user).with_context(
            force_report_rendering=True
        ).action_create_invoice()
        attachments = self.env["ir.attachment"].search(
            [("res_model", "=", "account.move"), ("res_id", "=", app.invoice_id.id)]
        )
        self.assertEqual(
            sorted(attachments.mapped("name")),
            [f"G702 - {app.display_name}.pdf", f"G703 - {app.display_name}.pdf"],
        )
        self.assertTrue(all(a.raw.startswith(b"%PDF") for a in attachments))
