import logging

import requests

from odoo import _, fields, models
from odoo.addons.q2c_base.exceptions import PermanentError, TransientError
from odoo.addons.queue_job.exception import RetryableJobError

from .mail_activity import close_q2c_activities

_logger = logging.getLogger(__name__)

# The topic of the to-do a failed payment gives Finance (mail.activity.q2c_topic).
PAYMENT_FAILED_TOPIC = "payment_failed"
STANDINGS = [
    ("good", "Good"),
    ("payment_failed", "Payment Failed"),
    ("on_hold", "On Hold"),
    ("suspended", "Suspended"),
]
CRM_STATES = [
    ("pending", "Being Sent"),
    ("sent", "Up to Date"),
    ("failed", "Update Failed"),
]


def _naming(system, reason):
    """The reason as the customer form shows it: it names the CRM (once)."""
    reason = str(reason)
    return reason if system.name in reason else f"{system.name}: {reason}"


class ResPartner(models.Model):
    _inherit = "res.partner"

    q2c_standing = fields.Selection(
        STANDINGS,
        string="Account Standing",
        default="good",
        required=True,
        tracking=True,
        help="Set to Payment Failed by a failed gateway payment and back to Good when a "
        "payment of the customer succeeds; On Hold and Suspended are Finance's decisions and "
        "are left alone by payments.",
    )
    q2c_standing_crm_state = fields.Selection(
        CRM_STATES,
        string="Standing in the CRM",
        readonly=True,
        copy=False,
        help="Whether the account standing was written onto the customer's account in the "
        "CRM it came from, for CRMs set to receive it (Write Account Standing).",
    )
    q2c_standing_crm_date = fields.Datetime(
        "CRM Updated On", readonly=True, copy=False, help="When the CRM last took the standing."
    )
    q2c_standing_crm_error = fields.Char(
        "CRM Update Problem",
        readonly=True,
        copy=False,
        help="Why the CRM did not take the standing (its answer), after q2c's retries.",
    )

    def write(self, vals):
        """A change of the account standing, by a payment or by a person, is written back
        to the CRMs that own the customer's account (`_q2c_standing_changed`)."""
        if "q2c_standing" not in vals:
            return super().write(vals)
        before = {partner.id: partner.q2c_standing for partner in self}
        result = super().write(vals)
        self.filtered(lambda p: p.q2c_standing != before[p.id])._q2c_standing_changed()
        return result

    def _q2c_payment_failed(self, summary, user):
        """A failed payment: a customer in good standing becomes Payment Failed, and Finance
        gets an activity (once per failure: the caller records each failure once)."""
        customer = self.commercial_partner_id
        if customer.q2c_standing == "good":
            customer.q2c_standing = "payment_failed"
        customer.activity_schedule(
            "mail.mail_activity_data_todo",
            summary=_("Payment failed: %s", summary),
            user_id=user.id,
            q2c_topic=PAYMENT_FAILED_TOPIC,
        )

    def _q2c_payment_recovered(self):
        """A payment went through: Payment Failed returns to Good (On Hold and Suspended
        stay: a person set them)."""
        customer = self.commercial_partner_id
        if customer.q2c_standing == "payment_failed":
            customer.q2c_standing = "good"
            customer.message_post(body=_("A payment went through: standing back to Good."))
            # The failures' to-dos are moot once the customer pays again.
            close_q2c_activities(
                customer,
                [PAYMENT_FAILED_TOPIC],
                _("Closed by q2c: a later payment went through, standing back to Good."),
            )

    # --- write-back to the CRM ----------------------------------------------------------------

    def _q2c_standing_targets(self):
        """[(system, account id)]: the systems owning this customer's account (bound to it
        under the system's `_standing_account_type`) that take its standing."""
        self.ensure_one()
        refs = (
            self.env["q2c.external.ref"]
            .sudo()
            .search([("res_model", "=", "res.partner"), ("res_id", "=", self.id)])
        )
        return [
            (ref.system_id, ref.external_id)
            for ref in refs
            if ref.system_id.active
            and ref.system_id.supports_standing_write_back
            and ref.system_id.standing_write_back
            and ref.object_type == ref.system_id._standing_account_type()
        ]

    def _q2c_standing_changed(self):
        """Enqueue one write-back job per CRM owning each customer's account, as that CRM's
        integration user (a job runs as who enqueued it). Each job sends the standing
        current when it runs, so jobs of quick successive changes all end on the last."""
        for partner in self:
            targets = partner._q2c_standing_targets()
            if targets:
                partner.sudo().write({"q2c_standing_crm_state": "pending"})
            for system, _account_id in targets:
                user = system.sudo().user_id
                if not user:
                    partner._q2c_standing_crm_failed(
                        _("%s has no integration user to write with.", system.name)
                    )
                    continue
                partner.with_user(user).with_delay(
                    channel=system.job_channel,
                    max_retries=max(system.event_max_retries, 1),
                    description=_(
                        "q2c: account standing of %(partner)s to %(system)s",
                        partner=partner.name,
                        system=system.name,
                    ),
                )._q2c_push_standing(system.with_user(user))

    def _q2c_push_standing(self, system):
        """Job: write the customer's standing, as it is now, onto its account in `system`.

        Guard (still a target), act (one PATCH through the connector), record the outcome
        on the customer. Retried by queue_job on a transient error; fails with the reason
        on a refusal, which `_q2c_standing_on_fail` records."""
        self.ensure_one()
        # One writer per customer at a time: the standing is read under the row lock, so
        # the job that writes last also read last (a change committed meanwhile fails this
        # try with a serialization error and queue_job retries it with the new value).
        self.env.cr.execute(
            "SELECT id FROM res_partner WHERE id = %s FOR NO KEY UPDATE", [self.id]
        )
        self.invalidate_recordset(["q2c_standing"])
        account_id = dict(self._q2c_standing_targets()).get(system)
        if not account_id:
            return f"nothing to write: {system.name} does not take this customer's standing"
        standing = self.q2c_standing
        try:
            system._write_account_standing(account_id, standing)
        except (TransientError, requests.Timeout, requests.ConnectionError) as error:
            reason = getattr(error, "reason", None) or str(error) or type(error).__name__
            raise RetryableJobError(
                _naming(system, reason), seconds=getattr(error, "retry_after", None)
            ) from error
        except PermanentError as error:
            raise PermanentError(
                _naming(system, error.reason),
                status=error.status,
                vendor_code=error.vendor_code,
            ) from error
        self.sudo().write(
            {
                "q2c_standing_crm_state": "sent",
                "q2c_standing_crm_date": fields.Datetime.now(),
                "q2c_standing_crm_error": False,
            }
        )
        return f"{system.name} account {account_id}: {standing}"

    def _q2c_standing_on_fail(self, exc_name=None, exc_message=None, **_kwargs):
        """queue_job's `on_fail` hook of the standing job: retries ran out, or the CRM
        refused. Called in queue_job's own transaction (the job's was rolled back)."""
        self.sudo().exists()._q2c_standing_crm_failed(exc_message or exc_name or _("failed"))

    def _q2c_standing_crm_failed(self, reason):
        _logger.warning("q2c: standing of partner %s not written to the CRM: %s", self.ids, reason)
        self.sudo().write({"q2c_standing_crm_state": "failed", "q2c_standing_crm_error": reason})
