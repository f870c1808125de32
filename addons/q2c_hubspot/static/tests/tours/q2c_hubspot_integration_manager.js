import { registry } from "@web/core/registry";

/**
 * An Integration Manager (not an administrator) sets up a HubSpot system on their own:
 * creates and saves it, creates its integration user in one step, reads the webhook URL
 * and issues the API key, shown once.
 */
registry.category("web_tour.tours").add("q2c_hubspot_integration_manager", {
    url: "/odoo/action-q2c_base.action_q2c_system/new",
    steps: () => [
        {
            content: "Name the system",
            trigger: ".o_form_view div[name=name] input",
            run: "edit HubSpot Tour",
        },
        {
            content: "It is a HubSpot system",
            trigger: ".o_form_view div[name=system_type] select",
            run: 'select "hubspot"',
        },
        {
            content: "Save it without an integration user",
            trigger: ".o_form_button_save",
            run: "click",
        },
        {
            content: "The form says it has no integration user and offers to create one",
            trigger:
                "div[name=integration_user_problem]:contains(has no integration user) button[name=action_create_integration_user]",
            run: "click",
        },
        {
            content: "The user is set and the warning is gone",
            trigger:
                ".o_form_view:not(:has(div[name=integration_user_problem]:visible)) div[name=user_id] input",
            run() {
                if (!this.anchor.value.includes("Integration: HubSpot Tour")) {
                    throw new Error(`unexpected integration user: ${this.anchor.value}`);
                }
            },
        },
        {
            content: "Read the webhook URL to give to HubSpot",
            trigger: ".o_form_view div[name=webhook_url]:contains(q2c/webhook/hubspot)",
        },
        {
            content: "Issue the integration user's API key",
            trigger: "button[name=action_open_api_key_wizard]:contains(Issue API Key)",
            run: "click",
        },
        {
            content: "Keep the default validity and issue it",
            trigger: ".modal button[name=action_issue]",
            run: "click",
        },
        {
            content: "The key is shown once, with the login",
            trigger: ".modal div[name=key]",
            run() {
                const key = this.anchor.textContent.trim().match(/[0-9a-f]{40}/);
                if (!key) {
                    throw new Error(`no key shown: ${this.anchor.textContent}`);
                }
            },
        },
        {
            content: "Close the dialog",
            trigger: ".modal .modal-footer button:contains(Done)",
            run: "click",
        },
        {
            content: "The form lists the key, not its value",
            trigger: "body:not(:has(.modal)) div[name=api_key_summary]:contains(issued by)",
        },
    ],
});
