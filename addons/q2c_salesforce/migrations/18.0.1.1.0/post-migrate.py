"""18.0.1.1.0 moved the account-standing write-back into the bridge q2c_salesforce_payment
(auto_install with q2c_payment), so that q2c_salesforce no longer needs the payments stack.

auto_install only acts when one of a bridge's dependencies is being installed: a database
updating q2c_salesforce with q2c_payment already installed would not get the bridge, and Odoo
would delete what q2c_salesforce no longer defines at the end of the update, the *Account
Standing Field* with its stored values included. So the bridge is installed here, in the same
update, and takes over the external ids of the records it now defines (they keep their ids and
values)."""

import logging

from odoo import SUPERUSER_ID, api

_logger = logging.getLogger(__name__)

BRIDGE = "q2c_salesforce_payment"
MOVED = ("field_q2c_system__salesforce_standing_field", "q2c_system_view_form_salesforce_standing")


def migrate(cr, version):
    env = api.Environment(cr, SUPERUSER_ID, {})
    modules = env["ir.module.module"]
    payment = modules.search([("name", "=", "q2c_payment"), ("state", "!=", "uninstalled")])
    bridge = modules.search([("name", "=", BRIDGE), ("state", "!=", "uninstallable")])
    if not (payment and bridge):
        return
    # An id the bridge already owns (installed before this update) stays; the old one is
    # then cleared by Odoo at the end of the update, the record kept through the bridge's id.
    cr.execute(
        """
        UPDATE ir_model_data old SET module = %s
         WHERE old.module = 'q2c_salesforce' AND old.name IN %s
           AND NOT EXISTS (
               SELECT 1 FROM ir_model_data new WHERE new.module = %s AND new.name = old.name
           )
        """,
        (BRIDGE, MOVED, BRIDGE),
    )
    _logger.info("%s external ids handed over to %s", cr.rowcount, BRIDGE)
    if bridge.state == "uninstalled":
        bridge.button_install()
