from odoo.addons.q2c_salesforce import soap
from odoo.tests import BaseCase, tagged

from .common import ORG, message


@tagged("post_install", "-at_install")
class TestSoap(BaseCase):
    def test_parse_sample(self):
        parsed = soap.parse(message([("04l000000000001AAA", "006000000000001AAA", "50000.0")]))
        self.assertEqual(parsed["organization_id"], ORG)
        (notification,) = parsed["notifications"]
        self.assertEqual(notification["id"], "04l000000000001AAA")
        self.assertEqual(notification["object"], "Opportunity")
        self.assertEqual(notification["fields"]["Amount"], "50000.0")

    def test_hostile_or_malformed_bodies(self):
        cases = {
            "entity": b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>',
            "external entity": b'<!DOCTYPE x [<!ENTITY a SYSTEM "file:///etc/passwd">]><x/>',
            "not xml": b"{}",
            "no notifications": b'<e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/'
            b'envelope/"><e:Body/></e:Envelope>',
            "too large": message([("04l000000000001AAA", "006000000000001AAA", "1")]) + b" " * 50,
        }
        for name, body in cases.items():
            with self.subTest(name), self.assertRaises(soap.MessageError):
                soap.parse(body, max_bytes=len(body) - 1 if name == "too large" else 10**6)

    def test_org_ids(self):
        self.assertTrue(soap.same_org(ORG, ORG))
        self.assertTrue(soap.same_org(ORG[:15], ORG))
        self.assertFalse(soap.same_org("00D5g000004XXXXEAK", ORG))
        self.assertFalse(soap.same_org("", ORG))
