from odoo.tests import TransactionCase, tagged

from .. import matching


@tagged("post_install", "-at_install")
class TestMatchingKeys(TransactionCase):
    """Every matching key normalised one way (q2c_base/matching.py), and the candidate
    search comparing the same keys (issue 11, item 9)."""

    def test_name_keys(self):
        same = [
            ("Société Générale", "SOCIETE generale"),
            ("Müller & Söhne GmbH", "Muller Sohne G.m.b.H."),
            ("Acme, Inc.", "ACME  incorporated"),
            ("Dupont S.à r.l.", "Dupont SARL"),
            ("Nordvik AS", "Nordvik A/S"),
            ("  José   Ramírez Ltd ", "jose ramirez limited"),
        ]
        for one, other in same:
            with self.subTest(one=one):
                self.assertEqual(matching.name_key(one), matching.name_key(other))
        self.assertEqual(matching.name_key("Société Générale S.A."), "societe generale")
        self.assertEqual(matching.name_key("Co Op Foods"), "co op foods", "legal forms at the end")
        self.assertEqual(matching.name_key("AB"), "ab", "a name of legal forms only stays")
        self.assertNotEqual(matching.name_key("Acme Labs"), matching.name_key("Acme"))
        self.assertEqual(matching.name_key(None), "")

    def test_email_domain_and_vat_keys(self):
        self.assertEqual(matching.email_domain("AP@Contoso.Example"), "contoso.example")
        for other in ("x@xn--mller-kva.de", "y@MULLER.DE", "z@müller.de"):
            with self.subTest(other):
                self.assertEqual(matching.email_domain(other), "muller.de")
        self.assertEqual(matching.email_domain("no address"), "")
        self.assertEqual(matching.vat_key("be 0477.472.701"), "BE0477472701")
        self.assertEqual(matching.vat_key("ÉS-B12345678"), "ESB12345678")

    def test_candidate_search_uses_the_same_keys(self):
        Partner = self.env["res.partner"]
        name = Partner.create({"name": "Société Générale de Test S.A.", "is_company": True})
        mail = Partner.create(
            {"name": "Other", "is_company": True, "email": "compta@Müller-Test.example"}
        )
        vat = Partner.create({"name": "Third", "is_company": True, "vat": "FR 12.345.678.901"})
        found = dict(
            Partner._q2c_duplicate_candidates(
                {
                    "name": "SOCIETE GENERALE DE TEST SA",
                    "email": "ventes@muller-test.example",
                    "vat": "fr12345678901",
                }
            )
        )
        self.assertEqual(found, {name: "same name", mail: "same e-mail domain", vat: "same VAT"})
        found = dict(Partner._q2c_duplicate_candidates({"email": "x@xn--mller-test-xxx.bad"}))
        self.assertEqual(found, {})
