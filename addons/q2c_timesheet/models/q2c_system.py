from odoo import models
from odoo.addons.q2c_sync.models.q2c_sync_run import MAIN_STREAM

TIME_MODEL = "account.analytic.line"


class Q2cSystem(models.Model):
    _inherit = "q2c.system"

    def _integration_user_groups(self):
        """A system writing time creates and corrects timesheet lines of other employees:
        Timesheets / See all timesheets (`hr_timesheet.group_hr_timesheet_approver`)."""
        groups = super()._integration_user_groups()
        if self._q2c_writes_time():
            groups |= self.env.ref("hr_timesheet.group_hr_timesheet_approver")
        return groups

    def _q2c_writes_time(self):
        """Whether this system's user writes time entries: a pulling system whose main stream
        is time (every time connector's), or the generic type, the one that pushes to the
        time-entry API (/q2c/api/v1/time-entries)."""
        self.ensure_one()
        if self.system_type == "generic":
            return True
        return self.supports_pull and self._sync_stream_model(MAIN_STREAM) == TIME_MODEL
