import { registry } from "@web/core/registry";

// Finance finds a cancelled Chargebee subscription, reads what it still owes and opens its
// open invoices: nothing was closed by the cancellation.
registry.category("web_tour.tours").add("q2c_subscription_cancelled", {
    url: "/odoo/action-q2c_payment.action_q2c_subscription",
    steps: () => [
        {
            content: "Show cancelled subscriptions too",
            trigger: ".o_searchview_facet:contains('Live') .o_facet_remove",
            run: "click",
        },
        {
            content: "Open the cancelled subscription",
            trigger: ".o_data_row:contains('pro-monthly'):contains('Cancelled') td[name=plan]",
            run: "click",
        },
        {
            content: "The subscription says it is cancelled",
            trigger: ".ribbon:contains('Cancelled')",
        },
        {
            content: "Its invoice is still due",
            trigger: "div[name=invoice_ids] .o_data_row:contains('Not Paid')",
        },
        {
            content: "Open its invoices",
            trigger: "button[name=action_view_invoices]",
            run: "click",
        },
        {
            content: "The invoice list shows Acme's open invoice of the subscription",
            trigger: ".o_list_view .o_data_row:contains('Acme (billing test)')",
        },
    ],
});
