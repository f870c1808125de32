from odoo import api, models


class AccountPartialReconcile(models.Model):
    _inherit = "account.partial.reconcile"

    @api.model_create_multi
    def create(self, vals_list):
        """Something reconciled with a published invoice (a payment made another way, a
        credit note reversing it) may change what its gateway copy must show: queue its
        update (account_move_published.py); the job decides. Not for the payments q2c
        books from a gateway itself (`q2c.payment.settlement._register_payment` passes
        `q2c_gateway_fee`): the gateway knows them."""
        partials = super().create(vals_list)
        if self.env.context.get("q2c_gateway_fee") is None:
            moves = partials.debit_move_id.move_id | partials.credit_move_id.move_id
            moves._q2c_enqueue_gateway_update()
        return partials
