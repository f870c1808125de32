"""Provisioning shared by the CRM connectors: a won deal becomes customer, contract, project.

A connector's handler fetches the deal, maps it to the neutral dict described in
`_crm_apply_deal` and hands it over; everything after that is here.
"""

import logging
from decimal import Decimal, InvalidOperation

from odoo import Command, _, api, fields, models
from odoo.exceptions import UserError
from odoo.tools.sql import escape_psql

from ..exceptions import ProvisioningBlocked

_logger = logging.getLogger(__name__)

# Billing models whose time is priced at rates (a contract rate card from the deal's products).
RATED_MODELS = ("time_and_materials", "retainer")
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
        "lines": [{"id", "name", "quantity", "price" (unit price), "amount", "sku",
        "product_id" (the CRM's product id)}]}.
        Returns the records touched (nothing for a deal not won yet).
        """
        self.ensure_one()
        self.system_id._crm_check_user()
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
        return [*partner, *contacts, *contract, *contract.project_ids, *contract.rate_card_ids]

    # --- validation ----------------------------------------------------------------------

    def _crm_validate(self, deal):
        """Check the fields a contract needs; raise ProvisioningBlocked naming all that lack.

        Returns the converted values: currency record, amount (rounded), billing model, date,
        contract manager.
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
        invalid += self._crm_validate_owner(deal, values)
        if missing or invalid:
            raise ProvisioningBlocked(
                self._crm_blocked_reason(deal, missing, invalid), kind="missing_data",
                details=_("Complete the deal in the CRM, then replay event %s.",
                          self.display_name),
            )  # fmt: skip
        return values

    def _crm_validate_owner(self, deal, values):
        """Put the contract manager in `values`; the problem with the owner, if any."""
        if self._crm_blank(deal, "owner"):
            return []  # named as missing
        values["manager"] = self._crm_owner_user(deal)
        if values["manager"]:
            return []
        owner = deal["owner"]
        return [
            _("owner %s has no Odoo user (same login or e-mail) and no default contract "
              "manager is set", owner.get("email") or owner.get("id"))
        ]  # fmt: skip

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
        """The Odoo user of the CRM owner: bound to the owner's id (external reference
        `owner`), else the internal user with the owner's e-mail as login or e-mail (then
        bound, so the next deal needs no look-up), else the configured default manager;
        empty when none."""
        owner = deal.get("owner") or {}
        email = (owner.get("email") or "").strip()
        refs, user = self.env["q2c.external.ref"], self.env["res.users"]
        if owner.get("id"):
            user = refs._find(self.system_id, "owner", owner["id"]) or user
        if email and not user:
            # Internal users only: a portal user with that address manages nothing. The
            # address is matched case-insensitively, its `_` and `%` literally.
            pattern = escape_psql(email)
            user = user.search([("share", "=", False), "|", ("login", "=ilike", pattern),
                                ("email", "=ilike", pattern)], limit=1)  # fmt: skip
            if (
                user
                and owner.get("id")
                and not refs._find_external_id(self.system_id, "owner", user)
            ):
                refs._bind(self.system_id, "owner", owner["id"], user)
        return user or self.system_id.crm_default_manager_id

    def _crm_create_contract(self, deal, values, partner):
        manager = values["manager"]
        name = deal.get("name") or deal["account"]["name"]
        contract = self.env["q2c.contract"].create(
            {
                "name": name,
                "partner_id": partner.id,
                "company_id": self.system_id.company_id.id,
                "currency_id": values["currency"].id,
                "billing_model": values["billing_model"],
                "original_value": values["amount"],
                "crm_amount": values["amount"],
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
        if contract.billing_model in RATED_MODELS:
            self._crm_create_rate_card(deal, contract)
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

    # --- rate card from the deal's products --------------------------------------------

    def _crm_line_product(self, line, company):
        """The Odoo product of a deal line: bound to the CRM's product id (external reference
        `product`), else the one product whose internal reference is the line's SKU."""
        product = self.env["product.product"]
        if line.get("product_id"):
            product = self.env["q2c.external.ref"]._find(
                self.system_id, "product", line["product_id"]
            ) or product  # fmt: skip
        sku = (line.get("sku") or "").strip()
        if not product and sku:
            found = product.search(
                [("default_code", "=", sku), ("company_id", "in", [False, company.id])], limit=2
            )
            product = found if len(found) == 1 else product
        return product

    def _crm_rate_lines(self, deal, contract):
        """{role: (rate, unit, product, line)} of the deal lines whose product maps to a role.

        Two lines pricing the same role differently cannot both be the contract's rate: the
        deal is refused with both named rather than one picked."""
        rates, day = {}, self.env.ref("uom.product_uom_day", raise_if_not_found=False)
        for line in deal.get("lines") or ():
            product = self._crm_line_product(line, contract.company_id)
            # Roles (hr.job) are HR records; reading which one a product sells is not an HR
            # operation, and the integration user has no HR rights.
            role = product.sudo().q2c_role_id
            price = self._crm_amount(line.get("price")) if line.get("price") is not None else None
            if not role or (role.company_id and role.company_id != contract.company_id):
                continue
            if price is None or price <= 0:
                continue
            rate = contract.currency_id.round(float(price))
            unit = "day" if day and product.uom_id == day else "hour"
            if role in rates and (rates[role][0], rates[role][1]) != (rate, unit):
                other = rates[role][3]
                raise ProvisioningBlocked(
                    _("Deal %(deal)s prices role %(role)s twice: %(first)s (%(first_line)s) and "
                      "%(second)s (%(second_line)s).", deal=deal.get("name") or deal["id"],
                      role=role.name, first=contract._fmt(rates[role][0]),
                      first_line=self._crm_line_label(other), second=contract._fmt(rate),
                      second_line=self._crm_line_label(line)),
                    kind="other",
                    details=_("A contract rate card has one rate per role. Give each rate its "
                              "own product (mapped to its own role) in the CRM, or correct the "
                              "price, then replay event %s.", self.display_name),
                )  # fmt: skip
            rates.setdefault(role, (rate, unit, product, line))
        return rates

    def _crm_create_rate_card(self, deal, contract):
        """A contract rate card from the deal lines whose product maps to a role, valid from
        the contract start, in the contract currency. No such line: no card, and the
        customer's or the company's default rate card prices the time."""
        rates = self._crm_rate_lines(deal, contract)
        if not rates:
            contract.message_post(
                body=_("No deal line sells a product mapped to a role: no contract rate card; "
                       "the customer's or the company's default rate card applies.")
            )  # fmt: skip
            return self.env["q2c.rate.card"]
        card = self.env["q2c.rate.card"].create(
            {
                "name": _("%(contract)s (deal rates)", contract=contract.display_name),
                "scope": "contract",
                "company_id": contract.company_id.id,
                "currency_id": contract.currency_id.id,
                "note": _("From %(system)s deal %(deal)s.", system=self.system_id.name,
                          deal=deal["id"]),
                "line_ids": [
                    Command.create({
                        "role_id": role.id, "rate": rate, "unit": unit,
                        "date_from": contract.date_start,
                        "product_id": product.id if product.type == "service" else False,
                    })
                    for role, (rate, unit, product, _line) in rates.items()
                ],
            }
        )  # fmt: skip
        contract.rate_card_ids = [Command.link(card.id)]
        discounted = [
            self._crm_line_label(line)
            for _rate, _unit, _product, line in rates.values()
            if self._crm_discounted(line)
        ]
        contract.message_post(
            body=_("Contract rate card %(card)s from the deal's products: %(rates)s.%(note)s",
                   card=card.name, rates=", ".join(
                       f"{role.name} {contract._fmt(rate)}/{unit}"
                       for role, (rate, unit, _product, _line) in rates.items()),
                   note=_(" Lines with a discount, priced at their unit price: %s.",
                          ", ".join(discounted)) if discounted else "")
        )  # fmt: skip
        return card

    @api.model
    def _crm_discounted(self, line):
        """Whether a line's total is not its quantity times its unit price (a discount)."""
        price, amount = (
            self._crm_amount(line.get("price") or 0),
            self._crm_amount(line.get("amount") or 0),
        )
        quantity = self._crm_amount(line.get("quantity") or 1)
        if None in (price, amount, quantity) or not amount:
            return False
        return abs(price * quantity - amount) >= Decimal("0.01")

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
        """A new amount on a provisioned deal becomes a proposed change order, never an
        overwrite. One live proposal per deal: it brings the contract's current value to the
        CRM's latest amount. A newer amount revises it (the new revision supersedes the older
        one); the amount back at the contract's value voids it; an approved, rejected or voided
        proposal is never touched, and the same CRM amount again proposes nothing new."""
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
        self._crm_lock(contract)
        amount = currency.round(float(amount))
        delta = currency.round(amount - contract.current_value)
        live = self._crm_live_proposal(contract, deal)
        changed = currency.compare_amounts(amount, contract.crm_amount) != 0
        if changed:
            contract.crm_amount = amount
        if currency.is_zero(delta):
            if live:
                live.action_void(
                    reason=_("The deal's amount in %(system)s is back to the contract value "
                             "%(value)s: nothing to change.", system=self.system_id.name,
                             value=contract._fmt(contract.current_value))
                )  # fmt: skip
            return live or contract
        if live:
            if not (currency.compare_amounts(live.crm_amount, amount)
                    or currency.compare_amounts(live.amount_direct, delta)):  # fmt: skip
                return live
            return self._crm_revise_proposal(live, deal, amount, delta)
        if not changed:
            return contract
        order = self.env["q2c.change.order"].create(
            {"title": _("%(deal)s: amount changed in the CRM",
                        deal=deal.get("name") or deal["id"]),
             "contract_id": contract.id, "crm_system_id": self.system_id.id,
             "crm_deal_id": deal["id"],
             **self._crm_proposal_values(contract, amount, delta)}
        )  # fmt: skip
        return order

    def _crm_lock(self, contract):
        """Serialize the proposals of one deal: a row update, so that a concurrent job that
        read the contract before this one commits fails with a serialization error and is
        retried (then sees this job's change order) instead of proposing twice."""
        contract.flush_recordset()
        self.env.cr.execute("UPDATE q2c_contract SET crm_amount = crm_amount WHERE id = %s",
                            (contract.id,))  # fmt: skip

    def _crm_live_proposal(self, contract, deal):
        """The CRM's proposal for this deal still waiting for a decision (draft or
        submitted, its latest revision), if any."""
        return self.env["q2c.change.order"].search(
            [("contract_id", "=", contract.id), ("crm_system_id", "=", self.system_id.id),
             ("crm_deal_id", "=", deal["id"]), ("state", "in", ("draft", "submitted")),
             ("has_newer_revision", "=", False)],
            order="number desc, revision desc", limit=1,
        )  # fmt: skip

    def _crm_proposal_values(self, contract, amount, delta):
        return {
            "crm_amount": amount,
            # The CRM's amount is the price agreed with the customer: no markups on top.
            "ohp_percent": 0.0,
            "bond_percent": 0.0,
            "description": _(
                "The deal's amount in %(system)s is now %(amount)s; the contract's value is "
                "%(value)s.", system=self.system_id.name, amount=contract._fmt(amount),
                value=contract._fmt(contract.current_value),
            ),
            "line_ids": [Command.create({
                "name": _("Amount changed in %s", self.system_id.name),
                "quantity": 1.0,
                "unit_price": delta,
            })],
        }  # fmt: skip

    def _crm_revise_proposal(self, live, deal, amount, delta):
        """A new revision of the live proposal at the new amount; it supersedes the older one
        (q2c_change_order's revisions). A submitted proposal is revised and the revision
        submitted again (it waits for the same approvals); a draft one is superseded at
        once and its revision stays a draft."""
        contract = live.contract_id
        values = self._crm_proposal_values(contract, amount, delta)
        note = _("the deal's amount in %(system)s is now %(amount)s",
                 system=self.system_id.name, amount=contract._fmt(amount))  # fmt: skip
        if live.state == "submitted":
            live.action_revise(note=note)
            new = live._revisions().filtered(lambda o: o.revision > live.revision)[-1:]
            new.write({**values, "line_ids": [Command.clear(), *values["line_ids"]]})
            new.action_submit()
            return new
        new = live.copy(
            {**values, "number": live.number, "revision": live.revision + 1,
             "previous_revision_id": live.id, "line_ids": values["line_ids"]}
        )  # fmt: skip
        live._workflow_write(
            {"state": "superseded", "superseded_by_id": new.id, "has_newer_revision": True}
        )
        live.message_post(
            body=_("Superseded by revision %(revision)s: %(note)s (%(amount)s replaces "
                   "%(old)s).", revision=new.revision, note=note,
                   amount=contract._fmt(new.amount_total), old=contract._fmt(live.amount_total))
        )  # fmt: skip
        new.message_post(body=_("Revision of %(order)s: %(note)s.", order=live.display_name,
                                note=note))  # fmt: skip
        return new
