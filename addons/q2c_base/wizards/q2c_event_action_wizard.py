from odoo import fields, models

ACTIONS = [("replay", "Replay"), ("ignore", "Ignore"), ("mark_done", "Mark done")]


class Q2cEventActionWizard(models.TransientModel):
    """Asks who acts on events why; the reason goes to each event's chatter."""

    _name = "q2c.event.action.wizard"
    _description = "Act on Inbound Events"

    action = fields.Selection(ACTIONS, required=True)
    event_ids = fields.Many2many("q2c.event", string="Events", required=True)
    reason = fields.Text(required=True)

    def action_confirm(self):
        self.ensure_one()
        events = self.event_ids
        if self.action == "replay":
            events.action_replay(self.reason)
        elif self.action == "ignore":
            events.action_ignore(self.reason)
        else:
            events.action_mark_done(self.reason)
        return {"type": "ir.actions.act_window_close"}
