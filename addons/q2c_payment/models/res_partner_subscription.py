from odoo import fields, models


class ResPartner(models.Model):
    """The gateway subscriptions of a customer (set-up b), on its form."""

    _inherit = "res.partner"

    q2c_subscription_ids = fields.One2many(
        "q2c.subscription", "partner_id", string="Subscriptions"
    )
    q2c_subscription_count = fields.Integer(
        "Subscription Count", compute="_compute_q2c_subscription_count"
    )

    def _compute_q2c_subscription_count(self):
        Subscription = self.env["q2c.subscription"]
        if not Subscription.has_access("read"):
            self.q2c_subscription_count = 0
            return
        counts = dict(
            Subscription._read_group(
                [("partner_id", "child_of", self.commercial_partner_id.ids)],
                ["partner_id"],
                ["__count"],
            )
        )
        for partner in self:
            partner.q2c_subscription_count = sum(
                count
                for subscribed, count in counts.items()
                if subscribed.commercial_partner_id == partner.commercial_partner_id
            )

    def action_view_q2c_subscriptions(self):
        self.ensure_one()
        action = self.env["ir.actions.actions"]._for_xml_id("q2c_payment.action_q2c_subscription")
        action["domain"] = [("partner_id", "child_of", self.commercial_partner_id.id)]
        action["context"] = {"create": False}
        return action
