"""The push API's plumbing, shared by every push route (time entries, expenses, ...):
authenticate (an Odoo API key: `auth="bearer"` on the route), find the system, parse and
bound the JSON body, hand it to the ingestion model, answer one result per entry."""

import json
import logging
from collections import Counter

from odoo import http
from odoo.addons.q2c_base import http_contract, inputs
from odoo.http import request

_logger = logging.getLogger(__name__)
MAX_BODY_BYTES = 4 * 1024 * 1024
MAX_ENTRIES = 1000
MEDIA_TYPES = ("application/json",)
# API field names that differ from the ingestion's.
FIELD_NAMES = {"id": "external_id"}


def answer(status, body):
    return request.make_json_response(body, status=status)


def refuse(status, detail):
    """An error answer of the q2c HTTP contract (q2c_base/http_contract.py)."""
    return http_contract.error_response(status, detail)


class PushRefused(Exception):
    """A whole push request refused before any entry is read: its status and detail."""

    def __init__(self, status, detail):
        super().__init__(detail)
        self.status = status
        self.detail = detail


def push_route(path):
    """The route of a push API at `path`: a POST authenticated by an Odoo API key (bearer),
    without CSRF token or session, as every push route is."""
    return http.route(
        path, type="http", auth="bearer", methods=["POST"], csrf=False, save_session=False
    )


class Q2cPushController(http.Controller):
    """No route of its own: a push route is a thin method calling `_push`, e.g.

    @push_route("/q2c/api/v1/time-entries")
    def push_time_entries(self, system=None, **_params):
        return self._push(system, "account.analytic.line", "time entries")
    """

    def _push(self, system, model, label):
        """One push request: authorise the system (`?system=<id>` when the API key's user
        serves several), parse the JSON array of at most MAX_ENTRIES entries and hand it to
        `<model>._q2c_ingest(system, entries)` as the API key's user, which answers one
        result per entry. Answers 200 with {results, summary}, or 403 / 415 / 413 / 400 with
        {error, detail}; 401 (no or a bad key) and 405 are Odoo's, before this runs, in the
        same shape (q2c_base's ir.http). A `system` that is not a positive integer id in
        ASCII digits is 400."""
        try:
            systems = self._push_system(system)
            entries = self._entries(label)
        except PushRefused as refused:
            return refuse(refused.status, refused.detail)
        normalised = [self._rename(entry) for entry in entries]
        results = request.env[model]._q2c_ingest(systems, normalised)
        summary = Counter(result["status"] for result in results)
        _logger.info("q2c: %s pushed to system %s: %s", label, systems.id, dict(summary))
        return answer(200, {"results": results, "summary": dict(summary)})

    def _push_system(self, system_id):
        """The one system the request pushes to; PushRefused (400 for a malformed id, 403)
        otherwise."""
        if system_id is not None and not inputs.record_id(system_id):
            raise PushRefused(400, "?system= takes a system id (a positive integer)")
        systems = self._systems(system_id)
        if len(systems) != 1:
            raise PushRefused(
                403,
                "the API key's user is the integration user of no active system"
                if not systems
                else "the user serves several systems: add ?system=<id>",
            )
        return systems

    @staticmethod
    def _entries(label):
        """The body's JSON array of at most MAX_ENTRIES entries; PushRefused (415, 413, 400)
        otherwise. The media type is checked before the body is read."""
        if not http_contract.accepts_media_type(MEDIA_TYPES):
            raise PushRefused(415, "send application/json")
        length = request.httprequest.content_length
        if length is not None and length > MAX_BODY_BYTES:
            raise PushRefused(413, f"the body is larger than {MAX_BODY_BYTES} bytes")
        # Cached: when a concurrent request stored an entry of this one first, Odoo replays
        # the request (ConcurrentIngest, a serialization failure), which reads it again.
        body = request.httprequest.get_data(cache=True)
        if len(body) > MAX_BODY_BYTES:  # no declared length (chunked)
            raise PushRefused(413, f"the body is larger than {MAX_BODY_BYTES} bytes")
        try:
            entries = json.loads(body or b"null")
        # RecursionError: nesting deeper than Python's parser goes.
        except (ValueError, UnicodeDecodeError, RecursionError) as error:
            raise PushRefused(400, "the body is not valid JSON") from error
        if inputs.has_nul(entries):
            raise PushRefused(400, "the body holds a NUL character (\\u0000)")
        if not isinstance(entries, list):
            raise PushRefused(400, f"the body must be a JSON array of {label}")
        if len(entries) > MAX_ENTRIES:
            raise PushRefused(413, f"at most {MAX_ENTRIES} entries per request")
        return entries

    def _systems(self, system_id):
        """The active systems pushing with the request's user (`supports_push`), narrowed to
        `system_id` when given."""
        domain = [("user_id", "=", request.env.uid), ("active", "=", True)]
        if system_id:
            domain.append(("id", "=", inputs.record_id(system_id)))
        # The system record is configuration the integration user may read; sudo only to
        # read it whatever its record rules, never to write.
        systems = request.env["q2c.system"].sudo().search(domain).filtered("supports_push")
        return systems.with_env(request.env)

    @staticmethod
    def _rename(entry):
        if not isinstance(entry, dict):
            return entry
        return {FIELD_NAMES.get(key, key): value for key, value in entry.items()}
