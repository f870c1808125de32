from odoo import _, models
from odoo.exceptions import AccessDenied


class ResUsers(models.Model):
    _inherit = "res.users"

    def _is_q2c_integration_user(self):
        """Tell whether this user is an integration identity that must not log in interactively.

        Integration users act for an external system (webhook handlers, sync jobs and the
        API-key endpoints); a person never signs in as one. A user who is also an Integration
        Manager is a person and keeps the normal login.
        """
        self.ensure_one()
        return self.has_group("q2c_base.group_integration_user") and not self.has_group(
            "q2c_base.group_integration_manager"
        )

    def _rpc_api_keys_only(self):
        """Integration users reach RPC with an API key only, never with a password."""
        return self._is_q2c_integration_user() or super()._rpc_api_keys_only()

    def _check_credentials(self, credential, env):
        """Refuse interactive logins (web login form, passkeys) of integration users.

        Non-interactive checks (RPC, bearer endpoints) go on to the API-key check that
        `_rpc_api_keys_only` imposes.
        """
        result = super()._check_credentials(credential, env)
        user = self or self.env.user
        if env.get("interactive", True) and user._is_q2c_integration_user():
            raise AccessDenied(_("Integration users cannot log in interactively."))
        return result
