import werkzeug.exceptions
from werkzeug.datastructures import WWWAuthenticate

from odoo import models
from odoo.http import request

from .. import inputs

# Longest Authorization header q2c's bearer routes read; Odoo's keys are 40 characters.
MAX_AUTHORIZATION_CHARS = 1024


class IrHttp(models.AbstractModel):
    _inherit = "ir.http"

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
