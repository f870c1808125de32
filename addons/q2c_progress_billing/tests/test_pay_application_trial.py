from datetime import timedelta

from odoo import Command, fields
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import Form, tagged

from .common import Q2cProgressCase


@tagged("post_install", "-at_install")
class TestPayApplicationTrial(Q2cProgressCase):
    """What the trial of progress billing by a project manager and a finance user found
    (billing-domain.md section 0 and 2.3, 2.4; docs/security.md)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.contract = cls._k900(name="K-950")

    def _steel(self):
        """A one-line contract: Steel, C = 60,000.00, no reduction threshold."""
        contract = self._k900(
            name="K-951", sov=[("1", "Steel", 60000.00)], retainage_threshold_percent=0
        )
        return self._prepare(contract, "2025-04-30")

    # ------------------------------------------------------------------ 1. E kept as typed

    def test_amount_typed_is_kept_with_the_percent_shown(self):
        """C = 60,000.00, D = 0: E typed 12,345.70 shows Work % = 12,345.70 / 60,000.00 =
        20.57616...% -> 20.58 (2 decimals). The form saves E with that percent; E stays
        12,345.70 (fed back, the percent would give round(60,000.00 x 20.58%) = 12,348.00).
        Retainage 10%: round(1,234.57) = 1,234.57; line 8 = 12,345.70 - 1,234.57 =
        11,111.13."""
        app = self._steel()
        row = app.line_ids
        row.with_user(self.pm_user).write({"work_this_period": 12345.70, "work_percent": 20.58})
        self.assertAmount(row.work_this_period, 12345.70)
        self.assertAmount(app.payment_due, 11111.13)
        # A percent typed alone still sets E: 25% of 60,000.00 = 15,000.00.
        row.with_user(self.pm_user).write({"work_percent": 25.0})
        self.assertAmount(row.work_this_period, 15000.00)
        # The percent shown written back alone leaves E as it is: 15,000.01 shows 25.00%.
        row.with_user(self.pm_user).write({"work_this_period": 15000.01})
        row.with_user(self.pm_user).write({"work_percent": 25.0})
        self.assertAmount(row.work_this_period, 15000.01)

    def test_amount_typed_in_the_form_is_kept(self):
        """The form's onchanges (Form runs them as the web client does): E typed 12,345.70
        recomputes the percent to 20.58, whose onchange must not set E back to 12,348.00;
        a percent typed, 30%, sets E = 18,000.00 at once."""
        app = self._steel()
        form = Form(app.with_user(self.pm_user))
        with form.line_ids.edit(0) as row:
            row.work_this_period = 12345.70
            self.assertAlmostEqual(row.work_percent, 20.58, places=2)
            self.assertAmount(row.work_this_period, 12345.70)
        form.save()
        self.assertAmount(app.line_ids.work_this_period, 12345.70)
        form = Form(app.with_user(self.pm_user))
        with form.line_ids.edit(0) as row:
            row.work_percent = 30.0
            self.assertAmount(row.work_this_period, 18000.00)
        form.save()
        self.assertAmount(app.line_ids.work_this_period, 18000.00)

    # ------------------------------------------------------------------ 2. certified by Finance

    def test_project_manager_cannot_write_certified_amounts(self):
        """Concrete applied for 100,000.00 and submitted: the project manager writing the
        certified work (100,000.00 -> 120,000.00 or any other) is refused, on the row and
        through the application's rows; Finance enters 95,000.00."""
        app = self._prepare(self.contract, "2025-04-30", {"3": 100000.00})
        app.with_user(self.pm_user).action_submit()
        row = self._row(app, "3")
        with self.assertRefused(AccessError, "Only Finance"):
            row.with_user(self.pm_user).write({"certified_work": 120000.00})
        with self.assertRefused(AccessError, "Only Finance"):
            app.with_user(self.pm_user).write(
                {"line_ids": [Command.update(row.id, {"certified_stored": 1000.00})]}
            )
        self.assertAmount(row.certified_work, 100000.00)
        self.assertAmount(row.certified_stored, 0.00)
        row.with_user(self.finance_user).certified_work = 95000.00
        self.assertAmount(row.certified_work, 95000.00)

    # ------------------------------------------------------------------ 3. balance to finish

    def test_balance_to_finish_is_line_9_certified(self):
        """K-950, C = 1,000,000.00. Application 1: Sitework 100,000.00 applied for, 90,000.00
        certified; retainage 10%: certified L4 = 90,000.00, L5 = 9,000.00, L6 = 81,000.00,
        line 9 = L3 - L6 = 1,000,000.00 - 81,000.00 = 919,000.00 (the applied line 9 is
        1,000,000.00 - 90,000.00 = 910,000.00; current value less billed would be 910,000.00
        and leave the retainage out)."""
        app = self._prepare(self.contract, "2025-04-30", {"2": 100000.00})
        app.with_user(self.pm_user).action_submit()
        self._row(app, "2").with_user(self.finance_user).certified_work = 90000.00
        app.with_user(self.finance_user).action_certify()
        self.assertAmount(app.balance_to_finish, 910000.00)
        self.assertAmount(app.certified_balance_to_finish, 919000.00)
        self.assertAmount(self.contract.progress_billed, 90000.00)
        self.assertAmount(self.contract.progress_retainage_held, 9000.00)
        self.assertAmount(self.contract.progress_balance_to_finish, 919000.00)

    # ------------------------------------------------------------------ 4. retainage held

    def test_retainage_held_button_reads_the_pay_applications(self):
        """Application 1: Concrete 100,000.00 and 20,000.00 of steel stored, 10%:
        L5 = 10,000.00 + 2,000.00 = 12,000.00, invoiced and posted: the contract's Retainage
        Held button (q2c_billing), the Pay Applications tab and the retainage receivable
        account all read 12,000.00."""
        app = self._prepare(self.contract, "2025-04-30", {"3": 100000.00}, {"4": 20000.00})
        self._certify(app)
        retainage = app.invoice_id.invoice_line_ids.filtered("q2c_retainage_kind")
        self.assertEqual(retainage.q2c_retainage_kind, "withheld")
        self.contract.invalidate_recordset()
        self.assertAmount(self.contract.progress_retainage_held, 12000.00)
        self.assertAmount(self.contract._retainage_receivable_balance(), 12000.00)
        self.assertAmount(self.contract.q2c_retainage_held_amount, 12000.00)

    # ------------------------------------------------------------------ 5. invoice dates

    def test_invoice_dated_today_due_from_its_terms(self):
        """A period ending 25 days ahead, certified and invoiced today: the invoice is dated
        today (not the period end), its service period ends with the period, and the
        customer's 30-day terms give a due date of today + 30 days, after the invoice date."""
        today = fields.Date.context_today(self.env["q2c.pay.application"])
        term = self.env["account.payment.term"].create(
            {
                "name": "30 days (progress test)",
                "line_ids": [
                    Command.create({"value": "percent", "value_amount": 100.0, "nb_days": 30})
                ],
            }
        )
        self.customer.with_company(self.company).property_payment_term_id = term
        app = self._prepare(self.contract, today + timedelta(days=25), {"1": 1000.00})
        self._certify(app, post=False)
        invoice = app.invoice_id.sudo()
        self.assertEqual(invoice.invoice_date, today)
        self.assertEqual(invoice.q2c_service_date_to, app.period_end)
        self.assertGreaterEqual(invoice.invoice_date_due, invoice.invoice_date)
        self.assertEqual(invoice.invoice_date_due, today + timedelta(days=30))

    # ------------------------------------------------------------------ 6. no negative certificate

    def test_draft_shows_no_negative_certificate(self):
        """Application 1 certifies 20,000.00 of steel stored (L6 = 18,000.00). Application 2,
        a draft, carries the 20,000.00 stored and enters Sitework 10,000.00: nothing is
        certified yet, so its certified figures are 0.00 (before: certified to date 0.00,
        this period 0 - 20,000.00 = -20,000.00, amount certified 0.00 - 18,000.00 =
        -18,000.00). Submitted, they are the applied ones: L4 = 30,000.00, L5 = 3,000.00,
        L6 = 27,000.00, L8 = 27,000.00 - 18,000.00 = 9,000.00."""
        self._certify(self._prepare(self.contract, "2025-04-30", {}, {"4": 20000.00}))
        app = self._prepare(self.contract, "2025-05-31", {"2": 10000.00})
        self.assertAmount(self._row(app, "4").stored_now, 20000.00)
        for name in (
            "amount_certified",
            "certified_earned",
            "certified_completed",
            "retainage_change",
            "certified_balance_to_finish",
        ):
            self.assertAmount(app[name], 0.00, name)
        for row in app.line_ids:
            self.assertAmount(row.certified_earned, 0.00)
            self.assertAmount(row.certified_total, 0.00)
        app.with_user(self.pm_user).action_submit()
        self.assertAmount(app.amount_certified, 9000.00)
        self.assertAmount(app.payment_due, 9000.00)

    # ------------------------------------------------------------------ 7. what the user can do

    def test_certified_application_says_what_to_do(self):
        """Work edited on a certified application: the message names what can be done (the
        next application, or a void while it is not invoiced), not a revision, which a
        certified application refuses."""
        app = self._prepare(self.contract, "2025-04-30", {"1": 1000.00})
        app.with_user(self.pm_user).action_submit()
        app.with_user(self.finance_user).action_certify()
        with self.assertRefused(UserError, "next application") as caught:
            self._row(app, "1").with_user(self.pm_user).work_this_period = 2000.00
        self.assertNotIn("Revise", str(caught.exception))
        with self.assertRefused(UserError, "cannot be revised"):
            app.with_user(self.pm_user).action_revise()
        # The application itself (its period, say): the same hint, not a bare refusal.
        with self.assertRefused(UserError, "next application"):
            app.with_user(self.finance_user).write({"period_end": "2025-05-31"})

    # ------------------------------------------------------------------ 9. amounts in messages

    def test_negative_amount_reads_without_hidden_characters(self):
        """Stored material -5,000.00 is refused with "$ -5,000.00" in the message: no
        zero-width no-break space (U+FEFF) after the minus sign."""
        app = self._prepare(self.contract, "2025-04-30")
        with self.assertRefused(ValidationError, "cannot be negative") as caught:
            self._row(app, "4").with_user(self.pm_user).stored_now = -5000.00
        message = str(caught.exception)
        self.assertNotIn("\ufeff", message)
        self.assertIn("-5,000.00", message)
