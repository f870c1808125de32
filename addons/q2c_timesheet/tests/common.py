import json
from datetime import timedelta

from odoo import Command, fields
from odoo.addons.q2c_base.tests.common import Q2cCase
from odoo.tests import new_test_user, tagged
from odoo.tools import float_compare

# What an integration user that writes timesheets is given: timesheet approver ("all
# timesheets") to create lines for other employees, on top of the q2c integration group.
TIME_GROUPS = (
    "base.group_user,q2c_base.group_integration_user,hr_timesheet.group_hr_timesheet_approver"
)


@tagged("post_install", "-at_install")
class Q2cTimeCase(Q2cCase):
    """A time-entry system with its integration user, Gina (Consultant) on project P-600 under
    an active T&M contract: 160.00 to 2025-03-31, 170.00 from 2025-04-01 (GC-12)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.time_user = new_test_user(cls.env, login="q2c_int_time", groups=TIME_GROUPS)
        cls.time_system = cls._create_system(
            name="Time push (test)", system_type="generic", user_id=cls.time_user.id
        )
        cls.usd = cls.env.ref("base.USD")
        cls.usd.active = True
        cls.env["q2c.rate.card"].search([("scope", "!=", "contract")]).active = False
        cls.customer = cls.env["res.partner"].create(
            {"name": "C-600 customer", "is_company": True}
        )
        cls.role = cls.env["hr.job"].create({"name": "Consultant (q2c time test)"})
        cls.gina = cls.env["hr.employee"].create({"name": "Gina", "job_id": cls.role.id})
        cls.hal = cls.env["hr.employee"].create({"name": "Hal", "job_id": cls.role.id})
        cls.project = cls.env["project.project"].create(
            {"name": "P-600 (test)", "partner_id": cls.customer.id}
        )
        cls.card = cls.env["q2c.rate.card"].create(
            {
                "name": "C-600 card",
                "scope": "contract",
                "currency_id": cls.usd.id,
                "line_ids": [
                    Command.create({"role_id": cls.role.id, "rate": 160.0,
                                    "date_from": "2025-01-01", "date_to": "2025-03-31"}),
                    Command.create({"role_id": cls.role.id, "rate": 170.0,
                                    "date_from": "2025-04-01"}),
                ],
            }
        )  # fmt: skip
        cls.contract = cls.env["q2c.contract"].create(
            {
                "name": "C-600",
                "partner_id": cls.customer.id,
                "currency_id": cls.usd.id,
                "billing_model": "time_and_materials",
                "project_ids": [Command.link(cls.project.id)],
                "rate_card_ids": [Command.link(cls.card.id)],
            }
        )
        cls.contract.sudo().action_activate()
        Ref = cls.env["q2c.external.ref"]
        Ref._bind(cls.time_system, "employee", "u-gina", cls.gina)
        Ref._bind(cls.time_system, "employee", "u-hal", cls.hal)
        Ref._bind(cls.time_system, "project", "p-600", cls.project)
        cls.api_key = cls._api_key(cls.time_user)

    @classmethod
    def _api_key(cls, user):
        expiry = fields.Datetime.now() + timedelta(days=1)
        return cls.env["res.users.apikeys"].with_user(user)._generate(None, "q2c time", expiry)

    @staticmethod
    def _entry(external_id, day="2025-03-27", hours=6.0, **values):
        return {"id": external_id, "employee": "u-gina", "project": "p-600", "date": day,
                "hours": hours, "description": "work", **values}  # fmt: skip

    def _ingest(self, entries, system=None):
        """Ingest like the API does, as the integration user, with API field names."""
        rows = [{("external_id" if k == "id" else k): v for k, v in e.items()} for e in entries]
        Line = self.env["account.analytic.line"].with_user(self.time_user)
        return Line._q2c_ingest(system or self.time_system, rows)

    def _push(self, entries, key=None, params=""):
        body = entries if isinstance(entries, bytes) else json.dumps(entries).encode()
        return self.url_open(
            f"/q2c/api/v1/time-entries{params}",
            data=body,
            headers={"Content-Type": "application/json",
                     "Authorization": f"Bearer {key or self.api_key}"},
            timeout=60,
        )  # fmt: skip

    def _line(self, external_id, system=None):
        return self.env["account.analytic.line"].search(
            [("q2c_system_id", "=", (system or self.time_system).id),
             ("q2c_external_id", "=", external_id)]
        )  # fmt: skip

    def assertAmount(self, actual, expected):
        self.assertEqual(
            float_compare(actual, expected, precision_rounding=self.usd.rounding), 0,
            f"{actual:.2f} != {expected:.2f}",
        )  # fmt: skip

    def _perform(self, uuid):
        """Perform a job and record its outcome like queue_job's runner does."""
        self._perform_job(uuid)

    def _run_all(self, run, limit=10):
        """Perform the run's queued page jobs until none is left (pages add pages)."""
        for _round in range(limit):
            pages = run.page_ids.filtered(lambda p: p.state in ("queued", "failed"))
            if not pages:
                return
            for page in pages:
                self._perform(page.job_uuid)
        self.fail("the run did not finish")
