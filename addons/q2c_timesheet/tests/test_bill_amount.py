from lxml import etree

from odoo.tests import Form, new_test_user, tagged
from odoo.tools.safe_eval import safe_eval

from .common import Q2cTimeCase

# What the source system delivers on a time entry (the values `_q2c_values` writes from the
# entry itself): read-only on an ingested line.
SOURCE_FIELDS = ("date", "employee_id", "project_id", "task_id", "name", "unit_amount")


@tagged("post_install", "-at_install")
class TestBillAmount(Q2cTimeCase):
    """Issue 13, item 8: a time entry shows what it bills (hours x rate, in the contract
    currency) and grouped lists sum that, not the rate; what the source owns is read-only
    on an ingested line."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.timesheet_user = new_test_user(
            cls.env,
            login="q2c_ts_manager",
            groups="base.group_user,hr_timesheet.group_hr_timesheet_approver,"
            "project.group_project_manager",
        )
        cls.env["hr.employee"].create({"name": "TS manager", "user_id": cls.timesheet_user.id})

    def _ingested_lines(self, pairs):
        """One ingested line per (hours, rate), the rate written as a resolved rate."""
        entries = [self._entry(f"b-{n}", hours=hours) for n, (hours, _rate) in enumerate(pairs)]
        self._ingest(entries)
        lines = self.env["account.analytic.line"]
        for n, (_hours, rate) in enumerate(pairs):
            line = self._line(f"b-{n}")
            line.q2c_rate = rate
            lines |= line
        return lines

    def test_amount_is_hours_times_rate_rounded_in_the_contract_currency(self):
        """Worked by hand: 6 x 160.00 = 960.00; 1.33 x 162.35 = 215.9255 -> 215.93;
        0.1 x 333.33 = 33.333 -> 33.33; 0.75 x 99.99 = 74.9925 -> 74.99."""
        cases = [(6.0, 160.0, 960.0), (1.33, 162.35, 215.93), (0.1, 333.33, 33.33)]
        cases.append((0.75, 99.99, 74.99))
        lines = self._ingested_lines([(hours, rate) for hours, rate, _amount in cases])
        for line, (hours, rate, amount) in zip(lines, cases, strict=True):
            with self.subTest(hours=hours, rate=rate):
                self.assertEqual(line.q2c_currency_id, self.usd)
                self.assertEqual(self.usd.compare_amounts(line.q2c_bill_amount, amount), 0)
        # Recomputed when the hours change at the source.
        self._ingest([self._entry("b-0", hours=2.5)])
        self.assertEqual(self.usd.compare_amounts(lines[0].q2c_bill_amount, 400.0), 0)

    def test_grouping_sums_the_amount_not_the_rate(self):
        lines = self._ingested_lines([(6.0, 160.0), (1.33, 162.35), (0.75, 99.99)])
        domain = [("id", "in", lines.ids)]
        Line = self.env["account.analytic.line"].with_user(self.timesheet_user)
        groups = Line.read_group(
            domain, ["q2c_rate", "q2c_bill_amount", "unit_amount"], ["q2c_contract_id"]
        )
        self.assertEqual(len(groups), 1)
        self.assertNotIn("q2c_rate", groups[0], "a sum of bill rates means nothing")
        self.assertEqual(
            self.usd.compare_amounts(groups[0]["q2c_bill_amount"], 960.0 + 215.93 + 74.99), 0
        )
        self.assertEqual(
            self.usd.compare_amounts(
                groups[0]["q2c_bill_amount"], sum(lines.mapped("q2c_bill_amount"))
            ),
            0,
        )
        fields = Line.fields_get(["q2c_rate", "q2c_bill_amount"], ["aggregator", "type"])
        self.assertFalse(fields["q2c_rate"].get("aggregator"))
        self.assertEqual(fields["q2c_bill_amount"]["aggregator"], "sum")
        self.assertEqual(fields["q2c_bill_amount"]["type"], "monetary")

    def test_list_shows_the_amount_with_a_sum(self):
        arch = self.env["account.analytic.line"].get_view(
            self.env.ref("hr_timesheet.timesheet_view_tree_user").id, "list"
        )["arch"]
        node = etree.fromstring(arch).xpath("//field[@name='q2c_bill_amount']")
        self.assertEqual(len(node), 1)
        self.assertTrue(node[0].get("sum"))

    def _native_line(self):
        return (
            self.env["account.analytic.line"]
            .with_user(self.timesheet_user)
            .create(
                {
                    "employee_id": self.gina.id,
                    "project_id": self.project.id,
                    "date": "2025-03-27",
                    "unit_amount": 1.0,
                    "name": "entered in Odoo",
                }
            )
        )

    def test_source_fields_read_only_in_the_timesheet_form(self):
        self._ingest([self._entry("ro-1")])
        ingested = self._line("ro-1").with_user(self.timesheet_user)
        native = self._native_line()
        view = "hr_timesheet.timesheet_view_form_user"
        values = {
            "date": "2025-03-28",
            "employee_id": self.hal,
            "project_id": self.project,
            "name": "edited",
            "unit_amount": 2.0,
        }
        for name, value in values.items():
            with self.subTest(field=name):
                form = Form(ingested, view=view)
                with self.assertRaisesRegex(AssertionError, "readonly"):
                    setattr(form, name, value)
                form = Form(native, view=view)
                setattr(form, name, value)
                form.save()
        self.assertEqual(native.unit_amount, 2.0)

    def test_source_fields_read_only_in_the_task_timesheets(self):
        task = self.env["project.task"].create({"name": "T-600", "project_id": self.project.id})
        self._ingest([self._entry("ro-2")])
        ingested = self._line("ro-2")
        ingested.task_id = task
        native = self._native_line()
        native.task_id = task
        form = Form(task.with_user(self.timesheet_user))
        rows = {row["id"]: n for n, row in enumerate(form.timesheet_ids._records)}
        for name, value in (("unit_amount", 3.0), ("name", "edited"), ("date", "2025-03-29")):
            with self.subTest(field=name):
                with (
                    form.timesheet_ids.edit(rows[ingested.id]) as row,
                    self.assertRaisesRegex(AssertionError, "readonly|not editable"),
                ):
                    setattr(row, name, value)
                with form.timesheet_ids.edit(rows[native.id]) as row:
                    setattr(row, name, value)

    def test_source_fields_read_only_in_list_inline_editing(self):
        """The list is edited inline (no Form for it): each source field's `readonly`
        expression, evaluated on an ingested and on an Odoo-entered line."""
        view = self.env.ref("hr_timesheet.timesheet_view_tree_user")
        arch = etree.fromstring(self.env["account.analytic.line"].get_view(view.id)["arch"])
        for name in SOURCE_FIELDS:
            with self.subTest(field=name):
                (node,) = arch.xpath(f"/list/field[@name='{name}']")
                expression = node.get("readonly")
                context = {"readonly_timesheet": False, "q2c_system_id": self.time_system.id}
                self.assertTrue(safe_eval(expression, context))
                self.assertFalse(safe_eval(expression, {**context, "q2c_system_id": False}))
