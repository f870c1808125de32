"""Issue 12 item 3, time entries: the billing fields of a line (billing status, hold reason,
billed at and by what, corrections, contract and bill rate) are written by ingestion,
billing and corrections only, never by a plain `write` or `create` of whoever may write the
line (docs/security.md, 8)."""

from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged

from .common import Q2cTimeCase

# One value per guarded field that a person might try to write.
PLAIN_WRITES = {
    "q2c_billing_status": "billed",
    "q2c_hold_reason": "paid in cash",
    "q2c_billed_at": "2025-04-01 10:00:00",
    "q2c_billing_ref": "INV/FAKE",
    "q2c_correction_kind": "reversal",
    "q2c_rate": 999.0,
    "q2c_rate_source": "by hand",
    "q2c_bill_amount": 1.0,
    # The approval decides what a run bills: the source's, or the approval action's.
    "q2c_approval_state": "rejected",
    "q2c_approved_at": "2025-04-01 10:00:00",
}


@tagged("post_install", "-at_install")
class TestTimeBillingFieldsGuarded(Q2cTimeCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        timesheets = "base.group_user,hr_timesheet.group_hr_timesheet_approver"
        cls.pm = new_test_user(
            cls.env,
            login="q2c_ts_guard_pm",
            groups=f"{timesheets},q2c_contract.group_q2c_project_manager",
        )
        cls.finance = new_test_user(
            cls.env,
            login="q2c_ts_guard_finance",
            groups=f"{timesheets},q2c_contract.group_q2c_finance",
        )
        cls.project.user_id = cls.pm
        other = cls.env["project.project"].create(
            {"name": "P-601 (test)", "partner_id": cls.customer.id}
        )
        cls.other_contract = cls._create_tm_contract("C-601", other)

    def test_a_plain_write_of_a_billing_field_is_refused(self):
        """A project manager, the integration user and Finance may write the line (its
        hours, its description) but none of its billing fields."""
        self._ingest([self._entry("g-1")])
        line = self._line("g-1")
        self.assertEqual((line.q2c_billing_status, line.q2c_rate), ("to_bill", 160.0))
        writes = {**PLAIN_WRITES, "q2c_contract_id": self.other_contract.id}
        for user in (self.pm, self.time_user, self.finance):
            for name, value in writes.items():
                with (
                    self.subTest(user=user.login, field=name),
                    self.assertRaisesRegex(AccessError, "change only through its actions"),
                ):
                    line.with_user(user).write({name: value})
            line.with_user(user).write({"name": f"described by {user.login}"})
        self.assertEqual(line.q2c_billing_status, "to_bill")
        self.assertEqual(line.q2c_contract_id, self.contract)
        self.assertEqual(self.usd.compare_amounts(line.q2c_rate, 160.0), 0)
        self.assertFalse(line.q2c_billed_at)

    def test_finance_without_timesheet_rights_reads_the_guard_first(self):
        """A Finance user who is not a timesheet approver (hr_timesheet lets them write only
        their own lines: "You cannot access timesheets that are not yours") edits Gina's
        line: a billing field is refused with q2c's reason, and so is the hours of the line
        once billed, not with hr_timesheet's "not yours"; a plain field of a line not billed
        still meets hr_timesheet's rule."""
        finance = new_test_user(
            self.env,
            login="q2c_ts_guard_finance_only",
            groups="base.group_user,hr_timesheet.group_hr_timesheet_user,"
            "q2c_contract.group_q2c_finance",
        )
        self.assertFalse(finance.has_group("hr_timesheet.group_hr_timesheet_approver"))
        self._ingest([self._entry("g-9")])
        line = self._line("g-9")
        self.assertNotEqual(line.user_id, finance)
        for name, value in PLAIN_WRITES.items():
            with (
                self.subTest(field=name),
                self.assertRaisesRegex(AccessError, "change only through its actions"),
            ):
                line.with_user(finance).write({name: value})
        with self.assertRaisesRegex(AccessError, "not yours"):
            line.with_user(finance).write({"name": "described by Finance"})
        line._q2c_guarded_write({"q2c_billing_status": "billed"})
        with self.assertRaisesRegex(UserError, "is billed: it cannot be changed"):
            line.with_user(finance).write({"unit_amount": 4.0})
        self.assertEqual(line.unit_amount, 6.0)

    def test_a_timesheet_entered_in_odoo_is_priced_by_q2c_only(self):
        """A timesheet entered in Odoo's Timesheets app on a contract's project is priced by
        q2c (to bill at Gina's 160.00, the company approving time when entered); the person
        entering it cannot give it a billing status, a contract or a rate of their own, and
        sending the initial values explicitly changes nothing."""
        Line = self.env["account.analytic.line"].with_user(self.pm)
        values = {
            "employee_id": self.gina.id,
            "project_id": self.project.id,
            "date": "2025-03-27",
            "unit_amount": 2.0,
            "name": "entered in Odoo",
        }
        native = Line.create(values)
        self.assertEqual(native.q2c_billing_status, "to_bill")
        self.assertEqual(native.q2c_contract_id, self.contract)
        self.assertEqual(self.usd.compare_amounts(native.q2c_rate, 160.0), 0)
        # The initial values themselves are accepted (a client sending every field), and
        # the line is priced all the same.
        explicit = Line.create({**values, "q2c_billing_status": False, "q2c_rate": 0.0})
        self.assertEqual(explicit.q2c_billing_status, "to_bill")
        self.assertEqual(self.usd.compare_amounts(explicit.q2c_rate, 160.0), 0)
        for name, value in {
            "q2c_billing_status": "billed",
            "q2c_contract_id": self.other_contract.id,
            "q2c_rate": 999.0,
        }.items():
            with (
                self.subTest(field=name),
                self.assertRaisesRegex(AccessError, "starts in its initial state"),
            ):
                Line.create({**values, name: value})
        # Its hours stay editable.
        native.with_user(self.pm).write({"unit_amount": 3.0})
        self.assertEqual(native.unit_amount, 3.0)

    def test_ingestion_and_corrections_still_set_them(self):
        """As the integration user (not superuser): a new entry is priced (to bill at
        160.00) or waits for its approval, a billed entry edited at the
        source gets a reversal and a replacement, and an entry deleted at the source is
        marked deleted with its reason."""
        self._ingest(
            [
                self._entry("g-2", hours=6.0),
                self._entry("g-3", hours=2.0, approval_state="submitted"),
                self._entry("g-4", hours=1.0),
            ]
        )
        billed, waiting, deleted = self._line("g-2"), self._line("g-3"), self._line("g-4")
        self.assertEqual(billed.q2c_billing_status, "to_bill")
        self.assertEqual(waiting.q2c_billing_status, "pending_approval")
        # Billing marks it billed (q2c_billing's run calls this).
        billed.with_user(self.time_user)._q2c_mark_billed("INV/2025/0001")
        self.assertEqual(billed.q2c_billing_status, "billed")
        self.assertEqual(billed.q2c_billing_ref, "INV/2025/0001")
        self.assertTrue(billed.q2c_billed_at)
        results = self._ingest(
            [
                self._entry("g-2", hours=5.0),
                self._entry("g-3", hours=2.0, approval_state="approved"),
            ]
        )
        self.assertEqual([r["status"] for r in results], ["updated", "updated"])
        self.assertEqual(waiting.q2c_billing_status, "to_bill")
        corrections = self.env["account.analytic.line"].search(
            [("q2c_origin_id", "=", billed.id)], order="id"
        )
        self.assertEqual(corrections.mapped("q2c_correction_kind"), ["reversal", "replacement"])
        self.assertEqual(corrections.mapped("unit_amount"), [-6.0, 5.0])
        self.assertEqual(set(corrections.mapped("q2c_billing_status")), {"to_bill"})
        self.assertEqual(billed.q2c_billing_status, "billed")
        deleted.with_user(self.time_user)._q2c_mark_deleted_at_source("Deleted in the source.")
        self.assertEqual(deleted.q2c_billing_status, "deleted")
        self.assertIn("Deleted in the source.", deleted.q2c_hold_reason)
        # The ingested line hands nothing released back: a plain write after it is refused.
        with self.assertRaises(AccessError):
            corrections[1].with_user(self.time_user).write({"q2c_billing_status": "billed"})
