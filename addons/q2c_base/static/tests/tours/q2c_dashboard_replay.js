/** @odoo-module */
// A person (Finance: an integration operator) opens the dashboard, opens the system with
// a dead event, reads why it died in one sentence and the technical detail folded
// below, and replays it.
import { registry } from "@web/core/registry";

registry.category("web_tour.tours").add("q2c_dashboard_replay", {
    url: "/odoo/action-q2c_base.action_q2c_dashboard",
    steps: () => [
        {
            content: "The troubled system says what went wrong",
            trigger: ".o_kanban_record:contains(Tour CRM) .o_q2c_last_error:contains(check them on the connected system)",
        },
        {
            content: "Open the system's events",
            trigger: ".o_kanban_record:contains(Tour CRM) div[name=attention]",
            run: "click",
        },
        {
            content: "Open the dead events",
            trigger: ".o_group_header:contains(Dead)",
            run: "click",
        },
        {
            content: "Open the dead event",
            trigger: ".o_data_row:contains(tour-dead-1) td[name=external_id]",
            run: "click",
        },
        {
            content: "One readable sentence: what went wrong and what to do",
            trigger: ".alert-danger.o_q2c_error_summary:contains(refused q2c):contains(then replay)",
        },
        {
            content: "The technical detail is folded in its own page",
            trigger: ".o_notebook .nav-link:contains(Technical Detail)",
            run: "click",
        },
        {
            trigger: ".o_field_widget[name=error]:contains(HTTP 401)",
        },
        {
            content: "Replay",
            trigger: "button[name=action_open_replay_wizard]",
            run: "click",
        },
        {
            trigger: ".modal .o_field_widget[name=reason] textarea",
            run: "edit The API token was renewed",
        },
        {
            trigger: ".modal button[name=action_confirm]",
            run: "click",
        },
        {
            content: "The event is queued again",
            trigger: ".o_statusbar_status .o_arrow_button_current:contains(Queued)",
        },
    ],
});
