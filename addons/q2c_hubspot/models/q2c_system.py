import json
import logging
import time

from odoo import _, fields, models
from odoo.addons.q2c_base import outbound
from odoo.addons.q2c_base.exceptions import RequestRejected, VerificationFailed

from .. import hubspot, mapping

_logger = logging.getLogger(__name__)

DEFAULT_API = "https://api.hubapi.com"
BATCH_SIZE = 100


class Q2cSystem(models.Model):
    _inherit = "q2c.system"

    system_type = fields.Selection(
        selection_add=[("hubspot", "HubSpot")], ondelete={"hubspot": "set generic"}
    )
    hubspot_portal_id = fields.Char(
        "HubSpot Portal ID",
        help="The HubSpot account (hub) id. When set, events of another portal are refused.",
    )
    hubspot_allow_legacy_signatures = fields.Boolean(
        "Accept v1/v2 Signatures",
        help="Older apps sign without a timestamp (v1/v2): a captured request can be replayed "
        "(it is deduplicated by its event key, but not refused). Leave off for apps sending v3.",
    )
    hubspot_billing_model_property = fields.Char(
        "Billing Model Property",
        default="q2c_billing_model",
        help="Deal property holding the billing model (time_and_materials, fixed_fee, "
        "retainer or progress).",
    )
    hubspot_start_date_property = fields.Char(
        "Start Date Property",
        default="q2c_start_date",
        help="Deal property holding the contract start; the close date is used when empty.",
    )
    hubspot_write_back_property = fields.Char(
        "Contract Reference Property",
        default="q2c_contract_ref",
        help="Deal property receiving the Odoo contract reference (create it in HubSpot).",
    )

    def _compute_feature_support_fields(self):
        result = super()._compute_feature_support_fields()
        self.filtered(lambda s: s.system_type == "hubspot").update(
            {
                "supports_webhook": True,
                "supports_test_connection": True,
                "supports_provisioning": True,
            }
        )
        return result

    # --- inbound -------------------------------------------------------------------------

    def _hubspot_request_uri(self):
        """The URL HubSpot signed: the system's webhook URL, built from its stored public URL
        (neither web.base.url, which Odoo rewrites on an administrator's login from another
        host name, nor the Host header as received), with the query string as received.
        Raises VerificationFailed when the system has no webhook URL."""
        from odoo.http import request

        if not self.webhook_url:
            raise VerificationFailed("the system has no public URL")
        # Replaced, not raised: a query that is not UTF-8 cannot match HubSpot's signature (401).
        query = request.httprequest.query_string.decode(errors="replace") if request else ""
        return self.webhook_url + (f"?{query}" if query else "")

    def _verify_request(self, body, headers):
        """HubSpot signs v3 (timestamped HMAC of method, URI, body); v1/v2 only when allowed."""
        if self.system_type != "hubspot":
            return super()._verify_request(body, headers)
        from odoo.http import request

        method = request.httprequest.method if request else "POST"
        try:
            hubspot.verify(
                headers,
                body,
                self._webhook_secrets(),
                method,
                self._hubspot_request_uri(),
                int(time.time() * 1000),
                allow_legacy=self.hubspot_allow_legacy_signatures,
            )
        except hubspot.SignatureError as error:
            raise VerificationFailed(str(error)) from error

    def _parse_events(self, body, headers):
        """A JSON array of events; one q2c event per HubSpot event, keyed by
        `mapping.event_key` (HubSpot's eventId alone is not unique)."""
        if self.system_type != "hubspot":
            return super()._parse_events(body, headers)
        try:
            data = json.loads(body)
        # RecursionError: nesting deeper than Python's parser goes.
        except (ValueError, UnicodeDecodeError, RecursionError) as error:
            raise RequestRejected(_("The body is not valid JSON: %s", error)) from error
        if not isinstance(data, list):
            raise RequestRejected(_("HubSpot sends a JSON array of events."))
        events = []
        for item in data:
            if (
                not isinstance(item, dict)
                or not item.get("eventId")
                or not item.get("subscriptionType")
            ):
                raise RequestRejected(_("Each event needs an eventId and a subscriptionType."))
            portal = str(item.get("portalId") or "")
            if self.hubspot_portal_id and portal != self.hubspot_portal_id.strip():
                raise RequestRejected(_("Event %s comes from another portal.", item["eventId"]))
            events.append(
                {
                    "external_id": mapping.event_key(item),
                    "event_type": item["subscriptionType"],
                    "payload": json.dumps(item),
                }
            )
        return events

    # --- outbound ------------------------------------------------------------------------

    def _vendor_error_code(self, response):
        """HubSpot's error answers name a `category` (INVALID_AUTHENTICATION, RATE_LIMITS,
        OBJECT_NOT_FOUND, VALIDATION_ERROR, ...)."""
        if self.system_type != "hubspot":
            return super()._vendor_error_code(response)
        data = outbound.json_or_none(response)
        category = data.get("category") if isinstance(data, dict) else None
        return category if isinstance(category, str) else super()._vendor_error_code(response)

    # --- CRM v3 client -------------------------------------------------------------------

    def _hubspot_url(self, path):
        return path if self.base_url else f"{DEFAULT_API}{path}"

    def _hubspot_api(self, method, path, event=None, **kwargs):
        return self._call(method, self._hubspot_url(path), event=event, **kwargs).json()

    def _hubspot_read_deal(self, deal_id, event=None):
        properties = mapping.deal_properties(
            self.hubspot_billing_model_property, self.hubspot_start_date_property
        )
        return self._hubspot_api(
            "GET",
            f"/crm/v3/objects/deals/{deal_id}",
            event=event,
            params={"properties": ",".join(properties)},
        )

    def _hubspot_association_ids(self, deal_id, to_type, event=None):
        """All ids associated with a deal, following the v4 cursor pages."""
        ids, after = [], None
        while True:
            params = {"limit": 500, **({"after": after} if after else {})}
            page = self._hubspot_api(
                "GET",
                f"/crm/v4/objects/deals/{deal_id}/associations/{to_type}",
                event=event,
                params=params,
            )
            ids += [str(row["toObjectId"]) for row in page.get("results", [])]
            after = ((page.get("paging") or {}).get("next") or {}).get("after")
            if not after:
                return ids

    def _hubspot_batch_read(self, object_type, ids, properties, event=None):
        """Records by id, 100 per call, in the order asked."""
        found = {}
        for start in range(0, len(ids), BATCH_SIZE):
            chunk = ids[start : start + BATCH_SIZE]
            answer = self._hubspot_api(
                "POST",
                f"/crm/v3/objects/{object_type}/batch/read",
                event=event,
                json={"properties": properties, "inputs": [{"id": i} for i in chunk]},
            )
            found.update({str(row["id"]): row for row in answer.get("results", [])})
        return [found[i] for i in ids if i in found]

    def _hubspot_fetch_deal(self, deal_id, event=None):
        """The deal with its company, contacts, line items and owner, as HubSpot returns
        them: {"deal", "companies", "contacts", "line_items", "owner" (the owners API record
        or None)}, for `mapping.map_deal`. A deal not won, or already provisioned (only its
        amount matters then), is read alone, without the calls for what is associated with
        it."""
        deal = self._hubspot_read_deal(deal_id, event)
        fetched = {"deal": deal, "companies": [], "contacts": [], "line_items": [], "owner": None}
        provisioned = self.env["q2c.external.ref"]._find(self, "deal", str(deal["id"]))
        if provisioned or not mapping.is_won(deal.get("properties") or {}, self.crm_won_stage):
            return fetched
        related = {
            kind: self._hubspot_association_ids(deal_id, kind, event)
            for kind in ("companies", "contacts", "line_items")
        }
        return {
            **fetched,
            "companies": self._hubspot_batch_read(
                "companies", related["companies"][:1], mapping.COMPANY_PROPERTIES, event
            ),
            "contacts": self._hubspot_batch_read(
                "contacts", related["contacts"], mapping.CONTACT_PROPERTIES, event
            ),
            "line_items": self._hubspot_batch_read(
                "line_items", related["line_items"], mapping.LINE_PROPERTIES, event
            ),
            "owner": self._hubspot_owner(
                (deal.get("properties") or {}).get("hubspot_owner_id"), event
            ),
        }

    def _hubspot_owner(self, owner_id, event=None):
        """The owners API record of the deal owner (`GET /crm/v3/owners/{ownerId}`, scope
        crm.objects.owners.read), for its e-mail; None without an owner, for an owner
        already bound to an Odoo user (no call needed) and for an owner HubSpot does not know
        (404: deleted, or a deactivated user)."""
        if not owner_id:
            return None
        if self.env["q2c.external.ref"]._find(self, "owner", str(owner_id)):
            return None
        response = self._call(
            "GET",
            self._hubspot_url(f"/crm/v3/owners/{owner_id}"),
            event=event,
            params={"idProperty": "id"},
            raise_for_status=False,
        )
        if response.status_code == 404:
            return None
        if response.status_code >= 400:
            raise self._refused(response, _("HubSpot refused the owner %s", owner_id))
        return response.json()

    def _crm_write_back(self, deal, contract, event):
        """PATCH is idempotent: writing the same reference twice changes nothing."""
        if self.system_type != "hubspot":
            return super()._crm_write_back(deal, contract, event)
        if not (self.crm_write_back and self.hubspot_write_back_property):
            return
        self._hubspot_api(
            "PATCH",
            f"/crm/v3/objects/deals/{deal['id']}",
            event=event,
            idempotency_key=f"q2c-deal-{deal['id']}-contract-{contract.id}",
            json={"properties": {self.hubspot_write_back_property: contract.code}},
        )

    # --- test connection -----------------------------------------------------------------

    def _credentials_label(self):
        if self.system_type != "hubspot":
            return super()._credentials_label()
        return _("the Access Token (private app token) and its scopes")

    def _test_connection(self):
        """One deal read: checks the token and its CRM scope."""
        if self.system_type != "hubspot":
            return super()._test_connection()
        self._hubspot_api("GET", "/crm/v3/objects/deals", params={"limit": 1})
