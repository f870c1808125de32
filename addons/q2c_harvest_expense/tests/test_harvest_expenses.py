from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

from odoo.addons.q2c_expense.tests.common import Q2cExpenseCase
from odoo.addons.q2c_harvest.tests.test_harvest_pull import (
    HARVEST_SETTINGS,
    harvest_entry,
    harvest_page,
)
from odoo.addons.q2c_timesheet.tests.common import TIME_GROUPS
from odoo.exceptions import ValidationError
from odoo.tests import new_test_user, tagged

# Harvest expense categories: (id, name, unit name, unit price) and the source id of the
# GC-05 expense product each is mapped to.
AIRFARE = {"id": 501, "name": "Airfare", "unit_name": None, "unit_price": None}
MILEAGE = {"id": 502, "name": "Mileage", "unit_name": "mile", "unit_price": 0.65}
CAVIAR = {"id": 599, "name": "Caviar", "unit_name": None, "unit_price": None}


def harvest_expense(expense_id, total_cost=100.0, category=None, **values):
    """An expense as Harvest v2 documents it (expenses-api/expenses), list answer."""
    return {
        "id": expense_id,
        "notes": "Client visit",
        "total_cost": total_cost,
        "units": 1,
        "is_closed": True,
        "is_locked": True,
        "is_billed": False,
        "locked_reason": "approved",
        "spent_date": "2025-03-12",
        "created_at": "2025-03-12T18:00:00Z",
        "updated_at": "2025-03-14T09:00:00Z",
        "billable": True,
        "receipt": {
            "url": f"https://acme.harvestapp.com/expenses/{expense_id}/receipt/r.pdf",
            "file_name": "r.pdf",
            "file_size": 39410,
            "content_type": "application/pdf",
        },
        "user": {"id": 101, "name": "Gina"},
        "project": {"id": 202, "name": "P-500", "code": "P500"},
        "expense_category": category or AIRFARE,
        "client": {"id": 301, "name": "C-500 customer", "currency": "USD"},
        **values,
    }


def expense_page(expenses, page, total_pages, per_page=2):
    return harvest_page(expenses, page, total_pages, per_page, key="expenses")


@tagged("post_install", "-at_install")
class TestHarvestExpenses(Q2cExpenseCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        refs = [
            ("project", "202", cls.project_500),
            ("expense_category", "501", cls.products["airfare"]),
            ("expense_category", "502", cls.products["mileage"]),
        ]
        settings = {**HARVEST_SETTINGS, "harvest_pull_expenses": True}
        cls.harvest = cls.pull_system = cls._create_time_source(
            "Harvest (test)", "harvest", "101", "201", refs=refs, **settings
        )

    def _expense_pages(self, run):
        return run.page_ids.filtered(lambda page: page.stream == "expenses").sorted("page_no")

    def test_a_run_pulls_time_then_expenses_and_again_finds_them_unchanged(self):
        expenses = [
            [
                harvest_expense(9001, total_cost=612.40),
                harvest_expense(9002, total_cost=78.0, units=120, category=MILEAGE, receipt=None),
            ],
            [harvest_expense(9003, is_closed=False, is_locked=False, locked_reason=None)],
        ]
        script = [
            harvest_page([harvest_entry(1)], 1, 1),
            expense_page(expenses[0], 1, 2),
            expense_page(expenses[1], 2, 2),
        ]
        run, seen = self._pull(script)
        self.assertEqual(run.state, "done")
        self.assertEqual(self.harvest.pull_watermark, run.started_at)
        self.assertEqual(self.harvest.harvest_expense_watermark, run.started_at)
        self.assertEqual(self._line("1", self.harvest).unit_amount, 2.0)
        paths = [urlsplit(request["path"]) for request in seen]
        self.assertEqual(
            [path.path for path in paths], ["/time_entries", "/expenses", "/expenses"]
        )
        queries = [parse_qs(path.query) for path in paths[1:]]
        self.assertEqual(
            [(q["page"], q["per_page"]) for q in queries], [(["1"], ["2"]), (["2"], ["2"])]
        )
        self.assertNotIn("updated_since", queries[0], "the first run reads every expense")
        self.assertEqual(seen[1]["headers"]["Harvest-Account-Id"], "987654")
        pages = self._expense_pages(run)
        self.assertEqual(pages.mapped("created_count"), [2, 1])
        airfare = self._exp("9001", self.harvest)
        self.assertEqual(airfare.employee_id, self.gina)
        self.assertEqual(airfare.product_id, self.products["airfare"])
        self.assertEqual(airfare.q2c_project_id, self.project_500)
        self.assertEqual(airfare.currency_id, self.company.currency_id)
        self.assertAmount(airfare.total_amount_currency, 612.40)
        self.assertAmount(airfare.q2c_billed_value, 673.64)  # 612.40 + 10 % markup
        self.assertEqual(
            airfare.q2c_receipt_ref, "https://acme.harvestapp.com/expenses/9001/receipt/r.pdf"
        )
        self.assertEqual(airfare.q2c_billing_status, "to_bill")
        self.assertEqual(airfare.create_uid, self.time_user)
        mileage = self._exp("9002", self.harvest)
        self.assertAmount(mileage.quantity, 120.0)
        self.assertAmount(mileage.q2c_billed_value, 84.0)  # 120 miles x the contract's 0.70
        self.assertFalse(mileage.q2c_receipt_ref)
        self.assertEqual(self._exp("9003", self.harvest).q2c_billing_status, "pending_approval")
        # The same answers again: nothing changes, and the read starts at the watermark.
        second, seen = self._pull(script)
        self.assertEqual(second.state, "done")
        pages = self._expense_pages(second)
        self.assertEqual(pages.mapped("unchanged_count"), [2, 1])
        self.assertEqual(sum(pages.mapped("created_count") + pages.mapped("updated_count")), 0)
        since = (run.started_at - timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%SZ")
        self.assertEqual(parse_qs(urlsplit(seen[1]["path"]).query)["updated_since"], [since])
        self.assertEqual(
            self.env["hr.expense"].search_count([("q2c_system_id", "=", self.harvest.id)]), 3
        )

    def test_an_unmapped_category_is_held_with_an_exception(self):
        caviar = harvest_expense(9101, total_cost=250.0, category=CAVIAR)
        script = [harvest_page([], 1, 1), expense_page([caviar, harvest_expense(9102)], 1, 1)]
        run, _seen = self._pull(script)
        self.assertEqual(run.state, "done", "a held expense is written, not a dead page")
        page = self._expense_pages(run)
        self.assertEqual((page.created_count, page.rejected_count), (1, 1))
        self.assertFalse(self._exp("9101", self.harvest))
        hold = self.env["q2c.sync.hold"].search(
            [("system_id", "=", self.harvest.id), ("kind", "=", "expense")]
        )
        self.assertEqual((hold.external_id, hold.state), ("9101", "held"))
        exception = self.env["q2c.exception"].search(
            [("system_id", "=", self.harvest.id), ("kind", "=", "missing_data")]
        )
        self.assertEqual(len(exception), 1)
        self.assertIn("expense category 599", exception.name)
        # Mapped later, not edited in Harvest since: reading every expense again imports it.
        product = self.env["product.product"].create(
            {
                "name": "Caviar (q2c test)",
                "can_be_expensed": True,
                "type": "service",
                "categ_id": self.categories["Meals"].id,
            }
        )
        self.env["q2c.external.ref"]._bind(self.harvest, "expense_category", "599", product)
        self.assertEqual(self.harvest.harvest_expense_watermark, run.started_at)
        self.harvest.action_harvest_reread_expenses()
        second, seen = self._pull([harvest_page([], 1, 1), expense_page([caviar], 1, 1)])
        self.assertNotIn("updated_since", parse_qs(urlsplit(seen[1]["path"]).query))
        self.assertEqual(self.harvest.harvest_expense_watermark, second.started_at)
        self.assertAmount(self._exp("9101", self.harvest).total_amount_currency, 250.0)
        self.assertEqual(hold.state, "released")

    def test_rate_limited_expense_page_is_asked_again(self):
        self.harvest.harvest_currency_id = self.eur
        script = [
            harvest_page([harvest_entry(1)], 1, 1),
            (429, {"Retry-After": "0"}, b'{"message": "Too many requests"}', 0),
            expense_page([harvest_expense(9201, total_cost=100.0)], 1, 1),
        ]
        run, seen = self._pull(script)
        self.assertEqual(len(seen), 3, "the rate-limited page is asked again")
        self.assertEqual(urlsplit(seen[2]["path"]).path, "/expenses")
        self.assertEqual(run.state, "done")
        self.assertEqual(self._expense_pages(run).state, "done")
        expense = self._exp("9201", self.harvest)
        self.assertEqual(expense.currency_id, self.eur, "the Harvest account's currency")
        self.assertAmount(expense.q2c_cost, 108.74)  # 100 EUR x 1.0874 on 2025-03-12

    def test_expenses_are_opt_in_and_need_the_expense_rights(self):
        plain = self._create_system(
            name="Harvest (plain)", system_type="harvest", user_id=self.time_user.id
        )
        self.assertFalse(plain.harvest_pull_expenses, "off by default")
        no_rights = new_test_user(self.env, login="q2c_int_no_exp", groups=TIME_GROUPS)
        plain.user_id = no_rights
        with self.assertRaisesRegex(ValidationError, "Expenses: All Approver"):
            plain.harvest_pull_expenses = True
        # Switched off: a run reads time entries only.
        self.harvest.harvest_pull_expenses = False
        run, seen = self._pull([harvest_page([harvest_entry(1)], 1, 1)])
        self.assertEqual(run.state, "done")
        self.assertEqual(len(seen), 1)
        self.assertFalse(self._expense_pages(run))
        self.assertFalse(self.harvest.harvest_expense_watermark)

    def test_an_expense_that_fails_validation_is_held(self):
        """An expense Harvest sends with a negative total is held with the reason and
        counted; the expense beside it imports and the run is done (issue 11, item 6)."""
        script = [
            harvest_page([], 1, 1),
            expense_page([harvest_expense(9301, total_cost=-5.0), harvest_expense(9302)], 1, 1),
        ]
        run, _seen = self._pull(script)
        self.assertEqual(run.state, "done")
        page = self._expense_pages(run)
        self.assertEqual((page.created_count, page.held_count), (1, 1))
        self.assertTrue(self._exp("9302", self.harvest))
        hold = self.env["q2c.sync.hold"].search(
            [("system_id", "=", self.harvest.id), ("external_id", "=", "9301")]
        )
        self.assertEqual((hold.kind, hold.state), ("expense", "held"))
        self.assertIn("'amount' must be", hold.reason)
