"""HubSpot CRM v3 objects -> q2c_crm's neutral deal (docs/connectors/hubspot.md, field
mapping). Pure functions, no Odoo: they read the objects as the API returns them
(docs/saas-specs.md 2.5; every property value is a string or null) and leave judging the
deal to q2c_crm (`q2c.crm.provisioning._apply_deal` documents the neutral deal and names
every field a contract lacks). A record without its id is bad data (MappingError).
"""

from odoo.addons.q2c_base.exceptions import MappingError

DEFAULT_WON_STAGE = "closedwon"
# Properties read; the system's billing-model and start-date properties are added.
DEAL_PROPERTIES = [
    "dealname",
    "amount",
    "dealstage",
    "pipeline",
    "closedate",
    "deal_currency_code",
    "hubspot_owner_id",
    "hs_is_closed_won",
    "hs_lastmodifieddate",
]
COMPANY_PROPERTIES = ["name", "domain", "address", "city", "zip", "country", "phone", "vat"]
CONTACT_PROPERTIES = ["email", "firstname", "lastname", "phone", "company"]
LINE_PROPERTIES = ["name", "quantity", "price", "amount", "hs_product_id", "hs_sku"]
# Property changes that can change what was provisioned; others are acknowledged unread.
RELEVANT_PROPERTIES = {"dealstage", "amount", "deal_currency_code", "hs_is_closed_won"}


# The fields of a webhook event that name what happened, in the order of its key. HubSpot
# documents `eventId` as "not guaranteed to be unique", so it is only one part; the others
# are the same in every attempt of one event (`attemptNumber` is not, and is left out):
# the object (or the two objects of an association change, or the merged ones), the
# property changed and when.
EVENT_KEY_FIELDS = (
    "subscriptionType",
    "objectId",
    "fromObjectId",
    "toObjectId",
    "associationType",
    "primaryObjectId",
    "propertyName",
    "occurredAt",
    "eventId",
)


def event_key(webhook_event):
    """The q2c external id of one webhook event (one item of HubSpot's batch): unique per
    event by HubSpot's documentation, the same for every attempt of it.

    E.g. `62515-deal.propertyChange-9876543210-dealstage-1731400500456-100`: portal,
    subscription type, object, property, occurredAt (ms), eventId; fields an event type
    does not carry are left out.
    """
    parts = [webhook_event.get("portalId")]
    parts += [webhook_event.get(name) for name in EVENT_KEY_FIELDS]
    return "-".join(str(part) for part in parts if part not in (None, ""))


def deal_properties(billing_model_property=None, start_date_property=None):
    """The deal properties to read, with the system's own (empty ones left out)."""
    extra = [name for name in (billing_model_property, start_date_property) if name]
    return [*DEAL_PROPERTIES, *extra]


def needs_reading(webhook_event):
    """Whether a webhook event (one item of HubSpot's batch) may change what was
    provisioned: a creation, or a change of a property that matters."""
    return (
        webhook_event.get("subscriptionType") != "deal.propertyChange"
        or webhook_event.get("propertyName") in RELEVANT_PROPERTIES
    )


def is_won(properties, won_stage=None):
    """The deal is in the won stage, or HubSpot flags it closed won."""
    stage = won_stage or DEFAULT_WON_STAGE
    return properties.get("dealstage") == stage or properties.get("hs_is_closed_won") == "true"


def map_deal(
    deal,
    companies=(),
    contacts=(),
    line_items=(),
    owner=None,
    *,
    won_stage=None,
    billing_model_property=None,
    start_date_property=None,
    default_billing_model=None,
):
    """The neutral deal of a HubSpot deal (`GET /crm/v3/objects/deals/{id}`) and what is
    associated with it.

    `companies`, `contacts`, `line_items`: the associated records as batch reads return
    them (the first company is the customer; none for a deal read alone); `owner`: the
    owners API record of `hubspot_owner_id`, or None when it was not read. The keyword
    arguments are the connected system's settings.
    """
    props = _properties(deal, "deal")
    return {
        "id": _id(deal, "deal"),
        "name": props.get("dealname"),
        "won": is_won(props, won_stage),
        "amount": props.get("amount") or None,
        "currency": props.get("deal_currency_code") or None,
        "billing_model": props.get(billing_model_property or "") or default_billing_model,
        "start_date": props.get(start_date_property or "") or props.get("closedate"),
        "owner": map_owner(props.get("hubspot_owner_id"), owner),
        "account": map_account(companies[0] if companies else None),
        "contacts": [map_contact(contact) for contact in contacts],
        "lines": [map_line(line) for line in line_items],
    }


def map_account(company):
    """The customer of the deal from its first associated company (None: no company)."""
    props = _properties(company, "company") if company else {}
    return {
        "id": _id(company, "company") if company else None,
        "name": props.get("name"),
        "domain": props.get("domain"),
        "vat": props.get("vat"),
        "phone": props.get("phone"),
        "street": props.get("address"),
        "city": props.get("city"),
        "zip": props.get("zip"),
    }


def map_contact(contact):
    props = _properties(contact, "contact")
    name = " ".join(filter(None, [props.get("firstname"), props.get("lastname")]))
    return {
        "id": _id(contact, "contact"),
        "name": name or props.get("email"),
        "email": props.get("email"),
        "phone": props.get("phone"),
    }


def map_line(line):
    props = _properties(line, "line item")
    return {
        "id": _id(line, "line item"),
        "name": props.get("name"),
        "quantity": props.get("quantity"),
        "price": props.get("price"),
        "amount": props.get("amount"),
        "sku": props.get("hs_sku"),
        "product_id": props.get("hs_product_id"),
    }


def map_owner(owner_id, owner=None):
    """The deal owner as q2c_crm matches it: {"id", "email"}; {} for a deal without owner.

    `owner`: the owners API record (`GET /crm/v3/owners/{ownerId}`), or None when it was
    not read (the owner is already bound to an Odoo user) or HubSpot does not know it."""
    if not owner_id:
        return {}
    return {"id": str(owner_id), "email": (owner or {}).get("email") or None}


def _id(record, kind):
    if not isinstance(record, dict) or record.get("id") in (None, ""):
        raise MappingError(f"HubSpot {kind} without an id: {str(record)[:200]}")
    return str(record["id"])


def _properties(record, kind):
    props = record.get("properties") if isinstance(record, dict) else None
    if props is None:
        return {}
    if not isinstance(props, dict):
        raise MappingError(f"HubSpot {kind} {record.get('id')}: properties is not an object")
    return props
