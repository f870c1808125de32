from odoo import models


class AccountPaymentRegister(models.TransientModel):
    _inherit = "account.payment.register"

    def _create_payment_vals_from_wizard(self, batch_result):
        """A gateway fee (context `q2c_gateway_fee`: amount in the payment currency, and
        `q2c_fee_account_id`) becomes a write-off line of the payment: the liquidity line
        holds what the gateway pays out, the fee line the fee, and the receivable line both,
        so the invoice is paid by the gross amount. Odoo builds the journal items."""
        vals = super()._create_payment_vals_from_wizard(batch_result)
        fee = self.env.context.get("q2c_gateway_fee")
        account_id = self.env.context.get("q2c_fee_account_id")
        if fee and account_id and self.payment_type == "inbound":
            vals["write_off_line_vals"].append(
                {
                    "name": self.env.context.get("q2c_fee_label") or self.communication,
                    "account_id": account_id,
                    "partner_id": self.partner_id.id,
                    "currency_id": self.currency_id.id,
                    "amount_currency": fee,
                    "balance": self.currency_id._convert(
                        fee, self.company_id.currency_id, self.company_id, self.payment_date
                    ),
                }
            )
        return vals
