from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

UNITS = [("hour", "Hour"), ("day", "Day")]


class Q2cRateMixin(models.AbstractModel):
    """A dated rate for one employee or one role: rate-card lines and rate overrides.

    Both are versioned by effective dates (a rate change is a new record starting on the change
    date), so resolution finds at most one candidate per key and date.
    """

    _name = "q2c.rate.mixin"
    _description = "Dated Rate"

    # Concrete models make these related to their owner (card or contract).
    company_id = fields.Many2one("res.company")
    currency_id = fields.Many2one("res.currency")
    employee_id = fields.Many2one("hr.employee", string="Employee", check_company=True)
    role_id = fields.Many2one("hr.job", string="Role", check_company=True)
    unit = fields.Selection(UNITS, required=True, default="hour")
    hours_per_day = fields.Float(default=8.0, help="For a day rate: hours that make a day.")
    rate = fields.Monetary(required=True)
    date_from = fields.Date(string="Valid From", required=True)
    date_to = fields.Date(string="Valid To", help="Inclusive. Empty: no end.")

    def _key_domain(self):
        """Records that must not overlap this one (same owner, same employee or role)."""
        self.ensure_one()
        return [
            ("id", "!=", self.id),
            ("employee_id", "=", self.employee_id.id),
            ("role_id", "=", self.role_id.id),
        ]

    def _overlap_owner_label(self):
        """Where the overlapping rates live, for the error message."""
        raise NotImplementedError

    def _rate_key_label(self):
        self.ensure_one()
        return self.employee_id.name or self.role_id.name or _("(no key)")

    @api.constrains("employee_id", "role_id")
    def _check_key(self):
        for rec in self:
            if bool(rec.employee_id) == bool(rec.role_id):
                raise ValidationError(
                    _(
                        "A rate in %(owner)s prices exactly one employee or one role, not both "
                        "and not neither.",
                        owner=rec._overlap_owner_label(),
                    )
                )

    @api.constrains("rate", "unit", "hours_per_day")
    def _check_rate(self):
        for rec in self:
            if rec.currency_id.compare_amounts(rec.rate, 0.0) <= 0:
                raise ValidationError(
                    _(
                        "The rate of %(key)s in %(owner)s must be positive (got %(rate)s). A "
                        "missing rate is never billed at zero; write down at pre-bill review.",
                        key=rec._rate_key_label(),
                        owner=rec._overlap_owner_label(),
                        rate=rec.rate,
                    )
                )
            if rec.unit == "day" and rec.hours_per_day <= 0:
                raise ValidationError(
                    _("A day rate needs the hours per day (%(key)s).", key=rec._rate_key_label())
                )

    @api.constrains("date_from", "date_to", "employee_id", "role_id")
    def _check_overlap(self):
        for rec in self:
            if rec.date_to and rec.date_to < rec.date_from:
                raise ValidationError(
                    _(
                        "%(key)s: the end date %(end)s is before the start date %(start)s.",
                        key=rec._rate_key_label(),
                        end=rec.date_to,
                        start=rec.date_from,
                    )
                )
            domain = [
                *rec._key_domain(),
                "|",
                ("date_to", "=", False),
                ("date_to", ">=", rec.date_from),
            ]
            if rec.date_to:
                domain.append(("date_from", "<=", rec.date_to))
            other = rec.search(domain, limit=1)
            if other:
                raise ValidationError(
                    _(
                        "The periods of %(key)s overlap in %(owner)s: %(start)s to %(end)s and "
                        "%(other_start)s to %(other_end)s. Close the older period the day "
                        "before the new one starts.",
                        key=rec._rate_key_label(),
                        owner=rec._overlap_owner_label(),
                        start=rec.date_from,
                        end=rec.date_to or _("no end"),
                        other_start=other.date_from,
                        other_end=other.date_to or _("no end"),
                    )
                )
