/** @odoo-module **/
// Copyright 2026 The helpdesk_gis_zhkh_max authors
// License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import {registry} from "@web/core/registry";

const HOUSE = "ул. Ленина, 5";
const CAUSE = "Порыв на вводе холодной воды";
const CANDIDATES = ".o_field_widget[name='candidate_ticket_ids']";
const LINKED = ".o_field_widget[name='ticket_ids']";

function link(resident) {
    return [
        {
            content: `Link ${resident}'s ticket in one click`,
            trigger: `${CANDIDATES} .o_data_row:contains('${resident}') button[name='action_link_interruption']`,
            run: "click",
        },
        {
            content: `${resident}'s ticket is linked`,
            trigger: `${LINKED} .o_data_row:contains('${resident}')`,
        },
    ];
}

// The dispatcher registers a cold water accident, links two residents'
// tickets about it, and tells the building in MAX; in Russian.
registry.category("web_tour.tours").add("hgzm_interruption", {
    steps: () => [
        {
            content: "The interruptions: new",
            trigger: ".o_list_button_add",
            run: "click",
        },
        {
            content: "Which service",
            trigger: ".o_field_widget[name='service'] input",
            run: "click",
        },
        {
            trigger: ".o_select_menu_item:contains('Холодное водоснабжение')",
            run: "click",
        },
        {
            content: "Which building",
            trigger: ".o_field_widget[name='house_id'] input",
            run: `edit ${HOUSE}`,
        },
        {
            trigger: `.o-autocomplete--dropdown-item:contains('${HOUSE}')`,
            run: "click",
        },
        {
            content: "The cause, for the residents",
            trigger: ".o_field_widget[name='cause'] input",
            run: `edit ${CAUSE}`,
        },
        {
            content: "Save",
            trigger: ".o_form_button_save",
            run: "click",
        },
        {
            content: "The limits of ПП 354 apply: 4 hours at one time",
            trigger: ".o_field_widget[name='single_limit_hours']:contains('4')",
        },
        ...link("Анна"),
        ...link("Борис"),
        {
            content: "Nothing left to link",
            trigger: `.o_form_view:not(:has(${CANDIDATES} .o_data_row))`,
        },
        {
            content: "Notify the building in MAX",
            trigger: ".o_form_view button[name='action_notify_residents']",
            run: "click",
        },
        {
            content: "Confirm",
            trigger: ".modal-footer .btn-primary",
            run: "click",
        },
        {
            content: "Sent: the button is gone",
            trigger: ".o_form_view:not(:has(button[name='action_notify_residents']))",
        },
        {
            content: "The delivery report",
            trigger: ".o_notebook a[name='notices']",
            run: "click",
        },
        {
            content: "Both residents of the building are in the notice",
            trigger:
                ".o_field_widget[name='broadcast_ids'] .o_data_row td[name='recipient_count']:contains('2')",
        },
        {
            content: "Nothing on the form is left in English",
            trigger:
                ".o_form_view:not(:has(.o_notebook a:contains('MAX notices'))):not(:has(button:contains('Service restored'))):not(:has(.o_form_label:contains('Building')))",
        },
    ],
});

// The dispatcher's cockpit shows it running, with the time left.
registry.category("web_tour.tours").add("hgzm_interruption_cockpit", {
    steps: () => [
        {
            content: "The running interruption, the time left to its limits",
            trigger: `.o_hgzm_interruptions .o_hgzm_interruption:contains('${HOUSE}') .o_hgzm_single_left:contains('ч')`,
        },
        {
            content: "In Russian",
            trigger: ".o_hgzm_interruptions:not(:has(h4:contains('Service interruptions')))",
        },
        {
            content: "Open it",
            trigger: `.o_hgzm_interruption:contains('${HOUSE}')`,
            run: "click",
        },
        {
            content: "Its form, with the residents' tickets",
            trigger: `.o_form_view ${LINKED} .o_data_row:contains('Анна')`,
        },
    ],
});
