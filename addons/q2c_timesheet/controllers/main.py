"""HTTP only: the time-entry push API and the OpenAPI document, on q2c_sync's plumbing."""

from odoo import http
from odoo.addons.q2c_sync.controllers.main import Q2cPushController, push_route
from odoo.http import request

from .. import openapi


class Q2cTimeEntryController(Q2cPushController):
    @push_route("/q2c/api/v1/time-entries")
    def push_time_entries(self, system=None, **_params):
        """Entries are written as the API key's user, which must be the integration user of
        the system: its rights (timesheet approver) bound what the API can do."""
        return self._push(system, "account.analytic.line", "time entries")

    @http.route(
        "/q2c/api/v1/openapi.json",
        type="http",
        auth="none",
        methods=["GET"],
        save_session=False,
    )
    def openapi_document(self):
        base = request.httprequest.host_url.rstrip("/")
        return request.make_json_response(self._openapi_document(base))

    def _openapi_document(self, base):
        """The document as a dict; addons with their own push API (q2c_expense) extend this
        controller and add their paths and schemas."""
        return openapi.document(base)
