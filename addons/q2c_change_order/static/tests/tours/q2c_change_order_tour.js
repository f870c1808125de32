import { registry } from "@web/core/registry";

// A project manager asks for a change on a signed contract: New Change Order, a value
// change, save, submit. With segregation of duties on, no Approve button is offered to them.
registry.category("web_tour.tours").add("q2c_change_order_request", {
    steps: () => [
        {
            content: "From the contract, start a new change order",
            trigger: ".o_statusbar_buttons button[name=action_new_change_order]",
            run: "click",
        },
        {
            content: "Say what changes",
            trigger: "div[name=title] input",
            run: "edit Extra reporting workshop",
        },
        {
            content: "Add a line",
            trigger: "div[name=line_ids] .o_field_x2many_list_row_add a",
            run: "click",
        },
        {
            content: "Describe the line",
            trigger: "div[name=line_ids] .o_selected_row div[name=name] input",
            run: "edit Two workshop days",
        },
        {
            content: "Its price",
            trigger: "div[name=line_ids] .o_selected_row div[name=unit_price] input",
            run: "edit 1500",
        },
        {
            content: "Save",
            trigger: ".o_form_button_save",
            run: "click",
        },
        {
            content: "Submit it for approval",
            trigger: ".o_statusbar_buttons button[name=action_submit]",
            run: "click",
        },
        {
            content: "It is submitted",
            trigger: ".o_statusbar_status button[aria-checked=true]:contains(Submitted)",
        },
        {
            content: "The requester is not offered the approval",
            trigger: ".o_form_statusbar:not(:has(button[name=action_approve]))",
        },
    ],
});

// A second person approves it, confirms, and sees the contract value move.
registry.category("web_tour.tours").add("q2c_change_order_approve", {
    steps: () => [
        {
            content: "Approve",
            trigger: ".o_statusbar_buttons button[name=action_approve]",
            run: "click",
        },
        {
            content: "Confirm the approval",
            trigger: ".modal-footer button.btn-primary:contains(Approve)",
            run: "click",
        },
        {
            content: "It is approved",
            trigger: ".o_statusbar_status button[aria-checked=true]:contains(Approved)",
        },
        {
            content: "Open its contract",
            trigger: "div[name=contract_id] a.o_form_uri",
            run: "click",
        },
        {
            content: "The contract value moved by the approved amount",
            trigger: ".o_form_view div[name=current_value]:contains(101,500.00)",
        },
    ],
});
