import json

from odoo.addons.q2c_salesforce.tests.common import FakeSalesforce, fake_salesforce


class FakeSalesforceAccounts(FakeSalesforce):
    """The local Salesforce API of q2c_salesforce's tests, with the PATCH of an Account
    (`/services/data/vXX.X/sobjects/Account/{id}`, docs/saas-specs.md 3.5) the standing
    write-back uses: 204 for an Account of `records`, 404 NOT_FOUND for another."""

    def _unrouted(self, url, raw):
        if "/sobjects/Account/" not in url.path or self.command != "PATCH":
            return super()._unrouted(url, raw)
        account_id = url.path.rpartition("/")[2]
        if account_id not in self.records:
            return self._send(
                404,
                [{"errorCode": "NOT_FOUND", "message": "The requested resource does not exist"}],
            )
        self.records[account_id].update(json.loads(raw))
        return self._send_no_content()


def fake_salesforce_accounts(records, before=()):
    """q2c_salesforce's `fake_salesforce` serving Account PATCHes too."""
    return fake_salesforce(records, before, api=FakeSalesforceAccounts)
