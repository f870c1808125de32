from odoo import api, models


class AccountPartialReconcile(models.Model):
    _inherit = "account.partial.reconcile"

    @api.model_create_multi
    def create(self, vals_list):
        """Something reconciled with a published invoice (a payment made another way, a
        credit note reversing it) may change what its gateway copy must show: queue its
        update (account_move_published.py); the job decides. Not for an invoice published
        on the gateway that booked the payment itself (`q2c.payment.settlement.
        _create_payment` passes `q2c_gateway_system_id`): that gateway knows it. A payment
        booked by another gateway (published on Stripe, paid through PayPal), or matched to
        the invoice by a person, is paid another way for the publishing one."""
        partials = super().create(vals_list)
        moves = partials.debit_move_id.move_id | partials.credit_move_id.move_id
        booked_by = self.env.context.get("q2c_gateway_system_id")
        if booked_by:
            moves = moves.filtered(lambda m: m.sudo().q2c_publication_system_id.id != booked_by)
        moves._q2c_enqueue_gateway_update()
        return partials
