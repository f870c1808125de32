from odoo import Command
from odoo.addons.q2c_sync.tests.common import Q2cSyncCase
from odoo.tests import new_test_user, tagged
from odoo.tools import float_compare

# What an integration user that writes timesheets is given: timesheet approver ("all
# timesheets") to create lines for other employees, on top of the q2c integration group.
TIME_GROUPS = (
    "base.group_user,q2c_base.group_integration_user,hr_timesheet.group_hr_timesheet_approver"
)


@tagged("post_install", "-at_install")
class Q2cTimeCase(Q2cSyncCase):
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
                    Command.create(
                        {
                            "role_id": cls.role.id,
                            "rate": 160.0,
                            "date_from": "2025-01-01",
                            "date_to": "2025-03-31",
                        }
                    ),
                    Command.create(
                        {"role_id": cls.role.id, "rate": 170.0, "date_from": "2025-04-01"}
                    ),
                ],
            }
        )
        cls.contract = cls._create_tm_contract("C-600", cls.project)
        Ref = cls.env["q2c.external.ref"]
        Ref._bind(cls.time_system, "employee", "u-gina", cls.gina)
        Ref._bind(cls.time_system, "employee", "u-hal", cls.hal)
        Ref._bind(cls.time_system, "project", "p-600", cls.project)
        cls.api_key = cls._api_key(cls.time_user)

    @classmethod
    def _create_tm_contract(cls, name, project, **values):
        """An active T&M contract in USD of the customer on `project`, priced by the case's
        rate card."""
        contract = cls.env["q2c.contract"].create(
            {
                "name": name,
                "partner_id": cls.customer.id,
                "currency_id": cls.usd.id,
                "billing_model": "time_and_materials",
                "project_ids": [Command.link(project.id)],
                "rate_card_ids": [Command.link(cls.card.id)],
                **values,
            }
        )
        contract.sudo().action_activate()
        return contract

    @classmethod
    def _create_time_source(cls, name, system_type, gina_id, project_id, refs=(), **values):
        """A pull system of time entries acting as the time user, Gina bound to `gina_id`
        and P-600 to `project_id` (object type `project`, unless `refs` binds it otherwise)
        besides `refs`; the tests' pull settings (`_create_pull_system`)."""
        bound = [("employee", gina_id, cls.gina)]
        if project_id:
            bound.append(("project", project_id, cls.project))
        return cls._create_pull_system(
            refs=[*bound, *refs],
            name=name,
            system_type=system_type,
            user_id=cls.time_user.id,
            **values,
        )

    @staticmethod
    def _entry(external_id, day="2025-03-27", hours=6.0, **values):
        return {
            "id": external_id,
            "employee": "u-gina",
            "project": "p-600",
            "date": day,
            "hours": hours,
            "description": "work",
            **values,
        }

    def _ingest_rows(self, model, rows, system=None):
        """Ingest like the push API does, as the integration user, with API field names."""
        rows = [{("external_id" if k == "id" else k): v for k, v in row.items()} for row in rows]
        Model = self.env[model].with_user(self.time_user)
        return Model._q2c_ingest(system or self.time_system, rows)

    def _ingested(self, model, external_id, system=None):
        """The record of `model` ingested from `system` (the push system by default)."""
        return self.env[model].search(
            [
                ("q2c_system_id", "=", (system or self.time_system).id),
                ("q2c_external_id", "=", external_id),
            ]
        )

    def _ingest(self, entries, system=None):
        return self._ingest_rows("account.analytic.line", entries, system)

    def _push(self, entries, key=None, params=""):
        return self._post_rows("/q2c/api/v1/time-entries", entries, key=key, params=params)

    def _line(self, external_id, system=None):
        return self._ingested("account.analytic.line", external_id, system)

    def assertAmount(self, actual, expected):
        self.assertEqual(
            float_compare(actual, expected, precision_rounding=self.usd.rounding),
            0,
            f"{actual:.2f} != {expected:.2f}",
        )
