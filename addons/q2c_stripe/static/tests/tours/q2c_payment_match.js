import { registry } from "@web/core/registry";

// Finance opens Payments to Match, picks the invoice of a held Stripe payment and matches it.
registry.category("web_tour.tours").add("q2c_payment_match", {
    url: "/odoo/action-q2c_payment.action_q2c_payments_to_match",
    steps: () => [
        {
            content: "The held payment says why it waits",
            trigger: ".o_data_row:contains('pi_tour'):contains('No invoice found')",
        },
        {
            content: "Open it",
            trigger: ".o_data_row td[name=external_id]:contains('pi_tour')",
            run: "click",
        },
        {
            content: "Choose the invoice it pays",
            trigger: "div[name=move_id] input",
            run: "edit INV",
        },
        {
            trigger: ".o-autocomplete--dropdown-item > a:contains('INV/')",
            run: "click",
        },
        {
            content: "Match",
            trigger: "button[name=action_match]",
            run: "click",
        },
        {
            content: "The payment is settled",
            trigger: ".o_statusbar_status button.o_arrow_button_current:contains('Settled')",
        },
    ],
});
