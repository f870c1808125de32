from datetime import timedelta

from odoo import api, fields, models

# Minutes a q2c schedule may be late before it counts as overdue (ir.config_parameter
# `q2c.schedule_overdue_minutes` overrides): a cron worker that is alive runs a due job within
# a minute; one that died with its database connection never does.
DEFAULT_OVERDUE_MINUTES = 15


class IrCron(models.Model):
    _inherit = "ir.cron"

    @api.model
    def _q2c_overdue_schedules(self):
        """The active scheduled actions of q2c addons whose next run is overdue beyond the
        tolerance: no cron worker runs them (issue 11.11). Read by /q2c/health (degraded, 503)
        and the dashboard. Returns an ir.cron recordset (sudo: health needs no login)."""
        param = self.env["ir.config_parameter"].sudo().get_param("q2c.schedule_overdue_minutes")
        try:
            minutes = max(int(param), 1) if param else DEFAULT_OVERDUE_MINUTES
        except ValueError:
            minutes = DEFAULT_OVERDUE_MINUTES
        q2c_crons = (
            self.env["ir.model.data"]
            .sudo()
            .search([("model", "=", "ir.cron"), ("module", "=like", "q2c\\_%")])
            .mapped("res_id")
        )
        return (
            self.sudo()
            .with_context(active_test=True)
            .search(
                [
                    ("id", "in", q2c_crons),
                    ("nextcall", "<", fields.Datetime.now() - timedelta(minutes=minutes)),
                ]
            )
        )
