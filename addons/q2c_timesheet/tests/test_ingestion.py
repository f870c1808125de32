from datetime import datetime

from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import Q2cTimeCase


@tagged("post_install", "-at_install")
class TestIngestion(Q2cTimeCase):
    def test_created_then_unchanged_then_updated(self):
        first = self._ingest([self._entry("t-1"), self._entry("t-2", hours=2.5)])
        self.assertEqual([r["status"] for r in first], ["created", "created"])
        line = self._line("t-1")
        self.assertEqual(line.employee_id, self.gina)
        self.assertEqual(line.project_id, self.project)
        self.assertEqual(line.q2c_approval_state, "approved")
        self.assertEqual(line.q2c_billing_status, "to_bill")
        self.assertEqual(line.q2c_contract_id, self.contract)
        self.assertAmount(line.q2c_rate, 160.0)
        self.assertEqual(line.q2c_rate_source, "contract_role")
        again = self._ingest([self._entry("t-1"), self._entry("t-2", hours=2.5)])
        self.assertEqual([r["status"] for r in again], ["unchanged", "unchanged"])
        edited = self._ingest([self._entry("t-2", hours=3.0)])
        self.assertEqual(edited[0]["status"], "updated")
        self.assertEqual(self._line("t-2").unit_amount, 3.0)
        count = self.env["account.analytic.line"].search_count(
            [("q2c_system_id", "=", self.time_system.id)]
        )
        self.assertEqual(count, 2)

    def test_cost_amounts_are_odoos_own(self):
        """The batch path writes hr_timesheet's cost amounts once per distinct amount: each
        line ends with the amount Odoo's own create gives the same line."""
        self.gina.hourly_cost = 40.0
        self.hal.hourly_cost = 55.5
        entries = [
            self._entry("c-1", hours=2.0),
            self._entry("c-2", hours=2.0),
            self._entry("c-3", hours=1.5, employee="u-hal"),
            self._entry("c-4", hours=0.0),
        ]
        self.assertEqual({r["status"] for r in self._ingest(entries)}, {"created"})
        Line = self.env["account.analytic.line"].with_user(self.time_user)
        for ext, employee, hours in (
            ("c-1", self.gina, 2.0),
            ("c-3", self.hal, 1.5),
            ("c-4", self.gina, 0.0),
        ):
            with self.subTest(ext=ext):
                native = Line.create(
                    {
                        "employee_id": employee.id,
                        "project_id": self.project.id,
                        "date": "2025-03-27",
                        "unit_amount": hours,
                        "name": "native",
                    }
                )
                self.assertAmount(self._line(ext).amount, native.amount)
                self.assertAmount(self._line(ext).amount, -hours * employee.hourly_cost)
        self.assertAmount(self._line("c-2").amount, -80.0)

    def test_rate_of_the_work_date(self):
        self._ingest([self._entry("m", day="2025-03-31"), self._entry("a", day="2025-04-01")])
        self.assertAmount(self._line("m").q2c_rate, 160.0)
        self.assertAmount(self._line("a").q2c_rate, 170.0)
        self.assertAmount(self._line("a")._q2c_value(), 6 * 170.0)

    def test_invalid_entries_do_not_block_valid_ones(self):
        cases = [
            (
                {"id": "x1", "employee": "u-gina", "project": "p-600", "date": "nope", "hours": 1},
                "date",
            ),
            (self._entry("x2", hours=-1), "hours"),
            (self._entry("x3", hours="7"), "hours"),
            (self._entry("x4", approval_state="validated"), "approval_state"),
            ({"employee": "u-gina", "project": "p-600", "date": "2025-03-01", "hours": 1}, "id"),
            (self._entry("x5", billable="yes"), "billable"),
        ]
        results = self._ingest([entry for entry, _field in cases] + [self._entry("ok")])
        for (entry, field), result in zip(cases, results, strict=False):
            with self.subTest(entry=entry):
                self.assertEqual(result["status"], "rejected")
                self.assertIn(field, result["reason"])
        self.assertEqual(results[-1]["status"], "created")
        self.assertTrue(self._line("ok"))

    def test_same_id_twice_in_a_batch(self):
        results = self._ingest([self._entry("d"), self._entry("d", hours=1.0)])
        self.assertEqual([r["status"] for r in results], ["created", "rejected"])
        self.assertEqual(self._line("d").unit_amount, 6.0)

    def test_unmapped_employee_is_held_with_an_exception(self):
        results = self._ingest(
            [
                self._entry("u1", employee="u-nobody"),
                self._entry("u2", employee="u-nobody"),
                self._entry("u3", project="p-unknown"),
            ]
        )
        self.assertEqual({r["status"] for r in results}, {"rejected"})
        self.assertTrue(all(r["held"] for r in results))
        self.assertIn("u-nobody", results[0]["reason"])
        holds = self.env["q2c.sync.hold"].search([("system_id", "=", self.time_system.id)])
        self.assertEqual(sorted(holds.mapped("external_id")), ["u1", "u2", "u3"])
        exceptions = self.env["q2c.exception"].search(
            [("system_id", "=", self.time_system.id), ("kind", "=", "missing_data")]
        )
        # One exception per missing reference, not one per entry.
        self.assertEqual(len(exceptions), 2)
        self.assertFalse(self._line("u1"))
        # Mapped later: the next delivery imports the entry and releases its hold.
        nobody = self.env["hr.employee"].create({"name": "Nobody", "job_id": self.role.id})
        self.env["q2c.external.ref"]._bind(self.time_system, "employee", "u-nobody", nobody)
        again = self._ingest([self._entry("u1", employee="u-nobody")])
        self.assertEqual(again[0]["status"], "created")
        self.assertEqual(holds.filtered(lambda h: h.external_id == "u1").state, "released")
        self.assertEqual(holds.filtered(lambda h: h.external_id == "u2").state, "held")
        # u2 still waits for the same mapping: the exception stays open ...
        employee_exception = holds.filtered(lambda h: h.external_id == "u1").exception_id
        self.assertEqual(employee_exception.state, "open")
        # ... until every entry held for it is imported: then it resolves itself.
        self._ingest([self._entry("u2", employee="u-nobody")])
        self.assertEqual(employee_exception.state, "resolved")
        self.assertFalse(employee_exception.activity_ids)
        project_exception = holds.filtered(lambda h: h.external_id == "u3").exception_id
        self.assertEqual(project_exception.state, "open", "another reason, still held")

    def test_unapproved_is_held_until_approved(self):
        self._ingest([self._entry("s", approval_state="submitted")])
        line = self._line("s")
        self.assertEqual(line.q2c_billing_status, "pending_approval")
        self.assertFalse(line.q2c_approved_at)
        self._ingest(
            [self._entry("s", approval_state="approved", approved_at="2025-04-07T09:00:00Z")]
        )
        self.assertEqual(line.q2c_billing_status, "to_bill")
        self.assertEqual(line.q2c_approved_at, datetime(2025, 4, 7, 9, 0))
        self.assertAmount(line.q2c_rate, 160.0)

    def test_no_rate_and_no_contract_hold_billing(self):
        other = self.env["project.project"].create({"name": "No contract (test)"})
        self.env["q2c.external.ref"]._bind(self.time_system, "project", "p-none", other)
        self._ingest(
            [
                self._entry("early", day="2024-12-31"),
                self._entry("orphan", project="p-none"),
                self._entry("free", billable=False),
            ]
        )
        self.assertEqual(self._line("early").q2c_billing_status, "no_rate")
        self.assertIn("No rate", self._line("early").q2c_hold_reason)
        self.assertEqual(self._line("orphan").q2c_billing_status, "no_contract")
        self.assertEqual(self._line("free").q2c_billing_status, "not_billable")

    def test_gc12_approval_after_cut_off(self):
        """GC-12: T2 approved after the March cut-off is billed in April at the March rate."""
        self._ingest(
            [
                self._entry("T1", day="2025-03-27", hours=6.0, approved_at="2025-03-31T12:00:00Z"),
                self._entry("T2", day="2025-03-31", hours=4.0, approved_at="2025-04-07T12:00:00Z"),
                self._entry("T3", day="2025-04-10", hours=5.0, approved_at="2025-04-11T12:00:00Z"),
                self._entry("T4", day="2025-04-29", hours=3.0, approved_at="2025-05-06T12:00:00Z"),
            ]
        )
        Line = self.env["account.analytic.line"]
        march = Line.search(Line._q2c_billable_domain(self.contract, datetime(2025, 4, 3, 10)))
        self.assertEqual(march.mapped("q2c_external_id"), ["T1"])
        priced = self.contract._price_time_entries(march._q2c_pricing_entries())
        self.assertEqual(len(priced), 1)
        self.assertAmount(priced[0]["amount"], 960.0)
        march._q2c_mark_billed("INV/2025/03")
        april = Line.search(Line._q2c_billable_domain(self.contract, datetime(2025, 5, 5, 10)))
        self.assertEqual(sorted(april.mapped("q2c_external_id")), ["T2", "T3"])
        priced = self.contract._price_time_entries(april._q2c_pricing_entries())
        amounts = sorted((line["rate"], line["amount"]) for line in priced)
        self.assertEqual(len(amounts), 2)
        self.assertAmount(amounts[0][1], 640.0)
        self.assertAmount(amounts[1][1], 850.0)
        self.assertAmount(self._line("T2").q2c_rate, 160.0)
        self.assertAmount(sum(line["amount"] for line in priced), 1490.0)

    def test_edit_after_billing_creates_a_correction(self):
        self._ingest([self._entry("b", day="2025-03-31", hours=4.0)])
        original = self._line("b")
        original._q2c_mark_billed("INV/1")
        with self.assertRaises(UserError):
            original.with_user(self.time_user).write({"unit_amount": 5.0})
        # The date moves across the rate change: the reversal keeps the billed rate.
        result = self._ingest([self._entry("b", day="2025-04-01", hours=5.0)])[0]
        self.assertEqual(result["status"], "updated")
        self.assertEqual(original.unit_amount, 4.0)
        self.assertEqual(original.q2c_billing_status, "billed")
        corrections = self.env["account.analytic.line"].search(
            [("q2c_origin_id", "=", original.id)], order="id"
        )
        reversal, replacement = corrections
        self.assertEqual(reversal.q2c_correction_kind, "reversal")
        self.assertEqual(reversal.unit_amount, -4.0)
        self.assertAmount(reversal.q2c_rate, 160.0)
        self.assertEqual(replacement.q2c_correction_kind, "replacement")
        self.assertEqual(replacement.unit_amount, 5.0)
        self.assertAmount(replacement.q2c_rate, 170.0)
        self.assertEqual(result["line_id"], replacement.id)
        net = replacement._q2c_value() + reversal._q2c_value()
        self.assertAmount(net, 5 * 170.0 - 4 * 160.0)
        # The same edit again changes nothing; a further edit corrects the replacement.
        self.assertEqual(
            self._ingest([self._entry("b", day="2025-04-01", hours=5.0)])[0]["status"],
            "unchanged",
        )
        self._ingest([self._entry("b", day="2025-04-01", hours=5.5)])
        self.assertEqual(replacement.unit_amount, 5.5)

    def test_rejection_after_billing_reverses_only(self):
        self._ingest([self._entry("r", hours=2.0)])
        self._line("r")._q2c_mark_billed("INV/2")
        self._ingest([self._entry("r", hours=2.0, approval_state="rejected")])
        corrections = self.env["account.analytic.line"].search(
            [("q2c_origin_id", "=", self._line("r").id)]
        )
        self.assertEqual(corrections.mapped("q2c_correction_kind"), ["reversal"])
        self.assertEqual(corrections.unit_amount, -2.0)

    def test_chunking_writes_in_few_queries(self):
        entries = [
            self._entry(f"q-{n}", day=f"2025-03-{1 + n % 28:02d}", hours=1.0) for n in range(60)
        ]
        self._ingest(entries[:1])  # warm caches
        self.env.invalidate_all()
        with self.assertQueryCount(__system__=200):
            results = self._ingest(entries[1:])
        self.assertEqual({r["status"] for r in results}, {"created"})

    def test_cached_pricing_matches_the_resolver(self):
        """Rates are looked up once per distinct answer; every entry still gets exactly what
        the contract's resolver gives for its own date, employee and project."""
        self.env["q2c.rate.override"].create(
            {
                "contract_id": self.contract.id,
                "project_id": self.project.id,
                "employee_id": self.hal.id,
                "rate": 200.0,
                "date_from": "2025-03-15",
                "date_to": "2025-03-20",
            }
        )
        days = ["2025-03-14", "2025-03-15", "2025-03-20", "2025-03-21", "2025-03-31", "2025-04-01"]
        rows = [self._entry(f"h-{day}", day=day, employee="u-hal") for day in days]
        rows += [self._entry(f"g-{day}", day=day) for day in days]
        self._ingest(rows)
        for row in rows:
            line = self._line(row["id"])
            with self.subTest(entry=row["id"]):
                expected = self.contract._resolve_rate(
                    line.date, line.employee_id, project=line.project_id
                )
                self.assertAmount(line.q2c_rate, expected.rate)
                self.assertEqual(line.q2c_rate_source, expected.source)
        self.assertAmount(self._line("h-2025-03-15").q2c_rate, 200.0)
        self.assertAmount(self._line("h-2025-03-21").q2c_rate, 160.0)

    def test_rejection_after_billing_twice_then_approved_again(self):
        """The reversal alone stands for a rejected billed entry: the same rejection again
        changes nothing; a later approval adds a replacement at the work-date rate."""
        self._ingest([self._entry("rr", hours=2.0)])
        original = self._line("rr")
        original._q2c_mark_billed("INV/3")
        for _round in range(2):
            self._ingest([self._entry("rr", hours=2.0, approval_state="rejected")])
        Line = self.env["account.analytic.line"]
        corrections = Line.search([("q2c_origin_id", "=", original.id)], order="id")
        self.assertEqual(corrections.mapped("q2c_correction_kind"), ["reversal"])
        result = self._ingest([self._entry("rr", hours=3.0)])[0]
        self.assertEqual(result["status"], "updated")
        corrections = Line.search([("q2c_origin_id", "=", original.id)], order="id")
        reversal, replacement = corrections
        self.assertEqual(result["line_id"], replacement.id)
        self.assertEqual(replacement.unit_amount, 3.0)
        self.assertEqual(replacement.q2c_billing_status, "to_bill")
        self.assertEqual((original.unit_amount, original.q2c_billing_status), (2.0, "billed"))
        net = sum(line._q2c_value() for line in original | corrections)
        self.assertAmount(net, 3 * 160.0)
        self.assertEqual(self._ingest([self._entry("rr", hours=3.0)])[0]["status"], "unchanged")
