from odoo import _, api, fields, models
from odoo.exceptions import UserError

MESSAGES = {
    "open_reviews": "Billing run %(run)s has %(count)s pre-bill review(s) still to approve: "
    "approve them first (Contracts > Billing > Pre-bill Review).",
}


class Q2cBillingRun(models.Model):
    """Pre-bill review (billing-domain.md 1.6) in the run's states: the run waits in review
    until every contract's review is approved, each approval creating that contract's
    invoice; it then moves to invoiced by itself (and is posted when the company posts
    automatically)."""

    _inherit = "q2c.billing.run"

    prebill_review_ids = fields.One2many(
        "q2c.prebill.review", "run_id", string="Pre-bill Reviews", readonly=True
    )
    prebill_review_count = fields.Integer(
        "Number of Pre-bill Reviews", compute="_compute_prebill_review_count"
    )
    prebill_open_count = fields.Integer(
        "Reviews to Approve", compute="_compute_prebill_review_count"
    )

    @api.depends("prebill_review_ids.state")
    def _compute_prebill_review_count(self):
        for run in self:
            reviews = run.prebill_review_ids
            run.prebill_review_count = len(reviews)
            run.prebill_open_count = len(reviews.filtered(lambda r: r.state == "to_review"))

    def action_approve(self):
        """Approve every pre-bill review of the run still to approve, as proposed or as
        adjusted so far (each creates its contract's invoice); the run then moves on."""
        self._check_transition("action_approve")
        self.prebill_review_ids.filtered(lambda r: r.state == "to_review").action_approve()
        for run in self:
            run._prebill_reviews_done()
        return True

    def _prebill_reviews_done(self):
        """A review was approved: the run moves on once none waits any longer."""
        self.ensure_one()
        if self.state != "review" or self.line_ids.filtered(lambda line: line.state == "review"):
            return
        self._transition("action_approve")
        if self.company_id.q2c_billing_auto_post:
            self._auto_post()

    def action_post(self):
        """Posting never skips a pre-bill review."""
        for run in self:
            waiting = run.line_ids.filtered(lambda line: line.state == "review")
            if waiting:
                raise UserError(_(MESSAGES["open_reviews"], run=run.name, count=len(waiting)))
        return super().action_post()

    def action_cancel(self):
        """The reviews still to approve are cancelled with the run (nothing was billed)."""
        reviews = self.prebill_review_ids
        result = super().action_cancel()
        reviews._cancel()
        return result

    def action_view_prebill_reviews(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "q2c_billing.q2c_prebill_review_action"
        )
        action["domain"] = [("run_id", "=", self.id)]
        action["context"] = {"create": False}
        if len(self.prebill_review_ids) == 1:
            action.update(
                view_mode="form", res_id=self.prebill_review_ids.id, views=[(False, "form")]
            )
        return action
