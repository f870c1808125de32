import logging

import werkzeug.exceptions
from werkzeug.datastructures import WWWAuthenticate
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from odoo import models
from odoo.exceptions import AccessDenied, AccessError, UserError
from odoo.http import SessionExpiredException, request

from .. import http_contract, inputs

_logger = logging.getLogger(__name__)

# Longest Authorization header q2c's bearer routes read; Odoo's keys are 40 characters.
MAX_AUTHORIZATION_CHARS = 1024


class IrHttp(models.AbstractModel):
    _inherit = "ir.http"

    def _generate_routing_rules(self, modules, converters):
        """The routes of a database, without the ones that exist only to answer while there is
        no database (controllers/main.py, Q2cUnavailableController)."""
        for url, endpoint in super()._generate_routing_rules(modules, converters):
            if not endpoint.routing.get("q2c_without_database_only"):
                yield url, endpoint

    @classmethod
    def _match(cls, path_info):
        """A known q2c path asked with another method is answered 405 in JSON: Odoo raises
        MethodNotAllowed before any controller or `_handle_error` runs, and its own answer
        is an HTML page."""
        try:
            return super()._match(path_info)
        except MethodNotAllowed as error:
            if http_contract.is_q2c_path(path_info):
                allowed = ", ".join(error.valid_methods or ())
                error.error_response = http_contract.error_response(
                    405,
                    f"{request.httprequest.method} is not allowed here; use {allowed}",
                    headers={"Allow": allowed},
                )
            raise

    @classmethod
    def _handle_error(cls, exception):
        """Errors on q2c paths keep the q2c HTTP contract (q2c_base/http_contract.py): no
        route (404), no or a bad API key (401), a refused access (403), a UserError (400) or
        a bug (500, no detail) are answered as JSON, never as Odoo's HTML pages."""
        if not (request and http_contract.is_q2c_path(request.httprequest.path)):
            return super()._handle_error(exception)
        status, detail, headers = cls._q2c_error_status(exception)
        return http_contract.error_response(status, detail, headers)

    @classmethod
    def _q2c_error_status(cls, exception):
        """(status, detail, extra headers) of an exception raised on a q2c path."""
        if isinstance(exception, HTTPException) and exception.code:
            headers = {
                name: value
                for name, value in exception.get_headers()
                if name.lower() != "content-type"
            }
            detail = exception.description if exception.code < 500 else None
            return exception.code, detail, headers
        if isinstance(exception, SessionExpiredException | AccessDenied):
            return 401, "an API key is required (Authorization: Bearer <key>)", {}
        if isinstance(exception, AccessError):
            return 403, str(exception.args[0]) if exception.args else None, {}
        if isinstance(exception, UserError):
            return 400, str(exception.args[0]) if exception.args else None, {}
        return 500, None, {}

    @classmethod
    def _auth_method_bearer(cls):
        """Refuse a malformed Authorization header on q2c's routes (/q2c/metrics, the push
        APIs) with the 401 a wrong key gets: Odoo's own check hands the raw value to
        PostgreSQL, which raises on a NUL byte (a 500). Other routes are left to Odoo."""
        if request.httprequest.path.startswith("/q2c/"):
            header = request.httprequest.headers.get("Authorization")
            if (
                header is not None
                and inputs.printable_ascii(header, MAX_AUTHORIZATION_CHARS) is None
            ):
                raise werkzeug.exceptions.Unauthorized(
                    "Invalid apikey", www_authenticate=WWWAuthenticate("bearer")
                )
        return super()._auth_method_bearer()
