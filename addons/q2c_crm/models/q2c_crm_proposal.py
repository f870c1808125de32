"""A provisioned deal's later amounts: proposed as change orders, never written over."""

from odoo import Command, _, models

from .. import deal as deals
from ..exceptions import ProvisioningBlocked


class Q2cCrmProposal(models.AbstractModel):
    """A service, like q2c.crm.provisioning (which calls it once the deal's contract
    exists): one live change order per deal, revised, voided or left alone."""

    _name = "q2c.crm.proposal"
    _description = "CRM Amount Change Proposal (deal amount to change order)"

    def _propose_amount_change(self, system, contract, deal):
        """A new amount on a provisioned deal becomes a proposed change order, never an
        overwrite. One live proposal per deal: it brings the contract's current value to the
        CRM's latest amount. A newer amount revises it (the new revision supersedes the older
        one); the amount back at the contract's value voids it; an approved, rejected or voided
        proposal is never touched, and the same CRM amount again proposes nothing new.

        Returns the change order touched, else the contract. Raises ProvisioningBlocked when
        the deal changed currency."""
        amount = deals.to_decimal(deal["amount"]) if deal.get("amount") is not None else None
        if amount is None:
            return contract
        currency = contract.currency_id
        if deal.get("currency") and str(deal["currency"]).upper() != currency.name:
            raise ProvisioningBlocked(
                _(
                    "Deal %(deal)s changed currency to %(new)s; contract %(contract)s is in "
                    "%(old)s: change it by hand.",
                    deal=deal.get("name") or deal["id"],
                    new=deal["currency"],
                    contract=contract.display_name,
                    old=currency.name,
                ),
                record=contract,
            )
        self._lock(contract)
        amount = currency.round(float(amount))
        delta = currency.round(amount - contract.current_value)
        live = self._live_proposal(system, contract, deal)
        changed = currency.compare_amounts(amount, contract.crm_amount) != 0
        if changed:
            contract.crm_amount = amount
        if currency.is_zero(delta):
            if live:
                live.action_void(reason=self._void_reason(system, contract))
            return live or contract
        if live:
            same = not (
                currency.compare_amounts(live.crm_amount, amount)
                or currency.compare_amounts(live.amount_direct, delta)
            )
            return live if same else self._revise_proposal(system, live, amount, delta)
        if not changed:
            return contract
        return self.env["q2c.change.order"].create(
            {
                "title": _(
                    "%(deal)s: amount changed in the CRM", deal=deal.get("name") or deal["id"]
                ),
                "contract_id": contract.id,
                "crm_system_id": system.id,
                "crm_deal_id": deal["id"],
                **self._proposal_values(system, contract, amount, delta),
            }
        )

    def _void_reason(self, system, contract):
        return _(
            "The deal's amount in %(system)s is back to the contract value %(value)s: nothing "
            "to change.",
            system=system.name,
            value=contract._fmt(contract.current_value),
        )

    def _lock(self, contract):
        """Serialize the proposals of one deal: a row update, so that a concurrent job that
        read the contract before this one commits fails with a serialization error and is
        retried (then sees this job's change order) instead of proposing twice."""
        contract.flush_recordset()
        self.env.cr.execute(
            "UPDATE q2c_contract SET crm_amount = crm_amount WHERE id = %s", (contract.id,)
        )

    def _live_proposal(self, system, contract, deal):
        """The CRM's proposal for this deal still waiting for a decision (draft or
        submitted, its latest revision), if any."""
        return self.env["q2c.change.order"].search(
            [
                ("contract_id", "=", contract.id),
                ("crm_system_id", "=", system.id),
                ("crm_deal_id", "=", deal["id"]),
                ("state", "in", ("draft", "submitted")),
                ("has_newer_revision", "=", False),
            ],
            order="number desc, revision desc",
            limit=1,
        )

    def _proposal_values(self, system, contract, amount, delta):
        return {
            "crm_amount": amount,
            # The CRM's amount is the price agreed with the customer: no markups on top.
            "ohp_percent": 0.0,
            "bond_percent": 0.0,
            "description": _(
                "The deal's amount in %(system)s is now %(amount)s; the contract's value is "
                "%(value)s.",
                system=system.name,
                amount=contract._fmt(amount),
                value=contract._fmt(contract.current_value),
            ),
            "line_ids": [
                Command.create(
                    {
                        "name": _("Amount changed in %s", system.name),
                        "quantity": 1.0,
                        "unit_price": delta,
                    }
                )
            ],
        }

    def _revise_proposal(self, system, live, amount, delta):
        """A new revision of the live proposal at the new amount; it supersedes the older one
        (q2c_change_order's revisions). A submitted proposal is revised and the revision
        submitted again (it waits for the same approvals); a draft one is superseded at
        once and its revision stays a draft."""
        contract = live.contract_id
        values = self._proposal_values(system, contract, amount, delta)
        note = _(
            "the deal's amount in %(system)s is now %(amount)s",
            system=system.name,
            amount=contract._fmt(amount),
        )
        if live.state == "submitted":
            live.action_revise(note=note)
            new = live._revisions().filtered(lambda o: o.revision > live.revision)[-1:]
            new.write({**values, "line_ids": [Command.clear(), *values["line_ids"]]})
            new.action_submit()
            return new
        new = live.copy(
            {
                **values,
                "number": live.number,
                "revision": live.revision + 1,
                "previous_revision_id": live.id,
                "line_ids": values["line_ids"],
            }
        )
        live._workflow_write(
            {"state": "superseded", "superseded_by_id": new.id, "has_newer_revision": True}
        )
        live._message_log(
            body=_(
                "Superseded by revision %(revision)s: %(note)s (%(amount)s replaces %(old)s).",
                revision=new.revision,
                note=note,
                amount=contract._fmt(new.amount_total),
                old=contract._fmt(live.amount_total),
            )
        )
        new._message_log(
            body=_("Revision of %(order)s: %(note)s.", order=live.display_name, note=note)
        )
        return new
