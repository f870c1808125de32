import { registry } from "@web/core/registry";

// Finance runs the month: Contracts > Billing > Billing Runs, a new run for March 2025,
// Prepare. The run's jobs then build each contract's pre-bill (the test runs them).
registry.category("web_tour.tours").add("q2c_billing_run_month", {
    steps: () => [
        {
            content: "Open the apps menu",
            trigger: ".o_navbar_apps_menu button:enabled",
            run: "click",
        },
        {
            content: "Open the Contracts app",
            trigger: ".o_app[data-menu-xmlid='q2c_contract.menu_q2c_contract_root']",
            run: "click",
        },
        {
            content: "Open the Billing menu",
            trigger: ".o_main_navbar button[data-menu-xmlid='q2c_billing.menu_q2c_billing']",
            run: "click",
        },
        {
            content: "Billing Runs",
            trigger: ".dropdown-item[data-menu-xmlid='q2c_billing.menu_q2c_billing_run']",
            run: "click",
        },
        {
            content: "A new run",
            trigger: ".o_list_button_add",
            run: "click",
        },
        {
            content: "Period start",
            trigger: "div[name=date_from] input",
            run: "edit 03/01/2025",
        },
        {
            content: "Period end",
            trigger: "div[name=date_to] input",
            run: "edit 03/31/2025",
        },
        {
            content: "Leave the date fields",
            trigger: ".o_form_sheet .oe_title",
            run: "click",
        },
        {
            content: "Prepare: one job per contract",
            trigger: ".o_statusbar_buttons button[name=action_prepare]",
            run: "click",
        },
        {
            content: "The run is preparing",
            trigger: ".o_statusbar_status button[aria-checked=true]:contains(Preparing)",
        },
    ],
});

// Finance opens the pre-bill review, writes one line down with a reason, approves, posts
// the invoice and prints it.
registry.category("web_tour.tours").add("q2c_prebill_review", {
    steps: () => [
        {
            content: "Open the apps menu",
            trigger: ".o_navbar_apps_menu button:enabled",
            run: "click",
        },
        {
            content: "Open the Contracts app",
            trigger: ".o_app[data-menu-xmlid='q2c_contract.menu_q2c_contract_root']",
            run: "click",
        },
        {
            content: "Open the Billing menu",
            trigger: ".o_main_navbar button[data-menu-xmlid='q2c_billing.menu_q2c_billing']",
            run: "click",
        },
        {
            content: "Pre-bill Review",
            trigger: ".dropdown-item[data-menu-xmlid='q2c_billing.menu_q2c_prebill_review']",
            run: "click",
        },
        {
            content: "Open the contract's pre-bill",
            trigger: ".o_data_row td[name=contract_id]:contains(Tour Advisory)",
            run: "click",
        },
        {
            content: "Its proposal shows standard value and realization",
            trigger: ".o_form_view div[name=realization]:contains(100.00)",
        },
        {
            content: "Gina's line: change the billed hours",
            trigger:
                "div[name=line_ids] .o_data_row:contains(Gina) td[name=billed_hours]",
            run: "click",
        },
        {
            content: "Bill 6 hours instead of 7.50",
            trigger: "div[name=line_ids] .o_selected_row div[name=billed_hours] input",
            run: "edit 6",
        },
        {
            content: "Give the reason",
            trigger: "div[name=line_ids] .o_selected_row div[name=reason_id] input",
            run: "edit inefficiency",
        },
        {
            content: "Pick Write-down: inefficiency",
            trigger: ".o-autocomplete--dropdown-item:contains(Write-down: inefficiency)",
            run: "click",
        },
        {
            content: "Save",
            trigger: ".o_form_button_save",
            run: "click",
        },
        {
            content: "The write-down shows in the realization",
            trigger: ".o_form_view div[name=realization]:contains(88.46)",
        },
        {
            content: "Approve: the invoice is created",
            trigger: ".o_statusbar_buttons button[name=action_approve]",
            run: "click",
        },
        {
            content: "Confirm",
            trigger: ".modal-footer button.btn-primary",
            run: "click",
        },
        {
            content: "The review is approved",
            trigger: ".o_statusbar_status button[aria-checked=true]:contains(Approved)",
        },
        {
            content: "Open the invoice",
            trigger: "button[name=action_view_invoice]",
            run: "click",
        },
        {
            content: "Post the invoice",
            trigger: ".o_statusbar_buttons button[name=action_post]",
            run: "click",
        },
        {
            content: "It is posted",
            trigger: ".o_statusbar_status button[aria-checked=true]:contains(Posted)",
        },
        {
            content: "Print the invoice",
            trigger: ".o_statusbar_buttons button[name=action_print_pdf]",
            run: "click",
        },
        {
            content: "Still on the posted invoice, of 1,725.00",
            trigger: ".o_form_view div[name=tax_totals]:contains(1,725.00)",
        },
    ],
});
