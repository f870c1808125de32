from datetime import timedelta

from odoo import fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged

from .common import Q2cCase


def expected_groups(declared):
    """What a user given exactly `declared` holds: those groups, the ones they imply, and
    Odoo's marker of its notification setting (Odoo inbox, not e-mail)."""
    inbox = declared.env.ref("mail.group_mail_notification_type_inbox")
    return declared | declared.trans_implied_ids | inbox


@tagged("post_install", "-at_install")
class TestIntegrationUserCreation(Q2cCase):
    """Issue 13.1: the integration user is created from the system's form with exactly the
    groups its connector declares, and what it lacks is said in one sentence."""

    def _new_system(self, **overrides):
        vals = {"name": "Billing SaaS", "system_type": "generic", **overrides}
        return self.env["q2c.system"].with_user(self.manager).create(vals)

    def test_create_integration_user_gives_exactly_the_declared_groups(self):
        system = self._new_system()
        self.assertIn("has no integration user", system.integration_user_problem)
        system.action_create_integration_user()
        user = system.user_id
        self.assertTrue(user)
        declared = system._integration_user_groups()
        self.assertIn(self.env.ref("q2c_base.group_integration_user"), declared)
        self.assertEqual(user.groups_id, expected_groups(declared))
        self.assertFalse(user.share)
        self.assertTrue(user._is_q2c_integration_user(), "it may not log in interactively")
        self.assertEqual(user.company_ids, system.company_id)
        self.assertFalse(system.integration_user_problem)
        self.assertFalse(system._integration_user_missing_groups())
        with self.assertRaises(UserError):
            system.action_create_integration_user()
        # Unlinked from the system, the user keeps its login; a new one gets another.
        system.user_id = False
        system.action_create_integration_user()
        self.assertNotEqual(system.user_id.login, user.login)
        self.assertEqual(system.user_id.groups_id, user.groups_id)

    def test_only_an_integration_manager_creates_or_grants(self):
        system = self._new_system()
        for user in (self.auditor, self.employee, self.integration_user):
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                system.with_user(user).action_create_integration_user()
        self.assertFalse(system.user_id)

    def test_missing_rights_are_one_sentence_and_granted_in_one_step(self):
        # A user made with the many2one's "Create": the default groups of an employee.
        person_like = self.env["res.users"].create({"name": "SaaS bot", "login": "saas_bot"})
        system = self._new_system(user_id=person_like.id)
        missing = system._integration_user_missing_groups()
        self.assertIn(self.env.ref("q2c_base.group_integration_user"), missing)
        sentence = system.integration_user_problem
        self.assertIn("The integration user SaaS bot lacks", sentence)
        self.assertIn("Integration User (technical)", sentence)
        self.assertIn("Grant Missing Rights", sentence)
        self.assertNotIn("\n", sentence)
        with self.assertRaises(UserError) as raised:
            system.with_user(self.manager).action_test_connection()
        self.assertEqual(str(raised.exception), sentence)
        system.with_user(self.manager).action_grant_integration_user_groups()
        self.assertFalse(system._integration_user_missing_groups())
        self.assertFalse(system.integration_user_problem)
        self.assertTrue(person_like._is_q2c_integration_user())

    def test_never_grants_to_a_person_or_an_administrator(self):
        for user in (self.env.ref("base.user_admin"), self.manager):
            system = self._new_system(name=f"S {user.login}", user_id=user.id)
            with self.subTest(user=user.login), self.assertRaises(UserError):
                system.with_user(self.manager).action_grant_integration_user_groups()

    def test_replay_refuses_a_system_without_user(self):
        """A job enqueued as no user would run as the public user."""
        system = self._new_system()
        event = self.env["q2c.event"].create(
            {
                "system_id": system.id,
                "company_id": system.company_id.id,
                "external_id": "e-orphan",
                "event_type": "q2c.ping",
                "state": "dead",
                "received_at": fields.Datetime.now(),
            }
        )
        with self.assertRaisesRegex(UserError, "has no integration user"):
            event.with_user(self.manager).action_replay("retry")
        self.assertFalse(event.job_uuid)

    def test_a_system_without_user_receives_nothing(self):
        secret = "another-secret-0123"
        system = self._new_system(webhook_secret=secret)
        response = self._post({"id": "e-1", "type": "x"}, system=system, secret=secret)
        self.assertEqual(response.status_code, 404)
        self.assertFalse(self._events(system))


@tagged("post_install", "-at_install")
class TestIntegrationUserApiKeys(Q2cCase):
    """Issue 11.4: an Integration Manager issues, rotates and revokes the integration user's
    API key from the system's form; the keys are checked over real HTTP (XML-RPC and a
    bearer route)."""

    def _issue(self, manager=None, **wizard_vals):
        manager = manager or self.manager
        action = self.system.with_user(manager).action_open_api_key_wizard()
        wizard = (
            self.env[action["res_model"]]
            .with_user(manager)
            .with_context(**action["context"])
            .create(wizard_vals)
        )
        shown = wizard.action_issue()
        self.assertEqual(shown["res_model"], "q2c.api.key.show")
        return shown["context"]["default_key"]

    def _rpc_systems(self, key):
        """The systems the key's user reads over XML-RPC; False when the key is refused."""
        db = self.env.cr.dbname
        uid = self.xmlrpc_common.authenticate(db, self.integration_user.login, key, {})
        if not uid:
            return False
        self.assertEqual(uid, self.integration_user.id)
        return self.xmlrpc_object.execute_kw(
            db, uid, key, "q2c.system", "search_read", [[]], {"fields": ["name"]}
        )

    def _metrics_status(self, key):
        response = self.url_open("/q2c/metrics", headers={"Authorization": f"Bearer {key}"})
        return response.status_code

    def test_issued_key_authenticates_as_the_integration_user(self):
        key = self._issue()
        systems = [{"id": self.system.id, "name": self.system.name}]
        self.assertEqual(self._rpc_systems(key), systems)
        # The bearer route knows the key's user: an integration user is authenticated (not
        # 401) and refused the metrics (403).
        self.assertEqual(self._metrics_status(key), 403)
        self.assertEqual(self._metrics_status("0" * 40), 401)
        self.assertEqual(self.system.with_user(self.manager).api_key_count, 1)
        self.assertIn("Generic test system", self.system.with_user(self.manager).api_key_summary)

    def test_rotated_key_works_until_its_expiry_then_not(self):
        old = self._issue(validity="0")
        new = self._issue(grace_hours=24)
        self.assertTrue(self._rpc_systems(old), "the old key works during the grace period")
        self.assertTrue(self._rpc_systems(new))
        keys = self.system._api_keys()
        old_record = keys.filtered(lambda k: k.id == min(keys.ids))
        self.assertGreater(old_record.expiration_date, fields.Datetime.now() + timedelta(hours=23))
        # The grace period is over.
        old_record.write({"expiration_date": fields.Datetime.now() - timedelta(days=1)})
        self.assertFalse(self._rpc_systems(old))
        self.assertEqual(self._metrics_status(old), 401)
        self.assertTrue(self._rpc_systems(new))

    def test_revoked_key_is_refused(self):
        key = self._issue()
        self.assertTrue(self._rpc_systems(key))
        self.system.with_user(self.manager).action_revoke_api_keys()
        self.assertFalse(self.system._api_keys())
        self.assertFalse(self._rpc_systems(key))
        self.assertEqual(self._metrics_status(key), 401)

    def test_only_a_manager_issues_and_only_for_an_integration_user(self):
        for user in (self.auditor, self.employee, self.integration_user):
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                self.system.with_user(user)._issue_api_key()
        admin_system = self._create_system(
            name="Admin-run system", user_id=self.env.ref("base.user_admin").id
        )
        with self.assertRaises(UserError):
            admin_system.with_user(self.manager)._issue_api_key()
        with self.assertRaises(UserError):
            admin_system.with_user(self.manager).action_revoke_api_keys()
        self.assertFalse(self.system._api_keys())

    def test_issue_key_as_manager_only_user(self):
        manager_only = new_test_user(
            self.env, login="q2c_mgr_only", groups="q2c_base.group_integration_manager"
        )
        self.assertFalse(manager_only.has_group("base.group_system"))
        key = self._issue(manager=manager_only)
        self.assertTrue(self._rpc_systems(key))
