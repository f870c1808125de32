import json

from odoo.addons.q2c_base.tests.common import Q2cCase
from odoo.tests import new_test_user, tagged

CRM_GROUPS = ("project.group_project_manager", "q2c_contract.group_q2c_finance")


def apply_deal(event):
    """The handler of the generic `crm.deal` test events: the neutral deal as sent."""
    deal = json.loads(event.sudo().payload)["deal"]
    return event.env["q2c.crm.provisioning"]._apply_deal(event.system_id, deal, event)


@tagged("post_install", "-at_install")
class CrmConnectorCase(Q2cCase):
    """What the tests of every CRM share: an integration user that may provision contracts,
    and the queued events of `crm_system` (the generic system by default) processed like
    queue_job's runner does."""

    crm_system = None

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        for xmlid in CRM_GROUPS:
            cls.integration_user.groups_id |= cls.env.ref(xmlid)

    @classmethod
    def _create_deal_owner(cls, login, name):
        """The Odoo user a CRM's deal owner is matched to (by e-mail): an internal user."""
        return new_test_user(cls.env, login=login, groups="base.group_user", name=name)

    def _process_all(self):
        """Run the jobs of the system's queued events, oldest first; those events."""
        events = self._events(self.crm_system).filtered(lambda e: e.state == "queued")
        for event in events.sorted("id"):
            self._run_job_like_the_runner(event)
        return events


@tagged("post_install", "-at_install")
class CrmCase(CrmConnectorCase):
    """q2c_crm on its own: a generic signed event carrying the neutral deal, through the
    real webhook and job, so the rules hold whichever CRM sent it."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.deal_owner = cls._create_deal_owner("pm@hooli.example", "Hooli PM")

    def _deal(self, **overrides):
        deal = {
            "id": "D-1",
            "name": "Hooli data platform",
            "won": True,
            "amount": "30000.00",
            "currency": "USD",
            "billing_model": "fixed_fee",
            "start_date": "2026-12-01",
            "owner": {"id": "O-1", "email": "pm@hooli.example"},
            "account": {"id": "A-1", "name": "Hooli XYZ", "vat": "BE0477472701"},
            "lines": [
                {"id": "L-1", "name": "Phase 1", "quantity": "1", "amount": "10000"},
                {"id": "L-2", "name": "Phase 2", "quantity": "2", "amount": "10000"},
            ],
        }
        deal.update(overrides)
        return deal

    def _send(self, event_id, deal):
        with self._handler("crm.deal", apply_deal):
            response = self._post({"id": event_id, "type": "crm.deal", "deal": deal})
            self.assertEqual(response.status_code, 200)
            event = self._events().filtered(lambda e: e.external_id == event_id)
            self._run_job_like_the_runner(event)
        return event

    def _contract(self, deal_id="D-1"):
        return self.env["q2c.external.ref"]._find(self.system, "deal", deal_id)
