from odoo.addons.q2c_hubspot.tests.common import FakeHubSpot, fake_hubspot


class FakeHubSpotCompanies(FakeHubSpot):
    """The local HubSpot API of q2c_hubspot's tests, with the GET and PATCH of one company
    (`/crm/v3/objects/companies/{id}`, docs/saas-specs.md 2.5) the standing write-back
    uses; companies are `data["companies"]`."""

    def _unrouted(self, url, body):
        parts = url.path.strip("/").split("/")
        if parts[:4] != ["crm", "v3", "objects", "companies"] or len(parts) != 5:
            return super()._unrouted(url, body)
        company = self.data["companies"].get(parts[4])
        if company is None:
            return self._send(
                404, {"status": "error", "category": "OBJECT_NOT_FOUND", "message": "Not found"}
            )
        if self.command == "PATCH":
            company.update(body["properties"])
        return self._send(200, {"id": parts[4], "properties": company, "archived": False})


def fake_hubspot_companies(data, before=()):
    """q2c_hubspot's `fake_hubspot` serving companies too."""
    return fake_hubspot(data, before, api=FakeHubSpotCompanies)
