from odoo import _, api, fields, models


class Q2cMilestoneAcceptance(models.TransientModel):
    """Records a client's acceptance of a milestone: who accepted, when, what share and on
    what evidence. The milestone's own acceptance (`_accept`: the transition, partial and full
    shares, the project milestone) does the work; the wizard only asks."""

    _name = "q2c.milestone.acceptance"
    _description = "Record a Milestone Acceptance"

    milestone_id = fields.Many2one(
        "q2c.contract.milestone", string="Milestone", required=True, ondelete="cascade"
    )
    contract_id = fields.Many2one(related="milestone_id.contract_id")
    currency_id = fields.Many2one(related="milestone_id.currency_id")
    amount = fields.Monetary(related="milestone_id.amount", string="Milestone Amount")
    previous_share = fields.Float(
        string="Accepted So Far (%)", compute="_compute_previous_share", digits=(7, 4)
    )
    client_approver = fields.Char(
        string="Accepted By", required=True, help="The client's person who accepted it."
    )
    accepted_date = fields.Date(
        string="Accepted On", required=True, default=fields.Date.context_today
    )
    accepted_share = fields.Float(
        string="Share Accepted (%)",
        required=True,
        default=100.0,
        digits=(7, 4),
        help="The share of the milestone accepted to date, up to 100%. A partial acceptance "
        "is billed in proportion; a later acceptance only adds to it.",
    )
    evidence = fields.Binary(
        string="Evidence", help="The signed acceptance certificate, the client's e-mail, ..."
    )
    evidence_name = fields.Char(string="Evidence File Name")

    @api.depends("milestone_id")
    def _compute_display_name(self):
        for wizard in self:
            wizard.display_name = _("Acceptance of %s", wizard.milestone_id.name or "")

    @api.depends("milestone_id.state", "milestone_id.accepted_share")
    def _compute_previous_share(self):
        for wizard in self:
            milestone = wizard.milestone_id
            wizard.previous_share = (
                milestone.accepted_share if milestone.state == "partially_accepted" else 0.0
            )

    def action_confirm(self):
        self.ensure_one()
        milestone = self.milestone_id
        milestone._accept(self.accepted_share, self.accepted_date)
        values = {"client_approver": self.client_approver}
        if self.evidence:
            values.update(
                acceptance_evidence=self.evidence,
                acceptance_evidence_name=self.evidence_name or _("Acceptance evidence"),
            )
        milestone._q2c_guarded_write(values)
        milestone._message_log(
            body=_(
                "Acceptance recorded by %(user)s: %(share)s%% accepted by %(approver)s on "
                "%(date)s%(evidence)s.",
                user=self.env.user.name,
                share=f"{milestone.accepted_share:.2f}",
                approver=self.client_approver,
                date=self.accepted_date,
                evidence=_(", evidence %s", self.evidence_name or _("attached"))
                if self.evidence
                else "",
            )
        )
        return {"type": "ir.actions.act_window_close"}
