from odoo.tests import tagged

from .common import ORG, SalesforceCase, message

OPP = "006000000000001AAA"


@tagged("post_install", "-at_install")
class TestSalesforceMalformedInput(SalesforceCase):
    """Malformed ids on Salesforce's Outbound Messaging route: 404 for the URL key, 401 for
    the organization id, 400 for notification ids the database cannot keep; never 500, no
    ERROR logged, nothing stored (issue 12, item 4)."""

    def test_malformed_keys_org_ids_and_notification_ids(self):
        long_id = "".join(f"{n:x}" for n in range(1400))  # 5,000 characters, incompressible
        key = self.salesforce.inbound_key
        cases = [
            ("NUL byte in the key", message([("04l000000000031AAA", OPP, "1")]), f"{key}%00", 404),
            ("very long key", message([("04l000000000032AAA", OPP, "1")]), "k" * 5000, 404),
            (
                "non-ASCII organization id",
                message([("04l000000000033AAA", OPP, "1")], org=f"{ORG[:15]}é"),
                None,
                401,
            ),
            (
                "organization id of 5,000 characters",
                message([("04l000000000034AAA", OPP, "1")], org=ORG + "A" * 5000),
                None,
                401,
            ),
            ("notification id of 5,000 characters", message([(long_id, OPP, "1")]), None, 400),
            (
                "line break in the notification id",
                message([("04l0000&#10;00000035AAA", OPP, "1")]),
                None,
                400,
            ),
            ("NUL character reference", message([("04l&#0;", OPP, "1")]), None, 400),
        ]
        for label, body, url_key, status in cases:
            with self.subTest(case=label):
                with self.assertNoLogs(level="ERROR"):
                    response = self._post_soap(body, key=url_key)
                self.assertEqual(response.status_code, status, response.text[:300])
                self.assertFalse(self._events(self.salesforce))
