from collections import defaultdict
from datetime import datetime, time, timedelta

from pytz import utc

from odoo import api, fields, models
from odoo.tools import SQL

# Each ratio of billing-domain.md 1.8: (field, numerator, denominator). Shown in percent.
RATIOS = {
    "utilization": ("billable_hours", "available_hours"),
    "gross_utilization": ("billable_hours", "calendar_hours"),
    "capacity_utilization": ("billable_hours", "capacity_hours"),
    "recorded_ratio": ("recorded_hours", "available_hours"),
    "realized_utilization": ("billed_hours", "available_hours"),
}
HOUR_FIELDS = (
    "calendar_hours",
    "holiday_hours",
    "capacity_hours",
    "time_off_hours",
    "available_hours",
    "billable_hours",
    "recorded_hours",
    "billed_hours",
)


class Q2cUtilizationReport(models.Model):
    """Utilization per employee and day (billing-domain.md 1.8), grouped by week or month in
    the pivot. Rows are written by `q2c.utilization.wizard` for the person who asked, over
    the period asked: the hours a calendar offers come from Odoo's resource engine
    (attendances in the employee's time zone, two-week calendars, public holidays and time
    off as `resource.calendar.leaves`), which is Python; the hours worked are summed by one
    SQL query. A row belongs to the user who asked (record rule); rows older than a day are
    removed by the autovacuum.

    Ratios are not summed: a pivot cell reads SUM(numerator) / SUM(denominator) over its rows
    (`_read_group_select`), so a month is the ratio of the month's hours, not a sum of daily
    ratios."""

    _name = "q2c.utilization.report"
    _description = "Utilization"
    _order = "date, employee_id"
    _log_access = True

    employee_id = fields.Many2one("hr.employee", string="Employee", readonly=True, index=True)
    company_id = fields.Many2one("res.company", readonly=True, index=True)
    department_id = fields.Many2one("hr.department", string="Department", readonly=True)
    date = fields.Date("Day", readonly=True)
    calendar_hours = fields.Float(
        "Calendar Hours", readonly=True, help="Working hours of the employee's calendar."
    )
    holiday_hours = fields.Float(
        "Public Holidays", readonly=True, help="Working hours the company is closed."
    )
    capacity_hours = fields.Float(
        "Capacity Hours", readonly=True, help="Calendar hours less public holidays."
    )
    time_off_hours = fields.Float(
        "Time Off", readonly=True, help="Working hours of the employee's time off."
    )
    available_hours = fields.Float(
        "Available Hours", readonly=True, help="Capacity hours less time off."
    )
    billable_hours = fields.Float(
        "Billable Hours",
        readonly=True,
        help="Approved, billable time on projects under a contract, before any write-down.",
    )
    recorded_hours = fields.Float(
        "Approved Hours", readonly=True, help="All approved time, billable or not."
    )
    billed_hours = fields.Float("Billed Hours", readonly=True, help="Time billed on an invoice.")
    utilization = fields.Float(
        "Utilization (%)", readonly=True, digits=(16, 2), help="Billable hours / available hours."
    )
    gross_utilization = fields.Float(
        "Gross Utilization (%)",
        readonly=True,
        digits=(16, 2),
        help="Billable hours / calendar hours.",
    )
    capacity_utilization = fields.Float(
        "Capacity Utilization (%)",
        readonly=True,
        digits=(16, 2),
        help="Billable hours / capacity hours.",
    )
    recorded_ratio = fields.Float(
        "Total-Recorded Ratio (%)",
        readonly=True,
        digits=(16, 2),
        help="Approved hours / available hours.",
    )
    realized_utilization = fields.Float(
        "Realized Utilization (%)",
        readonly=True,
        digits=(16, 2),
        help="Billed hours / available hours.",
    )

    @api.depends("employee_id", "date")
    def _compute_display_name(self):
        for row in self:
            row.display_name = f"{row.employee_id.name or ''}, {row.date or ''}"

    # ------------------------------------------------------------------ pivot

    def _read_group_select(self, aggregate_spec, query):
        """A ratio of a group is the ratio of its sums, in percent."""
        name, __, aggregate = aggregate_spec.partition(":")
        if name not in RATIOS or aggregate != "sum":
            return super()._read_group_select(aggregate_spec, query)
        numerator, denominator = RATIOS[name]
        return SQL(
            "ROUND((100.0 * SUM(%s) / NULLIF(SUM(%s), 0))::numeric, 2)::float8",
            self._field_to_sql(self._table, numerator, query),
            self._field_to_sql(self._table, denominator, query),
        )

    @api.autovacuum
    def _gc_old_rows(self):
        """Rows are a person's answer to one question: gone after a day."""
        limit = fields.Datetime.now() - timedelta(days=1)
        self.env.cr.execute(
            SQL("DELETE FROM %s WHERE create_date < %s", SQL.identifier(self._table), limit)
        )

    # ------------------------------------------------------------------ filling

    @api.model
    def _q2c_fill(self, date_from, date_to, companies):
        """Replace the current user's rows with one per employee of `companies` and day from
        `date_from` to `date_to` that has calendar hours or approved time."""
        # Archived employees: their approved hours count, their calendar no longer does.
        employees = (
            self.env["hr.employee"]
            .sudo()
            .with_context(active_test=False)
            .search([("company_id", "in", companies.ids)])
        )
        capacity = self._q2c_capacity(employees.filtered("active"), date_from, date_to)
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                "DELETE FROM %s WHERE create_uid = %s",
                SQL.identifier(self._table),
                self.env.uid,
            )
        )
        self.env.cr.execute(self._q2c_insert_sql(employees, date_from, date_to, capacity))
        self.invalidate_model()
        return True

    @api.model
    def _q2c_capacity(self, employees, date_from, date_to):
        """{(employee id, day): (calendar, public holiday, time off hours)} from each
        employee's calendar, one batch per calendar (Odoo's resource engine)."""
        start = utc.localize(datetime.combine(date_from, time.min)) - timedelta(days=1)
        end = utc.localize(datetime.combine(date_to, time.max)) + timedelta(days=1)
        by_calendar = defaultdict(lambda: self.env["hr.employee"])
        for employee in employees.filtered("resource_calendar_id"):
            by_calendar[employee.resource_calendar_id] |= employee
        result = {}
        public_domain = [("time_type", "=", "leave"), ("resource_id", "=", False)]
        for calendar, members in by_calendar.items():
            resources = members.resource_id
            attendance = calendar._attendance_intervals_batch(start, end, resources)
            public = calendar._leave_intervals_batch(start, end, resources, public_domain)
            leaves = calendar._leave_intervals_batch(start, end, resources)
            for employee in members:
                rid = employee.resource_id.id
                capacity = attendance[rid] - public[rid]
                available = attendance[rid] - leaves[rid]
                days = defaultdict(lambda: [0.0, 0.0, 0.0])
                for index, intervals in enumerate((attendance[rid], capacity, available)):
                    for begin, stop, _meta in intervals:
                        days[begin.date()][index] += (stop - begin).total_seconds() / 3600
                for day, (cal, cap, avail) in days.items():
                    if date_from <= day <= date_to:
                        result[employee.id, day] = (cal, cal - cap, cap - avail)
        return result

    @api.model
    def _q2c_insert_sql(self, employees, date_from, date_to, capacity):
        """One INSERT: the capacity rows (unnested arrays) joined in full with the approved
        hours per employee and day (summed in SQL), ratios of each row included."""
        keys = sorted(capacity)
        line = self.env["account.analytic.line"]
        time_off_lines = SQL("TRUE")
        if "holiday_id" in line._fields:
            # project_timesheet_holidays writes time off as timesheets: not work (1.8).
            time_off_lines = SQL("x.holiday_id IS NULL AND x.global_leave_id IS NULL")
        ratios = SQL(", ").join(
            SQL(
                "COALESCE(ROUND((100.0 * %s / NULLIF(%s, 0))::numeric, 2), 0)",
                SQL.identifier("hours", numerator),
                SQL.identifier("hours", denominator),
            )
            for numerator, denominator in RATIOS.values()
        )
        return SQL(
            """
            INSERT INTO q2c_utilization_report (
                   employee_id, company_id, department_id, date, %(hour_fields)s,
                   %(ratio_fields)s, create_uid, create_date, write_uid, write_date)
            SELECT hours.employee_id, emp.company_id, emp.department_id, hours.date,
                   %(hours_hour_fields)s,
                   %(ratios)s, %(uid)s, now() at time zone 'utc', %(uid)s,
                   now() at time zone 'utc'
              FROM (
                SELECT COALESCE(cap.employee_id, worked.employee_id) AS employee_id,
                       COALESCE(cap.date, worked.date) AS date,
                       COALESCE(cap.calendar, 0) AS calendar_hours,
                       COALESCE(cap.holiday, 0) AS holiday_hours,
                       COALESCE(cap.calendar - cap.holiday, 0) AS capacity_hours,
                       COALESCE(cap.time_off, 0) AS time_off_hours,
                       COALESCE(cap.calendar - cap.holiday - cap.time_off, 0)
                           AS available_hours,
                       COALESCE(worked.billable, 0) AS billable_hours,
                       COALESCE(worked.recorded, 0) AS recorded_hours,
                       COALESCE(worked.billed, 0) AS billed_hours
                  FROM unnest(%(employee_ids)s::int[], %(days)s::date[], %(calendar)s::float[],
                              %(holiday)s::float[], %(time_off)s::float[])
                       AS cap(employee_id, date, calendar, holiday, time_off)
             FULL JOIN (
                    SELECT x.employee_id, x.date,
                           SUM(x.unit_amount) FILTER (
                               WHERE x.q2c_billable
                                 AND x.q2c_billing_status IS DISTINCT FROM 'not_billable'
                                 AND (x.q2c_contract_id IS NOT NULL OR EXISTS (
                                      SELECT 1 FROM q2c_contract_project_rel rel
                                       WHERE rel.project_id = x.project_id))
                           ) AS billable,
                           SUM(x.unit_amount) AS recorded,
                           SUM(x.unit_amount) FILTER (
                               WHERE x.q2c_billing_status = 'billed') AS billed
                      FROM account_analytic_line x
                     WHERE x.project_id IS NOT NULL
                       AND x.employee_id = ANY(%(all_employees)s)
                       AND x.date BETWEEN %(date_from)s AND %(date_to)s
                       AND x.q2c_approval_state = 'approved'
                       AND x.q2c_billing_status IS DISTINCT FROM 'deleted'
                       AND %(time_off_lines)s
                  GROUP BY x.employee_id, x.date
                   ) worked ON worked.employee_id = cap.employee_id AND worked.date = cap.date
                   ) AS hours
              JOIN hr_employee emp ON emp.id = hours.employee_id
            """,
            hour_fields=SQL(", ").join(SQL.identifier(name) for name in HOUR_FIELDS),
            hours_hour_fields=SQL(", ").join(
                SQL.identifier("hours", name) for name in HOUR_FIELDS
            ),
            ratio_fields=SQL(", ").join(SQL.identifier(name) for name in RATIOS),
            ratios=ratios,
            uid=self.env.uid,
            employee_ids=[employee_id for employee_id, _day in keys],
            days=[day for _employee_id, day in keys],
            calendar=[capacity[key][0] for key in keys],
            holiday=[capacity[key][1] for key in keys],
            time_off=[capacity[key][2] for key in keys],
            all_employees=employees.ids,
            date_from=date_from,
            date_to=date_to,
            time_off_lines=time_off_lines,
        )
