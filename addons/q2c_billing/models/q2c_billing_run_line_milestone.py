from odoo import _, fields, models
from odoo.tools import float_compare

MESSAGES = {
    "full": "%(label)s, accepted %(date)s",
    "deemed": "%(label)s, deemed accepted %(date)s",
    "share": "%(label)s - %(share)s%% accepted %(date)s",
    "balance": "%(label)s - balance, accepted %(date)s",
}


class Q2cBillingRunLine(models.Model):
    """Fixed fee with milestones (billing-domain.md 1.3, GC-03): each milestone share
    accepted (or deemed accepted) by the run's date and not yet billed is one invoice line."""

    _inherit = "q2c.billing.run.line"

    def _milestone_date(self):
        """The day the run looks at acceptances: the end of its period, or the cut-off's day
        when that is earlier. A milestone accepted after the period waits for the next run."""
        run = self.run_id
        cutoff_day = fields.Datetime.context_timestamp(self, run.cutoff).date()
        return min(run.date_to, cutoff_day)

    def _milestone_specs(self):
        """One line per milestone with something due at the run's date: the whole
        milestone, round(amount x cumulative accepted share) - billed on a partial
        acceptance, or amount - billed (the remainder rule) once accepted in full. A
        submitted milestone whose deemed-acceptance window passed by that date is accepted
        first, by its own transition."""
        contract = self.contract_id
        if contract.billing_model != "fixed_fee":
            return []
        currency = contract.currency_id
        day = self._milestone_date()
        milestones = contract.milestone_ids.sorted(lambda m: (m.sequence, m.id))
        # Deemed acceptance is the contract's rule, not the Finance user's act: recorded as
        # the daily cron records it.
        waiting = milestones.filtered(lambda m: m._transition_allowed("deem_accepted"))
        waiting.sudo()._deem_accepted_by(day)
        specs = []
        for milestone in milestones:
            amount = milestone._get_billable_amount(day)
            if currency.is_zero(amount):
                continue
            share, accepted_date = milestone._acceptance_at(day)
            full = float_compare(share, 100.0, precision_digits=6) >= 0
            if not full:
                kind = "share"
            elif currency.is_zero(milestone.billed_amount):
                kind = "full"
            else:
                kind = "balance"
            name = self._milestone_name(milestone, kind, share, accepted_date)
            specs.append(
                {
                    **self._spec(name, 1.0, amount, milestone, amount),
                    "kind": kind,
                    "accepted_share": share,
                    "accepted_date": accepted_date,
                }
            )
        return specs

    def _milestone_name(self, milestone, kind, share, accepted_date):
        """ "M1 Discovery (20%), accepted 2025-03-28"; a partial acceptance names its share,
        the balance after one says so, a deemed acceptance too."""
        label = milestone.name
        if milestone.basis == "percent":
            label = f"{label} ({milestone.percent:g}%)"
        if kind == "full" and milestone.deemed:
            kind = "deemed"
        return _(MESSAGES[kind], label=label, share=f"{share:g}", date=accepted_date)
