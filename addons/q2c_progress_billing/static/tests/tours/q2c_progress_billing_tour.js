import { registry } from "@web/core/registry";

// The project manager fills in the continuation sheet of a draft pay application and submits it.
registry.category("web_tour.tours").add("q2c_progress_prepare", {
    steps: () => [
        {
            content: "Work this period on the first line of the continuation sheet",
            trigger: "div[name=line_ids] .o_data_row:first-child td[name=work_this_period]",
            run: "click",
        },
        {
            trigger: "div[name=line_ids] .o_data_row:first-child td[name=work_this_period] input",
            run: "edit 20000",
        },
        {
            content: "Materials stored on the second line",
            trigger: "div[name=line_ids] .o_data_row:nth-child(2) td[name=stored_now]",
            run: "click",
        },
        {
            trigger: "div[name=line_ids] .o_data_row:nth-child(2) td[name=stored_now] input",
            run: "edit 5000",
        },
        {
            content: "Submit for certification (saves first)",
            trigger: "button[name=action_submit]",
            run: "click",
        },
        {
            content: "The application is submitted",
            trigger: ".o_statusbar_status button.o_arrow_button_current:contains('Submitted')",
        },
    ],
});

// Finance certifies the submitted application and creates its invoice.
registry.category("web_tour.tours").add("q2c_progress_certify", {
    steps: () => [
        {
            content: "Certify the application",
            trigger: "button[name=action_certify]",
            run: "click",
        },
        {
            content: "Create its invoice",
            trigger: "button[name=action_create_invoice]",
            run: "click",
        },
        {
            content: "The invoice is for the amount certified: 25,000.00 less 2,500.00 retainage",
            trigger: ".o_form_view div[name=tax_totals]:contains('22,500.00')",
        },
    ],
});
