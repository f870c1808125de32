import { registry } from "@web/core/registry";

// Issue 13.2: an unsaved system shows no webhook URL (the one shown before answered 404
// once saved); the URL shown after saving is the one Odoo answers at, and stays so.
let shownUrl;

registry.category("web_tour.tours").add("q2c_system_webhook_url", {
    url: "/odoo/action-q2c_base.action_q2c_system/new",
    steps: () => [
        {
            trigger: "div[name=name] input",
            run: "edit URL tour system",
        },
        {
            trigger: "div[name=system_type] select",
            run: "selectByLabel Generic",
        },
        {
            trigger: "div[name=user_id] input",
            run: "edit URL tour integration",
        },
        {
            trigger: ".ui-autocomplete a:contains(URL tour integration)",
            run: "click",
        },
        {
            content: "the unsaved form says when the webhook URL comes",
            trigger: "div[name=webhook_url_unsaved]:contains(shown once the system is saved)",
        },
        {
            content: "and shows none before",
            trigger: ".o_form_editable:not(:has(div[name=webhook_url]))",
        },
        {
            content: "the public URL is filled in already",
            trigger: "div[name=public_base_url] input:value(http://127.0.0.1)",
        },
        {
            trigger: ".o_form_button_save:enabled",
            run: "click",
        },
        {
            trigger: ".o_form_saved",
        },
        {
            content: "the saved system shows its webhook URL",
            trigger: "div[name=webhook_url]:contains(q2c/webhook/generic)",
            run() {
                shownUrl = this.anchor.querySelector("span").textContent.trim();
            },
        },
        {
            trigger: ".o_back_button, .breadcrumb-item a:contains(Connected Systems)",
            run: "click",
        },
        {
            trigger: ".o_data_row td:contains(URL tour system)",
            run: "click",
        },
        {
            content: "opened again, the same URL; Odoo knows it (401 unsigned, not 404)",
            trigger: "div[name=webhook_url]:contains(q2c/webhook/generic)",
            async run() {
                const url = this.anchor.querySelector("span").textContent.trim();
                if (url !== shownUrl) {
                    throw new Error(`The webhook URL changed: ${shownUrl} then ${url}`);
                }
                const response = await fetch(url, {
                    method: "POST",
                    headers: { "Content-Type": "application/json" },
                    body: "{}",
                });
                if (response.status !== 401) {
                    throw new Error(`${url} answered ${response.status}, not 401`);
                }
            },
        },
    ],
});

// Issue 11.5: a mismatch between where deliveries arrive and the public URL shows as a
// badge on the dashboard card and as a warning on the system's form.
registry.category("web_tour.tours").add("q2c_system_url_mismatch_dashboard", {
    url: "/odoo/action-q2c_base.action_q2c_dashboard",
    steps: () => [
        {
            content: "the card of the system whose deliveries arrive elsewhere has the badge",
            trigger:
                ".o_kanban_record:contains(Mismatched system) span[name=url_mismatch]:contains(URL mismatch)",
        },
        {
            content: "the card of a system in order has none",
            trigger: ".o_kanban_record:contains(Generic test system):not(:has(span[name=url_mismatch]))",
        },
    ],
});

registry.category("web_tour.tours").add("q2c_system_url_mismatch_form", {
    steps: () => [
        {
            content: "the form says where deliveries arrive",
            trigger: "div.alert[name=url_mismatch]:contains(Deliveries arrive at https://old.example.com)",
        },
        {
            content: "and which public URL the system has",
            trigger: "div.alert[name=url_mismatch]:contains(public URL is https://odoo.example.com)",
        },
        {
            content: "and what a proxy must send",
            trigger: "div.alert[name=url_mismatch]:contains(X-Forwarded-Host and X-Forwarded-Proto)",
        },
    ],
});
