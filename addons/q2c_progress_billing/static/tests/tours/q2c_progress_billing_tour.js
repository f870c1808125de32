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

// Finance certifies the submitted application, one line for less than applied for, and
// creates its invoice.
registry.category("web_tour.tours").add("q2c_progress_certify", {
    steps: () => [
        {
            content: "The architect certifies 18,000.00 of the 20,000.00 applied for on the first line",
            trigger: "div[name=line_ids] .o_data_row:first-child td[name=certified_work]",
            run: "click",
        },
        {
            trigger: "div[name=line_ids] .o_data_row:first-child td[name=certified_work] input",
            run: "edit 18000",
        },
        {
            content: "Open the certificate",
            trigger: "a.nav-link:contains('Application for Payment (G702)')",
            run: "click",
        },
        {
            content: "Explain the difference",
            trigger: "div[name=certification_note] textarea",
            run: "edit Only 18,000.00 of the sitework is in place.",
        },
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
            content: "The invoice is for the amount certified: 23,000.00 less 2,300.00 retainage",
            trigger: ".o_form_view div[name=tax_totals]:contains('20,700.00')",
        },
    ],
});

// The project manager types an amount whose percent of the scheduled value is not round
// (12,345.70 of 100,000.00 shows 12.35%) and saves: the amount is kept as typed.
registry.category("web_tour.tours").add("q2c_progress_exact_amount", {
    steps: () => [
        {
            content: "Work this period on the first line of the continuation sheet",
            trigger: "div[name=line_ids] .o_data_row:first-child td[name=work_this_period]",
            run: "click",
        },
        {
            trigger: "div[name=line_ids] .o_data_row:first-child td[name=work_this_period] input",
            run: "edit 12345.70",
        },
        {
            content: "Leave the cell (its onchange recomputes the percent)",
            trigger: "div[name=line_ids] .o_data_row:first-child td[name=stored_now]",
            run: "click",
        },
        {
            content: "The work percent follows, rounded",
            trigger: "div[name=line_ids] .o_data_row:first-child td[name=work_percent] input:value(12.35)",
        },
        {
            content: "Save",
            trigger: ".o_form_button_save",
            run: "click",
        },
        {
            content: "Saved: the amount typed, not the rounded percent's 12,350.00",
            trigger: ".o_form_saved div[name=line_ids] .o_data_row:first-child td[name=work_this_period]:contains('12,345.70')",
        },
    ],
});
