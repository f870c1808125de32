"""Provisioning shared by the CRM connectors: a won deal becomes customer, contract, project.

A connector's event handler fetches the deal, maps it to the neutral dict described in
`_apply_deal` (with its own `mapping.py`) and hands it over; everything after that is here.
"""

from decimal import Decimal

from odoo import Command, _, api, fields, models
from odoo.exceptions import UserError
from odoo.tools.sql import escape_psql

from .. import deal as deals
from ..exceptions import ProvisioningBlocked


class Q2cCrmProvisioning(models.AbstractModel):
    """A service, not a table: every method receives the connected system, the deal and (for
    the trace and the hints a person reads) the event, and runs as the caller, the system's
    integration user. Inherit it to change one step (e.g. `_partner_values`)."""

    _name = "q2c.crm.provisioning"
    _description = "CRM Provisioning (won deal to customer, contract and project)"

    # --- orchestration -------------------------------------------------------------------

    def _apply_deal(self, system, deal, event=None):
        """Provision a won deal, or propose its amount change when it was provisioned.

        `deal`: {"id", "name", "won" (bool), "amount" (str or number), "currency" (ISO code),
        "billing_model", "start_date" (ISO date), "owner": {"id", "email"},
        "account": {"id", "name", "vat", "email", "domain", "website", "phone", "street",
        "city", "zip", "country_code"}, "contacts": [{"id", "name", "email", "phone"}],
        "lines": [{"id", "name", "quantity", "price" (unit price), "amount", "sku",
        "product_id" (the CRM's product id)}]}.
        `system`: the q2c.system the deal comes from (its external references, its CRM
        settings); `event`: the q2c.event being processed, if any (outbound calls are logged
        with it, refusals tell to replay it).
        Returns the records touched (nothing for a deal not won yet). Raises
        ProvisioningBlocked when a person must complete or settle something first.
        """
        system.ensure_one()
        system._crm_check_user()
        contract = self.env["q2c.external.ref"]._find(system, "deal", deal["id"])
        if contract:
            return self.env["q2c.crm.proposal"]._propose_amount_change(system, contract, deal)
        if not deal.get("won"):
            return self.env["q2c.contract"]
        return self._provision(system, deal, self._validate(system, deal, event), event)

    def _provision(self, system, deal, values, event):
        """Customer, contacts, then the contract (with its project and rate card) once per
        deal, activated when configured, its reference written back to the CRM."""
        partner = self._customer(system, deal)
        contacts = self._contacts(system, deal, partner)
        contract = self.env["q2c.external.ref"]._ensure(
            system,
            "deal",
            deal["id"],
            lambda: self._create_contract(system, deal, values, partner, event),
        )
        self._activate(system, contract)
        system._crm_write_back(deal, contract, event)
        return [*partner, *contacts, *contract, *contract.project_ids, *contract.rate_card_ids]

    def _replay_hint(self, event):
        """How a person retries once the cause is fixed."""
        if event:
            return _("replay event %s", event.display_name)
        return _("provision the deal again")

    @api.model
    def _deal_label(self, deal):
        return deal.get("name") or deal["id"]

    # --- validation ----------------------------------------------------------------------

    def _validate(self, system, deal, event):
        """Check the fields a contract needs; raise ProvisioningBlocked naming all that lack.

        Returns the converted values: currency record, amount (rounded), billing model, date,
        contract manager.
        """
        missing = deals.missing_fields(deal)
        invalid, values = [], {}
        if deal.get("currency"):
            currency = self.env["res.currency"].search(
                [("name", "=", str(deal["currency"]).upper())], limit=1
            )
            if currency:
                values["currency"] = currency
            else:
                invalid.append(_("currency %s is not active in Odoo", deal["currency"]))
        if not deals.is_blank(deal, "amount"):
            amount = deals.to_decimal(deal["amount"])
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
        invalid += self._validate_owner(system, deal, values)
        if missing or invalid:
            raise ProvisioningBlocked(
                self._blocked_reason(deal, missing, invalid),
                kind="missing_data",
                details=_("Complete the deal in the CRM, then %s.", self._replay_hint(event)),
            )
        return values

    def _validate_owner(self, system, deal, values):
        """Put the contract manager in `values`; the problem with the owner, if any."""
        if deals.is_blank(deal, "owner"):
            return []  # named as missing
        values["manager"] = self._owner_user(system, deal)
        if values["manager"]:
            return []
        owner = deal["owner"]
        return [
            _(
                "owner %s has no Odoo user (same login or e-mail) and no default contract "
                "manager is set",
                owner.get("email") or owner.get("id"),
            )
        ]

    def _blocked_reason(self, deal, missing, invalid):
        parts = []
        if missing:
            parts.append(_("missing %s", ", ".join(missing)))
        if invalid:
            parts.append("; ".join(invalid))
        return _(
            "Deal %(deal)s cannot be provisioned: %(problems)s.",
            deal=self._deal_label(deal),
            problems="; ".join(parts),
        )

    # --- customer ------------------------------------------------------------------------

    def _customer(self, system, deal):
        """The customer bound to the CRM account, or a new one unless it may be a duplicate:
        then a person decides (bind the account to the right partner, replay the event)."""
        refs = self.env["q2c.external.ref"]
        account = deal["account"]
        if account.get("id"):
            partner = refs._find(system, "account", account["id"])
            if partner:
                return partner
        vals = self._partner_values(account)
        domain_email = account.get("domain") and f"info@{account['domain']}"
        probe = dict(vals, email=vals.get("email") or domain_email)
        candidates = self.env["res.partner"]._q2c_duplicate_candidates(probe)
        if candidates and self._decided_new_customer(system, account):
            candidates = []
        if candidates:
            raise ProvisioningBlocked(
                _(
                    "Deal %(deal)s: customer %(name)s may already exist as %(partner)s "
                    "(%(reason)s).",
                    deal=self._deal_label(deal),
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
                candidates=self.env["res.partner"].union(*(p for p, _reason in candidates)),
                external=("account", account["id"]) if account.get("id") else None,
            )
        partner = self.env["res.partner"].create(vals)
        if account.get("id"):
            refs._bind(system, "account", account["id"], partner)
        return partner

    def _decided_new_customer(self, system, account):
        """Whether a person decided that the CRM account is a new customer, not one of its
        possible duplicates (the duplicate exception's choice; the event replayed after)."""
        if not account.get("id"):
            return False
        decision = self.env["q2c.exception"]._decision_for(system, "account", account["id"])
        return decision == "new"

    @api.model
    def _partner_values(self, account):
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

    def _contacts(self, system, deal, partner):
        """The deal's contacts as contacts of the customer, each bound to its CRM id."""
        refs, contacts = self.env["q2c.external.ref"], self.env["res.partner"]
        for contact in deal.get("contacts") or ():
            name = contact.get("name") or contact.get("email")
            if not (contact.get("id") and name):
                continue
            contacts |= refs._ensure(
                system,
                "contact",
                contact["id"],
                lambda c=contact, n=name: self._create_contact(c, n, partner),
            )
        return contacts

    def _create_contact(self, contact, name, partner):
        return self.env["res.partner"].create(
            {
                "name": name,
                "email": contact.get("email"),
                "phone": contact.get("phone"),
                "parent_id": partner.id,
                "type": "contact",
            }
        )

    # --- contract and project ------------------------------------------------------------

    def _owner_user(self, system, deal):
        """The Odoo user of the CRM owner: bound to the owner's id (external reference
        `owner`), else the internal user with the owner's e-mail as login or e-mail (then
        bound, so the next deal needs no look-up), else the configured default manager;
        empty when none."""
        owner = deal.get("owner") or {}
        email = (owner.get("email") or "").strip()
        refs, user = self.env["q2c.external.ref"], self.env["res.users"]
        if owner.get("id"):
            user = refs._find(system, "owner", owner["id"]) or user
        if email and not user:
            # Internal users only: a portal user with that address manages nothing. The
            # address is matched case-insensitively, its `_` and `%` literally.
            pattern = escape_psql(email)
            user = user.search(
                [
                    ("share", "=", False),
                    "|",
                    ("login", "=ilike", pattern),
                    ("email", "=ilike", pattern),
                ],
                limit=1,
            )
            if user and owner.get("id") and not refs._find_external_id(system, "owner", user):
                refs._bind(system, "owner", owner["id"], user)
        return user or system.crm_default_manager_id

    def _create_contract(self, system, deal, values, partner, event):
        manager = values["manager"]
        contract = self.env["q2c.contract"].create(
            {
                "name": deal.get("name") or deal["account"]["name"],
                "partner_id": partner.id,
                "company_id": system.company_id.id,
                "currency_id": values["currency"].id,
                "billing_model": values["billing_model"],
                "original_value": values["amount"],
                "crm_amount": values["amount"],
                "date_start": values["start_date"],
                "date_signed": values["start_date"],
                "user_id": manager.id,
            }
        )
        project = self._create_project(deal, contract, manager)
        contract.project_ids = [Command.link(project.id)]
        if contract.billing_model == "fixed_fee":
            contract.milestone_ids = self._milestone_commands(deal, contract)
        contract._message_log(
            body=_(
                "Provisioned from %(system)s deal %(deal)s.", system=system.name, deal=deal["id"]
            )
        )
        if contract.billing_model in deals.RATED_MODELS:
            self._create_rate_card(system, deal, contract, event)
        return contract

    def _create_project(self, deal, contract, manager):
        """A project shell with one task per deal line, for delivery to start on."""
        return self.env["project.project"].create(
            {
                "name": contract.display_name,
                "partner_id": contract.partner_id.id,
                "company_id": contract.company_id.id,
                "user_id": manager.id,
                "task_ids": [
                    Command.create({"name": self._line_label(line), "user_ids": False})
                    for line in deal.get("lines") or ()
                ],
            }
        )

    @api.model
    def _line_label(self, line):
        quantity = deals.to_decimal(line.get("quantity") or 1) or Decimal(1)
        label = line.get("name") or line.get("sku") or _("Line %s", line.get("id"))
        return label if quantity == 1 else f"{label} (x {quantity.normalize():f})"

    def _milestone_commands(self, deal, contract):
        """One milestone per line when the lines add up to the fee, else one for the fee."""
        currency, lines = contract.currency_id, deal.get("lines") or []
        amounts = [
            currency.round(float(deals.to_decimal(line.get("amount")) or 0)) for line in lines
        ]
        if (
            lines
            and all(amounts)
            and not currency.compare_amounts(sum(amounts), contract.original_value)
        ):
            return [
                Command.create(
                    {
                        "name": self._line_label(line),
                        "basis": "amount",
                        "fixed_amount": amount,
                        "sequence": index,
                    }
                )
                for index, (line, amount) in enumerate(zip(lines, amounts, strict=True))
            ]
        return [Command.create({"name": contract.name, "basis": "percent", "percent": 100.0})]

    # --- rate card from the deal's products --------------------------------------------

    def _line_product(self, system, line, company):
        """The Odoo product of a deal line: bound to the CRM's product id (external reference
        `product`), else the one product whose internal reference is the line's SKU."""
        product = self.env["product.product"]
        if line.get("product_id"):
            refs = self.env["q2c.external.ref"]
            product = refs._find(system, "product", line["product_id"]) or product
        sku = (line.get("sku") or "").strip()
        if not product and sku:
            found = product.search(
                [("default_code", "=", sku), ("company_id", "in", [False, company.id])], limit=2
            )
            product = found if len(found) == 1 else product
        return product

    def _rate_lines(self, system, deal, contract, event):
        """{role: (rate, unit, product, line)} of the deal lines whose product maps to a role.

        Two lines pricing the same role differently cannot both be the contract's rate: the
        deal is refused with both named rather than one picked."""
        rates, day = {}, self.env.ref("uom.product_uom_day", raise_if_not_found=False)
        for line in deal.get("lines") or ():
            product = self._line_product(system, line, contract.company_id)
            # Roles (hr.job) are HR records; reading which one a product sells is not an HR
            # operation, and the integration user has no HR rights.
            role = product.sudo().q2c_role_id
            price = deals.to_decimal(line["price"]) if line.get("price") is not None else None
            if not role or (role.company_id and role.company_id != contract.company_id):
                continue
            if price is None or price <= 0:
                continue
            rate = contract.currency_id.round(float(price))
            unit = "day" if day and product.uom_id == day else "hour"
            if role in rates and (rates[role][0], rates[role][1]) != (rate, unit):
                raise self._role_priced_twice(
                    deal, contract, (role, rates[role]), rate, line, event
                )
            rates.setdefault(role, (rate, unit, product, line))
        return rates

    def _role_priced_twice(self, deal, contract, priced, rate, line, event):
        """The refusal of a deal pricing one role at two rates, naming both lines.

        `priced`: (role, its first (rate, unit, product, line))."""
        role, first = priced
        return ProvisioningBlocked(
            _(
                "Deal %(deal)s prices role %(role)s twice: %(first)s (%(first_line)s) and "
                "%(second)s (%(second_line)s).",
                deal=self._deal_label(deal),
                role=role.name,
                first=contract._fmt(first[0]),
                first_line=self._line_label(first[3]),
                second=contract._fmt(rate),
                second_line=self._line_label(line),
            ),
            kind="other",
            details=_(
                "A contract rate card has one rate per role. Give each rate its own product "
                "(mapped to its own role) in the CRM, or correct the price, then %s.",
                self._replay_hint(event),
            ),
        )

    def _create_rate_card(self, system, deal, contract, event):
        """A contract rate card from the deal lines whose product maps to a role, valid from
        the contract start, in the contract currency. No such line: no card, and the
        customer's or the company's default rate card prices the time."""
        rates = self._rate_lines(system, deal, contract, event)
        if not rates:
            contract._message_log(
                body=_(
                    "No deal line sells a product mapped to a role: no contract rate card; "
                    "the customer's or the company's default rate card applies."
                )
            )
            return self.env["q2c.rate.card"]
        card = self.env["q2c.rate.card"].create(
            {
                "name": _("%(contract)s (deal rates)", contract=contract.display_name),
                "scope": "contract",
                "company_id": contract.company_id.id,
                "currency_id": contract.currency_id.id,
                "note": _("From %(system)s deal %(deal)s.", system=system.name, deal=deal["id"]),
                "line_ids": [
                    Command.create(
                        {
                            "role_id": role.id,
                            "rate": rate,
                            "unit": unit,
                            "date_from": contract.date_start,
                            "product_id": product.id if product.type == "service" else False,
                        }
                    )
                    for role, (rate, unit, product, _line) in rates.items()
                ],
            }
        )
        contract.rate_card_ids = [Command.link(card.id)]
        contract._message_log(body=self._rate_card_note(contract, card, rates))
        return card

    def _rate_card_note(self, contract, card, rates):
        """The contract's note on its new rate card, pointing out discounted lines (their
        rate is the unit price, not the discounted total)."""
        discounted = [
            self._line_label(line)
            for _rate, _unit, _product, line in rates.values()
            if deals.is_discounted(line)
        ]
        note = ""
        if discounted:
            note = _(
                " Lines with a discount, priced at their unit price: %s.", ", ".join(discounted)
            )
        return _(
            "Contract rate card %(card)s from the deal's products: %(rates)s.%(note)s",
            card=card.name,
            rates=", ".join(
                f"{role.name} {contract._fmt(rate)}/{unit}"
                for role, (rate, unit, _product, _line) in rates.items()
            ),
            note=note,
        )

    def _activate(self, system, contract):
        """Activate when the system says so; a contract not ready stays a draft, with why."""
        if system.crm_contract_state != "active" or contract.state != "draft":
            return
        try:
            with self.env.cr.savepoint():
                contract.action_activate()
        except UserError as error:
            contract._message_log(
                body=_("Left as a draft, not activated: %s", error.args[0] if error.args else "")
            )
