from odoo.addons.q2c_base.exceptions import PermanentError
from odoo.tests import tagged

from .common import Q2cCase


@tagged("post_install", "-at_install")
class TestExternalReferences(Q2cCase):
    def setUp(self):
        super().setUp()
        self.refs = self.env["q2c.external.ref"].with_user(self.integration_user)
        self.partners = self.env["res.partner"].with_user(self.integration_user)

    def test_ensure_is_idempotent(self):
        created = []

        def create():
            created.append(1)
            return self.partners.create({"name": "Acme Builders", "is_company": True})

        first = self.refs._ensure(self.system, "Account", "001A", create)
        second = self.refs._ensure(self.system, "Account", "001A", create)
        self.assertEqual(first, second)
        self.assertEqual(len(created), 1)
        self.assertEqual(self.refs._find(self.system, "Account", "001A"), first)
        self.assertEqual(self.refs._find_external_id(self.system, "Account", first), "001A")
        self.assertIsNone(self.refs._find(self.system, "Account", "missing"))

    def test_unique_per_system(self):
        other = self._create_system(name="Second CRM")
        one = self.env["res.partner"].create({"name": "One", "is_company": True})
        two = self.env["res.partner"].create({"name": "Two", "is_company": True})
        self.refs._bind(self.system, "Account", "X1", one)
        self.refs._bind(self.system, "Account", "X1", one)  # the same binding again: no-op
        self.env["q2c.external.ref"]._bind(other, "Account", "X1", two)  # another system: fine
        with self.assertRaisesRegex(PermanentError, "already bound"):
            self.refs._bind(self.system, "Account", "X1", two)
        self.assertEqual(
            self.env["q2c.external.ref"].search_count([("external_id", "=", "X1")]), 2
        )

    def test_a_record_has_one_id_per_system_and_type(self):
        """A record bound to X1 cannot also be bound to X2 of the same type: refused at once
        (PermanentError naming both ids), not taken for a lost race and retried."""
        one = self.env["res.partner"].create({"name": "One", "is_company": True})
        self.refs._bind(self.system, "Account", "X1", one)
        with self.assertRaisesRegex(PermanentError, "already bound to Account X1.*X2"):
            self.refs._bind(self.system, "Account", "X2", one)
        self.refs._bind(self.system, "Contact", "C1", one)  # another type: fine

    def test_duplicate_candidates(self):
        Partner = self.env["res.partner"]
        vat = Partner.create(
            {"name": "Northwind Traders", "is_company": True, "vat": "BE0477472701"}
        )
        mail = Partner.create(
            {"name": "Contoso", "is_company": True, "email": "ap@contoso.example"}
        )
        name = Partner.create({"name": "Fabrikam, Inc.", "is_company": True})
        gmail = Partner.create({"name": "Solo", "is_company": True, "email": "solo@gmail.com"})
        found = dict(
            Partner._q2c_duplicate_candidates(
                {
                    "name": "Fabrikam LLC",
                    "vat": "be 0477.472.701",
                    "email": "sales@contoso.example",
                }
            )
        )
        self.assertEqual(found, {vat: "same VAT", mail: "same e-mail domain", name: "same name"})
        self.assertNotIn(gmail, dict(Partner._q2c_duplicate_candidates({"email": "x@gmail.com"})))

    def test_exception_for_a_person_with_an_activity(self):
        admin = self.env.ref("base.user_admin")
        exception = (
            self.env["q2c.exception"]
            .with_user(self.integration_user)
            ._raise(
                "Possible duplicate of Acme",
                kind="duplicate",
                system=self.system,
                details="same VAT as Acme (id 1)",
            )
        )
        self.assertEqual(exception.state, "open")
        self.assertEqual(exception.activity_ids.user_id, admin)
        exception.with_user(self.manager).action_resolve()
        self.assertEqual(exception.state, "resolved")
        self.assertFalse(exception.activity_ids)

    def test_field_ownership_refuses_and_records(self):
        model = self.env["ir.model"]._get("res.partner")
        field = self.env["ir.model.fields"]._get("res.partner", "vat")
        self.env["q2c.field.ownership"].create(
            {"model_id": model.id, "field_id": field.id, "owner": "odoo"}
        )
        event = (
            self.env["q2c.event"]
            .sudo()
            ._store_inbound(
                self.system, [{"external_id": "own-1", "event_type": "x", "payload": "{}"}], {}
            )[0][1]
        )
        allowed, refused = self.env["q2c.field.ownership"]._filter_write(
            self.system, "res.partner", {"name": "New name", "vat": "BE123"}, event=event
        )
        self.assertEqual(allowed, {"name": "New name"})
        self.assertEqual(refused, ["vat"])
        self.assertIn("Refused to write vat", event.message_ids[0].body)
