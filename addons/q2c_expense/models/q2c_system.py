from odoo import models


class Q2cSystem(models.Model):
    _inherit = "q2c.system"

    def _integration_user_groups(self):
        """A system writing expenses creates and corrects expenses of other employees:
        Expenses / All Approver (`hr_expense.group_hr_expense_user`). Here the generic type,
        the one that pushes to the expense API; a connector pulling expenses adds it for its
        own type (q2c_harvest_expense)."""
        groups = super()._integration_user_groups()
        if self.system_type == "generic":
            groups |= self.env.ref("hr_expense.group_hr_expense_user")
        return groups
