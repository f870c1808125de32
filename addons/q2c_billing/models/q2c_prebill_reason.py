from odoo import fields, models

KINDS = [
    ("write_down", "Write-down"),
    ("write_up", "Write-up"),
    ("any", "Write-down or write-up"),
]


class Q2cPrebillReason(models.Model):
    """A reason code a Finance reviewer gives for each pre-bill adjustment (billing-domain.md
    1.6: "each adjustment stores a reason code, the user and the timestamp"). A short list
    Finance keeps under Contracts > Configuration; shared by every company."""

    _name = "q2c.prebill.reason"
    _description = "Pre-bill Adjustment Reason"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    code = fields.Char(required=True, help="A short code for reports, e.g. WD-GOODWILL.")
    kind = fields.Selection(
        KINDS,
        string="Applies To",
        required=True,
        default="any",
        help="Which adjustments the reason explains: a write-down bills less than the "
        "standard value, a write-up more.",
    )
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)

    _sql_constraints = [("code_uniq", "unique(code)", "A reason code is used once.")]
