"""Who may read, write, create and delete what, for every q2c model (issue 12).

Table-driven: the models come from the registry, so a new q2c model fails these tests until it
has its access lines, its company rule, its integration-user rule when it belongs to a system,
and its row in ACCESS below."""

import re

from lxml import etree

from odoo import Command, fields
from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

# The module, not the class: a class imported here would be run a second time.
from . import test_actions_rpc

MANAGER = "q2c_base.group_integration_manager"
OPERATOR = "q2c_base.group_integration_operator"
AUDITOR = "q2c_base.group_auditor"
INTEGRATION = "q2c_base.group_integration_user"
ROLES = ("int_a", "int_b", "auditor_c1", "manager", "pm", "finance", "employee", "operator")
ROLE_GROUPS = {
    "int_a": f"base.group_user,{INTEGRATION}",
    "int_b": f"base.group_user,{INTEGRATION}",
    "auditor_c1": f"base.group_user,{AUDITOR}",
    "manager": f"base.group_user,{MANAGER}",
    "pm": "base.group_user,q2c_contract.group_q2c_project_manager",
    "finance": "base.group_user,q2c_contract.group_q2c_finance",
    "employee": "base.group_user",
    "operator": f"base.group_user,{OPERATOR}",
}

# model: the rights of each role, in ROLES' order; "rwcu" = read, write, create, unlink.
INT = "r---"  # the integration users' usual rights: read their own system's records
ACCESS = {
    "q2c.system": (INT, INT, "r---", "rwcu", "----", "r---", "----", "r---"),
    "q2c.event": (INT, INT, "r---", "rw--", "----", "rw--", "----", "rw--"),
    "q2c.event.link": (INT, INT, "r---", "r---", "----", "r---", "----", "r---"),
    "q2c.outbound.log": (INT, INT, "r---", "r---", "----", "r---", "----", "r---"),
    "q2c.external.ref": ("r-c-", "r-c-", "r---", "rwcu", "----", "----", "----", "----"),
    "q2c.field.ownership": (INT, INT, "r---", "rwcu", "----", "----", "----", "----"),
    "q2c.exception": ("r-c-", "r-c-", "r---", "rwc-", "----", "rw--", "----", "rw--"),
    "q2c.sync.hold": (INT, INT, "r---", "rw--", "----", "----", "----", "----"),
    "q2c.sync.run": (INT, INT, "r---", "rw--", "----", "----", "----", "----"),
    "q2c.sync.page": (INT, INT, "r---", "rw--", "----", "----", "----", "----"),
    "q2c.contract": ("----", "----", "r---", "----", "rwc-", "rwcu", "----", "----"),
    "q2c.rate.card": ("----", "----", "r---", "----", "r---", "rwcu", "----", "----"),
    "q2c.rate.card.line": ("----", "----", "r---", "----", "r---", "rwcu", "----", "----"),
    "q2c.rate.override": ("----", "----", "r---", "----", "r---", "rwcu", "----", "----"),
    "q2c.contract.milestone": ("----", "----", "r---", "----", "rwcu", "rwcu", "----", "----"),
    "q2c.contract.sov.line": ("----", "----", "r---", "----", "rwcu", "rwcu", "----", "----"),
    "q2c.contract.change.entry": ("----", "----", "r---", "----", "r-c-", "r-c-", "----", "----"),
    "q2c.retainer.bucket": ("----", "----", "r---", "----", "r---", "rwcu", "----", "----"),
    "q2c.retainer.drawdown": ("----", "----", "r---", "----", "r---", "r-c-", "----", "----"),
    "q2c.expense.policy": (INT, INT, "r---", "----", "r---", "rwcu", "----", "----"),
    "q2c.change.order": ("----", "----", "r---", "----", "rwcu", "rwcu", "----", "----"),
    "q2c.change.order.line": ("----", "----", "r---", "----", "rwcu", "rwcu", "----", "----"),
    "q2c.billing.run": ("----", "----", "r---", "----", "----", "rwcu", "----", "----"),
    "q2c.pay.application": ("----", "----", "r---", "----", "rwcu", "rwcu", "----", "----"),
    "q2c.pay.application.line": ("----", "----", "r---", "----", "rwcu", "rwcu", "----", "----"),
    "q2c.pay.application.document": (
        *("----", "----", "r---", "----"),
        *("rwcu", "rwcu", "----", "----"),
    ),
    "q2c.pay.document.type": ("----", "----", "r---", "----", "r---", "rwcu", "----", "----"),
    "q2c.billing.run.line": ("----", "----", "r---", "----", "----", "rwcu", "----", "----"),
    "q2c.milestone.share": ("----", "----", "r---", "----", "----", "rwcu", "----", "----"),
    "q2c.prebill.review": ("----", "----", "r---", "----", "r---", "rwc-", "----", "----"),
    "q2c.prebill.line": ("----", "----", "r---", "----", "r---", "rwcu", "----", "----"),
    "q2c.prebill.reason": ("----", "----", "r---", "----", "r---", "rwcu", "----", "----"),
    "q2c.cap.hold": ("----", "----", "r---", "----", "r---", "r---", "----", "----"),
    "q2c.cap.alert": ("----", "----", "r---", "----", "r---", "r---", "----", "----"),
    "q2c.wip.report": ("----", "----", "r---", "----", "r---", "r---", "----", "----"),
    "q2c.utilization.report": ("----", "----", "r---", "----", "----", "r---", "----", "----"),
    # The handler records and books gateway transactions; Finance matches, operators read.
    "q2c.payment.settlement": ("rwc-", "rwc-", "r---", "r---", "----", "rw--", "----", "r---"),
    # Mirrored from a gateway's subscription billing by its handler; everyone else reads.
    "q2c.subscription": ("rwc-", "rwc-", "r---", "r---", "----", "r---", "----", "r---"),
}
# The integration models an operator reads (dashboard, events, exceptions).
OPERATOR_MODELS = (
    "q2c.system",
    "q2c.event",
    "q2c.event.link",
    "q2c.outbound.log",
    "q2c.exception",
)
OPERATIONS = {"r": "read", "w": "write", "c": "create", "u": "unlink"}

# Models without a company rule or an integration-user rule, and why.
NO_COMPANY_RULE = {
    "q2c.field.ownership": "configuration of field owners by system type, for every company",
    "q2c.prebill.reason": "the pre-bill adjustment reason codes, one list for every company",
    "q2c.pay.document.type": "the kinds of documents a pay application carries, one list for "
    "every company",
}
NO_INTEGRATION_RULE = {
    "q2c.field.ownership": "configuration by system type, belongs to no system",
    "q2c.expense.policy": "a contract's terms, which the expense ingestion applies for "
    "every system (company rule only)",
}
# Fields holding what a system sent: Integration Managers and Auditors only.
PAYLOAD_FIELDS = {
    "q2c.event": ("payload", "headers"),
    "q2c.sync.hold": ("payload",),
}
# A field whose name ends in one of these words holds what a system sent.
PAYLOAD_NAME = re.compile(r"(^|_)(payload|headers|raw|body)$")
# Buttons that only open a window or a wizard: they change nothing and call nothing.
NAVIGATION_PREFIXES = ("action_open_", "action_view_", "action_new_")


def q2c_models(env):
    """Every q2c model with records (not abstract, not transient): tables and SQL reports."""
    return sorted(
        name
        for name in env.registry
        if name.startswith("q2c.")
        and not env[name]._abstract
        and not env[name]._transient
        and (env[name]._auto or env[name]._table_query)
    )


def _system_linked(env, name, seen=()):
    """Whether records of `name` belong to one connected system (directly or through the
    event or run they belong to)."""
    model = env[name]
    for field in model._fields.values():
        if field.type != "many2one" or field.name not in ("system_id", "event_id", "run_id"):
            continue
        if field.comodel_name == "q2c.system" or (
            field.comodel_name not in seen
            and _system_linked(env, field.comodel_name, (*seen, name))
        ):
            return True
    return False


@tagged("post_install", "-at_install")
class TestAccessMatrix(test_actions_rpc.TestActionsOverRpc):
    """Every role against every q2c model, in two companies; every state-changing button
    called by each role that may not press it. The records of the actions come from
    TestActionsOverRpc, whose own test runs in its class only."""

    test_every_action_answers_a_value = None

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_1 = cls.env.company
        cls.company_2 = cls.env["res.company"].create({"name": "q2c matrix company 2"})
        both = [cls.company_1.id, cls.company_2.id]
        cls.roles = {}
        for role in ROLES:
            companies = [cls.company_1.id] if role in ("int_a", "auditor_c1") else both
            cls.roles[role] = new_test_user(
                cls.env,
                login=f"q2c_matrix_{role}",
                groups=ROLE_GROUPS[role],
                company_id=cls.company_1.id,
                company_ids=[Command.set(companies)],
            )
        cls.sys_a = cls._matrix_system("A", cls.company_1, "int_a")
        cls.sys_b = cls._matrix_system("B", cls.company_1, "int_b")
        cls.sys_b2 = cls._matrix_system("B2", cls.company_2, "int_b")
        cls.records = {}
        for system in (cls.sys_a, cls.sys_b, cls.sys_b2):
            for model, record in cls._system_records(system).items():
                cls.records.setdefault(model, {})[system] = record

    @classmethod
    def _matrix_system(cls, name, company, role):
        return cls.env["q2c.system"].create(
            {
                "name": f"Matrix {name}",
                "system_type": "generic",
                "company_id": company.id,
                "user_id": cls.roles[role].id,
            }
        )

    @classmethod
    def _system_records(cls, system):
        """One record of each system-linked model for `system`."""
        env = cls.env
        tag = system.name.replace(" ", "-")
        event = env["q2c.event"].create(
            {
                "system_id": system.id,
                "company_id": system.company_id.id,
                "external_id": f"{tag}-event",
                "event_type": "q2c.ping",
                "received_at": fields.Datetime.now(),
                "payload": '{"secret_field": 1}',
            }
        )
        partner = env["res.partner"].create({"name": f"{tag} partner"})
        run = env["q2c.sync.run"].create({"system_id": system.id})
        return {
            "q2c.system": system,
            "q2c.event": event,
            "q2c.event.link": env["q2c.event.link"].create(
                {"event_id": event.id, "res_model": "res.partner", "res_id": partner.id}
            ),
            "q2c.outbound.log": env["q2c.outbound.log"].create(
                {"system_id": system.id, "method": "GET", "url": "https://api.example.com/x"}
            ),
            "q2c.external.ref": env["q2c.external.ref"].create(
                {
                    "system_id": system.id,
                    "object_type": "Account",
                    "external_id": f"{tag}-acc",
                    "res_model": "res.partner",
                    "res_id": partner.id,
                }
            ),
            "q2c.exception": env["q2c.exception"]._raise(f"{tag} exception", system=system),
            "q2c.sync.hold": env["q2c.sync.hold"].create(
                {
                    "system_id": system.id,
                    "kind": "time",
                    "external_id": f"{tag}-entry",
                    "reason": "Unmapped employee",
                    "payload": '{"notes": "raw entry"}',
                }
            ),
            "q2c.sync.run": run,
            "q2c.sync.page": env["q2c.sync.page"].create({"run_id": run.id, "page_no": 1}),
        }

    # --- the structure: every model is in the table, with its rules -----------------------

    def test_every_q2c_model_has_its_row(self):
        models = q2c_models(self.env)
        self.assertTrue(models)
        self.assertEqual(set(models) - set(ACCESS), set(), "q2c models missing from ACCESS")
        self.assertEqual(set(ACCESS) - set(models), set(), "ACCESS names unknown models")

    def _rules(self, model):
        return self.env["ir.rule"].search([("model_id.model", "=", model)])

    def test_every_q2c_model_has_a_company_rule(self):
        for model in q2c_models(self.env):
            if model in NO_COMPANY_RULE:
                self.assertNotIn("company_id", self.env[model]._fields, model)
                continue
            with self.subTest(model=model):
                rules = self._rules(model).filtered(
                    lambda r: not r.groups and "company_ids" in r.domain_force
                )
                self.assertTrue(rules, f"{model} has no global company rule")

    def test_system_records_have_an_integration_user_rule(self):
        integration = self.env.ref(INTEGRATION)
        for model in q2c_models(self.env):
            readable = self.env["ir.model.access"].search(
                [("model_id.model", "=", model), ("group_id", "=", integration.id)]
            )
            if model in NO_INTEGRATION_RULE or not (_system_linked(self.env, model) or readable):
                continue
            with self.subTest(model=model):
                rules = self._rules(model).filtered(
                    lambda r, g=integration: g in r.groups and "user.id" in r.domain_force
                )
                self.assertTrue(rules, f"{model}: no rule limiting integration users to theirs")

    def test_payload_fields_are_for_managers_and_auditors(self):
        expected = {self.env.ref(MANAGER), self.env.ref(AUDITOR)}
        found = {
            (model, name)
            for model in q2c_models(self.env)
            for name in self.env[model]._fields
            if PAYLOAD_NAME.search(name)
        }
        listed = {(model, name) for model, names in PAYLOAD_FIELDS.items() for name in names}
        self.assertEqual(found - listed, set(), "payload-like fields missing from PAYLOAD_FIELDS")
        for model, name in sorted(listed):
            with self.subTest(field=f"{model}.{name}"):
                groups = self.env[model]._fields[name].groups or ""
                self.assertEqual(
                    {self.env.ref(xmlid) for xmlid in groups.split(",") if xmlid}, expected
                )

    # --- the rights of each role -------------------------------------------------------------

    def test_access_rights_per_role(self):
        Access = self.env["ir.model.access"]
        for model, rights in ACCESS.items():
            for role, expected in zip(ROLES, rights, strict=True):
                user = self.roles[role]
                got = "".join(
                    letter
                    if Access.with_user(user).check(model, operation, raise_exception=False)
                    else "-"
                    for letter, operation in OPERATIONS.items()
                )
                with self.subTest(model=model, role=role):
                    self.assertEqual(got, expected)

    def _visible(self, role, model):
        """The matrix records of `model` that `role` finds, or None without read access."""
        ours = self.env[model].browse([r.id for r in self.records[model].values()])
        try:
            return self.env[model].with_user(self.roles[role]).search([("id", "in", ours.ids)])
        except AccessError:
            return None

    def test_each_role_sees_its_systems_in_its_companies(self):
        a, b, b2 = self.sys_a, self.sys_b, self.sys_b2
        expected = {
            "int_a": {a},
            "int_b": {b, b2},
            "auditor_c1": {a, b},
            "manager": {a, b, b2},
            "pm": None,
            "finance": None,
            "employee": None,
            "operator": None,
        }
        for model, records in self.records.items():
            for role, role_systems in expected.items():
                systems = role_systems
                if role in ("finance", "operator") and model in OPERATOR_MODELS:
                    # Operators (and Finance, which includes them) see every system's
                    # events, links, calls and exceptions of their companies.
                    systems = {a, b, b2}
                with self.subTest(model=model, role=role):
                    visible = self._visible(role, model)
                    if systems is None:
                        self.assertIsNone(visible)
                    else:
                        wanted = {records[system].id for system in systems}
                        self.assertEqual(set(visible.ids), wanted)

    def test_another_systems_record_is_refused_by_id(self):
        """Reading by id (what a form or RPC does) is refused, not only left out of lists."""
        for model, records in self.records.items():
            for role, system in (("int_a", self.sys_b), ("int_b", self.sys_a)):
                with self.subTest(model=model, role=role), self.assertRaises(AccessError):
                    records[system].with_user(self.roles[role]).read(["display_name"])
            with self.subTest(model=model, role="auditor_c1"), self.assertRaises(AccessError):
                records[self.sys_b2].with_user(self.roles["auditor_c1"]).read(["display_name"])

    def test_company_rule_keeps_contracts_apart(self):
        partner = self.env["res.partner"].create({"name": "Matrix customer"})
        contracts = self.env["q2c.contract"]
        for company in (self.company_1, self.company_2):
            contracts |= contracts.create(
                {
                    "name": f"Matrix {company.name}",
                    "partner_id": partner.id,
                    "company_id": company.id,
                    "currency_id": company.currency_id.id,
                    "billing_model": "time_and_materials",
                }
            )
        for role, wanted in (("auditor_c1", contracts[0]), ("finance", contracts)):
            with self.subTest(role=role):
                found = contracts.with_user(self.roles[role]).search([("id", "in", contracts.ids)])
                self.assertEqual(found, wanted)

    def test_payload_is_read_by_managers_and_auditors_only(self):
        for model, names in PAYLOAD_FIELDS.items():
            record = self.records[model][self.sys_a]
            for role in ("manager", "auditor_c1"):
                with self.subTest(model=model, role=role):
                    values = record.with_user(self.roles[role]).read(list(names))[0]
                    self.assertTrue(values[names[0]])
            with self.subTest(model=model, role="int_a"), self.assertRaises(AccessError):
                record.with_user(self.roles["int_a"]).read([names[0]])
            # The record itself stays readable to its system's user, the payload left out.
            self.assertTrue(record.with_user(self.roles["int_a"]).read(["display_name"]))

    # --- the buttons -------------------------------------------------------------------------

    # The roles that may make each model's actions on TestActionsOverRpc's records (owned by
    # another user, in company 1); every other role must get an AccessError.
    MAY_ACT = {
        "q2c.system": {"manager"},
        "q2c.api.key.wizard": {"manager"},
        "q2c.event": {"manager"},
        "q2c.event.action.wizard": {"manager"},
        "q2c.exception": {"manager"},
        "q2c.duplicate.wizard": {"manager"},
        "q2c.contract": {"finance"},
        "q2c.contract.milestone": {"finance"},
        "q2c.milestone.acceptance": {"finance"},
        "q2c.change.order": {"finance"},
        "q2c.change.order.reason": {"finance"},
        "q2c.billing.run": {"finance"},
        "q2c.prebill.review": {"finance"},
        "q2c.payment.settlement": {"finance"},
        # Project managers submit and revise the applications of their own projects only.
        "q2c.pay.application": {"finance"},
        "hr.expense": set(),
        # Time entered in Odoo: the contract's or project's manager, or Finance, approves.
        "account.analytic.line": {"finance"},
        # Publish Again on an invoice whose online payment failed.
        "account.move": {"finance"},
    }

    # Methods open to more roles than the rest of their model's actions: an operator (and
    # Finance, which includes it) replays events, resolves exceptions and decides duplicates.
    MAY_ACT_METHOD = {
        ("q2c.event", "action_replay"): {"manager", "finance", "operator"},
        ("q2c.exception", "action_resolve"): {"manager", "finance", "operator"},
        ("q2c.duplicate.wizard", "action_confirm"): {"manager", "finance", "operator"},
        # Load Existing Subscriptions: Finance (or an administrator), not the integrators.
        ("q2c.system", "action_q2c_load_subscriptions"): {"finance"},
    }

    def _view_buttons(self):
        """(model, method) of every object button of the q2c addons' views."""
        views = self.env["ir.ui.view"].search(
            [("model_data_id.module", "=like", "q2c\\_%"), ("type", "in", ("form", "list"))]
        )
        buttons = set()
        for view in views:
            arch = etree.fromstring(view.arch_db.encode())
            for node in arch.iter("button"):
                if node.get("type") == "object":
                    buttons.add((self._button_model(view.model, node), node.get("name")))
        return buttons

    def _button_model(self, model, button):
        """The model a button acts on: the view's, or that of the one2many list or form it
        sits in (a milestone's Submit in the contract form acts on the milestone)."""
        # A <field position="..."> of an inheriting view only locates; it holds no subview.
        fields_path = [
            node.get("name")
            for node in reversed(list(button.iterancestors("field")))
            if not node.get("position")
        ]
        for name in fields_path:
            model = self.env[model]._fields[name].comodel_name or model
        return model

    def test_state_changing_buttons_refuse_roles_that_may_not(self):
        calls = [call for call in self._calls() if not call[1].startswith(NAVIGATION_PREFIXES)]
        called = {(model, method) for model, method, _record, _args in calls}
        buttons = {b for b in self._view_buttons() if not b[1].startswith(NAVIGATION_PREFIXES)}
        self.assertEqual(buttons - called, set(), "buttons of q2c views left untested")
        models = {model for model, _method in called}
        self.assertEqual(models - set(self.MAY_ACT), set(), "models missing from MAY_ACT")
        roles = {**self.roles, "own_integration_user": self.system.user_id}
        for model, method, record, args in calls:
            allowed = self.MAY_ACT_METHOD.get((model, method), self.MAY_ACT[model])
            for role, user in roles.items():
                if role in allowed:
                    continue
                with self.subTest(f"{model}.{method} as {role}"), self.assertRaises(AccessError):
                    getattr(record.with_user(user), method)(*args)

    def test_own_integration_user_may_not_touch_its_system(self):
        """The system's own integration user reads its system but changes nothing: a new
        inbound key would retire the webhook URL, a test sends the stored token."""
        user = self.sys_a.user_id
        key = self.sys_a.inbound_key
        for method in ("action_regenerate_inbound_key", "action_test_connection"):
            with self.subTest(method), self.assertRaises(AccessError):
                getattr(self.sys_a.with_user(user), method)()
        self.assertEqual(self.sys_a.inbound_key, key)
