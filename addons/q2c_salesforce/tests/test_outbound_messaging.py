from odoo.addons.q2c_salesforce import soap
from odoo.tests import tagged

from .common import SalesforceCase, fake_salesforce, message, opportunity

OPP_A, OPP_B, OPP_C = "006000000000001AAA", "006000000000002AAA", "006000000000003AAA"


@tagged("post_install", "-at_install")
class TestOutboundMessaging(SalesforceCase):
    def _records(self):
        incomplete = opportunity(
            OPP_C, "Soylent expansion", "001000000000003AAA", "Soylent Corp", None
        )
        return {
            OPP_A: opportunity(
                OPP_A,
                "Globex migration",
                "001000000000001AAA",
                "Globex Corporation",
                80000.0,
                ["Assessment", "Migration"],
            ),
            OPP_B: opportunity(
                OPP_B, "Umbrella audit", "001000000000002AAA", "Umbrella Holdings", 12500.5
            ),
            OPP_C: incomplete,
        }

    def test_three_notifications_one_incomplete(self):
        body = message(
            [
                ("04l000000000001AAA", OPP_A, "80000.0"),
                ("04l000000000002AAA", OPP_B, "12500.5"),
                ("04l000000000003AAA", OPP_C, ""),
            ]
        )
        response = self._post_soap(body)
        self.assertEqual(response.status_code, 200)
        self.assertTrue(response.headers["Content-Type"].startswith("text/xml"))
        self.assertEqual(response.text, soap.ack(True))
        self.assertIn("<Ack>true</Ack>", response.text)
        with fake_salesforce(self._records()) as (url, fake):
            self.salesforce.base_url = url
            events = self._process_all()
        self.assertEqual(len(events), 3)
        by_id = {e.external_id: e for e in events}
        self.assertEqual(
            by_id["04l000000000001AAA"].state, "done", by_id["04l000000000001AAA"].error
        )
        self.assertEqual(by_id["04l000000000002AAA"].state, "done")
        failed = by_id["04l000000000003AAA"]
        self.assertEqual(failed.state, "dead")
        self.assertIn("Soylent expansion cannot be provisioned: missing amount", failed.error)
        exception = self.env["q2c.exception"].search([("event_id", "=", failed.id)])
        self.assertEqual(exception.kind, "missing_data")
        contracts = self.env["q2c.contract"].search(
            [
                (
                    "partner_id.name",
                    "in",
                    ["Globex Corporation", "Umbrella Holdings", "Soylent Corp"],
                )
            ]
        )
        self.assertEqual(sorted(contracts.mapped("name")), ["Globex migration", "Umbrella audit"])
        globex = contracts.filtered(lambda c: c.name == "Globex migration")
        self.assertEqual(
            sorted(globex.project_ids.task_ids.mapped("name")), ["Assessment", "Migration"]
        )
        self.assertEqual(globex.partner_id.country_id.code, "US")
        # One token for the whole run; every REST call carried it and is in the outbound log.
        self.assertEqual(fake.tokens, ["token-1"])
        log = self.env["q2c.outbound.log"].search([("system_id", "=", self.salesforce.id)])
        self.assertEqual(set(log.mapped("status_code")), {200})
        # Token + two queries; the dead event's query line is kept by its own transaction in
        # production, but in test mode that cursor is nested in the rolled-back savepoint.
        self.assertEqual(len(log), len(fake.seen) - 1)
        self.assertEqual(
            set(log.event_id.ids),
            set((by_id["04l000000000001AAA"] | by_id["04l000000000002AAA"]).ids),
        )
        # Salesforce sends the message again: acknowledged, nothing stored twice.
        again = self._post_soap(body)
        self.assertEqual(again.text, soap.ack(True))
        self.assertEqual(len(self._events(self.salesforce)), 3)

    def test_expired_token_is_refreshed(self):
        with fake_salesforce(self._records()) as (url, fake):
            self.salesforce.base_url = url
            self._post_soap(message([("04l000000000011AAA", OPP_B, "12500.5")]))
            fake.tokens.append("rotated-by-salesforce")  # the cached token no longer works
            self._post_soap(message([("04l000000000012AAA", OPP_A, "80000.0")]))
            events = self._process_all()
        self.assertEqual(events.mapped("state"), ["done", "done"], events.mapped("error"))
        self.assertGreaterEqual(len(fake.tokens), 2)

    def test_write_back_and_usage_ceiling(self):
        self.salesforce.write({"crm_write_back": True, "salesforce_usage_ceiling": 100})
        records = self._records()
        with fake_salesforce(records) as (url, fake):
            self.salesforce.base_url = url
            fake.usage = "api-usage=14000/15000"
            self._post_soap(message([("04l000000000031AAA", OPP_B, "12500.5")]))
            event = self._process_all()
            self.assertEqual(event.state, "done", event.error)
            contract = self.env["q2c.external.ref"]._find(self.salesforce, "deal", OPP_B)
            self.assertEqual(records[OPP_B]["Q2C_Contract_Ref__c"], contract.code)
            self.assertEqual([r["method"] for r in fake.seen], ["POST", "GET", "PATCH"])
            # The org is near its daily allowance: the next event waits instead of calling.
            self.salesforce.salesforce_usage_ceiling = 90
            calls = len(fake.seen)
            self._post_soap(message([("04l000000000032AAA", OPP_A, "80000.0")]))
            waiting = self._process_all()
            self.assertEqual(len(fake.seen), calls)
        self.assertEqual(waiting.state, "failed")
        self.assertIn("API usage", waiting.error)

    def test_refused_bodies(self):
        entity = (
            b'<?xml version="1.0"?><!DOCTYPE e [<!ENTITY x "boom">]>'
            b'<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/">'
            b"<soapenv:Body>&x;</soapenv:Body></soapenv:Envelope>"
        )
        cases = [
            ("entity declaration", entity, None, 400),
            (
                "other organization",
                message([("04l000000000021AAA", OPP_A, "1")], org="00D000000000000AAA"),
                None,
                401,
            ),
            ("wrong key", message([("04l000000000022AAA", OPP_A, "1")]), "nope", 404),
        ]
        for name, body, key, status in cases:
            with self.subTest(name):
                self.assertEqual(self._post_soap(body, key=key).status_code, status)
        self.assertFalse(self._events(self.salesforce))
        self.salesforce.salesforce_org_id = False
        response = self._post_soap(message([("04l000000000023AAA", OPP_A, "1")]))
        self.assertEqual(response.status_code, 401)
        self.assertFalse(self._events(self.salesforce))

    def test_test_connection(self):
        with fake_salesforce({}) as (url, fake):
            self.salesforce.base_url = url
            action = self.salesforce.with_user(self.manager).action_test_connection()
        self.assertEqual(action["params"]["type"], "success")
        self.assertEqual(
            [r["path"] for r in fake.seen],
            ["/services/oauth2/token", "/services/data/v62.0/limits"],
        )

    def test_query_follows_next_records_url(self):
        with fake_salesforce({}) as (url, fake):
            self.salesforce.base_url = url
            records = self.salesforce._salesforce_query("SELECT Id FROM Opportunity WHERE IsWon")
        self.assertEqual([r["Id"] for r in records], ["A", "B"])
        self.assertEqual(
            [r["path"] for r in fake.seen[1:]],
            ["/services/data/v62.0/query", "/services/data/v62.0/query/01gPAGE-2000"],
        )

    def test_notification_id_is_the_event_key(self):
        """Salesforce: "a message may be delivered more than once, your listener client
        should check notification ids" (docs/saas-specs.md 3.1); a notification id is a
        record id of the one organization this system accepts, so two notifications of the
        same object (two changes of opportunity A) are two events, a notification sent
        again, in the same message or a later one, is one. Content types by media type:
        Salesforce's `text/xml; charset=utf-8`, in any letter case."""
        body = message(
            [
                ("04l000000000011AAA", OPP_A, "80000.0"),
                ("04l000000000012AAA", OPP_A, "81000.0"),
                ("04l000000000011AAA", OPP_A, "80000.0"),
            ]
        )
        response = self.url_open(
            self._url(self.salesforce),
            data=body,
            headers={"Content-Type": "Text/XML; Charset=UTF-8", "SOAPAction": '""'},
        )
        self.assertEqual(response.status_code, 200, response.text)
        self.assertEqual(response.text, soap.ack(True))
        self.assertEqual(self._post_soap(body).status_code, 200)
        self.assertEqual(
            sorted(self._events(self.salesforce).mapped("external_id")),
            ["04l000000000011AAA", "04l000000000012AAA"],
        )
        refused = self.url_open(
            self._url(self.salesforce), data=body, headers={"Content-Type": "text/plain"}
        )
        self.assertEqual(refused.status_code, 415)
        self.assertEqual(refused.json()["error"], "unsupported_media_type")
