from collections import defaultdict

from odoo import Command
from odoo.addons.q2c_billing.tests.common import Q2cBillingCase
from odoo.addons.q2c_expense.tests.common import GC05_POLICY, create_gc05_products
from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

AS_OF = "2026-04-30"


@tagged("post_install", "-at_install")
class TestWip(Q2cBillingCase):
    """WIP as of a date (billing-domain.md 1.7).

    Ann (rate 150.00, hourly cost 40.00), Bob (100.00, cost 30.00) and Cy (no rate, cost
    20.00) work on P-W1 (contract C-W1, managed by the project manager) and Ann on P-W2
    (C-W2, someone else's). Entries, with their status and age as of 2026-04-30:

    ===  ====  ==========  =====  ================  ====================  =========  ======  ======
    id   who   work date   hours  approved          status at 04-30       age        value   cost
    ===  ====  ==========  =====  ================  ====================  =========  ======  ======
    t1   Ann   2026-04-20  2.00   2026-04-21        unbilled              10, 0-30   300.00  80.00
    t2   Ann   2026-03-15  1.50   2026-03-16        unbilled (billed 05)  46, 31-60  225.00  60.00
    t3   Bob   2026-01-20  3.00   2026-04-10        unbilled              100, >90   300.00  90.00
    t4   Bob   2026-02-20  4.00   2026-05-02        pending (approved     69, 61-90  400.00  120.00
                                                    after the date)
    t5   Bob   2026-04-25  1.00   submitted only    pending               5, 0-30    0.00    30.00
    t7   Cy    2026-04-29  2.00   2026-04-29        on hold (no rate)     1, 0-30    0.00    40.00
    t6   Ann   2026-04-28  1.00   2026-04-28        unbilled (P-W2)       2, 0-30    150.00  40.00
    e1   Ann   2026-04-10  air    2026-04-11        unbilled (expense)    20, 0-30   673.64  612.40
    ===  ====  ==========  =====  ================  ====================  =========  ======  ======

    Values: hours x rate (t1 2 x 150 = 300.00, t2 1.5 x 150 = 225.00, t3 3 x 100, t4 4 x 100,
    t6 1 x 150); e1 is GC-05's airfare, 612.40 + 10% 61.24 = 673.64 at cost 612.40. Costs:
    hours x hourly cost (t1 2 x 40 = 80.00, t2 1.5 x 40 = 60.00, t3 3 x 30, t4 4 x 30, t5
    1 x 30, t7 2 x 20, t6 1 x 40). t5 has no rate yet (pending), t7 none at all: 0.00.

    t2 is billed by the March run (cut-off 2026-04-01), invoice dated 2026-05-05."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        categories, _products = create_gc05_products(cls.env, cls.system, "wip test")
        role = cls._role("Consultant")
        cls.ann = cls._employee("Ann", role)
        cls.bob = cls._employee("Bob", role)
        cls.cy = cls._employee("Cy", role)
        for employee, cost in ((cls.ann, 40.0), (cls.bob, 30.0), (cls.cy, 20.0)):
            employee.hourly_cost = cost
        card = cls._card(
            "W card", [(cls.ann, 150.0, "2026-01-01", None), (cls.bob, 100.0, "2026-01-01", None)]
        )
        cls.p1 = cls._project("P-W1")
        cls.p1.user_id = cls.pm_user
        cls.p2 = cls._project("P-W2")
        policy = [
            Command.create({"product_categ_id": categories[name].id, **vals})
            for name, vals in GC05_POLICY.items()
        ]
        cls.c1 = cls._contract("C-W1", cls.p1, cards=card, expense_policy_ids=policy)
        cls.c2 = cls._contract("C-W2", cls.p2, cards=card)
        cls._ingest_time(
            "P-W1",
            [
                ("t1", "Ann", "2026-04-20", 2.0, "2026-04-21T09:00:00Z"),
                ("t2", "Ann", "2026-03-15", 1.5, "2026-03-16T09:00:00Z"),
                ("t3", "Bob", "2026-01-20", 3.0, "2026-04-10T09:00:00Z"),
                ("t4", "Bob", "2026-02-20", 4.0, "2026-05-02T09:00:00Z"),
                ("t7", "Cy", "2026-04-29", 2.0, "2026-04-29T09:00:00Z"),
            ],
        )
        cls._ingest_time("P-W2", [("t6", "Ann", "2026-04-28", 1.0, "2026-04-28T09:00:00Z")])
        entry = {"employee": "u-Bob", "project": "P-W1", "description": "work"}
        results = (
            cls.env["account.analytic.line"]
            .sudo()
            ._q2c_ingest(
                cls.system,
                [
                    {
                        **entry,
                        "external_id": "t5",
                        "date": "2026-04-25",
                        "hours": 1.0,
                        "approval_state": "submitted",
                    }
                ],
            )
        )
        assert results[0]["status"] == "created", results
        expense = {
            "external_id": "e1",
            "employee": "u-Ann",
            "project": "P-W1",
            "category": "airfare",
            "date": "2026-04-10",
            "amount": 612.40,
            "approved_at": "2026-04-11T12:00:00Z",
        }
        results = cls.env["hr.expense"].sudo()._q2c_ingest(cls.system, [expense])
        assert results[0]["status"] == "created", results

    # ------------------------------------------------------------------ helpers

    def _wip(self, as_of=AS_OF, user=None):
        # Rows of another date have the same ids: what was read at the last date goes.
        self.env["q2c.wip.report"].invalidate_model()
        Report = self.env["q2c.wip.report"].with_context(q2c_wip_as_of=as_of)
        if user:
            Report = Report.with_user(user)
        return Report.search([("contract_id", "in", (self.c1 | self.c2).ids)])

    def _by_entry(self, rows):
        """{external id: row}: a row's id is its entry's id doubled (time) or doubled plus one
        (expense)."""
        found = {}
        for row in rows:
            model = "account.analytic.line" if row.source == "time" else "hr.expense"
            entry = self.env[model].browse(row.id // 2)
            found[entry.q2c_external_id] = row
        return found

    def _sums(self, as_of=AS_OF, groupby=("wip_status",), user=None):
        Report = self.env["q2c.wip.report"].with_context(q2c_wip_as_of=as_of)
        if user:
            Report = Report.with_user(user)
        groups = Report._read_group(
            [("contract_id", "in", (self.c1 | self.c2).ids)],
            list(groupby),
            ["bill_value:sum", "cost:sum", "hours:sum"],
        )
        sums = defaultdict(lambda: (0.0, 0.0, 0.0))
        for *keys, value, cost, hours in groups:
            sums[tuple(keys) if len(keys) > 1 else keys[0]] = (value, cost, hours)
        return sums

    def _bill_march(self):
        return self._bill(
            "2026-03-01", "2026-03-31", "2026-04-01 00:00:00", "2026-05-05", contracts=self.c1
        )

    # ------------------------------------------------------------------ tests

    def test_each_entry_status_age_value_and_cost(self):
        """The table of the class docstring, row by row, as of 2026-04-30."""
        rows = self._by_entry(self._wip())
        expected = {
            "t1": ("approved", 10, "0_30", 300.00, 80.00),
            "t2": ("approved", 46, "31_60", 225.00, 60.00),
            "t3": ("approved", 100, "over_90", 300.00, 90.00),
            "t4": ("pending", 69, "61_90", 400.00, 120.00),
            "t5": ("pending", 5, "0_30", 0.00, 30.00),
            "t7": ("on_hold", 1, "0_30", 0.00, 40.00),
            "t6": ("approved", 2, "0_30", 150.00, 40.00),
            "e1": ("approved", 20, "0_30", 673.64, 612.40),
        }
        self.assertEqual(set(rows), set(expected))
        for key, (status, age, bucket, value, cost) in expected.items():
            row = rows[key]
            with self.subTest(entry=key):
                self.assertEqual(
                    (row.wip_status, row.age_days, row.age_bucket), (status, age, bucket)
                )
                self.assertAmount(row.bill_value, value)
                self.assertAmount(row.cost, cost)
        self.assertEqual(rows["t7"].contract_id, self.c1)
        self.assertEqual(rows["e1"].partner_id, self.customer)

    def test_totals_per_status_and_age(self):
        """As of 2026-04-30: approved unbilled 300 + 225 + 300 + 150 + 673.64 = 1,648.64 at
        billing value, 80 + 60 + 90 + 40 + 612.40 = 882.40 at cost, 2 + 1.5 + 3 + 1 = 7.50
        hours; pending approval 400.00 (cost 120 + 30 = 150.00, 5 hours); on hold 0.00 (cost
        40.00). Unbilled by age: 0-30 300 + 150 + 673.64 = 1,123.64; 31-60 225.00; >90
        300.00."""
        sums = self._sums()
        for status, (value, cost, hours) in {
            "approved": (1648.64, 882.40, 7.5),
            "pending": (400.00, 150.00, 5.0),
            "on_hold": (0.00, 40.00, 2.0),
        }.items():
            with self.subTest(status=status):
                self.assertAmount(sums[status][0], value)
                self.assertAmount(sums[status][1], cost)
                self.assertAmount(sums[status][2], hours)
        ages = self._sums(groupby=("wip_status", "age_bucket"))
        self.assertAmount(ages["approved", "0_30"][0], 1123.64)
        self.assertAmount(ages["approved", "31_60"][0], 225.00)
        self.assertAmount(ages["approved", "over_90"][0], 300.00)
        self.assertAmount(ages["pending", "61_90"][0], 400.00)

    def test_billed_after_the_date_is_unbilled_at_the_date(self):
        """The March run bills t2 (225.00) on an invoice dated 2026-05-05. As of 2026-04-30
        t2 is still WIP, posted or not. As of 2026-05-31: while the invoice is a draft t2 is
        still unbilled (reserved, not billed); once posted it has left WIP. t4, approved on
        2026-05-02, is approved unbilled by then: unbilled as of 05-31 = 1,648.64 - 225.00
        + 400.00 = 1,823.64 once posted (2,048.64 while the invoice is a draft)."""
        run = self._bill_march()
        invoice = run.line_ids.invoice_id
        self.assertEqual(invoice.invoice_line_ids.q2c_timesheet_ids, self._time("t2"))
        self.assertAmount(self._sums("2026-05-31")["approved"][0], 2048.64)
        run.with_user(self.finance_user).action_post()
        self.assertEqual(invoice.state, "posted")
        rows = self._by_entry(self._wip())
        self.assertEqual(rows["t2"].wip_status, "approved")
        self.assertAmount(self._sums()["approved"][0], 1648.64)
        later = self._by_entry(self._wip("2026-05-31"))
        self.assertNotIn("t2", later)
        self.assertEqual(later["t4"].wip_status, "approved")
        self.assertAmount(self._sums("2026-05-31")["approved"][0], 1823.64)

    def test_not_worked_yet_is_not_wip(self):
        """As of 2026-03-31 only t2 (03-15), t3 (01-20) and t4 (02-20) were worked; t3 was
        approved on 04-10 and t4 on 05-02: both pending then. Unbilled 225.00 (t2), pending
        300 + 400 = 700.00."""
        rows = self._by_entry(self._wip("2026-03-31"))
        self.assertEqual(set(rows), {"t2", "t3", "t4"})
        sums = self._sums("2026-03-31")
        self.assertAmount(sums["approved"][0], 225.00)
        self.assertAmount(sums["pending"][0], 700.00)

    def test_project_manager_reads_its_projects_without_cost(self):
        """The project manager of P-W1 sees its seven entries (not t6 of P-W2): 1,648.64 -
        150.00 = 1,498.64 unbilled; the cost (what each person costs) is Finance's and the
        auditors'. The auditor sees all eight; a plain employee nothing."""
        rows = self._wip(user=self.pm_user)
        self.assertEqual(set(self._by_entry(rows)), {"t1", "t2", "t3", "t4", "t5", "t7", "e1"})
        groups = (
            self.env["q2c.wip.report"]
            .with_context(q2c_wip_as_of=AS_OF)
            .with_user(self.pm_user)
            ._read_group([("wip_status", "=", "approved")], [], ["bill_value:sum"])
        )
        self.assertAmount(groups[0][0], 1498.64)
        with self.assertRaises(AccessError):
            rows[:1].read(["cost"])
        self.assertEqual(len(self._wip(user=self.auditor_user)), 8)
        self.assertAmount(self._sums(user=self.auditor_user)["approved"][1], 882.40)
        employee = new_test_user(self.env, login="q2c_wip_employee", groups="base.group_user")
        with self.assertRaises(AccessError):
            self._wip(user=employee)

    def test_other_company_is_not_seen(self):
        """Finance of the first company does not see WIP of a second one."""
        other = self.env["res.company"].create({"name": "WIP other company"})
        line = self._time("t6")
        self.env.cr.execute(
            "UPDATE account_analytic_line SET company_id = %s WHERE id = %s", (other.id, line.id)
        )
        self.env.invalidate_all()
        rows = self._by_entry(self._wip(user=self.finance_user))
        self.assertNotIn("t6", rows)
        self.assertIn("t1", rows)

    def test_wizard_opens_the_report_as_of_its_date(self):
        wizard = self.env["q2c.wip.wizard"].with_user(self.pm_user).create({"as_of_date": AS_OF})
        action = wizard.action_open_report()
        self.assertEqual(action["res_model"], "q2c.wip.report")
        self.assertEqual(action["context"]["q2c_wip_as_of"], AS_OF)
        self.assertIn(AS_OF, action["name"])

    def test_contract_currency_converted_at_the_as_of_date(self):
        """C-W3 bills in EUR: Ann at EUR 100.00, t8 2 h on 2026-04-15 = EUR 200.00. EUR is
        worth USD 1.10 from 2026-01-01 and USD 1.20 from 2026-05-01 (the company's rates):
        WIP as of 2026-04-30 = 200.00 x 1.10 = USD 220.00; as of 2026-05-31 = 200.00 x 1.20
        = USD 240.00. The cost stays the timesheet's, 2 x 40.00 = 80.00."""
        eur = self.env.ref("base.EUR")
        eur.active = True
        Rate = self.env["res.currency.rate"]
        Rate.search([("currency_id", "=", eur.id)]).unlink()
        for day, usd_per_eur in (("2026-01-01", 1.10), ("2026-05-01", 1.20)):
            Rate.create(
                {
                    "currency_id": eur.id,
                    "name": day,
                    "company_id": self.company.id,
                    "inverse_company_rate": usd_per_eur,
                }
            )
        card = self.env["q2c.rate.card"].create(
            {
                "name": "W3 card",
                "scope": "contract",
                "currency_id": eur.id,
                "company_id": self.company.id,
                "line_ids": [
                    Command.create(
                        {"employee_id": self.ann.id, "rate": 100.0, "date_from": "2026-01-01"}
                    )
                ],
            }
        )
        contract = self._contract("C-W3", self._project("P-W3"), cards=card, currency_id=eur.id)
        self._ingest_time("P-W3", [("t8", "Ann", "2026-04-15", 2.0, "2026-04-16T09:00:00Z")])
        self.assertAmount(self._time("t8").q2c_bill_amount, 200.00)
        for as_of, value in (("2026-04-30", 220.00), ("2026-05-31", 240.00)):
            self.env["q2c.wip.report"].invalidate_model()
            row = (
                self.env["q2c.wip.report"]
                .with_context(q2c_wip_as_of=as_of)
                .search([("contract_id", "=", contract.id)])
            )
            with self.subTest(as_of=as_of):
                self.assertEqual(row.currency_id, self.currency)
                self.assertAmount(row.bill_value, value)
                self.assertAmount(row.cost, 80.00)
