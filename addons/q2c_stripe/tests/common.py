import itertools
import json
import time

import stripe

from odoo import Command
from odoo.addons.q2c_base.tests.common import Q2cCase
from odoo.addons.q2c_billing.tests.common import Q2cBillingCase
from odoo.tests import HttpCase, new_test_user, tagged

SECRET = "whsec_stripe_test_0123456789"
PREVIOUS_SECRET = "whsec_stripe_previous_9876543210"
_ids = itertools.count(1)


@tagged("post_install", "-at_install")
class StripeCase(Q2cBillingCase, HttpCase):
    """A company with a chart of accounts (q2c_billing's set-up), a Stripe system with its
    integration user, bank journal and fee account, and helpers that post Stripe events
    signed by the official `stripe` package through Odoo's HTTP server and run their jobs as
    queue_job's runner does."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        company = {"company_id": cls.company.id, "company_ids": [Command.set(cls.company.ids)]}
        cls.stripe_user = new_test_user(
            cls.env,
            login="q2c_stripe_int",
            groups="base.group_user,base.group_partner_manager,account.group_account_invoice,"
            "q2c_base.group_integration_user",
            **company,
        )
        cls.bank_journal = cls.company_data["default_journal_bank"]
        cls.fee_account = cls.company_data["default_account_expense"]
        cls.stripe_system = cls.env["q2c.system"].create(
            {
                "name": "Stripe (test)",
                "system_type": "stripe",
                "user_id": cls.stripe_user.id,
                "company_id": cls.company.id,
                "webhook_secret": SECRET,
                "api_token": "sk_test_123",
                "payment_journal_id": cls.bank_journal.id,
                "payment_fee_account_id": cls.fee_account.id,
                "payment_activity_user_id": cls.finance_user.id,
                # Fees come in the events here; test_settlement reads them from a stand-in.
                "stripe_read_fees": False,
                # No API here: test_reread and test_end_to_end read from a stand-in.
                "stripe_reread": "never",
            }
        )

    # --- invoices ------------------------------------------------------------------------

    def _invoice(self, amount, partner=None, currency=None):
        return self.init_invoice(
            "out_invoice",
            partner=partner or self.customer,
            amounts=[amount],
            post=True,
            currency=currency,
        )

    # --- events --------------------------------------------------------------------------

    def _event(self, event_type, obj, event_id=None, **extra):
        return {
            "id": event_id or f"evt_test_{next(_ids)}",
            "object": "event",
            "api_version": "2026-10-28.endive",
            "created": int(time.time()),
            "livemode": False,
            "type": event_type,
            "data": {"object": obj},
            **extra,
        }

    def _post_stripe(self, event, secret=SECRET, timestamp=None, header=None):
        payload = event if isinstance(event, str) else json.dumps(event)
        if header is None:
            header = stripe.WebhookSignature.generate_signature_header(
                payload, secret, timestamp=timestamp
            )
        headers = {"Content-Type": "application/json", "Stripe-Signature": header}
        return self.url_open(self._stripe_url(), data=payload.encode(), headers=headers)

    def _stripe_url(self):
        return f"/q2c/webhook/stripe/{self.stripe_system.inbound_key}"

    def _stripe_events(self):
        return self.env["q2c.event"].search([("system_id", "=", self.stripe_system.id)])

    def _deliver(self, *events, expect="done"):
        """Post each event and run its job; each must end `expect`; returns the events."""
        delivered = self.env["q2c.event"]
        for event in events:
            response = self._post_stripe(event)
            self.assertEqual(response.status_code, 200, response.text)
            stored = self._stripe_events().filtered(lambda e, i=event["id"]: e.external_id == i)
            if stored.job_uuid and stored.state == "queued":
                Q2cCase._perform_job(self, stored.job_uuid)
            self.env.invalidate_all()
            self.assertEqual(stored.state, expect, f"{event['type']}: {stored.error}")
            delivered |= stored
        return delivered

    # Stripe objects, trimmed to what q2c reads (docs/saas-specs.md 1.7).

    def _stripe_invoice_paid(self, invoice, amount, intent, ref=True):
        return self._event(
            "invoice.paid",
            {
                "id": f"in_{intent}",
                "object": "invoice",
                "number": "STRIPE-0001",
                "customer": "cus_acme",
                "status": "paid",
                "currency": invoice.currency_id.name.lower(),
                "amount_paid": round(amount * 100),
                "metadata": {"q2c_invoice": invoice.name} if ref else {},
                "payments": {
                    "object": "list",
                    "data": [{"payment": {"type": "payment_intent", "payment_intent": intent}}],
                },
                "status_transitions": {"paid_at": int(time.time())},
            },
        )

    def _intent_succeeded(self, intent, amount, currency="usd", ref=None, fee=None):
        obj = {
            "id": intent,
            "object": "payment_intent",
            "amount": round(amount * 100),
            "amount_received": round(amount * 100),
            "currency": currency,
            "customer": "cus_acme",
            "status": "succeeded",
            "metadata": {"q2c_invoice": ref} if ref else {},
            "created": int(time.time()),
        }
        if fee is not None:
            obj["latest_charge"] = {
                "id": f"ch_{intent}",
                "balance_transaction": {
                    "id": "txn_1",
                    "fee": round(fee * 100),
                    "currency": currency,
                },
            }
        return self._event("payment_intent.succeeded", obj)

    def _charge_refunded(self, intent, refunded, currency="usd"):
        return self._event(
            "charge.refunded",
            {
                "id": f"ch_{intent}",
                "object": "charge",
                "amount": 100000,
                "amount_refunded": round(refunded * 100),
                "currency": currency,
                "refunded": False,
                "payment_intent": intent,
            },
        )

    def _dispute(self, event_type, intent, status, amount, currency="usd", fee=None):
        """A dispute event; `fee`: Stripe's dispute fee, on the withdrawal balance
        transaction the dispute lists."""
        withdrawals = (
            [{"id": f"txn_dp_{intent}", "amount": -round(amount * 100), "fee": round(fee * 100)}]
            if fee is not None
            else []
        )
        return self._event(
            event_type,
            {
                "id": f"dp_{intent}",
                "object": "dispute",
                "amount": round(amount * 100),
                "currency": currency,
                "charge": f"ch_{intent}",
                "payment_intent": intent,
                "status": status,
                "reason": "fraudulent",
                "balance_transactions": withdrawals,
            },
        )

    def _settlements(self, **domain):
        return self.env["q2c.payment.settlement"].search(
            [("system_id", "=", self.stripe_system.id)]
            + [(name, "=", value) for name, value in domain.items()]
        )

    def assertAmount(self, got, expected, msg=None):
        self.assertEqual(
            self.currency.compare_amounts(got, expected), 0, msg or f"{got} != {expected}"
        )
