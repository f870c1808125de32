import json
from unittest.mock import patch

from odoo.addons.q2c_base import public_url
from odoo.exceptions import AccessError, ValidationError
from odoo.tests import BaseCase, new_test_user, tagged
from odoo.tools import config

from .common import Q2cCase

PUBLIC = "https://odoo.example.com"
# What a reverse proxy in front of Odoo adds when it forwards a call of PUBLIC.
FORWARDED = {"X-Forwarded-Host": "odoo.example.com", "X-Forwarded-Proto": "https"}


@tagged("post_install", "-at_install")
class TestPublicUrlFormat(BaseCase):
    def test_normalize(self):
        cases = {
            PUBLIC: PUBLIC,
            " HTTPS://Odoo.Example.COM:443/ ": PUBLIC,
            "http://odoo.example.com:80": "http://odoo.example.com",
            "http://127.0.0.1:8069": "http://127.0.0.1:8069",
            "https://[::1]:8443": "https://[::1]:8443",
            "https://odoo.example.com/odoo": None,
            "https://odoo.example.com/?": None,
            "https://odoo.example.com?db=x": None,
            "https://odoo.example.com#top": None,
            "https://user@odoo.example.com": None,
            "ftp://odoo.example.com": None,
            "odoo.example.com": None,
            "https://odoo example.com": None,
            "https://odoo.example.com:99999": None,
            "https://odoo.example.com:https": None,
            "https://xn--dd-rka.example.com": "https://xn--dd-rka.example.com",
            "https://ödoo.example.com": None,
            "https://" + "a" * 250 + ".com": None,
            "": None,
            None: None,
        }
        for value, expected in cases.items():
            with self.subTest(value):
                self.assertEqual(public_url.normalize(value), expected)
        self.assertEqual(public_url.origin("https://Odoo.example.com/web?debug=1"), PUBLIC)
        self.assertIsNone(public_url.origin("not a url"))


@tagged("post_install", "-at_install")
class TestPublicUrl(Q2cCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.params = cls.env["ir.config_parameter"].sudo()

    def _system(self):
        """The system as stored: the webhook request records what it sees in its own
        transaction, after this test's cache was filled."""
        self.env.invalidate_all()
        return self.system

    def test_set_at_creation_then_kept(self):
        """A new system takes its public URL from q2c_base.public_base_url, else from
        web.base.url; an Integration Manager edits it (written one way, checked)."""
        self.assertEqual(self.system.public_base_url, public_url.origin(self.base_url()))
        self.params.set_param("q2c_base.public_base_url", "HTTPS://Hooks.Example.com/")
        self.assertEqual(
            self._create_system(name="B").public_base_url, "https://hooks.example.com"
        )
        self.params.set_param("q2c_base.public_base_url", "not a url")
        self.assertEqual(self._create_system(name="C").public_base_url, self.base_url())
        given = self._create_system(name="D", public_base_url="https://d.example.com/")
        self.assertEqual(given.public_base_url, "https://d.example.com")

        system = self.system.with_user(self.manager)
        system.public_base_url = "https://Odoo.example.com:443/"
        self.assertEqual(system.public_base_url, PUBLIC)
        self.assertEqual(
            system.webhook_url, f"{PUBLIC}/q2c/webhook/generic/{self.system.inbound_key}"
        )
        for wrong in ("https://odoo.example.com/odoo", "odoo.example.com", "ftp://x.example"):
            with self.subTest(wrong), self.assertRaises(ValidationError):
                system.public_base_url = wrong
        with self.assertRaises(AccessError):
            self.system.with_user(self.auditor).public_base_url = "https://x.example.com"

    def test_unsaved_system_shows_no_webhook_url(self):
        """Issue 13.2: the form of a new system gets no key and no webhook URL (the one it
        showed was not the one saved); once saved, the URL is the one Odoo answers at."""
        spec = {"inbound_key": {}, "webhook_url": {}, "public_base_url": {}, "system_type": {}}
        systems = self.env["q2c.system"].with_user(self.manager)
        new = systems.onchange({"system_type": "generic"}, ["system_type"], spec)["value"]
        self.assertFalse(new.get("webhook_url"))
        self.assertFalse(systems.default_get(["inbound_key"]).get("inbound_key"))
        system = systems.create(
            {"name": "Saved", "system_type": "generic", "user_id": self.integration_user.id}
        )
        url = system.webhook_url
        self.assertTrue(url.endswith(f"/q2c/webhook/generic/{system.sudo().inbound_key}"))
        self.env.invalidate_all()
        self.assertEqual(system.webhook_url, url)
        unsigned = self.url_open(url, data=b"{}", headers={"Content-Type": "application/json"})
        self.assertEqual(unsigned.status_code, 401)  # a known key, not signed

    def test_login_from_another_host_changes_nothing(self):
        """Odoo rewrites web.base.url when an administrator logs in from another host name;
        the public URL and webhook URL of a system stay as they were."""
        new_test_user(
            self.env, login="q2c_sysadmin", password="q2c_sysadmin", groups="base.group_system"
        )
        url = self.system.webhook_url
        body = {
            "jsonrpc": "2.0",
            "params": {
                "db": self.env.cr.dbname,
                "login": "q2c_sysadmin",
                "password": "q2c_sysadmin",
            },
        }
        response = self.url_open(
            "/web/session/authenticate",
            data=json.dumps(body),
            headers={"Content-Type": "application/json", "Host": "admin-laptop.example:8069"},
        )
        self.assertEqual(response.json()["result"]["username"], "q2c_sysadmin")
        self.assertEqual(self.params.get_param("web.base.url"), "http://admin-laptop.example:8069")
        self.assertEqual(self._system().webhook_url, url)
        self.assertEqual(self.system.public_base_url, self.base_url())
        # A system created later starts from the new value (q2c_base.public_base_url avoids it).
        later = self._create_system(name="Later")
        self.assertEqual(later.public_base_url, "http://admin-laptop.example:8069")

    def test_mismatch_recorded_shown_and_cleared(self):
        """Each delivery records the scheme and host it arrived at (X-Forwarded-Host and
        -Proto honoured with proxy_mode, as Odoo does); a difference with the public URL is
        a mismatch, cleared when the proxy or the public URL is fixed."""
        self.system.public_base_url = PUBLIC
        self.assertEqual(self._post({"id": "direct"}).status_code, 200)
        system = self._system()
        self.assertEqual(system.delivery_base_url, self.base_url())
        self.assertTrue(system.url_mismatch)
        self.assertIn(
            f"Deliveries arrive at {self.base_url()}, but this system's public URL is {PUBLIC}",
            system.url_mismatch_message,
        )
        # Without proxy_mode, forwarded headers are not believed (Odoo ignores them too).
        self.assertEqual(self._post({"id": "ignored"}, headers=FORWARDED).status_code, 200)
        self.assertEqual(self._system().delivery_base_url, self.base_url())
        since = self.system.delivery_base_url_since
        with patch.dict(config.options, {"proxy_mode": True}):
            self.assertEqual(self._post({"id": "proxied"}, headers=FORWARDED).status_code, 200)
        self.assertEqual(self._system().delivery_base_url, PUBLIC)
        self.assertFalse(self.system.url_mismatch)
        self.assertFalse(self.system.url_mismatch_message)
        self.assertGreaterEqual(self.system.delivery_base_url_since, since)
        # A refused delivery is recorded too: it may be refused because of the address.
        refused = self._post({"id": "bad"}, secret="not-the-secret")
        self.assertEqual(refused.status_code, 401)
        self.assertTrue(self._system().url_mismatch)
        # Fixed on the system's side: the public URL is where deliveries arrive.
        self.system.with_user(self.manager).public_base_url = self.base_url()
        self.assertFalse(self.system.url_mismatch)
        self.assertEqual(
            sorted(self._events().mapped("external_id")), ["direct", "ignored", "proxied"]
        )

    def test_forms_and_dashboard_show_the_mismatch(self):
        """The badge on the dashboard card and the warning on the form, in the browser."""
        self.manager.password = "q2c_mgr"
        other = self._create_system(name="Mismatched system", public_base_url=PUBLIC)
        other.write({"delivery_base_url": "https://old.example.com"})
        self.assertTrue(other.url_mismatch)
        self.start_tour(
            "/odoo/action-q2c_base.action_q2c_dashboard",
            "q2c_system_url_mismatch_dashboard",
            login="q2c_mgr",
        )
        self.start_tour(
            f"/odoo/action-q2c_base.action_q2c_system/{other.id}",
            "q2c_system_url_mismatch_form",
            login="q2c_mgr",
        )

    def test_new_system_form_shows_the_url_once_saved(self):
        """Issue 13.2 in the browser: no URL on the unsaved form; the one shown once saved
        stays the same when the system is opened again, and Odoo answers it (401 for an
        unsigned request, not the 404 of an unknown key)."""
        new_test_user(
            self.env,
            login="q2c_url_tour_int",
            name="URL tour integration",
            groups="base.group_user,q2c_base.group_integration_user",
        )
        self.manager.password = "q2c_mgr"
        self.start_tour(
            "/odoo/action-q2c_base.action_q2c_system/new",
            "q2c_system_webhook_url",
            login="q2c_mgr",
        )
        system = self.env["q2c.system"].search([("name", "=", "URL tour system")])
        self.assertEqual(system.public_base_url, self.base_url())
        self.assertEqual(
            system.webhook_url,
            f"{self.base_url()}/q2c/webhook/generic/{system.sudo().inbound_key}",
        )
