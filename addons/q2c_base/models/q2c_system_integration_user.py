"""The connected system's integration user and its API keys, managed from the system's form.

An Integration Manager creates the user with exactly the groups the system's connector
declares (`_integration_user_groups`), grants the ones it lacks, and issues, rotates and
revokes its API keys (Odoo's `res.users.apikeys`): the user itself never logs in, so it
cannot make its own keys in its Preferences.
"""

import re
from datetime import timedelta

from odoo import Command, _, api, fields, models
from odoo.exceptions import AccessError, UserError

MANAGER_GROUP = "q2c_base.group_integration_manager"
# Odoo groups that make a user an administrator: never handled from a system's form.
ADMIN_GROUPS = ("base.group_system", "base.group_erp_manager")


class Q2cSystem(models.Model):
    _inherit = "q2c.system"

    integration_user_problem = fields.Char(
        compute="_compute_integration_user_problem",
        help="What the integration user lacks, in one sentence; empty when nothing.",
    )
    api_key_summary = fields.Text(
        "API Keys",
        compute="_compute_api_key_summary",
        groups="q2c_base.group_integration_manager,q2c_base.group_auditor",
        help="The integration user's API keys: the key itself is shown once, when issued.",
    )
    api_key_count = fields.Integer(
        compute="_compute_api_key_summary",
        groups="q2c_base.group_integration_manager,q2c_base.group_auditor",
    )

    # --- hooks -----------------------------------------------------------------------------

    def _integration_user_groups(self):
        """The groups this system's integration user needs, and no more.

        Called by `action_create_integration_user` (the new user gets exactly these), by
        `_integration_user_missing_groups` (Test Connection and the form's warning) and by
        `action_grant_integration_user_groups`. Returns a res.groups recordset. Default:
        Internal User and Integration User (technical). An addon whose handlers or ingestion
        write business records as the integration user adds the groups those writes need,
        after super(), for the systems that make them (q2c_crm: provisioning systems;
        q2c_timesheet and q2c_expense: systems writing time or expenses). Never an
        administrator's group: the form refuses to grant those.
        """
        self.ensure_one()
        return self.env.ref("base.group_user") | self.env.ref("q2c_base.group_integration_user")

    def _integration_user_vals(self):
        """Values of the integration user `action_create_integration_user` creates.

        Returns a dict for `res.users.create`; the groups are set by the caller. Default:
        named after the system, a login of its own, the system's company, notifications in
        Odoo only, and the company's e-mail (else the creating manager's) because Odoo posts
        notes in its name and refuses to without an address.
        """
        self.ensure_one()
        slug = re.sub(r"[^a-z0-9]+", "-", self.name.lower()).strip("-") or self.system_type
        login = f"q2c-integration-{slug}-{self.id}"
        users = self.env["res.users"].sudo().with_context(active_test=False)
        # A previous user of this system (unlinked from it since) keeps its login.
        suffix = 1
        while users.search_count([("login", "=", login)]):
            suffix += 1
            login = f"q2c-integration-{slug}-{self.id}-{suffix}"
        return {
            "name": _("Integration: %s", self.name),
            "login": login,
            "email": self.company_id.email or self.env.user.email or False,
            "company_id": self.company_id.id,
            "company_ids": [Command.set(self.company_id.ids)],
            "notification_type": "inbox",
        }

    # --- what the integration user lacks --------------------------------------------------

    def _integration_user_missing_groups(self):
        """Groups of `_integration_user_groups` the current integration user does not hold
        (directly or implied). Empty when there is no user."""
        self.ensure_one()
        user = self.user_id.sudo()
        if not user:
            return self.env["res.groups"]
        return self._integration_user_groups().filtered(lambda g: g not in user.groups_id)

    def _integration_user_problem(self):
        """One sentence saying what is wrong with the integration user and what to press,
        or an empty string."""
        self.ensure_one()
        if not self.user_id:
            return _(
                "%(system)s has no integration user yet, so it receives nothing: Create "
                "Integration User on its form makes one (Integration Managers).",
                system=self.name,
            )
        missing = self._integration_user_missing_groups()
        if not missing:
            return ""
        return _(
            "The integration user %(user)s lacks %(groups)s; its events fail with an access "
            "error until an Integration Manager presses Grant Missing Rights on the system's "
            "form.",
            user=self.user_id.name,
            groups=", ".join(sorted(self._q2c_group_label(g) for g in missing.sudo())),
        )

    def _q2c_group_label(self, group):
        """A group as a person reads it: its privilege (category) and name ("Accounting:
        Basic", "Project: Administrator"), the name alone for a group of no app (Contact
        Creation), never Odoo's technical "Technical / Basic"."""
        # Groups Odoo files under its hidden "Technical" category, named as Settings >
        # Users and q2c's docs name them.
        labels = {
            "account.group_account_basic": _("Accounting: Basic"),
            "account.group_account_invoice": _("Accounting: Billing"),
            "account.group_account_readonly": _("Accounting: Read-only"),
            "account.group_account_user": _("Accounting: Bookkeeper"),
        }
        xmlid = group.get_external_id().get(group.id)
        if xmlid in labels:
            return labels[xmlid]
        category = group.category_id
        hidden = {
            self.env.ref(ref, raise_if_not_found=False)
            for ref in (
                "base.module_category_hidden",
                "base.module_category_usability",
                "base.module_category_user_type",
            )
        }
        if not category or category in hidden:
            return group.name
        return f"{category.name}: {group.name}"

    @api.depends("user_id", "user_id.groups_id", "system_type")
    def _compute_integration_user_problem(self):
        for system in self:
            # A new record has no button to press yet: nothing to say before it is saved.
            saved = bool(system.system_type) and isinstance(system.id, int)
            system.integration_user_problem = (
                saved and system._integration_user_problem()
            ) or False

    # --- create the user, grant what it lacks ---------------------------------------------

    def _check_integration_manager(self):
        """Managing the integration user and its keys is an Integration Manager's: checked
        explicitly, because the work is then done as superuser."""
        if not self.env.user.has_group(MANAGER_GROUP):
            raise AccessError(_("Only an Integration Manager manages integration users."))
        self.check_access("write")

    def _check_manageable_user(self, granting=False):
        """The system's user, when the form may act for it: an integration user, never a
        person (an Integration Manager, or anyone who has logged in) nor an administrator,
        because the form gives it rights and makes keys that act as it. When `granting`, a
        user that never logged in is accepted too: one made with the many2one's "Create"
        has the default groups, and granting makes it an integration user."""
        user = self.user_id.sudo()
        if not user:
            raise UserError(_("%s has no integration user.", self.name))
        refused = user.has_group(MANAGER_GROUP) or any(user.has_group(g) for g in ADMIN_GROUPS)
        if not user._is_q2c_integration_user() and not (granting and not user.login_date):
            refused = True
        if refused:
            raise UserError(
                _(
                    "%(user)s is a person or an administrator, not an integration user: give "
                    "it its rights and keys in Settings > Users, or set another user.",
                    user=user.name,
                )
            )
        return user

    def action_create_integration_user(self):
        """Create the system's integration user with exactly `_integration_user_groups`,
        and make it the system's user."""
        self.ensure_one()
        self._check_integration_manager()
        if self.user_id:
            raise UserError(_("%s already has an integration user.", self.name))
        groups = self._integration_user_groups()
        vals = {**self._integration_user_vals(), "groups_id": [Command.set(groups.ids)]}
        user = (
            self.env["res.users"]
            .sudo()
            .with_context(no_reset_password=True, mail_create_nosubscribe=True)
            .create(vals)
        )
        self.user_id = user
        self._message_log(
            body=_(
                "Integration user %(user)s created with: %(groups)s.",
                user=user.name,
                groups=", ".join(sorted(groups.sudo().mapped("full_name"))),
            )
        )
        return True

    def action_grant_integration_user_groups(self):
        """Add to the integration user the groups it lacks (`_integration_user_groups`)."""
        self.ensure_one()
        self._check_integration_manager()
        user = self._check_manageable_user(granting=True)
        missing = self._integration_user_missing_groups()
        if missing:
            user.write({"groups_id": [Command.link(group.id) for group in missing]})
            self._message_log(
                body=_(
                    "Rights granted to %(user)s: %(groups)s.",
                    user=user.name,
                    groups=", ".join(sorted(missing.sudo().mapped("full_name"))),
                )
            )
        return True

    # --- API keys ---------------------------------------------------------------------------

    def _api_keys(self):
        """The integration user's API keys (Odoo's res.users.apikeys), as superuser."""
        self.ensure_one()
        return self.env["res.users.apikeys"].sudo().search([("user_id", "=", self.user_id.id)])

    @api.depends("user_id")
    def _compute_api_key_summary(self):
        for system in self:
            keys = system._api_keys() if system.user_id else self.env["res.users.apikeys"]
            system.api_key_count = len(keys)
            system.api_key_summary = "\n".join(
                _(
                    "%(name)s; %(until)s",
                    name=key.name,
                    until=_("expires %s UTC", fields.Datetime.to_string(key.expiration_date))
                    if key.expiration_date
                    else _("no expiry"),
                )
                for key in keys.sorted("id")
            ) or _("None")

    def _issue_api_key(self, expiration_date=None, grace_hours=None):
        """Generate an API key of the integration user; return it (shown once, never kept).

        With `grace_hours` (a rotation), the user's other keys stay valid that many hours
        more and then expire (a key expiring sooner keeps its date). The check is explicit
        (an Integration Manager, an integration user) because the key is made as superuser:
        Odoo lets a user make keys only for itself.
        """
        self.ensure_one()
        self._check_integration_manager()
        user = self._check_manageable_user()
        old_keys = self._api_keys()
        name = _(
            "%(system)s, issued by %(manager)s on %(date)s",
            system=self.name,
            manager=self.env.user.name,
            date=fields.Date.to_string(fields.Date.context_today(self)),
        )
        key = (
            self.env["res.users.apikeys"]
            .with_user(user)
            .sudo()
            ._generate(None, name, expiration_date)
        )
        if grace_hours is not None and old_keys:
            until = fields.Datetime.now() + timedelta(hours=max(grace_hours, 0))
            old_keys.filtered(lambda k: not k.expiration_date or k.expiration_date > until).write(
                {"expiration_date": until}
            )
            body = _(
                "API key rotated: new key %(name)s; the previous keys stop working at "
                "%(until)s (UTC).",
                name=name,
                until=fields.Datetime.to_string(until),
            )
        else:
            body = _("API key issued: %s.", name)
        self.invalidate_recordset(["api_key_summary", "api_key_count"])
        self._message_log(body=body)
        return key

    def action_revoke_api_keys(self):
        """Remove every API key of the integration user: it is refused from now on."""
        self.ensure_one()
        self._check_integration_manager()
        self._check_manageable_user()
        keys = self._api_keys()
        count = len(keys)
        keys._remove()
        self.invalidate_recordset(["api_key_summary", "api_key_count"])
        self._message_log(body=_("%s API key(s) of the integration user revoked.", count))
        return True

    def action_open_api_key_wizard(self):
        """Open the dialog that issues (or, with keys already there, rotates) a key."""
        self.ensure_one()
        self._check_integration_manager()
        self._check_manageable_user()
        return {
            "type": "ir.actions.act_window",
            "name": _("Rotate API Key") if self._api_keys() else _("Issue API Key"),
            "res_model": "q2c.api.key.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {"default_system_id": self.id},
        }
