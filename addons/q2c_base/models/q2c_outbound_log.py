from datetime import timedelta

from odoo import _, api, fields, models


class Q2cOutboundLog(models.Model):
    _name = "q2c.outbound.log"
    _description = "Outbound Call to a Connected System"
    _order = "id desc"
    _check_company_auto = True

    system_id = fields.Many2one("q2c.system", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="system_id.company_id", store=True)
    method = fields.Char(required=True)
    url = fields.Char("URL", required=True, help="Without query values that carry secrets.")
    status_code = fields.Integer("Status")
    duration_ms = fields.Integer("Duration (ms)")
    attempt = fields.Integer(default=1)
    error = fields.Char()
    correlation_id = fields.Char("Correlation ID", index=True)
    idempotency_key = fields.Char()
    event_id = fields.Many2one("q2c.event", ondelete="set null", index=True)

    @api.depends("system_id.name", "method", "url")
    def _compute_display_name(self):
        for log in self:
            log.display_name = _(
                "%(system)s: %(method)s %(url)s",
                system=log.system_id.name,
                method=log.method,
                url=log.url,
            )

    @api.model
    def _cron_purge(self):
        """Delete log lines older than the retention (system parameter, days)."""
        days = int(
            self.env["ir.config_parameter"]
            .sudo()
            .get_param("q2c_base.outbound_log_retention_days", 30)
        )
        limit = fields.Datetime.now() - timedelta(days=days)
        self.search([("create_date", "<", limit)]).unlink()
