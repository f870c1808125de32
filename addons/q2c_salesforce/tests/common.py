import json
from contextlib import contextmanager
from urllib.parse import parse_qs, urlparse

from odoo.addons.q2c_base.tests.common import FakeApi, serve_locally
from odoo.addons.q2c_crm.tests.common import CrmConnectorCase
from odoo.addons.q2c_salesforce.models.q2c_system import _TOKENS, _USAGE
from odoo.tests import tagged

ORG = "00D5g000004AbCdEAK"
OWNER_EMAIL = "dana.owner@globex-partner.example"


def message(notifications, org=ORG):
    """An Outbound Messaging request as Salesforce sends it (docs/saas-specs.md 3.1).
    `notifications`: (notification id, opportunity id, amount)."""
    items = "".join(
        f"""<Notification><Id>{nid}</Id>
    <sObject xsi:type="sf:Opportunity" xmlns:sf="urn:sobject.enterprise.soap.sforce.com">
     <sf:Id>{oid}</sf:Id><sf:Amount>{amount}</sf:Amount>
     <sf:StageName>Closed Won</sf:StageName></sObject></Notification>"""
        for nid, oid, amount in notifications
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"
    xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
 <soapenv:Body>
  <notifications xmlns="http://soap.sforce.com/2005/09/outbound">
   <OrganizationId>{org}</OrganizationId>
   <ActionId>04k5g000000Xyz1AAC</ActionId>
   <SessionId xsi:nil="true"/>
   <EnterpriseUrl>https://acme.my.salesforce.com/services/Soap/c/62.0/00D5g000004AbCd</EnterpriseUrl>
   <PartnerUrl>https://acme.my.salesforce.com/services/Soap/u/62.0/00D5g000004AbCd</PartnerUrl>
   {items}
  </notifications>
 </soapenv:Body>
</soapenv:Envelope>""".encode()


def opportunity(opp_id, name, account_id, account_name, amount, lines=()):
    return {
        "attributes": {"type": "Opportunity"},
        "Id": opp_id,
        "Name": name,
        "StageName": "Closed Won",
        "IsWon": True,
        "Amount": amount,
        "CloseDate": "2026-12-01",
        "CurrencyIsoCode": "USD",
        "OwnerId": "005000000000001AAA",
        "Owner": {"Email": OWNER_EMAIL},
        "Q2C_Billing_Model__c": "time_and_materials",
        "Q2C_Start_Date__c": None,
        "Account": {"Id": account_id, "Name": account_name, "BillingCountryCode": "US"},
        "OpportunityLineItems": {
            "totalSize": len(lines),
            "done": True,
            "records": [
                {
                    "Id": f"00k{opp_id[3:]}{i}",
                    "Name": line,
                    "Quantity": 1.0,
                    "UnitPrice": 10.0,
                    "TotalPrice": 10.0,
                    "Product2Id": f"01t{opp_id[3:]}{i}",
                    "Product2": {"ProductCode": f"P{i}"},
                }
                for i, line in enumerate(lines)
            ],
        },
        "OpportunityContactRoles": {
            "totalSize": 1,
            "done": True,
            "records": [
                {
                    "ContactId": f"003{opp_id[3:]}",
                    "Contact": {"Name": f"Buyer of {account_name}", "Email": "buyer@example.com"},
                }
            ],
        },
    }


class FakeSalesforce(FakeApi):
    """OAuth token endpoint and the REST query resource, in Salesforce's documented shapes
    (docs/saas-specs.md 3.5). `before` holds forced answers given first."""

    records = {}
    before = []
    seen = []
    tokens = []
    usage = "api-usage=18/15000"

    def _headers(self):
        return {**super()._headers(), "Sforce-Limit-Info": type(self).usage}

    def _answer(self):  # noqa: PLR0911 - one return per route of the fake API
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length).decode() if length else ""
        url = urlparse(self.path)
        cls = type(self)
        cls.seen.append(
            {
                "method": self.command,
                "path": url.path,
                "body": raw,
                "query": parse_qs(url.query),
                "headers": dict(self.headers),
            }
        )
        if url.path == "/services/oauth2/token":
            form = parse_qs(raw)
            if form.get("client_secret") != ["sf-consumer-secret"]:
                return self._send(400, {"error": "invalid_client"})
            token = f"token-{len(cls.tokens) + 1}"
            cls.tokens.append(token)
            host = f"http://{self.headers['Host']}"
            return self._send(
                200, {"access_token": token, "instance_url": host, "token_type": "Bearer"}
            )
        if cls.before:
            status, headers, answer = cls.before.pop(0)
            return self._send(status, answer, headers)
        if self.headers.get("Authorization") != f"Bearer {cls.tokens[-1] if cls.tokens else ''}":
            return self._send(
                401, [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}]
            )
        if url.path.endswith("/query/01gPAGE-2000"):
            return self._send(200, {"totalSize": 2, "done": True, "records": [{"Id": "B"}]})
        if url.path.endswith("/query") and "WHERE IsWon" in parse_qs(url.query)["q"][0]:
            page = {
                "totalSize": 2,
                "done": False,
                "records": [{"Id": "A"}],
                "nextRecordsUrl": "/services/data/v62.0/query/01gPAGE-2000",
            }
            return self._send(200, page)
        if url.path.endswith("/query"):
            soql = parse_qs(url.query)["q"][0]
            opp_id = soql.rpartition("WHERE Id='")[2].rstrip("'")
            found = [cls.records[opp_id]] if opp_id in cls.records else []
            return self._send(200, {"totalSize": len(found), "done": True, "records": found})
        if "/sobjects/Opportunity/" in url.path and self.command == "PATCH":
            opp_id = url.path.rpartition("/")[2]
            cls.records[opp_id].update(json.loads(raw))
            return self._send_no_content()
        if url.path.endswith("/limits"):
            return self._send(200, {"DailyApiRequests": {"Max": 15000, "Remaining": 14982}})
        return self._unrouted(url, raw)

    def _unrouted(self, url, raw):
        """A path none of the routes above serves (the session is valid): 404, as Salesforce
        answers. A subclass serving more of the API (another addon's tests) answers its
        routes here."""
        return self._send(404, [{"errorCode": "NOT_FOUND", "message": "unknown"}])

    def _send_no_content(self):
        """Salesforce's answer to a successful PATCH: 204 without a body."""
        self.send_response(204)
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_GET = do_POST = do_PATCH = _answer


@contextmanager
def fake_salesforce(records, before=(), api=FakeSalesforce):
    """A local `api` (FakeSalesforce or a subclass) serving `records`: (base URL, handler)."""
    attributes = {"records": records, "before": list(before), "seen": [], "tokens": []}
    handler = type("Fake", (api,), attributes)
    with serve_locally(handler) as base_url:
        yield base_url, handler


@tagged("post_install", "-at_install")
class SalesforceCase(CrmConnectorCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # The Odoo user of the opportunities' owner (matched by Owner.Email).
        cls.deal_owner = cls._create_deal_owner(OWNER_EMAIL, "Dana Owner")
        cls.salesforce = cls.crm_system = cls._create_system(
            name="Salesforce (test)",
            system_type="salesforce",
            webhook_secret=False,
            salesforce_org_id=ORG,
            api_username="sf-consumer-key",
            api_password="sf-consumer-secret",
            crm_won_stage="Closed Won",
        )

    def setUp(self):
        super().setUp()
        # Usage and tokens are kept in memory per system: each test starts afresh.
        key = (self.env.cr.dbname, self.salesforce.id)
        _USAGE.pop(key, None)
        for token_key in [k for k in _TOKENS if k[:2] == key]:
            _TOKENS.pop(token_key, None)

    def _post_soap(self, body, key=None):
        return self.url_open(
            self._url(self.salesforce, key=key),
            data=body,
            headers={"Content-Type": "text/xml; charset=utf-8", "SOAPAction": '""'},
        )
