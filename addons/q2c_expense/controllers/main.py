"""HTTP only: the expense push API, on q2c_sync's push plumbing (through the time-entry
controller, whose OpenAPI document it extends)."""

from odoo.addons.q2c_sync.controllers.main import push_route
from odoo.addons.q2c_timesheet.controllers.main import Q2cTimeEntryController

from .. import openapi


class Q2cExpenseController(Q2cTimeEntryController):
    @push_route("/q2c/api/v1/expenses")
    def push_expenses(self, system=None, **_params):
        """Expenses are written as the API key's user, the integration user of the system:
        its rights (expense *All Approver*) bound what the API can do. Same limits and answer
        as the time-entry API."""
        return self._push(system, "hr.expense", "expenses")

    def _openapi_document(self, base):
        return openapi.extend(super()._openapi_document(base))
