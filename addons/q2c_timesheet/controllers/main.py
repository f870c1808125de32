"""HTTP only: authenticate (Odoo API key), find the system, parse, answer."""

import json
import logging
from collections import Counter

from odoo import http
from odoo.http import request

from .. import openapi

_logger = logging.getLogger(__name__)
MAX_BODY_BYTES = 4 * 1024 * 1024
FIELD_NAMES = {"id": "external_id"}


def answer(status, body):
    return request.make_json_response(body, status=status)


class Q2cTimeEntryController(http.Controller):
    @http.route(
        "/q2c/api/v1/time-entries",
        type="http", auth="bearer", methods=["POST"], csrf=False, save_session=False,
    )  # fmt: skip
    def push_time_entries(self, system=None, **_params):
        """Entries are written as the API key's user, which must be the integration user of
        the system: its rights (timesheet approver) bound what the API can do."""
        return self._push(system, "account.analytic.line", "time entries")

    def _push(self, system, model, label):
        """One push endpoint: authorise the system, parse the JSON array of at most
        MAX_ENTRIES entries and hand it to `<model>._q2c_ingest(system, entries)`, which
        answers one result per entry. Other push APIs (q2c_expense) call it with their model."""
        systems = self._systems(system)
        if len(systems) != 1:
            reason = (
                "the API key's user is the integration user of no active system"
                if not systems
                else "the user serves several systems: add ?system=<id>"
            )
            return answer(403, {"error": reason})
        length = request.httprequest.content_length
        if length is not None and length > MAX_BODY_BYTES:
            return answer(413, {"error": "request body too large"})
        try:
            entries = json.loads(request.httprequest.get_data(cache=False) or b"null")
        except (ValueError, UnicodeDecodeError):
            return answer(400, {"error": "the body is not valid JSON"})
        if not isinstance(entries, list):
            return answer(400, {"error": f"the body must be a JSON array of {label}"})
        if len(entries) > openapi.MAX_ENTRIES:
            return answer(413, {"error": f"at most {openapi.MAX_ENTRIES} entries per request"})
        normalised = [self._rename(entry) for entry in entries]
        results = request.env[model]._q2c_ingest(systems, normalised)
        summary = Counter(result["status"] for result in results)
        _logger.info("q2c: %s pushed to system %s: %s", label, systems.id, dict(summary))
        return answer(200, {"results": results, "summary": dict(summary)})

    def _systems(self, system_id):
        domain = [("user_id", "=", request.env.uid), ("active", "=", True)]
        if system_id:
            if not str(system_id).isdigit():
                return request.env["q2c.system"].browse()
            domain.append(("id", "=", int(system_id)))
        # The system record is configuration the integration user may read; sudo only to
        # read it whatever its record rules, never to write time.
        return request.env["q2c.system"].sudo().search(domain).with_env(request.env)

    @staticmethod
    def _rename(entry):
        if not isinstance(entry, dict):
            return entry
        return {FIELD_NAMES.get(key, key): value for key, value in entry.items()}

    @http.route(
        "/q2c/api/v1/openapi.json",
        type="http", auth="none", methods=["GET"], save_session=False,
    )  # fmt: skip
    def openapi_document(self):
        base = request.httprequest.host_url.rstrip("/")
        return request.make_json_response(self._openapi_document(base))

    def _openapi_document(self, base):
        """The document as a dict; addons with their own push API (q2c_expense) extend this
        controller and add their paths and schemas."""
        return openapi.document(base)
