from datetime import timedelta

from odoo import api, fields, models
from odoo.tools import SQL

# The WIP statuses of billing-domain.md 1.7, in the order a pivot shows them.
WIP_STATUSES = [
    ("approved", "Approved, unbilled"),
    ("pending", "Pending approval"),
    ("on_hold", "On hold"),
    ("written_off", "Written off"),
]
AGE_BUCKETS = [
    ("0_30", "0-30 days"),
    ("31_60", "31-60 days"),
    ("61_90", "61-90 days"),
    ("over_90", "Over 90 days"),
]
# Billing statuses of entries approved but held for a person: reported as on hold. Statuses
# another addon adds (a reviewer's hold) are named here already; an unknown name never
# matches.
HOLD_STATUSES = ("on_hold", "no_rate", "nte_held", "no_contract", "no_policy")
# Never work in progress: not billable, or deleted at the source.
OUT_STATUSES = ("not_billable", "deleted")
CONTEXT_KEY = "q2c_wip_as_of"


class Q2cWipReport(models.Model):
    """Work in progress as of a date (billing-domain.md 1.7): every billable time entry and
    expense worked on or before the date and not billed by then, with its status at that
    date, its billing value and its cost, aged by work date.

    A SQL query, not a table: the as-of date comes from the context (`q2c_wip_as_of`, today
    by default) and every read recomputes the rows from the entries as they are now, so the
    report is never stale and needs no clean-up; record rules apply to its own columns
    (company, project, contract). The status *at the date* is rebuilt from timestamps the
    entries keep:

    - billed by the date: its invoice is posted with an invoice date on or before the date
      (an entry on a draft invoice, or on one dated later, is still unbilled then); an entry
      marked billed without an invoice line counts from `q2c_billed_at`;
    - approved by the date: `q2c_approved_at` (the source's approval time) before the end of
      the date; an entry approved later, or only submitted, was pending approval;
    - on hold or written off: the entry's current billing status (the date a hold began is
      not kept).

    Billing value: the stored bill amount of a time entry (round(hours x rate, 2), 1.1) or
    the billed value of an expense (cost + markup, 1.5), converted from the contract currency
    to the company currency at the as-of date. Cost: the timesheet's own cost (Odoo stores
    hours x the employee's hourly cost, negated, in `amount`), or the expense's cost.

    A row keeps its id at every date (its entry's): code that reads rows of two dates in one
    environment invalidates the model's cache in between (`invalidate_model`); each request
    of the web client has a cache of its own."""

    _name = "q2c.wip.report"
    _description = "Work in Progress"
    _auto = False
    _order = "date desc, id desc"
    # What the query reads: flushed before every read of the report.
    _depends = {
        "account.analytic.line": [
            "project_id",
            "date",
            "employee_id",
            "company_id",
            "unit_amount",
            "amount",
            "q2c_billable",
            "q2c_contract_id",
            "q2c_approval_state",
            "q2c_approved_at",
            "q2c_billing_status",
            "q2c_bill_amount",
            "q2c_invoice_line_id",
            "q2c_billed_at",
        ],
        "hr.expense": [
            "q2c_project_id",
            "date",
            "employee_id",
            "company_id",
            "q2c_cost",
            "q2c_billable",
            "q2c_contract_id",
            "q2c_approval_state",
            "q2c_approved_at",
            "q2c_billing_status",
            "q2c_billed_value",
            "q2c_invoice_line_id",
            "q2c_billed_at",
        ],
        "account.move": ["state", "invoice_date"],
        "account.move.line": ["move_id"],
        "q2c.contract": ["currency_id", "partner_id", "project_ids"],
        "res.currency.rate": ["rate", "name", "company_id", "currency_id"],
    }

    as_of_date = fields.Date("As of", readonly=True)
    source = fields.Selection([("time", "Time"), ("expense", "Expense")], readonly=True)
    wip_status = fields.Selection(WIP_STATUSES, string="WIP Status", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one("res.currency", string="Currency", readonly=True)
    contract_id = fields.Many2one("q2c.contract", string="Contract", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    project_id = fields.Many2one("project.project", string="Project", readonly=True)
    employee_id = fields.Many2one("hr.employee", string="Employee", readonly=True)
    date = fields.Date("Work Date", readonly=True)
    age_days = fields.Integer("Age (days)", readonly=True, aggregator="max")
    age_bucket = fields.Selection(AGE_BUCKETS, string="Age", readonly=True)
    hours = fields.Float("Hours", readonly=True)
    bill_value = fields.Monetary("WIP at Billing Value", readonly=True)
    cost = fields.Monetary(
        "WIP at Cost",
        readonly=True,
        groups="q2c_contract.group_q2c_finance,q2c_base.group_auditor",
        help="Hours x the employee's hourly cost, plus expense cost: the balance-sheet view. "
        "Finance and auditors only (it shows what each person costs).",
    )

    @api.depends("source", "employee_id", "date")
    def _compute_display_name(self):
        labels = dict(self._fields["source"]._description_selection(self.env))
        for row in self:
            who = row.employee_id.name or row.partner_id.name or ""
            row.display_name = f"{labels.get(row.source, '')}: {who}, {row.date or ''}"

    @api.model
    def _as_of(self):
        """The as-of date of the context, else today (the user's date)."""
        value = self.env.context.get(CONTEXT_KEY)
        return fields.Date.to_date(value) if value else fields.Date.context_today(self)

    @property
    def _table_query(self):
        as_of = self._as_of()
        params = {
            "as_of": as_of,
            "day_after": as_of + timedelta(days=1),
            "holds": list(HOLD_STATUSES),
            "out": list(OUT_STATUSES),
        }
        return SQL(
            """
            WITH %(rates)s, %(entries)s
            SELECT e.id, e.source, e.company_id, cur.id AS currency_id, e.contract_id,
                   c.partner_id, e.project_id, e.employee_id, e.date,
                   %(as_of)s::date AS as_of_date,
                   %(as_of)s::date - e.date AS age_days,
                   CASE WHEN %(as_of)s::date - e.date <= 30 THEN '0_30'
                        WHEN %(as_of)s::date - e.date <= 60 THEN '31_60'
                        WHEN %(as_of)s::date - e.date <= 90 THEN '61_90'
                        ELSE 'over_90' END AS age_bucket,
                   CASE WHEN e.status = 'written_off' THEN 'written_off'
                        WHEN e.approval_state = 'approved' AND e.approved_at < %(day_after)s
                        THEN CASE WHEN e.status = ANY(%(holds)s) THEN 'on_hold'
                                  ELSE 'approved' END
                        ELSE 'pending' END AS wip_status,
                   e.hours,
                   CASE WHEN e.value_currency_id IS NULL
                             OR e.value_currency_id = comp.currency_id THEN e.value
                        ELSE ROUND((e.value * r_to.rate / r_from.rate)::numeric,
                                   cur.decimal_places) END AS bill_value,
                   e.cost
              FROM entries e
              JOIN res_company comp ON comp.id = e.company_id
              JOIN res_currency cur ON cur.id = comp.currency_id
         LEFT JOIN q2c_contract c ON c.id = e.contract_id
         LEFT JOIN rates r_from ON r_from.currency_id = e.value_currency_id
                               AND r_from.company_id = e.company_id
         LEFT JOIN rates r_to ON r_to.currency_id = comp.currency_id
                             AND r_to.company_id = e.company_id
             WHERE e.approval_state IN ('submitted', 'approved')
               AND (e.status IS NULL OR e.status <> ALL(%(out)s))
               AND NOT e.billed_by_then
            """,
            rates=self._rates_sql(),
            entries=self._entries_sql(),
            **params,
        )

    @api.model
    def _rates_sql(self):
        """`rates`: each currency's rate for each company at the as-of date, as
        `res.currency._get_rates` reads it (the company's root rate before a shared one, the
        latest on or before the date, else the first, else 1)."""
        return SQL(
            """
            rates AS (
                SELECT cur.id AS currency_id, comp.id AS company_id,
                       COALESCE(
                           (SELECT r.rate FROM res_currency_rate r
                             WHERE r.currency_id = cur.id AND r.name <= %(as_of)s
                               AND (r.company_id IS NULL OR r.company_id =
                                    split_part(comp.parent_path, '/', 1)::int)
                             ORDER BY r.company_id, r.name DESC LIMIT 1),
                           (SELECT r.rate FROM res_currency_rate r
                             WHERE r.currency_id = cur.id
                               AND (r.company_id IS NULL OR r.company_id =
                                    split_part(comp.parent_path, '/', 1)::int)
                             ORDER BY r.company_id, r.name ASC LIMIT 1),
                           1.0) AS rate
                  FROM res_currency cur CROSS JOIN res_company comp
                 WHERE cur.id IN (SELECT currency_id FROM q2c_contract
                                  UNION SELECT currency_id FROM res_company)
            )""",
            as_of=self._as_of(),
        )

    @api.model
    def _entries_sql(self):
        """`entries`: time entries and expenses worked on or before the as-of date, with
        whether their invoice billed them by then. Ids: a time entry's doubled, an expense's
        doubled plus one (unique across both)."""
        as_of = self._as_of()
        billed = """(inv.state = 'posted' AND inv.invoice_date <= %(as_of)s)
                     OR (x.q2c_invoice_line_id IS NULL AND x.q2c_billing_status = 'billed'
                         AND x.q2c_billed_at < %(day_after)s)"""
        return SQL(
            f"""
            project_contract AS (
                SELECT DISTINCT ON (project_id) project_id, contract_id
                  FROM q2c_contract_project_rel ORDER BY project_id, contract_id
            ),
            entries AS (
                SELECT x.id * 2 AS id, 'time' AS source, x.company_id,
                       COALESCE(x.q2c_contract_id, pc.contract_id) AS contract_id,
                       x.project_id, x.employee_id, x.date,
                       x.q2c_approval_state AS approval_state,
                       COALESCE(x.q2c_approved_at, x.create_date) AS approved_at,
                       x.q2c_billing_status AS status,
                       x.unit_amount AS hours,
                       COALESCE(x.q2c_bill_amount, 0.0) AS value,
                       c.currency_id AS value_currency_id,
                       -x.amount AS cost,
                       COALESCE({billed}, FALSE) AS billed_by_then
                  FROM account_analytic_line x
             LEFT JOIN project_contract pc ON pc.project_id = x.project_id
             LEFT JOIN q2c_contract c ON c.id = COALESCE(x.q2c_contract_id, pc.contract_id)
             LEFT JOIN account_move_line inv_line ON inv_line.id = x.q2c_invoice_line_id
             LEFT JOIN account_move inv ON inv.id = inv_line.move_id
                 WHERE x.project_id IS NOT NULL
                   AND x.date <= %(as_of)s
                   AND x.q2c_billable
                   AND (c.id IS NOT NULL OR x.q2c_billing_status IS NOT NULL)
             UNION ALL
                SELECT x.id * 2 + 1, 'expense', x.company_id,
                       COALESCE(x.q2c_contract_id, pc.contract_id),
                       x.q2c_project_id, x.employee_id, x.date,
                       x.q2c_approval_state,
                       COALESCE(x.q2c_approved_at, x.create_date),
                       x.q2c_billing_status,
                       0.0,
                       COALESCE(x.q2c_billed_value, 0.0),
                       c.currency_id,
                       COALESCE(x.q2c_cost, 0.0),
                       COALESCE({billed}, FALSE)
                  FROM hr_expense x
             LEFT JOIN project_contract pc ON pc.project_id = x.q2c_project_id
             LEFT JOIN q2c_contract c ON c.id = COALESCE(x.q2c_contract_id, pc.contract_id)
             LEFT JOIN account_move_line inv_line ON inv_line.id = x.q2c_invoice_line_id
             LEFT JOIN account_move inv ON inv.id = inv_line.move_id
                 WHERE x.q2c_billing_status IS NOT NULL
                   AND x.date <= %(as_of)s
                   AND x.q2c_billable
            )""",
            as_of=as_of,
            day_after=as_of + timedelta(days=1),
        )
