import json
from datetime import timedelta

from odoo import fields
from odoo.tests import tagged

from .. import http_contract
from .common import Q2cCase


@tagged("post_install", "-at_install")
class TestHttpContract(Q2cCase):
    """The HTTP contract of every q2c route (docs/integrators.md, "The HTTP contract"),
    through Odoo's HTTP server: bodies accepted by media type, every error one JSON shape,
    also where Odoo itself refuses before a q2c controller runs."""

    def assertContractError(self, response, status):
        self.assertEqual(response.status_code, status, response.text)
        self.assertEqual(response.headers["Content-Type"].split(";")[0], "application/json")
        body = response.json()
        self.assertEqual(set(body), {"error", "detail"}, body)
        self.assertEqual(body["error"], http_contract.ERROR_CODES[status])

    def _request(self, method, path, **kwargs):
        return self.opener.request(method, self.base_url() + path, timeout=30, **kwargs)

    def test_webhook_content_type_is_checked_by_media_type(self):
        """Parameters and letter case do not matter; another media type, or none, is 415
        and stores nothing."""
        cases = [
            ("application/json", 200),
            ("application/json; charset=utf-8", 200),
            ("Application/JSON;Charset=UTF-8", 200),
            ("text/plain", 415),
            ("text/plain; charset=utf-8", 415),
            ("application/x-www-form-urlencoded", 415),
            ("application/jsonp", 415),
            ("", 415),
        ]
        for number, (content_type, status) in enumerate(cases):
            with self.subTest(content_type=content_type):
                body = {"id": f"evt_ct_{number}", "type": "q2c.ping"}
                response = self._post(body, headers={"Content-Type": content_type})
                if status == 200:
                    self.assertEqual(response.status_code, 200, response.text)
                else:
                    self.assertContractError(response, status)
        self.assertEqual(len(self._events()), 3)

    def test_webhook_errors_have_one_shape(self):
        small = self._create_system(name="Small", max_body_bytes=64)
        cases = [
            ("unknown key", 404, {"url": f"/q2c/webhook/generic/{'x' * 32}"}),
            ("text/plain", 415, {"headers": {"Content-Type": "text/plain"}}),
            ("too large", 413, {"system": small, "body": b"{" + b" " * 100 + b"}"}),
            ("bad signature", 401, {"secret": "not-the-secret"}),
            ("not json", 400, {"body": b"{not json"}),
        ]
        for label, status, kwargs in cases:
            with self.subTest(label):
                body = kwargs.pop("body", b'{"id": "evt_shape"}')
                self.assertContractError(self._post(body, **kwargs), status)
        refused = self._post(b"{not json").json()
        self.assertIn("JSON", refused["detail"])
        self.assertIsNone(self._post(b"{}", secret="wrong").json()["detail"])

    def test_odoo_refusals_on_q2c_paths_are_json(self):
        """What Odoo answers before a q2c controller runs (no route, another method, no API
        key) is an HTML page elsewhere; on q2c paths it keeps the contract."""
        webhook = self._url()
        cases = [
            ("GET on the webhook", "GET", webhook, 405),
            ("PUT on the webhook", "PUT", webhook, 405),
            ("POST on health", "POST", "/q2c/health", 405),
            ("no such q2c route", "POST", "/q2c/webhook/generic", 404),
            ("no such q2c page", "GET", "/q2c/nothing-here", 404),
            ("metrics without a key", "GET", "/q2c/metrics", 401),
            ("metrics with a bad key", "GET", "/q2c/metrics", 401),
        ]
        for label, method, path, status in cases:
            with self.subTest(label):
                headers = {"Authorization": "Bearer nope"} if "bad key" in label else {}
                response = self._request(method, path, headers=headers)
                self.assertContractError(response, status)
                if status == 405:
                    self.assertTrue(response.headers["Allow"])
        # Elsewhere Odoo's own pages are left as they are.
        elsewhere = self._request("GET", "/web/nothing-here")
        self.assertIn("text/html", elsewhere.headers["Content-Type"])

    def test_metrics_forbidden_is_json(self):
        expiry = fields.Datetime.now() + timedelta(days=1)
        key = (
            self.env["res.users.apikeys"]
            .with_user(self.integration_user)
            ._generate(None, "metrics", expiry)
        )
        response = self._request("GET", "/q2c/metrics", headers={"Authorization": f"Bearer {key}"})
        self.assertContractError(response, 403)

    def test_health_stays_a_json_document(self):
        response = self._request("GET", "/q2c/health")
        self.assertIn(response.status_code, (200, 503))
        self.assertEqual(json.loads(response.text)["database"], True)
