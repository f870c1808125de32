"""Provisioning shared by the CRM connectors: a won deal becomes customer, contract, project.

A connector's handler fetches the deal, maps it to the neutral dict described in
`_crm_apply_deal` and hands it over; everything after that is here.
"""

import logging
from decimal import Decimal, InvalidOperation

from odoo import Command, _, api, fields, models
from odoo.exceptions import UserError

from ..exceptions import ProvisioningBlocked

_logger = logging.getLogger(__name__)

# What a contract needs, in the words the integration manager reads.
REQUIRED_FIELDS = {
    "account_name": "account name",
    "currency": "currency",
    "amount": "amount",
    "billing_model": "billing model",
    "start_date": "start date",
    "owner": "owner",
}


class Q2cEvent(models.Model):
    _inherit = "q2c.event"

    # --- orchestration -------------------------------------------------------------------

    def _crm_apply_deal(self, deal):
        """Provision a won deal, or propose its amount change when it was provisioned.

        `deal`: {"id", "name", "won" (bool), "amount" (str or number), "currency" (ISO code),
        "billing_model", "start_date" (ISO date), "owner": {"id", "email"},
        "account": {"id", "name", "vat", "email", "domain", "website", "phone", "street",
        "city", "zip", "country_code"}, "contacts": [{"id", "name", "email", "phone"}],
        "lines": [{"id", "name", "quantity", "price", "amount", "sku"}]}.
        Returns the records touched (nothing for a deal not won yet).
        """
        self.ensure_one()
        contract = self.env["q2c.external.ref"]._find(self.system_id, "deal", deal["id"])
        if contract:
            return self._crm_propose_amount_change(contract, deal)
        if not deal.get("won"):
            return self.env["q2c.contract"]
        return self._crm_provision(deal, self._crm_validate(deal))

    def _crm_provision(self, deal, values):
        system = self.system_id
        partner = self._crm_customer(deal)
        contacts = self._crm_contacts(deal, partner)
        contract = self.env["q2c.external.ref"]._ensure(
            system, "deal", deal["id"],
            lambda: self._crm_create_contract(deal, values, partner),
        )  # fmt: skip
        self._crm_activate(contract)
        system._crm_write_back(deal, contract, self)
        return [*partner, *contacts, *contract, *contract.project_ids]

    # --- validation ----------------------------------------------------------------------

    def _crm_validate(self, deal):
        """Check the fields a contract needs; raise ProvisioningBlocked naming all that lack.

        Returns the converted values: currency record, amount (rounded), billing model, date.
        """
        deal = {**deal, "account_name": (deal.get("account") or {}).get("name")}
        missing = [label for key, label in REQUIRED_FIELDS.items() if self._crm_blank(deal, key)]
        invalid, values = [], {}
        if deal.get("currency"):
            currency = self.env["res.currency"].search(
                [("name", "=", str(deal["currency"]).upper())], limit=1
            )
            if currency:
                values["currency"] = currency
            else:
                invalid.append(_("currency %s is not active in Odoo", deal["currency"]))
        if not self._crm_blank(deal, "amount"):
            amount = self._crm_amount(deal["amount"])
            if amount is None or amount < 0:
                invalid.append(_("amount %s is not a positive number", deal["amount"]))
            elif values.get("currency"):
                values["amount"] = values["currency"].round(float(amount))
        if deal.get("billing_model"):
            models_ = dict(self.env["q2c.contract"]._fields["billing_model"].selection)
            if deal["billing_model"] in models_:
                values["billing_model"] = deal["billing_model"]
            else:
                invalid.append(_("billing model %s is unknown", deal["billing_model"]))
        if deal.get("start_date"):
            try:
                values["start_date"] = fields.Date.to_date(str(deal["start_date"])[:10])
            except ValueError:
                invalid.append(_("start date %s is not a date", deal["start_date"]))
        if missing or invalid:
            raise ProvisioningBlocked(
                self._crm_blocked_reason(deal, missing, invalid), kind="missing_data",
                details=_("Complete the deal in the CRM, then replay event %s.",
                          self.display_name),
            )  # fmt: skip
        return values

    @api.model
    def _crm_blank(self, deal, key):
        value = deal.get(key)
        if isinstance(value, dict):
            return not (value.get("id") or value.get("email"))
        return value is None or (isinstance(value, str) and not value.strip())

    @api.model
    def _crm_amount(self, raw):
        """The deal amount as an exact Decimal (CRMs send strings), or None."""
        try:
            amount = Decimal(str(raw).strip())
        except InvalidOperation:
            return None
        return amount if amount.is_finite() else None

    def _crm_blocked_reason(self, deal, missing, invalid):
        parts = []
        if missing:
            parts.append(_("missing %s", ", ".join(missing)))
        if invalid:
            parts.append("; ".join(invalid))
        return _(
            "Deal %(deal)s cannot be provisioned: %(problems)s.",
            deal=deal.get("name") or deal["id"],
            problems="; ".join(parts),
        )

    # --- customer ------------------------------------------------------------------------

    def _crm_customer(self, deal):
        """The customer bound to the CRM account, or a new one unless it may be a duplicate:
        then a person decides (bind the account to the right partner, replay the event)."""
        system, refs = self.system_id, self.env["q2c.external.ref"]
        account = deal["account"]
        if account.get("id"):
            partner = refs._find(system, "account", account["id"])
            if partner:
                return partner
        vals = self._crm_partner_values(account)
        probe = dict(vals, email=vals.get("email") or (
            account.get("domain") and f"info@{account['domain']}"))  # fmt: skip
        candidates = self.env["res.partner"]._q2c_duplicate_candidates(probe)
        if candidates:
            raise ProvisioningBlocked(
                _(
                    "Deal %(deal)s: customer %(name)s may already exist as %(partner)s "
                    "(%(reason)s).",
                    deal=deal.get("name") or deal["id"],
                    name=vals["name"],
                    partner=candidates[0][0].display_name,
                    reason=candidates[0][1],
                ),
                kind="duplicate",
                details="\n".join(
                    f"{partner.display_name} (id {partner.id}): {reason}"
                    for partner, reason in candidates
                ),
                record=candidates[0][0],
            )
        partner = self.env["res.partner"].create(vals)
        if account.get("id"):
            refs._bind(system, "account", account["id"], partner)
        return partner

    def _crm_partner_values(self, account):
        """res.partner values of a CRM account; override to map more fields."""
        vals = {"name": account["name"].strip(), "is_company": True}
        for key in ("vat", "email", "website", "phone", "street", "city", "zip"):
            if account.get(key):
                vals[key] = account[key]
        if not vals.get("website") and account.get("domain"):
            vals["website"] = account["domain"]
        if account.get("country_code"):
            country = self.env["res.country"].search(
                [("code", "=", account["country_code"].upper())], limit=1
            )
            vals["country_id"] = country.id
        return vals

    def _crm_contacts(self, deal, partner):
        refs, contacts = self.env["q2c.external.ref"], self.env["res.partner"]
        for contact in deal.get("contacts") or ():
            name = contact.get("name") or contact.get("email")
            if not (contact.get("id") and name):
                continue
            contacts |= refs._ensure(
                self.system_id, "contact", contact["id"],
                lambda c=contact, n=name: self.env["res.partner"].create(
                    {"name": n, "email": c.get("email"), "phone": c.get("phone"),
                     "parent_id": partner.id, "type": "contact"}
                ),
            )  # fmt: skip
        return contacts

    # --- contract and project ------------------------------------------------------------

    def _crm_owner_user(self, deal):
        """The Odoo user bound to the CRM owner, or with the owner's e-mail, else the
        configured default."""
        owner = deal.get("owner") or {}
        email = owner.get("email")
        user = self.env["res.users"]
        if owner.get("id"):
            user = self.env["q2c.external.ref"]._find(self.system_id, "owner", owner["id"]) or user
        if email and not user:
            user = user.search(["|", ("login", "=ilike", email), ("email", "=ilike", email)],
                               limit=1)  # fmt: skip
        return user or self.system_id.crm_default_manager_id or self.env.user

    def _crm_create_contract(self, deal, values, partner):
        manager = self._crm_owner_user(deal)
        name = deal.get("name") or deal["account"]["name"]
        contract = self.env["q2c.contract"].create(
            {
                "name": name,
                "partner_id": partner.id,
                "company_id": self.system_id.company_id.id,
                "currency_id": values["currency"].id,
                "billing_model": values["billing_model"],
                "original_value": values["amount"],
                "date_start": values["start_date"],
                "date_signed": values["start_date"],
                "user_id": manager.id,
            }
        )
        project = self._crm_create_project(deal, contract, manager)
        contract.project_ids = [Command.link(project.id)]
        if contract.billing_model == "fixed_fee":
            contract.milestone_ids = self._crm_milestone_commands(deal, contract)
        contract.message_post(
            body=_("Provisioned from %(system)s deal %(deal)s.",
                   system=self.system_id.name, deal=deal["id"])
        )  # fmt: skip
        return contract

    def _crm_create_project(self, deal, contract, manager):
        """A project shell with one task per deal line, for delivery to start on."""
        return self.env["project.project"].create(
            {
                "name": contract.display_name,
                "partner_id": contract.partner_id.id,
                "company_id": contract.company_id.id,
                "user_id": manager.id,
                "task_ids": [
                    Command.create({"name": self._crm_line_label(line), "user_ids": False})
                    for line in deal.get("lines") or ()
                ],
            }
        )

    @api.model
    def _crm_line_label(self, line):
        quantity = self._crm_amount(line.get("quantity") or 1) or Decimal(1)
        label = line.get("name") or line.get("sku") or _("Line %s", line.get("id"))
        return label if quantity == 1 else f"{label} (x {quantity.normalize():f})"

    def _crm_milestone_commands(self, deal, contract):
        """One milestone per line when the lines add up to the fee, else one for the fee."""
        currency, lines = contract.currency_id, deal.get("lines") or []
        amounts = [currency.round(float(self._crm_amount(line.get("amount")) or 0))
                   for line in lines]  # fmt: skip
        if (
            lines
            and all(amounts)
            and not currency.compare_amounts(sum(amounts), contract.original_value)
        ):
            return [
                Command.create({"name": self._crm_line_label(line), "basis": "amount",
                                "fixed_amount": amount, "sequence": index})
                for index, (line, amount) in enumerate(zip(lines, amounts, strict=True))
            ]  # fmt: skip
        return [Command.create({"name": contract.name, "basis": "percent", "percent": 100.0})]

    def _crm_activate(self, contract):
        """Activate when the system says so; a contract not ready stays a draft, with why."""
        if self.system_id.crm_contract_state != "active" or contract.state != "draft":
            return
        try:
            with self.env.cr.savepoint():
                contract.action_activate()
        except UserError as error:
            contract.message_post(
                body=_("Left as a draft, not activated: %s", error.args[0] if error.args else "")
            )

    # --- later changes -------------------------------------------------------------------

    def _crm_propose_amount_change(self, contract, deal):
        """A new amount on a provisioned deal becomes a draft change order, once per amount."""
        amount = self._crm_amount(deal.get("amount")) if deal.get("amount") is not None else None
        if amount is None:
            return contract
        currency = contract.currency_id
        if deal.get("currency") and str(deal["currency"]).upper() != currency.name:
            raise ProvisioningBlocked(
                _("Deal %(deal)s changed currency to %(new)s; contract %(contract)s is in "
                  "%(old)s: change it by hand.", deal=deal.get("name") or deal["id"],
                  new=deal["currency"], contract=contract.display_name, old=currency.name),
                record=contract,
            )  # fmt: skip
        amount = currency.round(float(amount))
        if not currency.compare_amounts(amount, contract.current_value):
            return contract
        refs, key = (
            self.env["q2c.external.ref"],
            f"{deal['id']}@{amount:.{currency.decimal_places}f}",
        )
        order = refs._find(self.system_id, "deal_amount", key)
        if order:
            return order
        order = self.env["q2c.change.order"].create(
            {
                "title": _(
                    "%(deal)s: amount changed in the CRM", deal=deal.get("name") or deal["id"]
                ),
                "description": _(
                    "The deal's amount is now %(amount)s; the contract's value is %(value)s.",
                    amount=contract._fmt(amount), value=contract._fmt(contract.current_value),
                ),
                "contract_id": contract.id,
                "line_ids": [Command.create({
                    "name": _("Amount changed in %s", self.system_id.name),
                    "quantity": 1.0,
                    "unit_price": currency.round(amount - contract.current_value),
                })],
            }
        )  # fmt: skip
        refs._bind(self.system_id, "deal_amount", key, order)
        return order
