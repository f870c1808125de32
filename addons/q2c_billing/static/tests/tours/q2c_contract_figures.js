/** @odoo-module */
// Finance opens a contract, reads what is unbilled, invoiced and overdue, and opens the
// invoices and the time entries behind the figures.
import { registry } from "@web/core/registry";

registry.category("web_tour.tours").add("q2c_contract_figures", {
    steps: () => [
        {
            content: "The next billing run is named for the time waiting to be billed",
            trigger: "div[name=q2c_next_run_hint]:contains(Next billing run)",
        },
        {
            content: "Unbilled work at its billing value",
            trigger: "button[name=action_view_q2c_unbilled_time]:contains(400.00)",
        },
        {
            content: "Open what the contract invoiced",
            trigger: "button[name=action_view_q2c_invoiced]:contains(800.00)",
            run: "click",
        },
        {
            content: "The posted invoice of the March run",
            trigger: ".o_list_view .o_data_row:contains(800.00)",
        },
        {
            content: "Back to the contract",
            trigger: ".o_breadcrumb .breadcrumb-item a:contains(C-740)",
            run: "click",
        },
        {
            content: "Open the time waiting to be billed",
            trigger: "button[name=action_view_q2c_unbilled_time]",
            run: "click",
        },
        {
            content: "The approved entry of May",
            trigger: ".o_list_view .o_data_row:contains(Workshop follow-up)",
        },
    ],
});
