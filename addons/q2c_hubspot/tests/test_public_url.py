from unittest.mock import patch

from odoo.tests import tagged
from odoo.tools import config

from .common import HubSpotCase

PUBLIC = "https://odoo.example.com"


@tagged("post_install", "-at_install")
class TestHubSpotPublicUrl(HubSpotCase):
    """v3 signatures cover the URL HubSpot called: it is checked against the system's stored
    public URL, never web.base.url nor the Host header as such (issue 11.5)."""

    def _post_as_hubspot(self, event_id, signed_base=PUBLIC, forwarded_host=None):
        """A v3-signed batch over `signed_base` + the webhook path, as HubSpot sends it to
        that address; with `forwarded_host`, as a proxy forwards it to Odoo."""
        headers = {"X-Forwarded-Host": forwarded_host, "X-Forwarded-Proto": "https"}
        return self._post_hubspot(
            [self._event(event_id, "9001")],
            headers=headers if forwarded_host else None,
            signed_url=f"{signed_base}{self._url(self.hubspot)}",
        )

    def test_web_base_url_changing_does_not_break_v3(self):
        """Before, the URL checked followed web.base.url, which Odoo rewrites when an
        administrator logs in from another host name: every delivery was then refused."""
        self.hubspot.public_base_url = PUBLIC
        url = self.hubspot.webhook_url
        self.env["ir.config_parameter"].set_param("web.base.url", "http://admin-laptop:8069")
        self.env.invalidate_all()
        self.assertEqual(self.hubspot.webhook_url, url)
        self.assertEqual(self._post_as_hubspot(1).status_code, 200)
        self.assertEqual(self._post_as_hubspot(2, "http://admin-laptop:8069").status_code, 401)
        self.assertEqual(len(self._events(self.hubspot)), 1)

    def test_through_a_proxy(self):
        """HubSpot calls the public URL; the proxy forwards to Odoo with X-Forwarded-Host and
        -Proto. With proxy_mode the delivery verifies against the stored URL and arrives
        where it should; without proxy_mode it verifies all the same (the stored URL, not the
        Host header, is checked), and the form shows that Odoo sees another address."""
        self.hubspot.public_base_url = PUBLIC
        with patch.dict(config.options, {"proxy_mode": True}):
            response = self._post_as_hubspot(3, forwarded_host="odoo.example.com")
        self.assertEqual(response.status_code, 200, response.text)
        self.env.invalidate_all()
        self.assertEqual(self.hubspot.delivery_base_url, PUBLIC)
        self.assertFalse(self.hubspot.url_mismatch)
        response = self._post_as_hubspot(4, forwarded_host="odoo.example.com")
        self.assertEqual(response.status_code, 200, response.text)
        self.env.invalidate_all()
        self.assertEqual(self.hubspot.delivery_base_url, self.base_url())
        self.assertTrue(self.hubspot.url_mismatch)

    def test_signed_for_another_address(self):
        """HubSpot still calls an old address: refused (401), and the mismatch names that
        address; once the public URL is set to it, the next delivery is accepted."""
        self.hubspot.public_base_url = PUBLIC
        old = "https://old.example.com"
        with patch.dict(config.options, {"proxy_mode": True}):
            refused = self._post_as_hubspot(5, old, forwarded_host="old.example.com")
            self.assertEqual(refused.status_code, 401)
            self.env.invalidate_all()
            self.assertTrue(self.hubspot.url_mismatch)
            self.assertIn(f"Deliveries arrive at {old}", self.hubspot.url_mismatch_message)
            self.hubspot.with_user(self.manager).public_base_url = old
            self.assertFalse(self.hubspot.url_mismatch)
            accepted = self._post_as_hubspot(6, old, forwarded_host="old.example.com")
        self.assertEqual(accepted.status_code, 200, accepted.text)
        self.assertEqual(len(self._events(self.hubspot)), 1)
