from freezegun import freeze_time
from lxml import etree

from odoo import Command, fields
from odoo.addons.q2c_expense.tests.common import GC05_POLICY, create_gc05_products
from odoo.tests import HttpCase, tagged

from .common import Q2cBillingCase

APPROVED = "2025-05-31T12:00:00Z"
TODAY = "2025-06-20"


@tagged("post_install", "-at_install")
class TestContractFigures(Q2cBillingCase):
    """The contract form's smart buttons: Unbilled (WIP, billing-domain.md 1.7), Invoiced,
    Paid, Overdue and Retainage Held (2.4), in the contract currency, through posted
    invoices, a payment registered with Odoo's own wizard and a credit note; each button
    opens the records behind its amount; the hint naming the next billing run.

    Contract C-700 (T&M), Gina (Consultant) at 160.00 an hour, 30-day payment terms, no tax,
    today is 2025-06-20:
    - March run, invoice dated 2025-04-03: 5.00 h x 160.00 = 800.00, due 2025-05-03;
    - April run, invoice dated 2025-06-10: 3.00 h x 160.00 = 480.00, due 2025-07-10;
    - unbilled: 2.50 h on 2025-05-05 x 160.00 = 400.00 and an airfare of 612.40 + 10%
      markup 61.24 = 673.64: WIP 1,073.64;
    - 300.00 paid on the March invoice: Paid 300.00, Invoiced 1,280.00, Overdue 800.00 -
      300.00 = 500.00 (the March invoice only: the April one is not due until 07-10);
    - the April invoice reversed by a credit note: Invoiced 800.00, Paid still 300.00 (a
      credit is not a payment), Overdue 500.00."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer.property_payment_term_id = cls.env.ref("account.account_payment_term_30days")
        categories, _products = create_gc05_products(cls.env, cls.system, "figures test")
        cls.consultant = cls._role("Consultant")
        cls.gina = cls._employee("Gina", cls.consultant)
        card = cls._card("C-700 card", [(cls.consultant, 160.0, "2025-01-01", None)])
        cls.project = cls._project("P-700")
        cls.project.user_id = cls.pm_user
        cls.contract = cls._contract(
            "C-700",
            cls.project,
            cards=card,
            expense_policy_ids=[
                Command.create({"product_categ_id": categories[name].id, **vals})
                for name, vals in GC05_POLICY.items()
            ],
        )
        cls._ingest_time(
            "P-700",
            [
                ("f1", "Gina", "2025-03-10", 5.0, "2025-03-31T12:00:00Z"),
                ("f2", "Gina", "2025-04-14", 3.0, "2025-04-30T12:00:00Z"),
                ("f3", "Gina", "2025-05-05", 2.5, APPROVED),
            ],
        )
        cls.env["hr.expense"].sudo()._q2c_ingest(
            cls.system,
            [
                {
                    "external_id": "x1",
                    "employee": "u-Gina",
                    "project": "P-700",
                    "category": "airfare",
                    "date": "2025-05-06",
                    "amount": 612.40,
                    "approved_at": APPROVED,
                }
            ],
        )

    def _bill_and_post(self, first, last, invoice_date):
        run = self._bill(first, last, f"{last} 21:00:00", invoice_date, contracts=self.contract)
        run.with_user(self.finance_user).action_post()
        return run.invoice_ids

    def _figures(self, user=None):
        contract = self.contract.with_user(user or self.finance_user)
        contract.invalidate_recordset()
        return contract

    def _action_records(self, contract, method):
        action = getattr(contract, method)()
        return self.env[action["res_model"]].with_user(contract.env.user).search(action["domain"])

    @freeze_time(TODAY)
    def test_figures_through_invoices_payments_and_a_credit_note(self):
        march = self._bill_and_post("2025-03-01", "2025-03-31", "2025-04-03")
        april = self._bill_and_post("2025-04-01", "2025-04-30", "2025-06-10")
        self.assertEqual(str(march.invoice_date_due), "2025-05-03")
        self.assertEqual(str(april.invoice_date_due), "2025-07-10")
        self.env["account.payment.register"].with_user(self.finance_user).with_context(
            active_model="account.move", active_ids=march.ids
        ).create({"amount": 300.0, "payment_date": "2025-06-15"})._create_payments()
        self.assertEqual(march.payment_state, "partial")

        contract = self._figures()
        self.assertAmount(contract.q2c_unbilled_amount, 1073.64)
        self.assertAmount(contract.q2c_unbilled_expense_amount, 673.64)
        self.assertEqual(
            (contract.q2c_unbilled_time_count, contract.q2c_unbilled_expense_count), (1, 1)
        )
        self.assertAmount(contract.q2c_invoiced_amount, 1280.00)
        self.assertAmount(contract.q2c_paid_amount, 300.00)
        self.assertAmount(contract.q2c_overdue_amount, 500.00)
        self.assertFalse(contract.q2c_is_construction)
        # Each button opens the records behind its amount.
        self.assertEqual(
            self._action_records(contract, "action_view_q2c_unbilled_time"), self._time("f3")
        )
        expenses = self._action_records(contract, "action_view_q2c_unbilled_expenses")
        self.assertEqual(expenses.mapped("q2c_external_id"), ["x1"])
        self.assertEqual(self._action_records(contract, "action_view_q2c_invoiced"), march | april)
        self.assertEqual(self._action_records(contract, "action_view_q2c_paid"), march)
        self.assertEqual(self._action_records(contract, "action_view_q2c_overdue"), march)

        april._reverse_moves([{"invoice_date": "2025-06-18"}], cancel=True)
        credit_note = april.reversal_move_ids
        self.assertEqual(credit_note.state, "posted")
        contract = self._figures()
        self.assertAmount(contract.q2c_invoiced_amount, 800.00)
        self.assertAmount(contract.q2c_paid_amount, 300.00)
        self.assertAmount(contract.q2c_overdue_amount, 500.00)
        self.assertEqual(
            self._action_records(contract, "action_view_q2c_invoiced"),
            march | april | credit_note,
        )
        self.assertEqual(self._action_records(contract, "action_view_q2c_paid"), march)

    def test_retainage_held_from_posted_retainage_lines(self):
        """Billing-domain.md 2.4 (invoice shape): an invoice of 1,000.00 with a line
        "Retainage withheld" of -100.00 (10%) holds 100.00; a later release line of +40.00
        leaves 60.00 held; a draft invoice withholding 50.00 counts for nothing. Invoiced:
        900.00 + 40.00 = 940.00."""
        contract = self._contract(
            "C-710", self._project("P-710"), retainage_percent=10.0
        ).with_user(self.finance_user)
        self.assertTrue(contract.q2c_is_construction)
        self.assertAmount(contract.q2c_retainage_held_amount, 0.0)

        def invoice(lines, post=True):
            move = self.env["account.move"].create(
                {
                    "move_type": "out_invoice",
                    "partner_id": self.customer.id,
                    "invoice_date": "2025-04-03",
                    "q2c_contract_id": contract.id,
                    "invoice_line_ids": [
                        Command.create(
                            {"name": name, "quantity": 1.0, "price_unit": price, **extra}
                        )
                        for name, price, extra in lines
                    ],
                }
            )
            if post:
                move.action_post()
            return move

        first = invoice(
            [
                ("Work completed", 1000.0, {}),
                ("Retainage withheld", -100.0, {"q2c_retainage_kind": "withheld"}),
            ]
        )
        release = invoice([("Retainage release", 40.0, {"q2c_retainage_kind": "release"})])
        invoice(
            [("Work", 500.0, {}), ("Retainage", -50.0, {"q2c_retainage_kind": "withheld"})],
            post=False,
        )
        contract.invalidate_recordset()
        self.assertAmount(contract.q2c_retainage_held_amount, 60.00)
        self.assertAmount(contract.q2c_invoiced_amount, 940.00)
        self.assertEqual(
            self._action_records(contract, "action_view_q2c_retainage"), first | release
        )

    def test_buttons_by_role(self):
        """Finance and the Auditor see every figure and open the records behind them; a
        project manager, who reads neither time entries nor invoices, sees none. Nothing
        billed yet: 5.00 + 3.00 + 2.50 = 10.50 h x 160.00 = 1,680.00 + the airfare 673.64 =
        2,353.64."""
        form = self.env.ref("q2c_contract.q2c_contract_view_form").id
        buttons = ("action_view_q2c_unbilled_time", "action_view_q2c_invoiced")
        for user, expected in (
            (self.finance_user, True),
            (self.auditor_user, True),
            (self.pm_user, False),
        ):
            arch = self.env["q2c.contract"].with_user(user).get_view(form, "form")["arch"]
            for button in buttons:
                with self.subTest(user=user.login, button=button):
                    self.assertEqual(button in arch, expected)
        entries = self._time("f1") | self._time("f2") | self._time("f3")
        for user in (self.finance_user, self.auditor_user):
            with self.subTest(user=user.login):
                contract = self._figures(user)
                self.assertAmount(contract.q2c_unbilled_amount, 2353.64)
                self.assertEqual(
                    self._action_records(contract, "action_view_q2c_unbilled_time"), entries
                )
                expenses = self._action_records(contract, "action_view_q2c_unbilled_expenses")
                self.assertEqual(expenses.mapped("q2c_external_id"), ["x1"])
                self.assertFalse(self._action_records(contract, "action_view_q2c_invoiced"))


@tagged("post_install", "-at_install")
class TestNextRunHint(Q2cBillingCase):
    """Approved time waiting to bill, or an accepted milestone not billed yet, points to the
    run that will bill it: the first draft run that covers the contract, else the one the
    nightly cron creates after the current period."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.consultant = cls._role("Consultant")
        cls.gina = cls._employee("Gina", cls.consultant)
        card = cls._card("C-720 card", [(cls.consultant, 160.0, "2025-01-01", None)])
        cls.contract = cls._contract("C-720", cls._project("P-720"), cards=card)

    @freeze_time("2025-04-15")
    def test_hint_names_the_next_run(self):
        contract = self.contract.with_user(self.finance_user)
        self.assertFalse(contract.q2c_waiting_to_bill)
        self.assertFalse(contract.q2c_next_run_note)
        self._ingest_time("P-720", [("h1", "Gina", "2025-04-10", 2.0, "2025-04-11T09:00:00Z")])
        contract.invalidate_recordset()
        self.assertTrue(contract.q2c_waiting_to_bill)
        self.assertEqual(
            contract.q2c_next_run_note,
            "Next billing run: 05/01/2025 (monthly), for the period 04/01/2025 to 04/30/2025.",
        )
        # March's run, still a draft, covers the contract: it comes first.
        runs = self.env["q2c.billing.run"]._cron_create_due_runs(today=fields.Date.today())
        run = runs.filtered(lambda r: r.company_id == self.company)
        self.assertEqual((run.date_from, run.state), (fields.Date.to_date("2025-03-01"), "draft"))
        contract.invalidate_recordset()
        self.assertEqual(
            contract.q2c_next_run_note,
            f"Next billing run: {run.name}, for the period 03/01/2025 to 03/31/2025 (a draft "
            "that Finance prepares).",
        )

    @freeze_time("2025-04-15")
    def test_no_hint_on_an_ended_or_closed_contract(self):
        """Today 2025-04-15. Three contracts with 2.00 h approved on 2025-04-10 waiting to
        be billed: C-740 ends today (running: the hint shows), C-741 ended yesterday
        2025-04-14 and C-742 is closed (not running: no hint). The form shows the hint only
        when `q2c_waiting_to_bill` is set."""
        card = self.contract.rate_card_ids
        running = self._contract("C-740", self._project("P-740"), cards=card)
        ended = self._contract("C-741", self._project("P-741"), cards=card)
        closed = self._contract("C-742", self._project("P-742"), cards=card)
        running.date_end = "2025-04-15"
        ended.date_end = "2025-04-14"
        self._ingest_time("P-740", [("e0", "Gina", "2025-04-10", 2.0, "2025-04-11T09:00:00Z")])
        self._ingest_time("P-741", [("e1", "Gina", "2025-04-10", 2.0, "2025-04-11T09:00:00Z")])
        self._ingest_time("P-742", [("e2", "Gina", "2025-04-10", 2.0, "2025-04-11T09:00:00Z")])
        closed.action_close()
        contracts = (running | ended | closed).with_user(self.finance_user)
        contracts.invalidate_recordset()
        self.assertEqual(contracts.mapped("q2c_unbilled_time_count"), [1, 1, 1])
        self.assertEqual(contracts.mapped("q2c_waiting_to_bill"), [True, False, False])
        self.assertIn("Next billing run: 05/01/2025", contracts[0].q2c_next_run_note)
        self.assertEqual(contracts[1:].mapped("q2c_next_run_note"), [False, False])
        arch = contracts[0].get_views([(False, "form")])["views"]["form"]["arch"]
        [hint] = etree.fromstring(arch).xpath("//div[@name='q2c_next_run_hint']")
        self.assertEqual(hint.get("invisible"), "not q2c_waiting_to_bill")

    @freeze_time("2025-04-15")
    def test_accepted_milestone_waits_for_the_next_run(self):
        contract = self._contract(
            "C-730",
            self._project("P-730"),
            billing_model="fixed_fee",
            original_value=1000.0,
            milestone_ids=[Command.create({"name": "M1 Discovery", "percent": 100})],
        )
        self.assertFalse(contract.q2c_waiting_to_bill)
        milestone = contract.milestone_ids
        milestone.action_submit()
        milestone.write({"accepted_share": 100.0, "accepted_date": "2025-04-14"})
        milestone.action_accept()
        contract.invalidate_recordset()
        self.assertTrue(contract.q2c_waiting_to_bill)
        self.assertIn("Next billing run: 05/01/2025 (monthly)", contract.q2c_next_run_note)


@tagged("post_install", "-at_install")
class TestContractFiguresTour(Q2cBillingCase, HttpCase):
    """Finance, in the browser, reads a contract's figures and opens the records behind them:
    March billed and posted (5.00 h x 160.00 = 800.00), May waiting (2.50 h x 160.00 =
    400.00 unbilled), and the hint naming the next billing run."""

    def test_finance_opens_the_records_behind_the_figures(self):
        consultant = self._role("Consultant")
        self._employee("Gina", consultant)
        card = self._card("C-740 card", [(consultant, 160.0, "2025-01-01", None)])
        contract = self._contract("C-740", self._project("P-740"), cards=card)
        self.env["account.analytic.line"].sudo()._q2c_ingest(
            self.system,
            [
                {
                    "external_id": ext,
                    "employee": "u-Gina",
                    "project": "P-740",
                    "date": day,
                    "hours": hours,
                    "description": text,
                    "approved_at": approved,
                }
                for ext, day, hours, text, approved in (
                    ("t1", "2025-03-10", 5.0, "Workshop", "2025-03-31T12:00:00Z"),
                    ("t2", "2025-05-05", 2.5, "Workshop follow-up", APPROVED),
                )
            ],
        )
        run = self._bill(
            "2025-03-01", "2025-03-31", "2025-04-03 10:00:00", "2025-04-03", contracts=contract
        )
        run.with_user(self.finance_user).action_post()
        self.start_tour(
            f"/odoo/action-q2c_contract.q2c_contract_action/{contract.id}",
            "q2c_contract_figures",
            login=self.finance_user.login,
        )
        # The tour only read: the entry still waits, the invoice is unchanged.
        self.assertEqual(self._time("t2").q2c_billing_status, "to_bill")
        self.assertAmount(run.invoice_ids.amount_total, 800.00)
