"""Salesforce Outbound Messaging (docs/saas-specs.md 3.1, 3.2): a hardened SOAP reader and
the Ack. Pure functions, no Odoo."""

from lxml import etree

OUTBOUND_NS = "http://soap.sforce.com/2005/09/outbound"
SOBJECT_NS = "urn:sobject.enterprise.soap.sforce.com"
SOAP_NS = "http://schemas.xmlsoap.org/soap/envelope/"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
MAX_BYTES = 1024 * 1024
MAX_NOTIFICATIONS = 100
ACK = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/">'
    "<soapenv:Body>"
    '<notificationsResponse xmlns="http://soap.sforce.com/2005/09/outbound">'
    "<Ack>{}</Ack></notificationsResponse></soapenv:Body></soapenv:Envelope>"
)


class MessageError(ValueError):
    """The body is not an Outbound Messaging request we accept."""


def _parser():
    # No DTD at all (so no entity can be declared or expanded), nothing from the network,
    # no huge-tree mode: the body is untrusted until its organization id matched.
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )


def parse(body, max_bytes=MAX_BYTES):
    """The message as a dict: organization_id, action_id, notifications (id, object,
    fields). Raise MessageError for anything else."""
    if len(body) > max_bytes:
        raise MessageError("message too large")
    if b"<!DOCTYPE" in body.upper() or b"<!ENTITY" in body.upper():
        raise MessageError("DTDs and entity declarations are not accepted")
    try:
        root = etree.fromstring(body, parser=_parser())
    except etree.XMLSyntaxError as error:
        raise MessageError(f"malformed XML: {error}") from error
    if root.getroottree().docinfo.doctype:
        raise MessageError("DTDs and entity declarations are not accepted")
    node = root.find(f"{{{SOAP_NS}}}Body/{{{OUTBOUND_NS}}}notifications")
    if node is None:
        raise MessageError("no notifications element")
    notifications = [_notification(n) for n in node.findall(f"{{{OUTBOUND_NS}}}Notification")]
    if not notifications or len(notifications) > MAX_NOTIFICATIONS:
        raise MessageError("a message carries 1 to 100 notifications")
    return {
        "organization_id": _text(node, "OrganizationId"),
        "action_id": _text(node, "ActionId"),
        "notifications": notifications,
    }


def _text(node, name):
    child = node.find(f"{{{OUTBOUND_NS}}}{name}")
    return (child.text or "").strip() if child is not None and child.text else ""


def _notification(node):
    notification_id = _text(node, "Id")
    sobject = node.find(f"{{{OUTBOUND_NS}}}sObject")
    if not notification_id or sobject is None:
        raise MessageError("a notification needs an Id and an sObject")
    object_type = (sobject.get(f"{{{XSI_NS}}}type") or "").rpartition(":")[2]
    fields = {}
    for child in sobject:
        if not isinstance(child.tag, str) or not child.tag.startswith(f"{{{SOBJECT_NS}}}"):
            continue
        nil = child.get(f"{{{XSI_NS}}}nil") == "true"
        fields[etree.QName(child).localname] = None if nil else (child.text or "")
    return {"id": notification_id, "object": object_type, "fields": fields}


def same_org(given, configured):
    """Compare 18-character org ids, also accepting the 15-character form on either side."""
    given, configured = (given or "").strip(), (configured or "").strip()
    if len(given) < 15 or len(configured) < 15:
        return False
    return given[:15] == configured[:15] and (
        len(given) == 15 or len(configured) == 15 or given == configured
    )


def ack(value=True):
    return ACK.format("true" if value else "false")
