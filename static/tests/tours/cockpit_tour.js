/** @odoo-module **/
// Copyright 2026 The helpdesk_gis_zhkh_max authors
// License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import {registry} from "@web/core/registry";

// The dispatcher's morning: the cockpit, the breached appeal, the accident
// localised, the milestone met.
registry.category("web_tour.tours").add("hgzm_dispatcher_cockpit", {
    steps: () => [
        {
            content: "The cockpit counts the breached appeal",
            trigger: ".o_hgzm_cockpit .o_hgzm_total_breached:contains(1)",
            run: "click",
        },
        {
            content: "The list shows it: open it",
            trigger: ".o_list_view .o_data_row:contains('Tour accident') .o_data_cell",
            run: "click",
        },
        {
            content: "Mark the accident localised",
            trigger: ".o_form_view button[name='action_mark_localised']",
            run: "click",
        },
        {
            content: "The button is gone once it is recorded",
            trigger: ".o_form_view:not(:has(button[name='action_mark_localised']))",
        },
        {
            content: "Open the legal deadlines",
            trigger: ".o_notebook a[name='legal_deadlines']",
            run: "click",
        },
        {
            // The dispatcher works in Russian: the milestone and its state too.
            content: "Localisation is met",
            trigger:
                ".o_field_widget[name='deadline_ids'] .o_data_row:contains('Локализовать аварию'):contains('Соблюдён')",
        },
        {
            content: "Nothing on the form is left in English",
            trigger:
                ".o_form_view:not(:has(.o_notebook a:contains('Legal deadlines'))):not(:has(button:contains('Assign to me')))",
        },
    ],
});
