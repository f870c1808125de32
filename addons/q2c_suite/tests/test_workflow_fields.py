"""Issue 12 item 3, across the addons: every model guarding workflow fields says which, and
each guarded field of a model with a chatter is tracked (who changed it and when), but for
the exceptions below, each with its reason."""

from odoo.addons.q2c_base.tests.common import Q2cCase
from odoo.exceptions import AccessError
from odoo.tests import tagged

# (model, field): why the chatter does not track it.
UNTRACKED = {
    # Automatic transitions happen thousands of times a day; what people do (replay, ignore,
    # mark done) is posted to the chatter with who and why.
    **{
        ("q2c.event", name): "job outcome"
        for name in (
            "system_id",
            "company_id",
            "external_id",
            "event_type",
            "state",
            "received_at",
            "processed_at",
            "latency_seconds",
            "error",
            "attempts",
            "job_uuid",
            "correlation_id",
            "payload_purged",
        )
    },
    # Deleted with its draft invoice when a run is cancelled: mail's tracking drops every
    # change of a record whose old value no longer exists (the freeing would go unrecorded).
    # The tracked billing status and billing reference say what billed the expense.
    ("hr.expense", "q2c_invoice_line_id"): "deleted with its invoice",
    # Mirrored from the gateway with the tracked MRR and status: the company-currency MRR
    # and the time of the gateway's change follow them, the currency never changes.
    ("q2c.subscription", "mrr_company"): "follows the tracked MRR",
    ("q2c.subscription", "last_event_at"): "the gateway's time of the tracked change",
    ("q2c.subscription", "currency_id"): "set once by the gateway",
    # A file: its name is tracked.
    ("q2c.contract.milestone", "acceptance_evidence"): "binary",
}
# Guarded models that must be in the sweep (a model dropping the mixin fails the test).
EXPECTED = {
    "q2c.event",
    "q2c.contract",
    "q2c.contract.milestone",
    "q2c.contract.sov.line",
    "q2c.change.order",
    "q2c.billing.run",
    "q2c.sync.hold",
    "q2c.retainer.bucket",
    "q2c.pay.application",
    "q2c.payment.settlement",
    # Customer invoices: their publication on a payment gateway (q2c_payment).
    "account.move",
    "q2c.subscription",
    # Ingested time entries and expenses: their billing fields (account.analytic.line has no
    # chatter; hr.expense tracks them).
    "account.analytic.line",
    "hr.expense",
}
# The billing fields every ingested model guards (q2c_sync, q2c_billing).
BILLING_FIELDS = {
    "q2c_billing_status",
    "q2c_hold_reason",
    "q2c_billed_at",
    "q2c_billing_ref",
    "q2c_correction_kind",
    "q2c_origin_id",
    "q2c_invoice_line_id",
}


@tagged("post_install", "-at_install")
class TestWorkflowFieldsSweep(Q2cCase):
    def _guarded_models(self):
        mixin = self.env.registry["q2c.guarded.mixin"]
        return {
            name: self.env[name]
            for name, cls in self.env.registry.items()
            if not cls._abstract and issubclass(cls, mixin)
        }

    def test_every_guarded_field_is_tracked_or_excused(self):
        models = self._guarded_models()
        self.assertLessEqual(EXPECTED, set(models))
        thread = self.env.registry["mail.thread"]
        for name, model in models.items():
            guarded = model._q2c_guarded_fields()
            self.assertTrue(guarded | model._q2c_immutable_fields(), name)
            for field_name in guarded:
                field = model._fields[field_name]
                if not issubclass(type(model), thread) or (name, field_name) in UNTRACKED:
                    continue
                with self.subTest(model=name, field=field_name):
                    self.assertTrue(
                        getattr(field, "tracking", None), f"{name}.{field_name} is not tracked"
                    )
            for field_name in model._q2c_immutable_fields():
                with self.subTest(model=name, immutable=field_name):
                    self.assertFalse(getattr(model._fields[field_name], "tracking", None))

    def test_every_ingested_model_guards_its_billing_fields(self):
        ingested = self.env.registry["q2c.ingested.mixin"]
        names = [
            name
            for name, cls in self.env.registry.items()
            if not cls._abstract and issubclass(cls, ingested)
        ]
        self.assertLessEqual({"account.analytic.line", "hr.expense"}, set(names))
        for name in names:
            with self.subTest(model=name):
                self.assertLessEqual(BILLING_FIELDS, self.env[name]._q2c_guarded_fields())

    def test_a_held_entry_is_not_edited_by_hand(self):
        hold = self.env["q2c.sync.hold"].create(
            {
                "system_id": self.system.id,
                "kind": "time",
                "external_id": "held-1",
                "reason": "Unmapped employee",
                "payload": '{"hours": 1}',
            }
        )
        for vals in (
            {"payload": '{"hours": 100}'},
            {"state": "released"},
            {"reason": "fine"},
            {"external_id": "held-2"},
        ):
            with self.subTest(vals=vals), self.assertRaises(AccessError):
                hold.with_user(self.manager).write(vals)
        self.assertEqual(hold.sudo().payload, '{"hours": 1}')
        self.assertEqual(hold.state, "held")
