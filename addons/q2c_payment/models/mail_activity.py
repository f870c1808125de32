from odoo import fields, models


class MailActivity(models.Model):
    _inherit = "mail.activity"

    # Technical: what a to-do q2c gave Finance is about (`payment_failed`,
    # `dispute:<gateway id>:open`...), so that q2c can close it when a later state makes
    # it moot, without reading its (translated) summary.
    q2c_topic = fields.Char(readonly=True, copy=False, index="btree_not_null")


def close_q2c_activities(records, topics, feedback):
    """Mark done, with `feedback` saying why, the open to-dos q2c gave about `records`
    under one of `topics` (a topic ending in ':' matches every topic it begins)."""
    if not records:
        return
    activities = (
        records.env["mail.activity"]
        .sudo()
        .search([("res_model", "=", records._name), ("res_id", "in", records.ids)])
        .filtered(
            lambda a: a.q2c_topic
            and any(
                a.q2c_topic.startswith(t) if t.endswith(":") else a.q2c_topic == t for t in topics
            )
        )
    )
    activities.action_feedback(feedback=feedback)
