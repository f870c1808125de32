from odoo import Command
from odoo.addons.q2c_billing.tests.common import Q2cBillingCase
from odoo.exceptions import AccessError
from odoo.tests import tagged

MAY = ("2026-05-01", "2026-05-31")
RATIO_MEASURES = [
    "utilization:sum",
    "gross_utilization:sum",
    "capacity_utilization:sum",
    "recorded_ratio:sum",
    "realized_utilization:sum",
]
HOUR_MEASURES = [
    "calendar_hours:sum",
    "holiday_hours:sum",
    "capacity_hours:sum",
    "time_off_hours:sum",
    "available_hours:sum",
    "billable_hours:sum",
    "recorded_hours:sum",
    "billed_hours:sum",
]


@tagged("post_install", "-at_install")
class TestUtilization(Q2cBillingCase):
    """Utilization (billing-domain.md 1.8) of Dee in May 2026.

    Calendar: Monday to Friday, 08:00-12:00 and 13:00-17:00 (8 h a day), time zone UTC. May
    2026 starts on a Friday: 21 working days (1, 4-8, 11-15, 18-22, 25-29) = 168 calendar
    hours. Public holiday on Monday 25 May (a closure, no employee): 8 h, capacity 160. Dee's
    time off from Friday 22 to Monday 25 May: 8 h on the 22nd (the 25th is already a holiday,
    not counted twice): available 152.

    Time entries (all in May):

    ==  ======  =====  ==============================  ========  ========  ======
    id  day     hours  what                            billable  approved  billed
    ==  ======  =====  ==============================  ========  ========  ======
    u1  05-04   8.00   P-U1 (contract), approved 05-05  8         8         8
    u2  05-11   6.00   P-U1, approved 06-02 (after      6         6         -
                       the run's cut-off)
    u3  05-12   4.00   P-U0, a project without          -         4         -
                       contract
    u4  05-13   2.00   P-U1, not billable               -         2         -
    u5  05-14   3.00   P-U1, submitted only             -         -         -
    u6  05-16   2.00   P-U1 on a Saturday, approved     2         2         2
                       05-17
    ==  ======  =====  ==============================  ========  ========  ======

    May: billable 16, approved 22, billed 10 (the May run, cut-off 06-01, bills u1 and u6).
    Utilization 16 / 152 = 10.526 -> 10.53%; gross 16 / 168 = 9.524 -> 9.52%; capacity
    16 / 160 = 10.00%; total-recorded 22 / 152 = 14.474 -> 14.47%; realized 10 / 152 = 6.579
    -> 6.58%."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        day_parts = [("08", 8.0, 12.0, "morning"), ("13", 13.0, 17.0, "afternoon")]
        cls.calendar = cls.env["resource.calendar"].create(
            {
                "name": "Dee's 40 hours (utilization test)",
                "tz": "UTC",
                "company_id": cls.company.id,
                "attendance_ids": [Command.clear()]
                + [
                    Command.create(
                        {
                            "name": f"Day {day} {label}",
                            "dayofweek": str(day),
                            "hour_from": start,
                            "hour_to": stop,
                            "day_period": period,
                        }
                    )
                    for day in range(5)
                    for label, start, stop, period in day_parts
                ],
            }
        )
        role = cls._role("Consultant")
        cls.dee = cls._employee("Dee", role)
        cls.dee.write({"resource_calendar_id": cls.calendar.id, "tz": "UTC"})
        cls.env["resource.calendar.leaves"].create(
            [
                {
                    "name": "Memorial Day",
                    "calendar_id": cls.calendar.id,
                    "company_id": cls.company.id,
                    "date_from": "2026-05-25 00:00:00",
                    "date_to": "2026-05-25 23:59:59",
                },
                {
                    "name": "Dee's long weekend",
                    "calendar_id": cls.calendar.id,
                    "company_id": cls.company.id,
                    "resource_id": cls.dee.resource_id.id,
                    "date_from": "2026-05-22 00:00:00",
                    "date_to": "2026-05-25 23:59:59",
                },
            ]
        )
        card = cls._card("U card", [(cls.dee, 120.0, "2026-01-01", None)])
        cls.contract = cls._contract("C-U1", cls._project("P-U1"), cards=card)
        cls._project("P-U0")
        rows = [
            ("u1", "P-U1", "2026-05-04", 8.0, "2026-05-05T09:00:00Z", {}),
            ("u2", "P-U1", "2026-05-11", 6.0, "2026-06-02T09:00:00Z", {}),
            ("u3", "P-U0", "2026-05-12", 4.0, "2026-05-12T09:00:00Z", {}),
            ("u4", "P-U1", "2026-05-13", 2.0, "2026-05-13T09:00:00Z", {"billable": False}),
            ("u5", "P-U1", "2026-05-14", 3.0, None, {"approval_state": "submitted"}),
            ("u6", "P-U1", "2026-05-16", 2.0, "2026-05-17T09:00:00Z", {}),
        ]
        results = (
            cls.env["account.analytic.line"]
            .sudo()
            ._q2c_ingest(
                cls.system,
                [
                    {
                        "external_id": ext,
                        "employee": "u-Dee",
                        "project": project,
                        "date": day,
                        "hours": hours,
                        "description": "work",
                        "approved_at": approved_at,
                        **extra,
                    }
                    for ext, project, day, hours, approved_at, extra in rows
                ],
            )
        )
        assert {r["status"] for r in results} == {"created"}, results

    def _ask(self, user=None, date_from=MAY[0], date_to=MAY[1], period="month"):
        wizard = (
            self.env["q2c.utilization.wizard"]
            .with_user(user or self.finance_user)
            .create({"date_from": date_from, "date_to": date_to, "period": period})
        )
        return wizard.action_open_report()

    def _totals(self, user=None, domain=()):
        Report = self.env["q2c.utilization.report"].with_user(user or self.finance_user)
        groups = Report._read_group(
            [("employee_id", "=", self.dee.id), *domain], [], HOUR_MEASURES + RATIO_MEASURES
        )
        names = [spec.split(":")[0] for spec in HOUR_MEASURES + RATIO_MEASURES]
        return dict(zip(names, groups[0], strict=True))

    def assertValues(self, values, expected):
        for name, value in expected.items():
            with self.subTest(measure=name):
                self.assertAmount(float(values[name] or 0.0), value, f"{name}: {values[name]}")

    def test_may_hours_and_the_five_ratios(self):
        """The numbers of the class docstring, for the month."""
        self._bill(*MAY, "2026-06-01 00:00:00", "2026-06-01", contracts=self.contract)
        self.assertEqual(
            self.env["account.analytic.line"].search_count(
                [("employee_id", "=", self.dee.id), ("q2c_billing_status", "=", "billed")]
            ),
            2,
        )
        action = self._ask()
        self.assertEqual(action["context"]["pivot_column_groupby"], ["date:month"])
        self.assertValues(
            self._totals(),
            {
                "calendar_hours": 168.0,
                "holiday_hours": 8.0,
                "capacity_hours": 160.0,
                "time_off_hours": 8.0,
                "available_hours": 152.0,
                "billable_hours": 16.0,
                "recorded_hours": 22.0,
                "billed_hours": 10.0,
                "utilization": 10.53,
                "gross_utilization": 9.52,
                "capacity_utilization": 10.00,
                "recorded_ratio": 14.47,
                "realized_utilization": 6.58,
            },
        )

    def test_weeks(self):
        """Week of 11-17 May: 40 h calendar and available; billable 6 (u2) + 2 (u6, the
        Saturday) = 8, approved 8 + 4 + 2 = 14: utilization 8 / 40 = 20.00%, total-recorded
        14 / 40 = 35.00%. Week of 18-24 May: 40 h calendar, 8 h time off (the 22nd), available
        32, nothing worked: 0%. Week of 25-31 May: 40 h calendar, 8 h holiday, capacity and
        available 32."""
        self._ask(period="week")
        week = self._totals(domain=[("date", ">=", "2026-05-11"), ("date", "<=", "2026-05-17")])
        self.assertValues(
            week,
            {
                "calendar_hours": 40.0,
                "available_hours": 40.0,
                "billable_hours": 8.0,
                "recorded_hours": 14.0,
                "utilization": 20.0,
                "recorded_ratio": 35.0,
            },
        )
        week = self._totals(domain=[("date", ">=", "2026-05-18"), ("date", "<=", "2026-05-24")])
        self.assertValues(
            week,
            {"calendar_hours": 40.0, "time_off_hours": 8.0, "available_hours": 32.0},
        )
        week = self._totals(domain=[("date", ">=", "2026-05-25"), ("date", "<=", "2026-05-31")])
        self.assertValues(
            week,
            {
                "calendar_hours": 40.0,
                "holiday_hours": 8.0,
                "time_off_hours": 0.0,
                "capacity_hours": 32.0,
                "available_hours": 32.0,
            },
        )

    def test_saturday_work_counts_without_capacity(self):
        """Saturday 16 May: no calendar hours, 2 billable hours: its row exists with an
        empty ratio (nothing available), and the hours count in the month."""
        self._ask()
        row = (
            self.env["q2c.utilization.report"]
            .with_user(self.finance_user)
            .search([("employee_id", "=", self.dee.id), ("date", "=", "2026-05-16")])
        )
        self.assertEqual(len(row), 1)
        self.assertValues(
            row.read(["available_hours", "billable_hours", "utilization"])[0],
            {"available_hours": 0.0, "billable_hours": 2.0, "utilization": 0.0},
        )

    def test_access(self):
        """Finance and auditors ask; each reads the rows it asked for (an auditor's question
        does not replace Finance's). A project manager may not ask."""
        self._ask()
        self._ask(user=self.auditor_user, date_from="2026-05-01", date_to="2026-05-10")
        self.assertAmount(self._totals()["calendar_hours"], 168.0)
        # 1 and 4-8 May: 6 working days.
        self.assertAmount(self._totals(user=self.auditor_user)["calendar_hours"], 48.0)
        with self.assertRaises(AccessError):
            self._ask(user=self.pm_user)
        with self.assertRaises(AccessError):
            self.env["q2c.utilization.report"].with_user(self.pm_user).search([])

    def test_a_period_that_ends_before_it_starts_is_refused(self):
        with self.assertRaisesRegex(Exception, "ends before it starts"):
            self._ask(date_from="2026-05-31", date_to="2026-05-01")
