import json
from pathlib import Path

from odoo.addons.q2c_base.exceptions import MappingError
from odoo.addons.q2c_hubspot import mapping
from odoo.tests import BaseCase, tagged

DATA = Path(__file__).parent / "data"
SETTINGS = {
    "won_stage": "closedwon",
    "billing_model_property": "q2c_billing_model",
    "start_date_property": "q2c_start_date",
    "default_billing_model": None,
}


def recorded(name):
    """A HubSpot API answer recorded in tests/data (docs/saas-specs.md 2.4, 2.5)."""
    return json.loads((DATA / name).read_text())


@tagged("post_install", "-at_install")
class TestHubSpotMapping(BaseCase):
    """mapping.py on recorded CRM v3 answers, without a database (BaseCase: no cursor)."""

    def _fetched(self, **changes):
        """What `_hubspot_fetch_deal` gives for the recorded won deal."""
        fetched = {
            "deal": recorded("deal_won.json"),
            "companies": recorded("companies_batch.json")["results"],
            "contacts": recorded("contacts_batch.json")["results"],
            "line_items": recorded("line_items_batch.json")["results"],
            "owner": recorded("owner.json"),
        }
        return {**fetched, **changes}

    def _map(self, settings=None, **changes):
        return mapping.map_deal(**self._fetched(**changes), **{**SETTINGS, **(settings or {})})

    def test_complete_won_deal(self):
        self.assertEqual(
            self._map(),
            {
                "id": "9876543210",
                "name": "Initech ERP rollout",
                "won": True,
                "amount": "120000.50",
                "currency": "EUR",
                "billing_model": "time_and_materials",
                "start_date": "2026-12-07",
                "owner": {"id": "77", "email": "ava.owner@initech-partner.example"},
                "account": {
                    "id": "1234567890",
                    "name": "Initech Systems",
                    "domain": "initech-systems.example",
                    "vat": "US-74-1234567",
                    "phone": "+1 512 555 0100",
                    "street": "4120 Freidrich Lane",
                    "city": "Austin",
                    "zip": "78744",
                },
                "contacts": [
                    {
                        "id": "501",
                        "name": "Bill Lumbergh",
                        "email": "bill@initech-systems.example",
                        "phone": "+1 512 555 0101",
                    },
                    # No first or last name: named by the e-mail address.
                    {
                        "id": "502",
                        "name": "accounts@initech-systems.example",
                        "email": "accounts@initech-systems.example",
                        "phone": None,
                    },
                ],
                "lines": [
                    {
                        "id": "4455667788",
                        "name": "Solution architecture",
                        "quantity": "80",
                        "price": "185.50",
                        "amount": "14840.00",
                        "sku": "HS-ARCH",
                        "product_id": "1234567",
                    },
                    {
                        "id": "4455667789",
                        "name": "Discovery workshop",
                        "quantity": "1",
                        "price": "20000.50",
                        "amount": "20000.50",
                        "sku": None,
                        "product_id": None,
                    },
                ],
            },
        )

    def test_missing_fields_are_left_empty_for_provisioning_to_name(self):
        deal = mapping.map_deal(recorded("deal_incomplete.json"), **SETTINGS)
        self.assertEqual(
            {key: deal[key] for key in ("amount", "currency", "billing_model", "owner")},
            {"amount": None, "currency": None, "billing_model": None, "owner": {}},
        )
        # No start date property: the close date; no company: an account without a name.
        self.assertEqual(deal["start_date"], "2026-12-15T00:00:00Z")
        self.assertEqual(set(deal["account"].values()), {None})
        self.assertEqual((deal["contacts"], deal["lines"]), ([], []))
        self.assertFalse(deal["won"])

    def test_system_defaults_fill_what_the_deal_lacks(self):
        deal = mapping.map_deal(
            recorded("deal_incomplete.json"), **{**SETTINGS, "default_billing_model": "retainer"}
        )
        self.assertEqual(deal["billing_model"], "retainer")
        # Properties the system does not name are not read: the close date, the default.
        deal = self._map({"billing_model_property": "", "start_date_property": None})
        self.assertEqual(deal["start_date"], "2026-11-30T00:00:00Z")
        self.assertIsNone(deal["billing_model"])
        self.assertEqual(
            mapping.deal_properties("q2c_billing_model", ""),
            [*mapping.DEAL_PROPERTIES, "q2c_billing_model"],
        )

    def test_line_items_with_and_without_sku_or_product(self):
        lines = recorded("line_items_batch.json")["results"]
        lines[0]["properties"].pop("hs_product_id")  # a product without library id
        lines[1]["properties"]["hs_product_id"] = "7654321"  # a library product, no SKU
        mapped = [mapping.map_line(line) for line in lines]
        self.assertEqual(
            [(line["sku"], line["product_id"]) for line in mapped],
            [("HS-ARCH", None), (None, "7654321")],
        )
        line = {"id": "1", "properties": {"name": "Travel", "quantity": None}}
        self.assertEqual(
            mapping.map_line(line),
            {
                "id": "1",
                "name": "Travel",
                "quantity": None,
                "price": None,
                "amount": None,
                "sku": None,
                "product_id": None,
            },
        )

    def test_owner(self):
        # Unknown to HubSpot (404) or already bound in Odoo (not read): the id alone.
        self.assertEqual(self._map(owner=None)["owner"], {"id": "77", "email": None})
        owner = {**recorded("owner.json"), "email": ""}
        self.assertEqual(mapping.map_owner(77, owner), {"id": "77", "email": None})
        deal = recorded("deal_won.json")
        del deal["properties"]["hubspot_owner_id"]
        self.assertEqual(self._map(deal=deal)["owner"], {})

    def test_amounts_stay_the_strings_hubspot_sends(self):
        deal = recorded("deal_won.json")
        deal["properties"]["amount"] = "1234567.89"
        self.assertEqual(self._map(deal=deal)["amount"], "1234567.89")
        deal["properties"]["amount"] = ""
        self.assertIsNone(self._map(deal=deal)["amount"])
        deal["properties"].pop("amount")
        self.assertIsNone(self._map(deal=deal)["amount"])

    def test_currencies(self):
        deal = recorded("deal_won.json")
        for code in ("USD", "EUR", "JPY", "chf"):
            with self.subTest(code):
                deal["properties"]["deal_currency_code"] = code
                self.assertEqual(self._map(deal=deal)["currency"], code)
        deal["properties"]["deal_currency_code"] = ""
        self.assertIsNone(self._map(deal=deal)["currency"])

    def test_won(self):
        props = recorded("deal_won.json")["properties"]
        self.assertTrue(mapping.is_won(props))
        self.assertTrue(mapping.is_won({**props, "hs_is_closed_won": "false"}, "closedwon"))
        # Another pipeline's won stage: HubSpot's closed-won flag still counts.
        self.assertTrue(mapping.is_won({**props, "dealstage": "412345678"}, "412345678"))
        self.assertTrue(mapping.is_won({"dealstage": "x", "hs_is_closed_won": "true"}, "y"))
        self.assertFalse(mapping.is_won(recorded("deal_incomplete.json")["properties"]))
        self.assertFalse(mapping.is_won({"dealstage": "closedwon"}, "412345678"))

    def test_which_webhook_events_are_read(self):
        creation, stage, description = recorded("webhook_batch.json")
        self.assertTrue(mapping.needs_reading(creation))
        self.assertTrue(mapping.needs_reading(stage))
        self.assertFalse(mapping.needs_reading(description))
        self.assertTrue(mapping.needs_reading({**description, "propertyName": "amount"}))

    def test_a_record_without_its_id_is_bad_data(self):
        lines = recorded("line_items_batch.json")["results"]
        del lines[1]["id"]
        with self.assertRaises(MappingError) as caught:
            self._map(line_items=lines)
        self.assertIn("line item without an id", caught.exception.reason)
        with self.assertRaises(MappingError):
            mapping.map_deal({"properties": {"dealname": "No id"}})

    def test_event_key_is_unique_per_event_and_the_same_per_attempt(self):
        """HubSpot: `eventId` "is not guaranteed to be unique"; `attemptNumber` grows with
        each retry. The key names the portal, subscription, object, property, occurrence and
        eventId, and leaves the attempt out."""
        creation, stage, description = recorded("webhook_batch.json")
        self.assertEqual(
            mapping.event_key(creation),
            f"62515-deal.creation-9876543210-{creation['occurredAt']}-{creation['eventId']}",
        )
        retry = {**stage, "attemptNumber": 3}
        self.assertEqual(mapping.event_key(retry), mapping.event_key(stage))
        same_id = {"eventId": stage["eventId"]}
        others = [
            {**stage, **same_id, "objectId": 1234},
            {**description, **same_id},
            {**creation, **same_id},
            {**stage, "portalId": 1},
            {**stage, "occurredAt": stage["occurredAt"] + 1},
        ]
        keys = {mapping.event_key(event) for event in [stage, *others]}
        self.assertEqual(len(keys), 1 + len(others))
        association = {
            "eventId": 5,
            "portalId": 62515,
            "subscriptionType": "deal.associationChange",
            "fromObjectId": 9876543210,
            "toObjectId": 501,
            "associationType": "DEAL_TO_CONTACT",
            "occurredAt": 1731400000000,
        }
        self.assertEqual(
            mapping.event_key(association),
            "62515-deal.associationChange-9876543210-501-DEAL_TO_CONTACT-1731400000000-5",
        )
        self.assertNotEqual(
            mapping.event_key(association), mapping.event_key({**association, "toObjectId": 502})
        )
