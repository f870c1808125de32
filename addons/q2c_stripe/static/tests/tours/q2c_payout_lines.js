import { registry } from "@web/core/registry";

// Finance opens Payout Lines: each line of a payout with its type and what it is matched
// with; the Not Reconciled filter leaves what is left to reconcile (the transfer).
registry.category("web_tour.tours").add("q2c_payout_lines", {
    url: "/odoo/action-q2c_payment.action_q2c_payout_lines",
    steps: () => [
        {
            content: "The chargeback line says what it is matched with",
            trigger:
                ".o_data_row:has(td[name=q2c_payout_kind]:contains('Chargeback')) td[name=q2c_matched_with]:contains('/')",
        },
        {
            content: "Open the filters",
            trigger: ".o_searchview_dropdown_toggler",
            run: "click",
        },
        {
            content: "Only what is not reconciled",
            trigger: ".o_filter_menu .o_menu_item:contains('Not Reconciled')",
            run: "click",
        },
        {
            content: "Left: the transfer to the bank, alone",
            trigger:
                ".o_list_renderer:not(:has(.o_data_row:nth-child(2))) .o_data_row td[name=q2c_payout_kind]:contains('Transfer to Bank')",
        },
    ],
});
