import json
from pathlib import Path

from odoo.addons.q2c_base.exceptions import MappingError
from odoo.addons.q2c_salesforce import mapping, soap
from odoo.tests import BaseCase, tagged

DATA = Path(__file__).parent / "data"
SETTINGS = {
    "won_stage": "Closed Won",
    "billing_model_field": "Q2C_Billing_Model__c",
    "start_date_field": "Q2C_Start_Date__c",
    "default_billing_model": None,
}


def recorded(name):
    """The opportunity of a REST query answer recorded in tests/data (docs/saas-specs.md
    3.5)."""
    return json.loads((DATA / name).read_text())["records"][0]


def mapped(opportunity, **settings):
    return mapping.map_opportunity(opportunity, **{**SETTINGS, **settings})


@tagged("post_install", "-at_install")
class TestSalesforceMapping(BaseCase):
    """mapping.py on recorded REST answers, without a database (BaseCase: no cursor)."""

    def test_complete_won_opportunity(self):
        self.assertEqual(
            mapped(recorded("opportunity_won.json")),
            {
                "id": "0065g00000QwErTAAZ",
                "name": "Acme - 500 Widgets",
                "won": True,
                "amount": "50000.0",
                "currency": "USD",
                "billing_model": "fixed_fee",
                "start_date": "2026-12-07",
                "owner": {
                    "id": "0055g00000Ab1CdAAJ",
                    "email": "dana.owner@globex-partner.example",
                },
                "account": {
                    "id": "0015g00000AsDfGAA1",
                    "name": "Acme Corporation",
                    "phone": "(415) 555-0199",
                    "website": "www.acme-corp.example",
                    "street": "1 Market Street\nSuite 300",
                    "city": "San Francisco",
                    "zip": "94105",
                    "country_code": "US",
                },
                "contacts": [
                    {
                        "id": "0035g00000CoNtAAAR",
                        "name": "Wile E. Coyote",
                        "email": "wile@acme-corp.example",
                        "phone": "(415) 555-0142",
                    }
                ],
                "lines": [
                    {
                        "id": "00k5g00000XyZ01AAB",
                        "name": "Acme - 500 Widgets Implementation",
                        "quantity": 20.0,
                        "price": 1250.0,
                        "amount": 25000.0,
                        "sku": "IMPL-DAY",
                        "product_id": "01t5g00000Pr0dAAAB",
                    },
                    {
                        "id": "00k5g00000XyZ02AAB",
                        "name": "Acme - 500 Widgets Licences",
                        "quantity": 500.0,
                        "price": 50.0,
                        "amount": 25000.0,
                        "sku": None,
                        "product_id": "01t5g00000Pr0eAAAB",
                    },
                ],
            },
        )

    def test_missing_fields_are_left_empty_for_provisioning_to_name(self):
        deal = mapped(recorded("opportunity_incomplete.json"))
        self.assertEqual(
            {key: deal[key] for key in ("amount", "currency", "billing_model", "won")},
            {"amount": None, "currency": None, "billing_model": None, "won": False},
        )
        # No start date field: the close date; no account: an account without a name.
        self.assertEqual(deal["start_date"], "2026-12-20")
        self.assertEqual(set(deal["account"].values()), {None})
        # Null child relationships (no lines, no contact roles) are empty lists.
        self.assertEqual((deal["contacts"], deal["lines"]), ([], []))

    def test_system_defaults_fill_what_the_opportunity_lacks(self):
        deal = mapped(recorded("opportunity_incomplete.json"), default_billing_model="progress")
        self.assertEqual(deal["billing_model"], "progress")
        # Fields the system does not name are not read: the close date, the default.
        deal = mapped(
            recorded("opportunity_won.json"), billing_model_field="", start_date_field=""
        )
        self.assertEqual((deal["billing_model"], deal["start_date"]), (None, "2026-11-30"))

    def test_lines_with_and_without_product(self):
        opportunity = recorded("opportunity_won.json")
        line = opportunity["OpportunityLineItems"]["records"][1]
        # A line without a product (Product2 relationship null).
        line.update({"Product2Id": None, "Product2": None})
        self.assertEqual(
            [(line["sku"], line["product_id"]) for line in mapped(opportunity)["lines"]],
            [("IMPL-DAY", "01t5g00000Pr0dAAAB"), (None, None)],
        )

    def test_owner(self):
        opportunity = recorded("opportunity_incomplete.json")
        # An owner whose User the run-as user cannot read: the id alone.
        self.assertEqual(mapped(opportunity)["owner"], {"id": "0055g00000Ab1CeAAJ", "email": None})
        opportunity["OwnerId"] = None
        self.assertEqual(mapped(opportunity)["owner"], {})

    def test_amounts_become_strings(self):
        opportunity = recorded("opportunity_won.json")
        for amount, text in ((12500.5, "12500.5"), (0.0, "0.0"), (1234567.89, "1234567.89")):
            with self.subTest(amount):
                opportunity["Amount"] = amount
                self.assertEqual(mapped(opportunity)["amount"], text)

    def test_currencies(self):
        opportunity = recorded("opportunity_won.json")
        opportunity["CurrencyIsoCode"] = "EUR"
        self.assertEqual(mapped(opportunity)["currency"], "EUR")
        # A single-currency org has no CurrencyIsoCode, and none is asked for.
        del opportunity["CurrencyIsoCode"]
        self.assertIsNone(mapped(opportunity)["currency"])
        self.assertEqual(mapping.opportunity_fields("A__c", None, multi_currency=False), ["A__c"])
        self.assertEqual(
            mapping.opportunity_fields("A__c", "B__c"), ["A__c", "B__c", "CurrencyIsoCode"]
        )

    def test_won(self):
        opportunity = recorded("opportunity_won.json")
        self.assertTrue(mapping.is_won(opportunity))
        # A stage named won without the IsWon flag (a custom won stage), and the reverse.
        self.assertTrue(mapping.is_won({"IsWon": False, "StageName": "Signed"}, "Signed"))
        self.assertTrue(mapping.is_won({"IsWon": True, "StageName": "Signed"}))
        self.assertFalse(mapping.is_won(recorded("opportunity_incomplete.json")))

    def test_query_and_ids(self):
        soql = mapping.opportunity_soql("0065g00000QwErTAAZ", ["Q2C_Billing_Model__c"])
        self.assertTrue(soql.startswith("SELECT Id,Name,StageName,IsWon,Amount,CloseDate,"))
        expected = ["Owner.Email", "Account.BillingCountryCode", "Q2C_Billing_Model__c,(SELECT"]
        expected += ["Product2.ProductCode", "FROM OpportunityContactRoles"]
        for field in expected:
            self.assertIn(field, soql)
        self.assertTrue(soql.endswith("FROM Opportunity WHERE Id='0065g00000QwErTAAZ'"))
        for bad in ("006' OR Name!='", "0065g00000QwErT AAZ", "", None, "0065g00000QwErTÄAZ"):
            with self.subTest(bad):
                self.assertFalse(mapping.is_salesforce_id(bad))
                with self.assertRaises(ValueError):
                    mapping.opportunity_soql(bad)

    def test_opportunity_id_of_an_outbound_message(self):
        message = soap.parse((DATA / "outbound_message.xml").read_bytes())
        first, second = message["notifications"]
        self.assertEqual(mapping.notification_opportunity_id(first), "0065g00000QwErTAAZ")
        self.assertIsNone(mapping.notification_opportunity_id(second))

    def test_a_line_without_its_id_is_bad_data(self):
        opportunity = recorded("opportunity_won.json")
        del opportunity["OpportunityLineItems"]["records"][0]["Id"]
        with self.assertRaises(MappingError) as caught:
            mapped(opportunity)
        self.assertIn("OpportunityLineItem without an Id", caught.exception.reason)
