import json
import time
from contextlib import contextmanager
from urllib.parse import parse_qs, urlparse

from odoo.addons.q2c_base.tests.common import FakeApi, serve_locally
from odoo.addons.q2c_crm.tests.common import CrmConnectorCase
from odoo.addons.q2c_hubspot import hubspot
from odoo.tests import tagged

CLIENT_SECRET = "hs-client-secret-0123456789"
PORTAL = 62515


class FakeHubSpot(FakeApi):
    """A local HubSpot CRM v3/v4 API, answering from `data` in HubSpot's documented shapes
    (docs/saas-specs.md 2.5). `before` holds forced answers given first (e.g. a 429);
    association lists are served `page_size` ids a page (one by default, so every call
    follows the cursor); a batch read of more than 100 inputs is refused as HubSpot does."""

    data = {}
    before = []
    seen = []
    page_size = 1

    def _answer(self):  # noqa: PLR0911 - one return per route of the fake API
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length)) if length else None
        url = urlparse(self.path)
        type(self).seen.append(
            {"method": self.command, "path": url.path, "body": body, "headers": dict(self.headers)}
        )
        if type(self).before:
            status, headers, answer = type(self).before.pop(0)
            return self._send(status, answer, headers)
        parts = url.path.strip("/").split("/")
        query = parse_qs(url.query)
        if parts[:4] == ["crm", "v3", "objects", "deals"] and len(parts) == 5:
            deal = self.data["deals"].get(parts[4])
            if deal is None:
                return self._send(404, {"status": "error", "message": "Object not found"})
            if self.command == "PATCH":
                deal["properties"].update(body["properties"])
            return self._send(
                200, {"id": parts[4], "properties": deal["properties"], "archived": False}
            )
        if parts[:4] == ["crm", "v4", "objects", "deals"] and parts[5] == "associations":
            ids = self.data["deals"][parts[4]].get(parts[6], [])
            index, size = int(query.get("after", ["0"])[0]), self.page_size
            page = {
                "results": [
                    {"toObjectId": int(i), "associationTypes": []}
                    for i in ids[index : index + size]
                ]
            }
            if index + size < len(ids):
                page["paging"] = {"next": {"after": str(index + size)}}
            return self._send(200, page)
        if parts[:3] == ["crm", "v3", "owners"] and len(parts) == 4:
            owner = self.data.get("owners", {}).get(parts[3])
            if owner is None:
                return self._send(
                    404,
                    {
                        "status": "error",
                        "category": "OBJECT_NOT_FOUND",
                        "message": f"Owner {parts[3]} not found",
                    },
                )
            return self._send(
                200,
                {"id": parts[3], "type": "PERSON", "userId": 9586504, "archived": False, **owner},
            )
        if parts[-2:] == ["batch", "read"]:
            if len(body["inputs"]) > 100:
                return self._send(
                    400,
                    {
                        "status": "error",
                        "category": "VALIDATION_ERROR",
                        "message": "Batch size must be at most 100",
                    },
                )
            records = self.data[parts[3]]
            results = [
                {"id": row["id"], "properties": records[row["id"]]}
                for row in body["inputs"]
                if row["id"] in records
            ]
            return self._send(200, {"status": "COMPLETE", "results": results})
        if parts == ["crm", "v3", "objects", "deals"]:
            return self._send(200, {"results": []})
        return self._unrouted(url, body)

    def _unrouted(self, url, body):
        """A path none of the routes above serves: 404, as HubSpot answers. A subclass
        serving more of the API (another addon's tests) answers its routes here."""
        return self._send(404, {"status": "error", "message": "unknown path"})

    do_GET = do_POST = do_PATCH = _answer


@contextmanager
def fake_hubspot(data, before=(), page_size=1, api=FakeHubSpot):
    """A local `api` (FakeHubSpot or a subclass) serving `data`: (base URL, calls seen)."""
    attributes = {"data": data, "before": list(before), "seen": [], "page_size": page_size}
    handler = type("Fake", (api,), attributes)
    with serve_locally(handler) as base_url:
        yield base_url, handler.seen


def crm_data():
    """Two won deals with their companies, contacts and line items."""
    return {
        "deals": {
            "9001": {
                "properties": {
                    "dealname": "Initech ERP rollout",
                    "amount": "120000.50",
                    "dealstage": "closedwon",
                    "deal_currency_code": "USD",
                    "closedate": "2026-11-30T00:00:00Z",
                    "hubspot_owner_id": "77",
                    "q2c_billing_model": "time_and_materials",
                },
                "companies": ["501"],
                "contacts": ["601", "602"],
                "line_items": ["701", "702"],
            },
            "9002": {
                "properties": {
                    "dealname": "Vandelay fit-out",
                    "amount": "45000",
                    "dealstage": "closedwon",
                    "deal_currency_code": "USD",
                    "closedate": "2026-12-15",
                    "hubspot_owner_id": "77",
                    "q2c_billing_model": "fixed_fee",
                },
                "companies": ["502"],
                "contacts": [],
                "line_items": ["703", "704"],
            },
        },
        "owners": {
            "77": {
                "email": "ava.owner@initech-partner.example",
                "firstName": "Ava",
                "lastName": "Owner",
            },
        },
        "companies": {
            "501": {
                "name": "Initech Systems",
                "domain": "initech-systems.example",
                "city": "Austin",
            },
            "502": {"name": "Vandelay Industries", "domain": "vandelay-ind.example"},
        },
        "contacts": {
            "601": {
                "firstname": "Bill",
                "lastname": "Lumbergh",
                "email": "bill@initech-systems.example",
            },
            "602": {
                "firstname": "Milton",
                "lastname": "Waddams",
                "email": "milton@initech-systems.example",
            },
        },
        "line_items": {
            "701": {
                "name": "Discovery workshop",
                "quantity": "1",
                "price": "20000.50",
                "amount": "20000.50",
            },
            "702": {
                "name": "Implementation",
                "quantity": "4",
                "price": "25000",
                "amount": "100000",
            },
            "703": {"name": "Design", "quantity": "1", "price": "15000", "amount": "15000"},
            "704": {"name": "Build", "quantity": "1", "price": "30000", "amount": "30000"},
        },
    }


@tagged("post_install", "-at_install")
class HubSpotCase(CrmConnectorCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # The Odoo user of HubSpot owner 77 (matched by e-mail through the owners API).
        cls.deal_owner = cls._create_deal_owner("ava.owner@initech-partner.example", "Ava Owner")
        cls.hubspot = cls.crm_system = cls._create_system(
            name="HubSpot (test)",
            system_type="hubspot",
            webhook_secret=CLIENT_SECRET,
            api_token="pat-test-token",
            hubspot_portal_id=str(PORTAL),
            crm_won_stage="closedwon",
        )

    @staticmethod
    def _event(event_id, deal_id, prop="dealstage", value="closedwon"):
        return {
            "eventId": event_id,
            "subscriptionId": 2881778,
            "portalId": PORTAL,
            "appId": 54321,
            "occurredAt": 1731400500456,
            "subscriptionType": "deal.propertyChange",
            "attemptNumber": 0,
            "objectId": int(deal_id),
            "propertyName": prop,
            "propertyValue": value,
            "changeSource": "CRM_UI",
            "sourceId": "userId:1234567",
        }

    def _post_hubspot(
        self, events, secret=CLIENT_SECRET, timestamp=None, headers=None, signed_url=None
    ):
        """POST a batch signed with v3 over the public webhook URL (or `signed_url`, the
        address HubSpot was given), as HubSpot does."""
        body = json.dumps(events).encode()
        timestamp = str(timestamp if timestamp is not None else int(time.time() * 1000))
        url = signed_url or self.hubspot.webhook_url
        signature = hubspot.signature_v3(secret, "POST", url, body, timestamp)
        all_headers = {
            "Content-Type": "application/json",
            "X-HubSpot-Signature-v3": signature,
            "X-HubSpot-Request-Timestamp": timestamp,
            **(headers or {}),
        }
        return self.url_open(self._url(self.hubspot), data=body, headers=all_headers)

    def _contracts(self):
        return self.env["q2c.contract"].search(
            [
                (
                    "id",
                    "in",
                    self.env["q2c.external.ref"]
                    .search([("system_id", "=", self.hubspot.id), ("object_type", "=", "deal")])
                    .mapped("res_id"),
                )
            ]
        )
