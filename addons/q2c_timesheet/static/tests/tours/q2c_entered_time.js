import { registry } from "@web/core/registry";

// An employee logs 2 hours on a contract's project in Timesheets > My Timesheets.
registry.category("web_tour.tours").add("q2c_entered_time_log", {
    url: "/odoo/timesheets",
    steps: () => [
        {
            content: "Add a line",
            trigger: ".o_list_button_add",
            run: "click",
        },
        {
            content: "Choose the contract's project",
            trigger: ".o_selected_row div[name=project_id] input",
            run: "edit P-TOUR",
        },
        {
            trigger: ".o-autocomplete--dropdown-item a:contains('P-TOUR (test)')",
            run: "click",
        },
        {
            content: "Describe the work",
            trigger: ".o_selected_row div[name=name] input",
            run: "edit Workshop",
        },
        {
            content: "Two hours",
            trigger: ".o_selected_row div[name=unit_amount] input",
            run: "edit 02:00",
        },
        {
            content: "Save",
            trigger: ".o_list_button_save",
            run: "click",
        },
        {
            content: "The line waits for the project manager",
            trigger:
                ".o_data_row:not(.o_selected_row):contains('Workshop') td[name=q2c_billing_status]:contains('Held: awaiting approval')",
        },
    ],
});

// The project manager approves it in Contracts > Time to Approve.
registry.category("web_tour.tours").add("q2c_entered_time_approve", {
    url: "/odoo/action-q2c_timesheet.q2c_time_to_approve_action",
    steps: () => [
        {
            content: "The employee's two hours wait here",
            trigger: ".o_data_row:contains('Workshop'):contains('02:00')",
        },
        {
            content: "Select the line",
            trigger: ".o_data_row:contains('Workshop') .o_list_record_selector input",
            run: "click",
        },
        {
            content: "Approve",
            trigger: "button[name=action_q2c_approve]",
            run: "click",
        },
        {
            content: "Nothing waits any more",
            trigger: ".o_view_nocontent:contains('No time waits for your approval')",
        },
    ],
});
