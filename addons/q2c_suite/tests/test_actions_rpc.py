from unittest.mock import patch

from odoo import Command, fields
from odoo.tests import HttpCase, new_test_user, tagged

# Every group a q2c action needs: the caller is permitted for each action, so a fault can only
# come from the answer itself.
GROUPS = ",".join(
    [
        "base.group_user",
        "base.group_system",
        "base.group_partner_manager",
        "hr_expense.group_hr_expense_manager",
        "account.group_account_manager",
        "q2c_base.group_integration_manager",
        "q2c_contract.group_q2c_finance",
        "q2c_contract.group_q2c_project_manager",
    ]
)


@tagged("post_install", "-at_install")
class TestActionsOverRpc(HttpCase):
    """Every public `action_*` of every q2c model answers RPC clients a value they can read:
    XML-RPC cannot marshal None, so an action returning nothing answered a fault after it had
    done its work (issue 12, item 6). Each action is called over XML-RPC by a user permitted
    to make it, on a record in a state it starts from, and the list of actions called is
    checked against every `action_*` the q2c addons define, so a new one must be added."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        cls.user = new_test_user(cls.env, login="q2c_rpc_caller", groups=GROUPS)
        cls.employee = cls.env["hr.employee"].create(
            {"name": "RPC caller", "user_id": cls.user.id}
        )
        cls.customer = cls.env["res.partner"].create({"name": "RPC (test)", "is_company": True})
        cls.usd = cls.env.ref("base.USD")
        cls.usd.active = True
        integration = new_test_user(
            cls.env, login="q2c_rpc_int", groups="base.group_user,q2c_base.group_integration_user"
        )
        cls.system = cls.env["q2c.system"].create(
            {"name": "RPC generic", "system_type": "generic", "user_id": integration.id}
        )
        cls.harvest = cls.env["q2c.system"].create(
            {"name": "RPC Harvest", "system_type": "harvest", "user_id": integration.id}
        )

    # --- records -----------------------------------------------------------------------------

    def _event(self, external_id, state):
        return self.env["q2c.event"].create(
            {
                "system_id": self.system.id,
                "company_id": self.system.company_id.id,
                "external_id": external_id,
                "event_type": "q2c.ping",
                "state": state,
                "received_at": fields.Datetime.now(),
            }
        )

    def _contract(self, **values):
        project = self.env["project.project"].create(
            {
                "name": "RPC project",
                "partner_id": self.customer.id,
                "user_id": self.user.id,
                "allow_milestones": True,
            }
        )
        return self.env["q2c.contract"].create(
            {
                "name": "RPC contract",
                "partner_id": self.customer.id,
                "currency_id": self.usd.id,
                "billing_model": "time_and_materials",
                "project_ids": [Command.link(project.id)],
                "user_id": self.user.id,
                **values,
            }
        )

    def _signed_contract(self):
        contract = self._contract(
            billing_model="progress",
            original_value=1000.0,
            sov_line_ids=[
                Command.create({"item_no": "1", "name": "Work", "original_value": 1000})
            ],
        )
        contract.action_activate()
        return contract

    def _change_order(self, contract, title):
        return self.env["q2c.change.order"].create(
            {
                "contract_id": contract.id,
                "title": title,
                "line_ids": [
                    Command.create(
                        {
                            "name": title,
                            "quantity": 1.0,
                            "target": "sov_new",
                            "unit_price": 100.0,
                            "unit_cost": 80.0,
                        }
                    )
                ],
            }
        )

    def _pay_applications(self):
        """Draft pay applications of three progress contracts: one to revise, one to submit,
        certify and invoice, one to void. The demo company has a chart of accounts and a
        retainage receivable account."""
        Application = self.env["q2c.pay.application"]
        apps = Application.browse()
        for _index in range(3):
            apps |= Application.create(
                {"contract_id": self._signed_contract().id, "period_end": "2025-04-30"}
            )
        apps.line_ids.write({"work_this_period": 100.0})
        apps[2].void_reason = "Wrong period"
        return apps[0], apps[1], apps[2]

    def _calls(self):
        """(model, method, record, extra arguments), in the order they are made: each call
        leaves its record in a state the next one starts from."""
        env = self.env
        self.env.company.q2c_co_finance_threshold = 0.0
        contract = self._contract()
        fixed = self._contract(
            billing_model="fixed_fee",
            original_value=500.0,
            milestone_ids=[Command.create({"name": "All", "percent": 100})],
        )
        fixed.action_activate()
        milestone = fixed.milestone_ids
        signed = self._signed_contract()
        approved, rejected, voided, asked, directed = (
            self._change_order(signed, title) for title in ("A", "R", "V", "W", "D")
        )
        for order in (approved, rejected, asked, directed):
            order.action_submit()
        # A construction change directive (q2c_progress_billing): its undisputed amount.
        directed.directive_amount = 50.0
        acceptance = env["q2c.milestone.acceptance"].create(
            {"milestone_id": milestone.id, "client_approver": "RPC client", "accepted_share": 50}
        )
        reason = env["q2c.change.order.reason"].create(
            {"change_order_id": asked.id, "action": "reject", "reason": "Too dear"}
        )
        dead, received, failed, wizard_event = (
            self._event(name, state)
            for name, state in (
                ("rpc-dead", "dead"),
                ("rpc-received", "received"),
                ("rpc-failed", "failed"),
                ("rpc-wizard", "received"),
            )
        )
        event_wizard = env["q2c.event.action.wizard"].create(
            {"action": "ignore", "event_ids": [Command.set(wizard_event.ids)], "reason": "Test"}
        )
        exception = env["q2c.exception"]._raise("RPC exception", system=self.system)
        duplicate = env["q2c.exception"]._raise(
            "RPC possible duplicate",
            kind="duplicate",
            system=self.system,
            event=self._event("rpc-duplicate", "dead"),
            external=("account", "RPC-1"),
        )
        duplicate_wizard = env["q2c.duplicate.wizard"].create(
            {"exception_id": duplicate.id, "choice": "new"}
        )
        tm = self._contract(name="RPC billed")
        tm.action_activate()
        run = env["q2c.billing.run"].create(
            {
                "date_from": "2025-03-01",
                "date_to": "2025-03-31",
                "selection": "manual",
                "contract_ids": [Command.set(tm.ids)],
            }
        )
        reviewed = env["q2c.billing.run"].create(
            {"date_from": "2025-02-01", "date_to": "2025-02-28"}
        )
        # A run waiting for review is reached through its jobs; set here, as its jobs would.
        env.cr.execute("UPDATE q2c_billing_run SET state = 'review' WHERE id = %s", [reviewed.id])
        reviewed.invalidate_recordset(["state"])
        # A contract's pre-bill waiting for review (set as the run's job leaves it).
        prebill_run = env["q2c.billing.run"].create(
            {"date_from": "2025-01-01", "date_to": "2025-01-31"}
        )
        env.cr.execute(
            "UPDATE q2c_billing_run SET state = 'review' WHERE id = %s", [prebill_run.id]
        )
        prebill_run.invalidate_recordset(["state"])
        prebill_line = env["q2c.billing.run.line"].create(
            {"run_id": prebill_run.id, "contract_id": tm.id, "state": "review"}
        )
        prebill = env["q2c.prebill.review"].create({"run_line_id": prebill_line.id})
        product = env["product.product"].create({"name": "RPC expense", "can_be_expensed": True})
        expense = env["hr.expense"].create(
            {
                "name": "RPC expense",
                "employee_id": self.employee.id,
                "product_id": product.id,
                "total_amount_currency": 10.0,
            }
        )
        # Time entered in Odoo waiting for the project manager, on the caller's contract.
        env.company.q2c_time_approval = "project_manager"
        entered = env["account.analytic.line"].create(
            {
                "employee_id": self.employee.id,
                "project_id": tm.project_ids.id,
                "date": "2025-03-20",
                "unit_amount": 1.0,
                "name": "RPC time",
            }
        )
        without_user = env["q2c.system"].create({"name": "RPC new", "system_type": "generic"})
        chargebee = env["q2c.system"].create(
            {
                "name": "RPC Chargebee",
                "system_type": "chargebee",
                "chargebee_site": "rpc-test",
                "payment_invoicing": "gateway",
                "user_id": self.system.user_id.id,
            }
        )
        key_wizard = env["q2c.api.key.wizard"].create({"system_id": self.system.id})
        to_match = self._payment_to_match()
        subscription = self._subscription()
        revised, certified, voided_app = self._pay_applications()
        wip_wizard = env["q2c.wip.wizard"].create({})
        utilization_wizard = env["q2c.utilization.wizard"].create({})
        return [
            ("q2c.system", "action_regenerate_inbound_key", self.system, ()),
            ("q2c.system", "action_create_integration_user", without_user, ()),
            ("q2c.system", "action_grant_integration_user_groups", self.system, ()),
            ("q2c.system", "action_open_api_key_wizard", self.system, ()),
            ("q2c.api.key.wizard", "action_issue", key_wizard, ()),
            ("q2c.system", "action_revoke_api_keys", self.system, ()),
            ("q2c.system", "action_test_connection", self.system, ()),
            ("q2c.system", "action_open_events", self.system, ()),
            ("q2c.system", "action_harvest_reread_expenses", self.harvest, ()),
            ("q2c.system", "action_q2c_load_subscriptions", chargebee, ()),
            ("q2c.event", "action_replay", dead, ("Fixed the mapping",)),
            ("q2c.event", "action_ignore", received, ("Test event",)),
            ("q2c.event", "action_mark_done", failed, ("Done by hand",)),
            ("q2c.event", "action_open_replay_wizard", dead, ()),
            ("q2c.event", "action_open_ignore_wizard", dead, ()),
            ("q2c.event", "action_open_mark_done_wizard", dead, ()),
            ("q2c.event.action.wizard", "action_confirm", event_wizard, ()),
            ("q2c.exception", "action_resolve", exception, ()),
            ("q2c.exception", "action_open_duplicate_wizard", duplicate, ()),
            ("q2c.duplicate.wizard", "action_confirm", duplicate_wizard, ()),
            ("q2c.contract", "action_activate", contract, ()),
            ("q2c.contract", "action_hold", contract, ()),
            ("q2c.contract", "action_resume", contract, ()),
            ("q2c.contract", "action_reset_to_draft", contract, ()),
            ("q2c.contract", "action_activate", contract, ()),
            ("q2c.contract", "action_close", contract, ()),
            ("q2c.contract", "action_view_change_orders", signed, ()),
            ("q2c.contract", "action_view_q2c_unbilled_time", signed, ()),
            ("q2c.contract", "action_view_q2c_unbilled_expenses", signed, ()),
            ("q2c.contract", "action_view_q2c_invoiced", signed, ()),
            ("q2c.contract", "action_view_q2c_paid", signed, ()),
            ("q2c.contract", "action_view_q2c_overdue", signed, ()),
            ("q2c.contract", "action_view_q2c_retainage", signed, ()),
            ("q2c.contract", "action_new_change_order", signed, ()),
            ("q2c.contract.milestone", "action_submit", milestone, ()),
            ("q2c.contract.milestone", "action_reject", milestone, ()),
            ("q2c.contract.milestone", "action_submit", milestone, ()),
            ("q2c.contract.milestone", "action_open_acceptance_wizard", milestone, ()),
            ("q2c.milestone.acceptance", "action_confirm", acceptance, ()),
            ("q2c.contract.milestone", "action_accept", milestone, ()),
            ("q2c.change.order", "action_submit", voided, ()),
            ("q2c.change.order", "action_void", voided, ("Not needed",)),
            ("q2c.change.order", "action_approve", approved, ()),
            ("q2c.change.order", "action_reject", rejected, ("Too dear",)),
            ("q2c.change.order", "action_revise", rejected, ("Cheaper",)),
            ("q2c.change.order", "action_open_reason_wizard", asked, ()),
            ("q2c.change.order", "action_issue_directive", directed, ()),
            ("q2c.change.order.reason", "action_confirm", reason, ()),
            ("q2c.billing.run", "action_prepare", run, ()),
            ("q2c.billing.run", "action_cancel", run, ()),
            ("q2c.billing.run", "action_view_invoices", run, ()),
            ("q2c.billing.run", "action_approve", reviewed, ()),
            ("q2c.billing.run", "action_post", reviewed, ()),
            ("q2c.billing.run", "action_view_prebill_reviews", prebill_run, ()),
            ("q2c.prebill.review", "action_approve", prebill, ()),
            ("q2c.prebill.review", "action_view_invoice", prebill, ()),
            ("q2c.contract", "action_view_pay_applications", signed, ()),
            ("q2c.pay.application", "action_refresh_lines", revised, ()),
            ("q2c.pay.application", "action_submit", revised, ()),
            ("q2c.pay.application", "action_revise", revised, ()),
            ("q2c.pay.application", "action_submit", certified, ()),
            ("q2c.pay.application", "action_certify", certified, ()),
            ("q2c.pay.application", "action_create_invoice", certified, ()),
            ("q2c.pay.application", "action_view_invoice", certified, ()),
            ("q2c.pay.application", "action_void", voided_app, ("Wrong period",)),
            ("hr.expense", "action_q2c_reprice", expense, ()),
            ("q2c.payment.settlement", "action_match", to_match, ()),
            ("account.move", "action_q2c_publish_again", self._failed_publication(), ()),
            ("q2c.subscription", "action_view_invoices", subscription, ()),
            ("res.partner", "action_view_q2c_subscriptions", self.customer, ()),
            ("q2c.wip.wizard", "action_open_report", wip_wizard, ()),
            ("q2c.utilization.wizard", "action_open_report", utilization_wizard, ()),
            ("account.analytic.line", "action_q2c_reprice", entered, ()),
            ("account.analytic.line", "action_q2c_approve", entered, ()),
        ]

    def _failed_publication(self):
        """A posted invoice whose publication failed: Publish Again queues it again."""
        invoice = self.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": self.customer.id,
                "invoice_line_ids": [Command.create({"name": "RPC", "price_unit": 10.0})],
            }
        )
        invoice.action_post()
        invoice._q2c_guarded_write(
            {
                "q2c_publication_state": "failed",
                "q2c_publication_system_id": self.system.id,
                "q2c_publication_error": "Publishing the invoice failed: refused.",
            }
        )
        return invoice

    def _payment_to_match(self):
        """A failed payment held for an unknown customer, the invoice chosen: Match sets
        the invoice's customer's standing (no journal needed)."""
        invoice = self.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": self.customer.id,
                "invoice_line_ids": [Command.create({"name": "RPC", "price_unit": 10.0})],
            }
        )
        invoice.action_post()
        held = self.env["q2c.payment.settlement"].create(
            {
                "system_id": self.system.id,
                "kind": "failure",
                "external_id": "rpc-failure",
                "currency_id": invoice.currency_id.id,
            }
        )
        held.move_id = invoice
        return held

    def _subscription(self):
        """A gateway subscription mirrored for the customer (set-up b)."""
        return (
            self.env["q2c.subscription"]
            .sudo()
            .create(
                {
                    "system_id": self.system.id,
                    "external_id": "rpc-sub",
                    "partner_id": self.customer.id,
                    "currency_id": self.env.company.currency_id.id,
                }
            )
        )

    # --- the test ----------------------------------------------------------------------------

    def _q2c_actions(self):
        """(model, method) of every public `action_*` defined by a q2c addon."""
        found = set()
        for name in self.env.registry:
            for klass in type(self.env[name]).__mro__:
                if not klass.__module__.startswith("odoo.addons.q2c_"):
                    continue
                found.update(
                    (name, attr)
                    for attr, value in vars(klass).items()
                    if attr.startswith("action_") and callable(value)
                )
        return found

    def _rpc(self, model, method, record, args):
        db = self.env.cr.dbname
        uid, password = self.user.id, self.user.login
        return self.xmlrpc_object.execute(db, uid, password, model, method, record.ids, *args)

    def test_every_action_answers_a_value(self):
        calls = self._calls()
        called = {(model, method) for model, method, _record, _args in calls}
        found = self._q2c_actions()
        self.assertEqual(found - called, set(), "q2c actions left untested")
        self.assertEqual(called - found, set(), "actions the introspection did not find")
        system_class = type(self.env["q2c.system"])
        with (
            # Test Connection calls the system's API: the call itself is tested per connector.
            patch.object(system_class, "_check_setup", lambda self: None),
            patch.object(system_class, "_test_connection", lambda self: None),
        ):
            for model, method, record, args in calls:
                with self.subTest(f"{model}.{method}"):
                    result = self._rpc(model, method, record, args)
                    self.assertTrue(result is True or isinstance(result, dict), result)
