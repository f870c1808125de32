import { registry } from "@web/core/registry";

// A project manager asks for the WIP as of a past date and reads it per contract: only the
// contracts of the projects they manage, without the cost column.
registry.category("web_tour.tours").add("q2c_wip_as_of", {
    steps: () => [
        {
            content: "Ask for the WIP as of the end of April",
            trigger: "div[name=as_of_date] input",
            run: "edit 04/30/2026",
        },
        {
            content: "Show it",
            trigger: ".modal button[name=action_open_report]",
            run: "click",
        },
        {
            content: "The window says the date",
            trigger: ".o_control_panel:contains('WIP as of 2026-04-30')",
        },
        {
            content: "Approved, unbilled work is in rows",
            trigger: ".o_pivot th:contains('Approved, unbilled')",
        },
        {
            content: "My contract is there, with its value",
            trigger: ".o_pivot th:contains('Tour WIP mine')",
        },
        {
            content: "The value of my 2 hours at 150.00",
            trigger: ".o_pivot td:contains('300.00')",
        },
        {
            content: "Someone else's contract is not",
            trigger: ".o_pivot:not(:has(th:contains('Tour WIP other')))",
        },
        {
            content: "Nor is the cost",
            trigger: ".o_pivot:not(:has(th:contains('WIP at Cost')))",
        },
    ],
});
