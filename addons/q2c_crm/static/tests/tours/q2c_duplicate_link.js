/** @odoo-module */
// A person decides a possible duplicate customer: the CRM account is the customer Odoo
// already has. The exception is resolved and its event replays itself.
import { registry } from "@web/core/registry";

registry.category("web_tour.tours").add("q2c_duplicate_link", {
    url: "/odoo/action-q2c_base.action_q2c_exception",
    steps: () => [
        {
            content: "Open the possible duplicate",
            trigger: ".o_data_row:contains(may already exist) td[name=name]",
            run: "click",
        },
        {
            content: "The exception says what to do",
            trigger: "div[name=guidance]:contains(link it to the existing customer)",
        },
        {
            trigger: "button[name=action_open_duplicate_wizard]",
            run: "click",
        },
        {
            content: "Link to the existing customer",
            trigger: ".modal .o_field_widget[name=choice] input[data-value=link]",
            run: "click",
        },
        {
            content: "The possible match is proposed",
            trigger: ".modal .o_field_widget[name=partner_id] input:value(Totally Different Name)",
        },
        {
            content: "and it is the one chosen",
            trigger: ".modal .o_field_widget[name=partner_id] input",
            run: "edit Totally Different",
        },
        {
            trigger: ".o-autocomplete--dropdown-item:contains(Totally Different Name)",
            run: "click",
        },
        {
            trigger: ".modal .o_field_widget[name=note] textarea",
            run: "edit Same VAT: the same company",
        },
        {
            trigger: ".modal button[name=action_confirm]",
            run: "click",
        },
        {
            content: "Resolved with the choice",
            trigger: ".o_statusbar_status .o_arrow_button_current:contains(Resolved)",
        },
        {
            trigger: ".o_field_widget[name=decision]:contains(Linked to an existing customer)",
        },
    ],
});
